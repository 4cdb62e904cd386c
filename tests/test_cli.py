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
    assert "iteration 5/5  cost" in r.stderr  # plain progress lines when stderr is not a terminal
    assert sorted(os.listdir(out)) == ["hidden_units.png", "weights.npz"]  # no temporary files left

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
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path, args, message):
    (tmp_path / "notes.mat").write_text("not a MATLAB file\n")
    save_weights(tmp_path / "w64.npz", init_weights((64, 25, 10)))
    _course_data(tmp_path / "course400.mat")
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


def test_progress_bar_redraws_one_line_on_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    stream = Terminal()
    bar = cli.Progress(4, stream, interval=0.0)
    for i, J in enumerate([4.0, 3.0, 2.0, 1.5, 1.25]):
        bar(i, J)
    bar.close()
    text = stream.getvalue()
    assert text.count("\r") == 5 and text.endswith("\n") and text.count("\n") == 1
    assert "[" + "#" * cli.Progress.WIDTH + "] 4/4  cost 1.250000" in text
    # throttled redraws: a run that stops early still ends showing its last iteration
    stream = Terminal()
    bar = cli.Progress(100, stream, interval=3600.0)
    for i in range(7):
        bar(i, 1.0 / (i + 1))
    bar.close()
    assert stream.getvalue().count("\r") == 2
    assert re.search(r"\]   6/100  cost 0\.142857 +[0-9.]+ s\n$", stream.getvalue())


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
