"""The ``gradtrio`` command, run as a user runs it: ``python -m gradtrio`` in a subprocess."""

import io
import json
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import scipy.io

from gradtrio import backprop, cli
from gradtrio.check import DEFAULT_METHODS
from gradtrio.cli import check as cli_check
from gradtrio.cli import train as cli_train
from gradtrio.data import load_diabetes, load_digits, load_network, load_weights, save_weights
from gradtrio.network import init_weights, one_hot
from gradtrio.train import predict, r2_score

#: A subprocess that should take seconds; generous so a loaded CI machine does not fail it.
TIMEOUT_S = 120


#: How CI runs the command: no terminal, stdin closed, CI=true.
CI_ENV = {**os.environ, "CI": "true"}


def gradtrio(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "gradtrio", *map(str, args)], capture_output=True, text=True,
                          timeout=TIMEOUT_S, cwd=cwd, env=CI_ENV, stdin=subprocess.DEVNULL)


def one_line_error(r) -> str:
    """The error of a refused command: exit 2, one line on stderr, no traceback."""
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("gradtrio: error: "), r.stderr
    return r.stderr


def summary(stdout: str) -> dict[str, str]:
    """The ``name  value`` rows of the training summary."""
    rows = {}
    for line in stdout.splitlines():
        m = re.match(r"^([a-zA-Z][a-zA-Z² ]+?)\s{2,}(\S.*)$", line)
        if m:
            rows[m.group(1)] = m.group(2)
    return rows


def test_train_then_predict_end_to_end(tmp_path):
    out = tmp_path / "run"
    r = gradtrio("train", "--maxiter", 5, "--out", out)
    assert r.returncode == 0, r.stderr
    rows = summary(r.stdout)
    assert rows["iterations"].startswith("5 (")
    for key in ("time", "final cost", "train accuracy", "test accuracy", "gradient check", "trained weights"):
        assert key in rows
    assert rows["gradient check"].startswith("passed")
    assert rows["trained weights"].startswith("passed") and "20 training examples" in rows["trained weights"]
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
    last_iteration = r"^  iteration 5/5, cost [0-9.]+  \d\d:\d\d elapsed, 00:00 left, "
    assert re.search(last_iteration, r.stderr, re.M), r.stderr
    assert ("gradient check: backprop vs JAX vs central differences and complex step on 1885 parameters "
            "(64-25-10): the debug problem, then the trained weights...") in r.stderr  # said before it starts
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


def test_relu_softmax_on_the_digits_trains_checks_and_predicts_with_its_units(tmp_path):
    out = tmp_path / "run"
    r = gradtrio("train", "--activation", "relu", "--output", "softmax", "--maxiter", 10, "--out", out)
    assert r.returncode == 0, r.stderr
    assert "network 64-25-10 (relu hidden units, softmax output) (1885 parameters)" in r.stdout
    rows = summary(r.stdout)
    assert rows["gradient check"].startswith("passed") and rows["trained weights"].startswith("passed")
    net = load_network(out / "weights.npz")
    assert net.activations == ("relu",) and net.output == "softmax"
    p = gradtrio("predict", out / "weights.npz")
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith(f"accuracy  {rows['test accuracy']}")  # the units came back from the file
    d = load_digits()
    acc = 100 * np.mean(predict(net.thetas, d.X_test, activation="relu", output="softmax") == d.y_test)
    assert rows["test accuracy"] == f"{acc:.2f} %"


