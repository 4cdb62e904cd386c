"""gradtrio.data: the embedded digits, course .mat files, weight files, atomic writes."""

import os

import numpy as np
import pytest
import scipy.io

from gradtrio import backprop
from gradtrio.data import (
    ACTIVATIONS_KEY,
    LABEL_ORDER_KEY,
    OUTPUT_KEY,
    Dataset,
    atomic_write,
    load_diabetes,
    load_digits,
    load_mat,
    load_network,
    load_weights,
    save_weights,
)
from gradtrio.network import init_weights

# --- embedded digits ------------------------------------------------------------------------------

def test_load_digits_is_the_whole_sklearn_set_split_75_25_stratified_and_fixed():
    from sklearn.datasets import load_digits as sk

    d = load_digits()
    assert isinstance(d, Dataset)
    assert d.X_train.shape == (1347, 64) and d.X_test.shape == (450, 64)  # 1797 * 0.25 rounded up
    assert d.num_labels == 10 and d.image_shape == (8, 8)
    assert 0.0 <= d.X_train.min() and d.X_train.max() <= 1.0 and d.X_train.max() == 1.0
    # train ∪ test is the bundled set, scaled by 1/16: same multiset of (row, label)
    ref = sk()
    ours = np.column_stack([np.vstack([d.X_train, d.X_test]) * 16, np.concatenate([d.y_train, d.y_test])])
    theirs = np.column_stack([ref.data, ref.target])
    np.testing.assert_array_equal(ours[np.lexsort(ours.T)], theirs[np.lexsort(theirs.T)])
    # stratified: every digit's share of the test split is within one example of its share overall
    counts = np.bincount(ref.target, minlength=10)
    assert np.all(np.abs(np.bincount(d.y_test, minlength=10) - counts * 0.25) <= 1)
    # fixed: a second call gives the same split, another seed a different one
    again = load_digits()
    np.testing.assert_array_equal(again.X_test, d.X_test)
    assert not np.array_equal(load_digits(seed=1).y_test, d.y_test)


# --- course .mat data files -----------------------------------------------------------------------

def _course_file(path, m=20, n=4, **overrides):
    """A file as the course stores it: X m×n float, y m×1 float holding 1..10 (10 = digit 0)."""
    rng = np.random.default_rng(0)
    digits = np.arange(m) % 10
    stored = np.where(digits == 0, 10, digits).astype(np.float64).reshape(-1, 1)
    contents = {"X": rng.random((m, n)), "y": stored}
    contents.update(overrides)
    scipy.io.savemat(path, contents)
    return contents, digits


def test_load_mat_converts_course_labels_to_digits(tmp_path):
    path = tmp_path / "ex.mat"
    contents, digits = _course_file(path)
    X, y = load_mat(path)
    np.testing.assert_array_equal(X, contents["X"])
    np.testing.assert_array_equal(y, digits)
    assert y.dtype == np.int64 and y.shape == (20,)
    _, y2 = load_mat(str(path), labels="stored")
    np.testing.assert_array_equal(y2, contents["y"][:, 0])


@pytest.mark.parametrize(
    "overrides, match",
    [
        ({"y": np.arange(1, 20, dtype=float).reshape(-1, 1)}, "20 rows but y has 19"),
        ({"X": np.full((20, 4), np.nan)}, r"bad\.mat: X must be finite"),  # names the file
        ({"y": np.zeros((20, 1))}, "labels 1..10"),
        ({"y": np.full((20, 1), 11.0)}, "labels 1..10"),
        ({"y": np.full((20, 1), 1.5)}, "integer labels"),
    ],
)
def test_load_mat_refuses_bad_contents(tmp_path, overrides, match):
    path = tmp_path / "bad.mat"
    _course_file(path, **overrides)
    with pytest.raises(ValueError, match=match):
        load_mat(path)


