"""The ``gradtrio`` command, run as a user runs it: ``python -m gradtrio`` in a subprocess."""

import io
import os
import re
import signal
import subprocess
import sys

import numpy as np
import pytest
import scipy.io

from gradtrio import backprop, cli
from gradtrio.data import load_digits, load_weights, save_weights
from gradtrio.network import init_weights, one_hot
from gradtrio.train import predict

#: A subprocess that should take seconds; generous so a loaded CI machine does not fail it.
TIMEOUT_S = 120


def gradtrio(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "gradtrio", *map(str, args)], capture_output=True, text=True,
                          timeout=TIMEOUT_S, cwd=cwd)


def summary(stdout: str) -> dict[str, str]:
    """The ``name  value`` rows of the training summary."""
    rows = {}
    for line in stdout.splitlines():
        m = re.match(r"^([a-z][a-z ]+?)\s{2,}(\S.*)$", line)
        if m:
            rows[m.group(1)] = m.group(2)
    return rows


def test_train_then_predict_end_to_end(tmp_path):
    out = tmp_path / "run"
    r = gradtrio("train", "--maxiter", 5, "--out", out)
    assert r.returncode == 0, r.stderr
    rows = summary(r.stdout)
    assert rows["iterations"].startswith("5 (")
    for key in ("time", "final cost", "train accuracy", "test accuracy", "gradient check"):
        assert key in rows
    assert rows["gradient check"].startswith("passed")
    assert rows["weights"] == str(out / "weights.npz")
    assert rows["hidden units"] == str(out / "hidden_units.png")
    assert (out / "hidden_units.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert rows["cost history"] == str(out / "cost_history.csv")
    assert rows["training curve"] == str(out / "training_curve.png")
    assert (out / "training_curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    history = np.loadtxt(out / "cost_history.csv", delimiter=",", skiprows=1)
    np.testing.assert_array_equal(history[:, 0], np.arange(6))  # iterations 0 (initial weights) .. 5
    assert history[-1, 1] == pytest.approx(float(rows["final cost"]), abs=5e-7)
    assert np.all(np.diff(history[:, 1]) <= 0)  # L-BFGS-B's iterates descend
    assert "\r" not in r.stderr  # plain progress lines when stderr is not a terminal
    assert re.search(r"^  iteration 5/5, cost [0-9.]+  \d\d:\d\d elapsed, 00:00 left, ", r.stderr, re.M), r.stderr
    assert ("gradient check: backprop vs JAX vs central differences and complex step on 1885 parameters "
            "(64-25-10, m = 5)...") in r.stderr  # said before the check starts
    assert re.search(r"^  gradient check 5/5, done  ", r.stderr, re.M), r.stderr
    assert sorted(os.listdir(out)) == ["cost_history.csv", "hidden_units.png", "training_curve.png",
                                       "weights.npz"]  # no temporary files left

    preds = tmp_path / "pred.txt"
    p = gradtrio("predict", out / "weights.npz", "--output", preds)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith(f"accuracy  {rows['test accuracy']}")  # same weights, same test split
    d = load_digits()
    expected = predict(load_weights(out / "weights.npz"), d.X_test)
    np.testing.assert_array_equal(np.loadtxt(preds, dtype=int), expected)


def test_train_on_a_course_mat_file_saving_mat_weights(tmp_path):
    rng = np.random.default_rng(0)
    digits = np.arange(200) % 10
    X = rng.random((200, 16)) * 0.1 + np.eye(10)[digits] @ rng.random((10, 16))  # separable-ish, 4×4 images
    scipy.io.savemat(tmp_path / "data.mat", {"X": X, "y": np.where(digits == 0, 10, digits).reshape(-1, 1)})
    r = gradtrio("train", "--data", tmp_path / "data.mat", "--hidden", "8", "--maxiter", 30,
                 "--format", "mat", "--no-check", "--out", tmp_path)
    assert r.returncode == 0, r.stderr
    rows = summary(r.stdout)
    assert rows["weights"].endswith("weights.mat") and "gradient check" not in rows
    assert os.path.exists(rows["hidden units"])
    p = gradtrio("predict", tmp_path / "weights.mat", "--data", tmp_path / "data.mat")
    assert p.returncode == 0, p.stderr
    thetas = load_weights(tmp_path / "weights.mat", sizes=(16, 8, 10))
    acc = np.mean(predict(thetas, X) == digits)
    assert p.stdout.startswith(f"accuracy  {100 * acc:.2f} %  (200 examples of data.mat)")


def test_mat_weights_of_stored_labels_predict_right_without_being_told(tmp_path):
    """Weights trained on labels kept as stored and saved as .mat record that order: a plain
    `gradtrio predict weights.mat` scored 0.22 % before (it applied the course's rotation)."""
    d = load_digits()
    scipy.io.savemat(tmp_path / "digits.mat", {"X": np.vstack([d.X_train, d.X_test]),
                                               "y": np.concatenate([d.y_train, d.y_test]).reshape(-1, 1)})
    r = gradtrio("train", "--data", tmp_path / "digits.mat", "--labels", "stored", "--format", "mat",
                 "--maxiter", 30, "--no-check", "--out", tmp_path)
    assert r.returncode == 0, r.stderr
    p = gradtrio("predict", tmp_path / "weights.mat")  # the embedded digits' test split
    assert p.returncode == 0, p.stderr
    assert float(p.stdout.split()[1]) > 90


def test_predict_uses_the_split_given_to_train(tmp_path, capsys):
    assert cli.main(["train", "--test-size", "0.4", "--maxiter", "3", "--no-check", "--out", str(tmp_path)]) == 0
    rows = summary(capsys.readouterr().out)
    assert cli.main(["predict", str(tmp_path / "weights.npz"), "--test-size", "0.4"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"accuracy  {rows['test accuracy']}  (719 examples of ")


def test_gradient_check_after_training_is_cheap_for_big_networks():
    assert cli.check_methods((64, 25, 10)) == cli.FULL_CHECK_METHODS  # 1885 parameters: the full check
    methods = cli.check_methods((64, 200, 200, 10))  # 55210 parameters: 110 s for the full check
    assert "central" not in methods and "complex" not in methods and "directional" in methods
    report, passed = cli._gradient_check((64, 200, 200, 10), 1.0, cli.TRAIN_CHECK_EXAMPLES, methods=methods)
    assert passed, report


def test_ctrl_c_during_the_check_says_the_weights_are_saved(tmp_path, monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_gradient_check", interrupted)
    assert cli.main(["train", "--maxiter", "2", "--out", str(tmp_path)]) == cli.EXIT_INTERRUPTED
    err = capsys.readouterr().err
    assert f"gradient check interrupted; the trained weights were already saved to {tmp_path / 'weights.npz'}" in err
    load_weights(tmp_path / "weights.npz", sizes=(64, 25, 10))


def test_out_of_memory_is_one_line_naming_what_was_too_big(monkeypatch, capsys):
    import gradtrio.train

    def too_big(*args, **kwargs):
        raise MemoryError("Unable to allocate 48.4 GiB for an array with shape (100000000, 65)")

    monkeypatch.setattr(gradtrio.train, "train", too_big)
    assert cli.main(["train", "--hidden", "100000000", "--no-check"]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("gradtrio: error: out of memory: the network "
                                                   "64-100000000-10 (7500000010 parameters"), err


def test_check_prints_the_report():
    r = gradtrio("check", "--sizes", "4", "3", "2", "--lam", "1.5")
    assert r.returncode == 0, r.stderr
    assert "sizes (4, 3, 2)" in r.stdout and "λ = 1.5" in r.stdout and "PASSED" in r.stdout


def test_ctrl_c_saves_the_best_weights_so_far(tmp_path):
    """SIGINT while training: exit 130, no traceback, the best weights so far saved and named."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "gradtrio", "train", "--hidden", "200", "200", "--maxiter", "100000",
         "--no-check", "--out", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        first = proc.stderr.readline()  # "  iteration 0/100000  cost ...": training has started
        assert "iteration 0/100000" in first, first
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=TIMEOUT_S)
    finally:
        proc.kill()
    assert proc.returncode == cli.EXIT_INTERRUPTED, err
    assert "Traceback" not in err
    m = re.search(r"interrupted after \d+ iterations; best weights so far \(cost ([0-9.]+)\) "
                  r"saved to (\S+)", err)
    assert m, err
    assert m.group(2) == str(tmp_path / "weights.npz")
    thetas = load_weights(m.group(2), sizes=(64, 200, 200, 10))
    d = load_digits()
    J = backprop.cost(thetas, d.X_train, one_hot(d.y_train, 10), 1.0)
    assert abs(J - float(m.group(1))) <= 5e-7  # the file holds the weights whose cost was reported


def _course_data(path, n=400, m=10):
    digits = np.arange(m) % 10
    scipy.io.savemat(path, {"X": np.zeros((m, n)), "y": np.where(digits == 0, 10, digits).reshape(-1, 1)})


@pytest.mark.parametrize(
    "args, message",
    [
        (["predict", "{tmp}/missing.npz"], "weights file not found"),
        (["train", "--data", "{tmp}/notes.mat"], "not a readable MATLAB .mat file"),
        (["predict", "{tmp}/w64.npz", "--data", "{tmp}/course400.mat"],
         "take 64 inputs but course400.mat has 400"),
        (["train", "--lam", "-1"], "λ must be a finite number >= 0; got '-1'"),
        (["train", "--hidden", "25", "0", "--maxiter", "1"], r"sizes[2] must be at least 1"),
        (["check", "--sizes", "3"], "at least 2 layers"),
        (["train", "--method", "Newton"], "invalid choice: 'Newton'"),
        (["fly"], "invalid choice: 'fly'"),
        (["mutants", "--seeds", "0"], "must be >= 1"),
        (["train", "--labels", "stored"], "--labels applies to a --data file"),
        (["predict", "{tmp}/w64.npz", "--labels", "stored"], "--labels applies to a --data file"),
        (["predict", "{tmp}/w3.npz"], "have 3 output units (labels 0..2) but embedded digits"),
        (["predict", "{tmp}/w64.npz", "--data", "{tmp}/course64.mat", "--test-size", "0.4"],
         "--test-size applies to the embedded digits"),
        (["train", "--out", "{tmp}/notes.mat"], "--out must be a folder"),
        (["predict", "{tmp}/w64.npz", "--output", "{tmp}"], "--output must be a file name"),
        (["predict", "{tmp}/w64.npz", "--output", "{tmp}/no/p.txt"], "--output {tmp}/no/p.txt: the folder"),
        (["train", "--data", "{tmp}"], "is a directory"),
        (["train", "--data", "{tmp}/one.mat"], "one.mat has 1 example: too few"),
        (["train", "--data", "{tmp}/nan.mat"], "nan.mat: X must be finite"),
        (["train", "--data", "{tmp}/eleven.mat"], "(pass --labels stored to keep"),
        (["train", "--data", "{tmp}/stray.mat", "--labels", "stored"], "renumber the labels 0..3"),
        (["predict", "{tmp}/junk.npz"], "junk.npz is not a valid .npz file"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path, args, message):
    (tmp_path / "notes.mat").write_text("not a MATLAB file\n")
    (tmp_path / "junk.npz").write_text("not a zip\n")
    save_weights(tmp_path / "w64.npz", init_weights((64, 25, 10)))
    save_weights(tmp_path / "w3.npz", init_weights((64, 5, 3)))
    _course_data(tmp_path / "course400.mat")
    _course_data(tmp_path / "course64.mat", n=64)
    scipy.io.savemat(tmp_path / "one.mat", {"X": np.zeros((1, 4)), "y": [[1]]})
    scipy.io.savemat(tmp_path / "nan.mat", {"X": np.full((3, 4), np.nan), "y": [[1], [2], [3]]})
    scipy.io.savemat(tmp_path / "eleven.mat", {"X": np.zeros((3, 4)), "y": [[1], [2], [11]]})
    scipy.io.savemat(tmp_path / "stray.mat", {"X": np.zeros((4, 4)), "y": [[0], [1], [2], [1e9]]})
    message = message.format(tmp=tmp_path)
    r = gradtrio(*[a.format(tmp=tmp_path) for a in args], cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("gradtrio: error: "), r.stderr
    assert message in r.stderr
    assert not os.path.exists(tmp_path / "gradtrio-out" / "weights.npz")


def test_mutants_subcommand_is_registered(capsys):
    pytest.importorskip("gradtrio.mutants")
    assert cli.main(["mutants", "--help"]) == 0
    assert "usage: gradtrio mutants" in capsys.readouterr().out


def test_mutants_subcommand_without_its_module(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "gradtrio.mutants", None)  # makes the import fail
    assert cli.main(["mutants"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "mutants subcommand is unavailable" in err


def test_progress_on_a_terminal_is_a_tqdm_bar_with_rate_and_time_left():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    stream = Terminal()
    bar = cli.Progress(4, stream=stream)
    for i, J in enumerate([4.0, 3.0, 2.0, 1.5, 1.25]):
        bar(i, J)
    bar.close()
    text = stream.getvalue()
    assert "\r" in text and text.endswith("\n") and text.count("\n") == 1  # one line, redrawn
    last = text.split("\r")[-1]
    assert re.search(r"iteration: 100%\|.*\| 4/4 \[\d\d:\d\d<\d\d:\d\d, .*it/s, cost 1\.250000\]", last), last


def test_plain_progress_shows_rate_time_left_and_the_last_step():
    stream = io.StringIO()  # not a terminal: plain lines, never a carriage return
    bar = cli.Progress(100000, stream=stream, plain_interval=3600.0)
    for i in range(7):
        bar(i, 1.0 / (i + 1))
    bar.close()  # a run that stops early still shows where it stopped
    lines = stream.getvalue().splitlines()
    assert "\r" not in stream.getvalue()
    assert [ln.split()[1] for ln in lines] == ["0/100000,", "6/100000,"]
    assert re.fullmatch(r"  iteration 6/100000, cost 0\.142857  \d\d:\d\d elapsed, \S+ left, +[0-9.]+it/s",
                        lines[-1]), lines[-1]
    stream = io.StringIO()
    bar = cli.Progress(100000, stream=stream, plain_interval=0.0)  # every plain_interval s, not only each tenth
    for i in range(4):
        bar(i, 1.0)
    bar.close()
    assert len(stream.getvalue().splitlines()) == 4  # close() does not repeat a line already shown
    stream = io.StringIO()
    bar = cli.Progress(20, stream=stream, plain_interval=3600.0)
    for i in range(21):
        bar(i, 1.0)
    bar.close()
    assert [ln.split()[1] for ln in stream.getvalue().splitlines()] == [f"{i}/20," for i in range(0, 21, 2)]
    stream = io.StringIO()
    cli.Progress(5, stream=stream).close()  # nothing done (an error before the first step): no line
    assert stream.getvalue() == ""


def test_hidden_unit_picture_tiles_rows_like_displaydata():
    from gradtrio.plots import PAD_VALUE, tile_images

    rows = np.array([[1.0, 2, 3, 4, 5, 6], [-6.0, 0, 0, 0, 0, 3], [0.0] * 6])  # three 2×3 images
    grid = tile_images(rows, (2, 3))
    assert grid.shape == (1 + 2 * (2 + 1), 1 + 2 * (3 + 1))  # 2×2 grid of patches, 1-pixel pads
    # each patch is scaled by its own largest |weight|
    np.testing.assert_array_equal(grid[1:3, 1:4], [[1 / 6, 2 / 6, 3 / 6], [4 / 6, 5 / 6, 1.0]])
    np.testing.assert_array_equal(grid[1:3, 5:8], [[-1.0, 0, 0], [0, 0, 0.5]])
    np.testing.assert_array_equal(grid[4:6, 1:4], np.zeros((2, 3)))  # all-zero unit stays zero
    assert np.all(grid[0] == PAD_VALUE) and np.all(grid[4:6, 5:8] == PAD_VALUE)  # unused cell is padding
    # the course's MATLAB files unfold images column by column
    np.testing.assert_array_equal(tile_images(rows, (2, 3), order="F")[1:3, 1:4],
                                  [[1 / 6, 3 / 6, 5 / 6], [2 / 6, 4 / 6, 1.0]])