def test_regression_on_the_diabetes_data_prints_r2_and_predicts_in_the_targets_units(tmp_path):
    out = tmp_path / "run"
    r = gradtrio("train", "--dataset", "diabetes", "--output", "identity", "--activation", "tanh", "--hidden", 5,
                 "--lam", 10, "--maxiter", 30, "--no-check", "--format", "mat", "--out", out)
    assert r.returncode == 0, r.stderr
    rows = summary(r.stdout)
    assert "accuracy" not in r.stdout
    assert "331 train / 111 test examples; network 10-5-1 (tanh hidden units, identity output)" in r.stdout
    for key in ("train R²", "test R²", "test RMSE"):
        assert key in rows
    assert rows["hidden units"].startswith("not drawn")
    net = load_network(out / "weights.mat")
    assert net.activations == ("tanh",) and net.output == "identity"
    d = load_diabetes()
    assert rows["test R²"] == f"{r2_score(net.thetas, d.X_test, d.y_test, activation='tanh'):.4f}"
    preds = tmp_path / "pred.txt"
    p = gradtrio("predict", out / "weights.mat", "--dataset", "diabetes", "--output", preds)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith(f"R²  {rows['test R²']}  RMSE  {rows['test RMSE'].split()[0]}  (111 examples")
    H = predict(net.thetas, d.X_test, activation="tanh", output="identity")[:, 0] * d.y_scale + d.y_offset
    np.testing.assert_allclose(np.loadtxt(preds), H, rtol=1e-15)
    from sklearn.datasets import load_diabetes as raw

    assert 25 <= np.loadtxt(preds).mean() <= 346  # in the target's own units (25..346), not standardized
    assert set(np.round(d.y_test * d.y_scale + d.y_offset, 6)) <= set(np.round(raw().target, 6))


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
    assert cli_train.check_methods((64, 25, 10)) == DEFAULT_METHODS  # 1885 parameters: the full check
    methods = cli_train.check_methods((64, 200, 200, 10))  # 55210 parameters: 110 s for the full check
    assert "central" not in methods and "complex" not in methods and "directional" in methods
    report, verdict = cli_check.gradient_check(
        cli_check.debug_check((64, 200, 200, 10), 1.0, cli_train.TRAIN_CHECK_EXAMPLES), methods)
    assert verdict == "pass", report


def test_ctrl_c_during_the_check_says_the_weights_are_saved(tmp_path, monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_train, "gradient_check", interrupted)
    assert cli.main(["train", "--maxiter", "2", "--out", str(tmp_path)]) == cli.EXIT_INTERRUPTED
    err = capsys.readouterr().err
    assert f"gradient check interrupted; the trained weights were already saved to {tmp_path / 'weights.npz'}" in err
    load_weights(tmp_path / "weights.npz", sizes=(64, 25, 10))


def test_out_of_memory_is_one_line_naming_what_was_too_big(monkeypatch, capsys, tmp_path):
    import gradtrio.train

    def too_big(*args, **kwargs):
        raise MemoryError("Unable to allocate 48.4 GiB for an array with shape (100000000, 65)")

    monkeypatch.setattr(gradtrio.train, "train", too_big)
    # --out: train creates its folder before training, and the default (gradtrio-out) is in the checkout.
    assert cli.main(["train", "--hidden", "100000000", "--no-check", "--out", str(tmp_path)]) == cli.EXIT_USAGE
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
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=CI_ENV, stdin=subprocess.DEVNULL,
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
        (["train", "--output", "identity"], "--output identity fits real targets (squared error); embedded digits"),
        (["train", "--data", "{tmp}/course64.mat", "--output", "identity"], "course64.mat holds class labels"),
        (["train", "--dataset", "diabetes"], "holds real targets, not class labels: train it with --output identity"),
        (["train", "--dataset", "diabetes", "--output", "softmax"], "(got --output softmax)"),
        (["train", "--data", "{tmp}/oneclass.mat", "--labels", "stored", "--output", "softmax"],
         "--output softmax needs at least 2 classes; oneclass.mat has only the label 0"),
        (["train", "--dataset", "diabetes", "--data", "{tmp}/course64.mat"], "--dataset diabetes names an embedded"),
        (["train", "--hidden", "5", "5", "--activation", "relu", "tanh", "relu"],
         "--activation: sizes=(64, 5, 5, 10) has 2 hidden layers; got 3 activations"),
        (["train", "--activation", "swish"], "invalid choice: 'swish'"),
        (["train", "--dataset", "diabetes", "--output", "identity", "--labels", "stored"],
         "--labels applies to a --data file"),
        (["predict", "{tmp}/wreg.npz"], "are a regression network (identity output) but embedded digits"),
        (["predict", "{tmp}/w10.npz", "--dataset", "diabetes"], "are a classifier (sigmoid output) but embedded "
         "diabetes"),
        (["predict", "{tmp}/wreg10.npz", "--dataset", "diabetes", "--labels", "stored", "--output", "{tmp}/p.txt"],
         "--labels applies to class labels"),
        (["predict", "{tmp}/wunits.npz"], "records 2 activation(s)"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path, args, message):
    (tmp_path / "notes.mat").write_text("not a MATLAB file\n")
    (tmp_path / "junk.npz").write_text("not a zip\n")
    save_weights(tmp_path / "w64.npz", init_weights((64, 25, 10)))
    save_weights(tmp_path / "w3.npz", init_weights((64, 5, 3)))
    save_weights(tmp_path / "w10.npz", init_weights((10, 5, 3)))
    save_weights(tmp_path / "wreg.npz", init_weights((64, 5, 1)), activation="relu", output="identity")
    save_weights(tmp_path / "wreg10.npz", init_weights((10, 5, 1)), activation="relu", output="identity")
    w = init_weights((64, 5, 10))
    np.savez(tmp_path / "wunits.npz", Theta1=w[0], Theta2=w[1], gradtrio_activations=np.array("relu relu"),
             gradtrio_output=np.array("softmax"))
    scipy.io.savemat(tmp_path / "oneclass.mat", {"X": np.zeros((8, 4)), "y": np.zeros((8, 1))})
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
    pytest.importorskip("gradtrio.catalog")
    assert cli.main(["mutants", "--help"]) == 0
    assert "usage: gradtrio mutants" in capsys.readouterr().out