def test_load_mat_errors_name_the_problem(tmp_path):
    with pytest.raises(FileNotFoundError, match="not found"):
        load_mat(tmp_path / "missing.mat")
    text = tmp_path / "notes.mat"
    text.write_text("this is not a MATLAB file\n")
    with pytest.raises(ValueError, match="not a readable MATLAB"):
        load_mat(text)
    wrong_keys = tmp_path / "keys.mat"
    scipy.io.savemat(wrong_keys, {"data": np.ones((3, 2)), "labels": np.ones((3, 1))})
    with pytest.raises(ValueError, match=r"missing \['X', 'y'\], it has \['data', 'labels'\]"):
        load_mat(wrong_keys)
    with pytest.raises(ValueError, match="labels must be"):
        load_mat(wrong_keys, labels="zero-based")


# --- weight files ---------------------------------------------------------------------------------

@pytest.mark.parametrize("ext", ["npz", "mat"])
def test_weights_round_trip_exactly(tmp_path, ext):
    thetas = init_weights((6, 5, 4, 10), seed=3)
    path = save_weights(tmp_path / f"w.{ext}", thetas)
    assert os.path.isabs(path) and os.path.exists(path)
    loaded = load_weights(path, sizes=(6, 5, 4, 10))
    assert len(loaded) == 3
    for a, b in zip(thetas, loaded):
        np.testing.assert_array_equal(a, b)
    assert not [f for f in os.listdir(tmp_path) if f.endswith(".tmp")]


def test_mat_weights_use_the_course_output_order(tmp_path):
    """Weights saved as .mat predict, by the course's own formula (p = argmax + 1, 10 meaning the
    digit 0), the digits gradtrio predicts: the file is usable by the course's predict.m."""
    thetas = init_weights((4, 6, 10), seed=1, epsilon_init=2.0)
    X = np.random.default_rng(2).standard_normal((200, 4))
    save_weights(tmp_path / "w.mat", thetas)
    stored = scipy.io.loadmat(tmp_path / "w.mat")
    a1 = np.column_stack([np.ones(len(X)), X])
    a2 = np.column_stack([np.ones(len(X)), backprop.sigmoid(a1 @ stored["Theta1"].T)])
    p = np.argmax(backprop.sigmoid(a2 @ stored["Theta2"].T), axis=1) + 1  # course labels 1..10
    np.testing.assert_array_equal(p % 10, backprop.predict(thetas, X))
    # rows kept as they are on request
    save_weights(tmp_path / "s.mat", thetas, labels="stored")
    np.testing.assert_array_equal(scipy.io.loadmat(tmp_path / "s.mat")["Theta2"], thetas[1])
    np.testing.assert_array_equal(load_weights(tmp_path / "s.mat", labels="stored")[1], thetas[1])
    with pytest.raises(ValueError, match="10 outputs"):
        save_weights(tmp_path / "k3.mat", init_weights((4, 3)))


def test_load_weights_errors(tmp_path):
    thetas = init_weights((6, 5, 10))
    save_weights(tmp_path / "w.npz", thetas)
    with pytest.raises(ValueError, match=r"w\.npz: Theta\(1\) must have shape \(5, 9\)"):
        load_weights(tmp_path / "w.npz", sizes=(8, 5, 10))
    with pytest.raises(FileNotFoundError):
        load_weights(tmp_path / "nope.npz")
    with pytest.raises(ValueError, match=r"\.npz or \.mat"):
        load_weights(tmp_path / "w.txt")
    np.savez(tmp_path / "gap.npz", Theta1=thetas[0], Theta3=thetas[1])
    with pytest.raises(ValueError, match=r"without gaps.*\['Theta1', 'Theta3'\]"):
        load_weights(tmp_path / "gap.npz")
    np.savez(tmp_path / "obj.npz", Theta1=np.array([thetas[0], None], dtype=object))
    with pytest.raises(ValueError, match="not a readable npz"):  # allow_pickle=False refuses objects
        load_weights(tmp_path / "obj.npz")
    (tmp_path / "junk.npz").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(ValueError, match=r"junk\.npz is not a valid \.npz file"):  # not "pickled data"
        load_weights(tmp_path / "junk.npz")
    (tmp_path / "text.npz").write_text("hello")
    with pytest.raises(ValueError, match=r"text\.npz is not a valid \.npz file"):
        load_weights(tmp_path / "text.npz")
    (tmp_path / "folder.npz").mkdir()
    with pytest.raises(IsADirectoryError, match="is a directory"):
        load_weights(tmp_path / "folder.npz")


def test_mat_weights_record_their_label_order(tmp_path):
    """A .mat saved with labels='stored' loads back in that order without being told (the course
    order was applied before, scrambling every prediction); course files without the marker are
    read in the course order; a contradicting request is refused."""
    thetas = init_weights((4, 6, 10), seed=1)
    save_weights(tmp_path / "s.mat", thetas, labels="stored")
    assert str(scipy.io.loadmat(tmp_path / "s.mat")[LABEL_ORDER_KEY][0]) == "stored"
    np.testing.assert_array_equal(load_weights(tmp_path / "s.mat")[1], thetas[1])
    save_weights(tmp_path / "c.mat", thetas)
    np.testing.assert_array_equal(load_weights(tmp_path / "c.mat")[1], thetas[1])
    with pytest.raises(ValueError, match="records its output units in the 'stored' label order"):
        load_weights(tmp_path / "s.mat", labels="course")
    course = {"Theta1": thetas[0], "Theta2": np.roll(thetas[1], -1, axis=0)}  # the course's own file
    scipy.io.savemat(tmp_path / "course.mat", course)
    np.testing.assert_array_equal(load_weights(tmp_path / "course.mat")[1], thetas[1])
    np.testing.assert_array_equal(load_weights(tmp_path / "course.mat", labels="stored")[1], course["Theta2"])