def test_mutants_subcommand_without_its_module(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "gradtrio.catalog", None)  # makes the import fail
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
    bar = cli.Progress(100000, stream=stream, plain_interval=0.0)  # each plain_interval s too
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


# --- output paths, bad files, progress, Ctrl-C ------------------------------------------------------------

def _unwritable_folder() -> str:
    """A folder even root cannot write into (sysfs), or skip."""
    import tempfile

    folder = "/sys/kernel"
    if not os.path.isdir(folder):
        pytest.skip("no /sys/kernel: no folder that even root cannot write")
    try:
        with tempfile.TemporaryFile(dir=folder):
            pytest.skip(f"{folder} is writable here")
    except OSError:
        return folder


@pytest.mark.parametrize("sub, message", [
    ("", "--out {out}: the folder is not writable"),
    ("new/deeper", "--out {out}: cannot create the folder: {folder} is not writable"),
])
def test_train_refuses_an_unwritable_out_before_any_work(sub, message):
    folder = _unwritable_folder()
    out = os.path.join(folder, sub) if sub else folder
    r = gradtrio("train", "--out", out)
    err = one_line_error(r)
    assert message.format(out=out, folder=folder) in err
    assert r.stdout == ""  # refused before loading data or training: not even the header
    assert ".tmp" not in err


def test_train_refuses_an_out_whose_weights_path_is_a_folder(tmp_path):
    (tmp_path / "weights.npz").mkdir()
    r = gradtrio("train", "--out", tmp_path)
    err = one_line_error(r)
    assert f"{tmp_path / 'weights.npz'} is a folder" in err and r.stdout == ""
    (tmp_path / "weights.npz").rmdir()
    (tmp_path / "training_curve.png").mkdir()
    err = one_line_error(gradtrio("train", "--out", tmp_path, "--maxiter", 1))
    assert f"{tmp_path / 'training_curve.png'} is a folder" in err


def test_predict_refuses_an_unwritable_output_before_any_work(tmp_path):
    folder = _unwritable_folder()
    save_weights(tmp_path / "w.npz", init_weights((64, 25, 10)))
    r = gradtrio("predict", tmp_path / "w.npz", "--output", f"{folder}/p.txt")
    assert f"--output {folder}/p.txt: the folder {folder} is not writable" in one_line_error(r)
    assert r.stdout == ""


def test_atomic_write_names_the_file_asked_for_not_its_temporary_file():
    from gradtrio.data import atomic_write

    folder = _unwritable_folder()
    with pytest.raises(OSError) as info:
        atomic_write(f"{folder}/weights.npz", lambda f: f.write(b"x"))
    assert f"cannot write {folder}/weights.npz" in str(info.value) and ".tmp" not in str(info.value)