def test_load_mat_refuses_labels_far_beyond_those_present(tmp_path):
    """A stray label 1e9 would ask for a billion output units (and bincount 8 GB); 1e30 used to wrap
    around in the cast to int with a RuntimeWarning (an error under pytest)."""
    for bad in (1e9, 1e30):
        path = tmp_path / "stray.mat"
        _course_file(path, y=np.where(np.arange(20) == 5, bad, np.arange(20) % 3).reshape(-1, 1))
        with pytest.raises(ValueError, match=r"stray\.mat: labels go up to .* only 4 distinct labels"):
            load_mat(path, labels="stored")
    _course_file(path, y=np.full((20, 1), 1e30))
    with pytest.raises(ValueError, match="labels 1..10"):
        load_mat(path)
    # a few absent classes are fine: 3 labels present, K = 30
    _course_file(path, y=(np.arange(20) % 3 * 14.5).round().reshape(-1, 1))
    assert load_mat(path, labels="stored")[1].max() == 29
    with pytest.raises(IsADirectoryError, match="is a directory"):
        load_mat(tmp_path)


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "w.npz"
    target.write_bytes(b"old contents")

    def half_then_crash(f):
        f.write(b"new, half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, half_then_crash)
    assert target.read_bytes() == b"old contents"
    assert os.listdir(tmp_path) == ["w.npz"]  # no temporary file left behind
    atomic_write(target, lambda f: f.write(b"new"))
    assert target.read_bytes() == b"new"
    mask = os.umask(0o022)
    os.umask(mask)
    assert os.stat(target).st_mode & 0o777 == 0o666 & ~mask  # not mkstemp's private 0600


# --- the embedded diabetes data -------------------------------------------------------------------


def test_load_diabetes_is_sklearns_raw_data_standardized_on_the_training_split():
    from sklearn.datasets import load_diabetes as sk_diabetes

    d = load_diabetes()
    raw = sk_diabetes(scaled=False)
    assert d.X_train.shape == (331, 10) and d.X_test.shape == (111, 10) and d.y_train.shape == (331,)
    assert d.regression and d.image_shape is None
    np.testing.assert_allclose(d.X_train.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(d.X_train.std(axis=0), 1, rtol=1e-12)
    assert abs(d.y_train.mean()) < 1e-12 and d.y_train.std() == pytest.approx(1, rel=1e-12)
    # undoing the scaling gives back scikit-learn's targets, every example once
    y = np.concatenate([d.y_train, d.y_test]) * d.y_scale + d.y_offset
    np.testing.assert_allclose(np.sort(y), np.sort(raw.target), rtol=1e-12)
    assert d.y_scale == pytest.approx(np.std(y[:331]), rel=1e-12)
    again = load_diabetes()
    np.testing.assert_array_equal(again.X_test, d.X_test)  # a fixed split
    with pytest.raises(ValueError, match="test_size must be a fraction"):
        load_diabetes(1.5)
    assert not load_digits().regression


# --- units recorded in weights files ----------------------------------------------------------------


@pytest.mark.parametrize("ext", ["npz", "mat"])
@pytest.mark.parametrize("activation, output, sizes", [
    ("relu", "softmax", (4, 3, 10)), (("tanh", "relu"), "identity", (4, 3, 2, 1)), ("gelu", "sigmoid", (4, 3, 10)),
    ("sigmoid", "sigmoid", (4, 10)),
])
def test_weights_files_round_trip_the_units(tmp_path, ext, activation, output, sizes):
    thetas = init_weights(sizes, seed=1)
    path = tmp_path / f"w.{ext}"
    save_weights(path, thetas, activation=activation, output=output)
    net = load_network(path)
    hidden = len(sizes) - 2
    assert net.activations == ((activation,) * hidden if isinstance(activation, str) else activation)
    assert net.output == output
    for a, b in zip(net.thetas, thetas):  # a regression's single output is never rotated as a label
        np.testing.assert_array_equal(a, b)
    X = np.random.default_rng(0).normal(size=(5, 4))
    np.testing.assert_array_equal(backprop.predict(net.thetas, X, **net.units),
                                  backprop.predict(thetas, X, activation=activation, output=output))


@pytest.mark.parametrize("ext", ["npz", "mat"])
def test_files_without_units_load_as_the_course_network(tmp_path, ext):
    thetas = init_weights((4, 3, 10))
    named = {"Theta1": thetas[0], "Theta2": thetas[1]}
    if ext == "npz":
        np.savez(tmp_path / "old.npz", **named)
    else:
        scipy.io.savemat(tmp_path / "old.mat", named)
    net = load_network(tmp_path / f"old.{ext}")
    assert net.activations == ("sigmoid",) and net.output == "sigmoid"


@pytest.mark.parametrize("extra, match", [
    ({ACTIVATIONS_KEY: "relu"}, "records the hidden activations but not the output"),
    ({OUTPUT_KEY: "softmax"}, "records the output but not the hidden activations"),
    ({ACTIVATIONS_KEY: "relu tanh", OUTPUT_KEY: "softmax"}, "has 1 hidden layer"),
    ({ACTIVATIONS_KEY: "swish", OUTPUT_KEY: "softmax"}, "recorded units do not fit.*swish"),
    ({ACTIVATIONS_KEY: "relu", OUTPUT_KEY: "hinge"}, "recorded units do not fit.*hinge"),
])
def test_bad_recorded_units_are_named(tmp_path, extra, match):
    thetas = init_weights((4, 3, 10))
    np.savez(tmp_path / "w.npz", Theta1=thetas[0], Theta2=thetas[1], **{k: np.array(v) for k, v in extra.items()})
    with pytest.raises(ValueError, match=match):
        load_network(tmp_path / "w.npz")


def test_save_weights_refuses_units_that_do_not_fit(tmp_path):
    with pytest.raises(ValueError, match="got 2 activations"):
        save_weights(tmp_path / "w.npz", init_weights((4, 3, 10)), activation=("relu", "tanh"))
    assert not (tmp_path / "w.npz").exists()