def _mat_files(tmp_path):
    rng = np.random.default_rng(0)
    y = (np.arange(50) % 10 + 1)[:, None]
    scipy.io.savemat(tmp_path / "full.mat", {"X": rng.random((50, 16)), "y": y})
    data = (tmp_path / "full.mat").read_bytes()
    (tmp_path / "truncated.mat").write_bytes(data[: len(data) // 2])
    (tmp_path / "picture.mat").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    (tmp_path / "v73.mat").write_bytes(b"MATLAB 7.3 MAT-file, Platform: GLNXA64".ljust(512, b" ")
                                       + b"\x89HDF\r\n\x1a\n" + bytes(100))
    scipy.io.savemat(tmp_path / "other.mat", {"A": np.zeros(3)})


@pytest.mark.parametrize("name, message", [
    ("truncated.mat", "data file {path} is a MATLAB .mat file that is truncated or damaged"),
    ("picture.mat", "data file {path} is not a readable MATLAB .mat file (no MATLAB 5 header"),
    ("v73.mat", "data file {path} is a MATLAB v7.3 (HDF5) file"),
    ("other.mat", "{path} must hold variables 'X' and 'y'; missing ['X', 'y'], it has ['A']"),
])
def test_a_bad_mat_file_is_named_and_said_what_it_is_not(tmp_path, name, message):
    _mat_files(tmp_path)
    path = tmp_path / name
    err = one_line_error(gradtrio("train", "--data", path, "--out", tmp_path / "out"))
    assert message.format(path=path) in err and "could not read bytes" not in err.split("(")[0]
    assert not (tmp_path / "out").exists()


def test_truncated_mat_weights_are_named(tmp_path):
    save_weights(tmp_path / "w.mat", init_weights((64, 25, 10)))
    data = (tmp_path / "w.mat").read_bytes()
    (tmp_path / "w.mat").write_bytes(data[: len(data) // 2])
    err = one_line_error(gradtrio("predict", tmp_path / "w.mat"))
    assert f"weights file {tmp_path / 'w.mat'} is a MATLAB .mat file that is truncated or damaged" in err


@pytest.mark.parametrize("which, message", [
    (0, "Theta(1) looks transposed: it has shape (65, 25), but Theta(2) (shape (10, 26)) takes 25 units"),
    (1, "Theta(2) looks transposed: it has shape (26, 10), but Theta(1) gives it 25 units"),
])
def test_a_transposed_matrix_in_a_weights_file_is_named(tmp_path, which, message):
    thetas = init_weights((64, 25, 10))
    thetas[which] = thetas[which].T
    np.savez(tmp_path / "w.npz", **{f"Theta{i + 1}": t for i, t in enumerate(thetas)})
    assert message in one_line_error(gradtrio("predict", tmp_path / "w.npz"))


def test_maxiter_0_shows_no_iteration_count(tmp_path):
    r = gradtrio("train", "--maxiter", 0, "--no-check", "--out", tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""  # no "iteration 0/1": there is no iteration to count
    assert summary(r.stdout)["iterations"].startswith("0 (1 cost evaluations; maxiter is 0")
    assert (tmp_path / "cost_history.csv").read_text().splitlines()[0] == "iteration,cost"
    assert len((tmp_path / "cost_history.csv").read_text().splitlines()) == 2  # the initial weights only


def test_check_methods_and_json(tmp_path):
    r = gradtrio("check", "--sizes", "4", "3", "2", "--lam", "1", "--methods", "backprop", "central",
                 "directional", "--json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)  # stdout holds the JSON only; progress went to stderr
    assert report["sizes"] == [4, 3, 2] and report["passed"] is True
    assert {(row["method_a"], row["method_b"]) for row in report["rows"]} == {
        ("backprop", "central"), ("backprop", "directional")}
    lines = r.stderr.splitlines()
    assert [ln.split(",")[0] for ln in lines] == ["  gradient check 0/3", "  gradient check 1/3",
                                                 "  gradient check 2/3", "  gradient check 3/3"], r.stderr
    assert re.search(r"elapsed, \S+ left, .*method", lines[-1]), lines[-1]
    text = gradtrio("check", "--methods", "backprop,complex")
    assert text.returncode == 0 and "backprop vs complex" in text.stdout and "central" not in text.stdout
    assert "unknown method fast; known: backprop, loop" in one_line_error(gradtrio("check", "--methods",
                                                                                   "backprop", "fast"))
    assert "at least two different methods" in one_line_error(gradtrio("check", "--methods", "backprop"))


def test_predict_writes_labels_the_data_files_way(tmp_path):
    digits = np.arange(200) % 10
    rng = np.random.default_rng(0)
    X = rng.random((200, 16)) * 0.1 + np.eye(10)[digits] @ rng.random((10, 16))
    stored = np.where(digits == 0, 10, digits)
    scipy.io.savemat(tmp_path / "data.mat", {"X": X, "y": stored[:, None]})
    r = gradtrio("train", "--data", tmp_path / "data.mat", "--hidden", "8", "--maxiter", 30, "--no-check",
                 "--out", tmp_path)
    assert r.returncode == 0, r.stderr
    p = gradtrio("predict", tmp_path / "weights.npz", "--data", tmp_path / "data.mat",
                 "--output", tmp_path / "p.txt")
    assert p.returncode == 0, p.stderr
    assert "(labels 1..10 as the course stores them, 10 for the digit 0)" in p.stdout
    written = np.loadtxt(tmp_path / "p.txt", dtype=int)
    expected = predict(load_weights(tmp_path / "weights.npz"), X)
    np.testing.assert_array_equal(written, np.where(expected == 0, 10, expected))  # as the file stores y
    assert np.mean(written == stored) > 0.5
    # the embedded digits: 0..9 unless --labels course asks for the course's 1..10
    q = gradtrio("predict", tmp_path / "weights.npz", "--labels", "stored")
    assert "--labels applies to a --data file or to the labels written with --output" in one_line_error(q)
    save_weights(tmp_path / "w64.npz", init_weights((64, 25, 10)))
    for labels, convert in (("stored", lambda p: p), ("course", lambda p: np.where(p == 0, 10, p))):
        q = gradtrio("predict", tmp_path / "w64.npz", "--labels", labels,
                     "--output", tmp_path / f"{labels}.txt")
        assert q.returncode == 0, q.stderr
        expected = predict(load_weights(tmp_path / "w64.npz"), load_digits().X_test)
        np.testing.assert_array_equal(np.loadtxt(tmp_path / f"{labels}.txt", dtype=int), convert(expected))


def test_mutants_shows_progress_per_check():
    r = gradtrio("mutants", "--quick", "--seeds", "1", "--only", "output_delta_sign")
    assert r.returncode == 0, r.stderr
    assert "| `output_delta_sign` |" in r.stdout and "mutants" not in r.stdout.split("\n")[0]
    first, last = r.stderr.splitlines()[0], r.stderr.splitlines()[-1]
    assert first.startswith("  mutants 0/12, (control: correct): central  "), first
    assert last.startswith("  mutants 12/12, done  ") and " left, " in last, last


def test_import_gradtrio_loads_no_numpy():
    """The command's Ctrl-C handling starts in cli.main: importing the package and the CLI before it
    must not take the seconds that NumPy, SciPy and JAX take to import."""
    code = "import sys, gradtrio, gradtrio.cli; print(sorted({'numpy', 'scipy', 'jax'} & set(sys.modules)))"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=TIMEOUT_S)
    assert r.stdout.strip() == "[]", r.stdout + r.stderr


_JAX_IMPORT_SPY = """
import json, signal, sys
from gradtrio.cli import interrupts, main
held = []
class Spy:  # records, when JAX is first imported, whether Ctrl-C is held back then
    def find_spec(self, name, path=None, target=None):
        if name == "jax":
            held.append(signal.getsignal(signal.SIGINT) is interrupts._hold_interrupt)
        return None
sys.meta_path.insert(0, Spy())
code = main(sys.argv[1:])
print(json.dumps([code, held]))
"""


@pytest.mark.parametrize("args, imports_jax", [
    (["--sizes", "3", "5", "3", "--methods", "backprop", "central"], False),  # NumPy only: no JAX at all
    (["--sizes", "60", "25", "10", "--examples", "200", "--methods", "backprop", "central"], True),  # the engine's
    (["--sizes", "3", "5", "3"], True),  # the default methods: autodiff
])
def test_check_imports_jax_only_with_ctrl_c_held(args, imports_jax):
    """A Ctrl-C inside JAX's import crashes the interpreter (SIGSEGV, SIGABRT: seen in CI when the
    incremental engine's module was imported to decide whether to use it). JAX is imported only by a
    method that runs it, and only while Ctrl-C is held back: the cases cover a check that stays on NumPy,
    central differences on the incremental engine (its work above AUTO_WORK), and autodiff."""
    r = subprocess.run([sys.executable, "-c", _JAX_IMPORT_SPY, "check", *args], capture_output=True, text=True,
                       timeout=TIMEOUT_S, env=CI_ENV, stdin=subprocess.DEVNULL)
    code, held = json.loads(r.stdout.strip().splitlines()[-1])
    assert code == 0, r.stdout + r.stderr
    assert held == ([True] if imports_jax else []), r.stderr


#: A student's implementation from the corpus (tests/corpus/README.md), for ``gradtrio verify``.
STUDENT_FN = f"{os.path.join(os.path.dirname(__file__), 'corpus', 'c08_vec_f_labels0k_flat.py')}:nnCostFunction"


@pytest.mark.parametrize("command", [["check"], ["train", "--maxiter", "3"],
                                     ["mutants", "--quick", "--seeds", "1", "--only", "output_delta_sign"],
                                     ["verify", STUDENT_FN, "--no-timing", "--examples", "3"]])
def test_ctrl_c_at_any_moment_gives_one_line_and_130(command, tmp_path):
    """SIGINT at seeded delays from the start, through the imports, the work and the exit: exit 130 (or 0,
    when the command had finished), never a traceback. Delays start at 0.3 s, past the interpreter's
    own start-up (before any gradtrio code runs, Python's default handling applies)."""
    rng = np.random.default_rng(20261201)
    delays = np.sort(rng.uniform(0.3, 4.0, size=6))
    for delay in delays:
        proc = subprocess.Popen([sys.executable, "-m", "gradtrio", *command, *(["--out", str(tmp_path)]
                                 if command[0] == "train" else [])], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=CI_ENV, stdin=subprocess.DEVNULL)
        try:
            time.sleep(delay)
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=TIMEOUT_S)
        finally:
            proc.kill()
        assert proc.returncode in (0, cli.EXIT_INTERRUPTED), (delay, proc.returncode, err)
        assert "Traceback" not in err and "KeyboardInterrupt" not in err, (delay, err)
        if proc.returncode == cli.EXIT_INTERRUPTED:
            assert re.match(r"gradtrio: (.* )?interrupted", err.splitlines()[-1]), (delay, err)


def test_check_exit_codes_follow_the_verdict():
    """0 pass, 3 inconclusive (bounds coarser than the bug size asked for), never 1 on a correct gradient."""
    ok = gradtrio("check", "--methods", "backprop", "central")
    assert ok.returncode == 0 and "PASSED" in ok.stdout, ok.stderr
    fine = gradtrio("check", "--dtype", "float32", "--methods", "backprop", "central", "--bug-size", "1e-5",
                    "--json")
    assert fine.returncode == cli.EXIT_INCONCLUSIVE == 3, fine.stderr
    data = json.loads(fine.stdout)
    assert data["verdict"] == "inconclusive" and data["passed"] is False
    assert any(row["verdict"] == "inconclusive" and row["resolution"] > 1e-5 for row in data["rows"])
    bad = one_line_error(gradtrio("check", "--bug-size", "2"))
    assert "--bug-size" in bad and "between 0 and 1" in bad


def test_a_second_ctrl_c_ends_a_step_that_holds_the_first(tmp_path):
    """Under ``gradtrio verify`` Ctrl-C is held back until the next progress step; a user's function
    that never returns reaches none, so the first Ctrl-C waits and a second one exits at once: 130 and
    the one line, no traceback."""
    (tmp_path / "hangs.py").write_text("import time\n\n\ndef nnCostFunction(*args):\n    time.sleep(600)\n")
    proc = subprocess.Popen([sys.executable, "-m", "gradtrio", "verify", f"{tmp_path / 'hangs.py'}:nnCostFunction"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=CI_ENV,
                            stdin=subprocess.DEVNULL)
    try:
        assert proc.stderr is not None
        first = proc.stderr.readline()  # said before the function is first called
        assert "detecting conventions" in first, first
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        time.sleep(1.0)
        assert proc.poll() is None, "the first Ctrl-C was not held back"
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=TIMEOUT_S)
    finally:
        proc.kill()
    assert proc.returncode == cli.EXIT_INTERRUPTED, (proc.returncode, err)
    assert "Traceback" not in err and err.strip().splitlines()[-1] == "gradtrio: interrupted", err
