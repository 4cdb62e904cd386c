"""Data sets and weight files: the embedded digits, course ``.mat`` files, ``.npz``/``.mat`` weights.

- :func:`load_digits` — the embedded default: scikit-learn's bundled 8×8 digits (no download),
  scaled to [0, 1], with a fixed, seeded, stratified 75/25 train/test split (:func:`split`).
- :func:`load_diabetes` — a regression set, also embedded: scikit-learn's diabetes data (442 patients,
  10 features, a disease-progression score), standardized with the training split's statistics.
- :func:`load_mat` — a file of the course format (``X`` m×n, ``y`` m×1 holding 1..10, where 10 is
  the digit 0). By default the labels become the digits themselves, 0..9 (``10 → 0``).
- :func:`save_weights` / :func:`load_weights` — ``Theta1, Theta2, …`` in a ``.npz`` (read with
  ``allow_pickle=False``) or a course ``.mat``. Every file is written atomically
  (:func:`atomic_write`): a killed run never leaves a truncated file behind. The network's units are
  recorded beside the weights (:data:`ACTIVATIONS_KEY`, :data:`OUTPUT_KEY`) and read back by
  :func:`load_network`; a file without them (older gradtrio files, the course's) is the course's
  network, sigmoid throughout.

Label order of course ``.mat`` weight files
-------------------------------------------
The course's output unit ``k`` (1-based) stands for the stored label ``k``, so its 10th unit is the
digit 0. Inside gradtrio output unit ``d`` (0-based) is the digit ``d``. With ``labels="course"``
(the default for ``.mat`` weights, matching :func:`load_mat`) the rows of the last Θ are rotated by
one on load and save, so the course's own weights predict the course's data correctly here, and
weights saved here work in the course's ``predict.m``. ``labels="stored"`` keeps rows as stored.
:func:`save_weights` records the order it used in the variable ``gradtrio_label_order``
(``"course"`` or ``"stored"``), and :func:`load_weights` follows it, so a file written here loads
back right whatever it was saved with; files without it (the course's own) are read as ``"course"``.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import IO, Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from .model.validate import check_thetas, check_X

__all__ = [
    "Dataset",
    "split",
    "load_digits",
    "load_mat",
    "save_weights",
    "load_weights",
    "atomic_write",
    "save_cost_history",
    "load_diabetes",
    "load_network",
    "SavedNetwork",
    "COURSE_NUM_LABELS",
    "LABEL_ORDER_KEY",
    "ACTIVATIONS_KEY",
    "OUTPUT_KEY",
    "check_label_range",
]

#: The course stores the digits as labels 1..10, 10 standing for the digit 0.
COURSE_NUM_LABELS = 10

#: Fraction of the embedded digits held out for testing, and the seed of the split.
DIGITS_TEST_SIZE = 0.25
DIGITS_SPLIT_SEED = 0

#: scikit-learn's digits hold pixel counts 0..16 (an 8×8 grid of 4×4 blocks); /16 scales to [0, 1].
DIGITS_MAX_PIXEL = 16.0

#: The ``.mat`` variable in which :func:`save_weights` records the label order of the output units.
LABEL_ORDER_KEY = "gradtrio_label_order"

#: Stored labels 0..K-1 become K output units. K may exceed the number of distinct labels present
#: (a class absent from a small file) but not by this factor, and never beyond ``MAX_SPARSE_K``
#: unless the labels present are that many: a stray label such as 1e9 would otherwise ask for a
#: billion output units (and a bincount of 8 GB) instead of an error.
MAX_K_PER_LABEL = 10
MAX_SPARSE_K = 1000

#: The variables in which :func:`save_weights` records the network's units: the hidden activations
#: as one string of names separated by spaces (one per hidden layer; "" without hidden layer), and the
#: output's name. One string each, so that .npz (without pickle) and .mat store them alike.
ACTIVATIONS_KEY = "gradtrio_activations"
OUTPUT_KEY = "gradtrio_output"

#: The held-out fraction and the seed of the diabetes data's split (:func:`load_diabetes`).
DIABETES_TEST_SIZE = 0.25
DIABETES_SPLIT_SEED = 0

LabelMode = Literal["course", "stored"]


@dataclass(frozen=True)
class Dataset:
    """A train/test split.

    Attributes
    ----------
    X_train : ndarray of shape (m_train, n)
    y_train : ndarray of shape (m_train,), int
        Class indices 0..K-1.
    X_test : ndarray of shape (m_test, n)
    y_test : ndarray of shape (m_test,), int
    name : str
        Where the data came from, for summaries.
    image_shape : (int, int) or None
        Height and width of one example drawn as an image (8×8 for the digits, 20×20 for the
        course), or None when the features are not pixels of a square.
    y_scale : float or None
        Regression sets only (``y`` then real, float64): the standard deviation that divided the
        targets, so that an error in ``y``'s units times ``y_scale`` is one in the data's own units.
        None for class labels.
    y_offset : float
        Regression sets only: the mean that was subtracted; a prediction ``h`` is ``h * y_scale + y_offset``
        in the data's own units.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    name: str = ""
    image_shape: tuple[int, int] | None = None
    y_scale: float | None = None
    y_offset: float = 0.0

    @property
    def regression(self) -> bool:
        """True when ``y`` holds real targets (:func:`load_diabetes`), not class indices."""
        return self.y_scale is not None

    @property
    def num_labels(self) -> int:
        """K: one more than the largest label of either split."""
        return int(max(self.y_train.max(initial=0), self.y_test.max(initial=0))) + 1


def _check_test_size(test_size: float) -> None:
    """Refuse a held-out fraction that is not a float strictly between 0 and 1 (before any loading)."""
    if not (isinstance(test_size, float) and 0.0 < test_size < 1.0):
        raise ValueError(f"test_size must be a fraction strictly between 0 and 1; got {test_size!r}")


def load_digits(test_size: float = DIGITS_TEST_SIZE, seed: int = DIGITS_SPLIT_SEED) -> Dataset:
    """The embedded default data set: scikit-learn's 1797 handwritten 8×8 digits.

    Parameters
    ----------
    test_size : float, default 0.25
        Fraction held out, stratified by label.
    seed : int, default 0
        Seed of the split: the same seed gives the same split on every machine.

    Returns
    -------
    Dataset
        ``X_*`` of shape ``(m, 64)`` in [0, 1] (pixel counts 0..16 divided by 16), ``y_*`` the
        digits 0..9; 1347 training and 450 test examples by default.
    """
    from sklearn.datasets import load_digits as _sk_digits

    _check_test_size(test_size)
    d = _sk_digits()
    X = d.data.astype(np.float64) / DIGITS_MAX_PIXEL
    y = d.target.astype(np.int64)
    X_train, X_test, y_train, y_test = split(X, y, test_size, seed, stratify=True)
    return Dataset(X_train, y_train, X_test, y_test, name="embedded digits (scikit-learn, 8x8)",
                   image_shape=(8, 8))


def load_diabetes(test_size: float = DIABETES_TEST_SIZE, seed: int = DIABETES_SPLIT_SEED) -> Dataset:
    """The embedded regression set: scikit-learn's diabetes data (442 patients, no download).

    Ten baseline features (age, sex, body-mass index, blood pressure, six blood serum measurements) and
    the target, a quantitative measure of disease progression one year later (25..346). The raw
    features (``scaled=False``) and the target are both standardized with the mean and standard
    deviation of the *training* split (so nothing of the test split leaks into the scaling): X's
    columns and y have mean 0 and standard deviation 1 on the training examples. R² does not depend
    on y's scaling; an RMSE times :attr:`Dataset.y_scale` is in the target's own units.

    Parameters
    ----------
    test_size : float, default 0.25
        Fraction held out (not stratified: the targets are real numbers).
    seed : int, default 0
        Seed of the split.

    Returns
    -------
    Dataset
        ``X_*`` of shape ``(m, 10)``, ``y_*`` of shape ``(m,)``, float64; 331 training and 111 test
        examples by default; ``y_scale`` the training targets' standard deviation.
    """
    from sklearn.datasets import load_diabetes as _sk_diabetes

    _check_test_size(test_size)
    d = _sk_diabetes(scaled=False)
    X = np.asarray(d.data, dtype=np.float64)
    y = np.asarray(d.target, dtype=np.float64)
    X_train, X_test, y_train, y_test = split(X, y, test_size, seed, name="the diabetes data", stratify=False)
    mu, sd = X_train.mean(axis=0), X_train.std(axis=0)
    y_mu, y_sd = float(y_train.mean()), float(y_train.std())
    return Dataset((X_train - mu) / sd, (y_train - y_mu) / y_sd, (X_test - mu) / sd, (y_test - y_mu) / y_sd,
                   name="embedded diabetes (scikit-learn, regression)", image_shape=None, y_scale=y_sd,
                   y_offset=y_mu)


def split(X: np.ndarray, y: np.ndarray, test_size: float, seed: int = DIGITS_SPLIT_SEED, name: str = "the data",
          *, stratify: bool | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Seeded train/test split, stratified by label when every label can be in both parts.

    The one split of gradtrio: :func:`load_digits` and ``gradtrio train --data`` both use it, so
    that ``gradtrio predict`` finds the same test examples from the same ``test_size``.

    Parameters
    ----------
    X : ndarray of shape (m, n)
    y : ndarray of shape (m,), int
    test_size : float
        Fraction held out, strictly between 0 and 1 (rounded up to whole examples, as
        scikit-learn's ``train_test_split`` does).
    seed : int, default 0
        Seed of the split: the same seed gives the same split on every machine.
    name : str
        What the data is, for the message when it is too small to split.
    stratify : bool, optional
        True: always stratified (scikit-learn refuses a split that cannot be); by default only when
        every label has two examples and room in both parts.

    Returns
    -------
    X_train, X_test, y_train, y_test : ndarray
        In the order of scikit-learn's ``train_test_split``.
    """
    import math

    from sklearn.model_selection import train_test_split

    m = len(y)
    n_test = math.ceil(test_size * m)  # scikit-learn's rounding
    if m < 2 or n_test >= m:
        raise ValueError(f"{name} has {m} example{'s' if m != 1 else ''}: too few to hold out "
                         f"test_size={test_size:g} for testing and keep some for training")
    # stratifying needs two of each label and room for every label in both parts
    if stratify is None:
        _, counts = np.unique(y, return_counts=True)  # not bincount: its size is the largest label
        stratify = bool(counts.min() >= 2 and min(n_test, m - n_test) >= len(counts))
    return train_test_split(X, y, test_size=test_size, stratify=y if stratify else None,
                            random_state=seed)


def _course_labels(y: np.ndarray, path: str) -> np.ndarray:
    """Stored labels 1..10 → digits 0..9 (``10 → 0``); checked before any cast to int."""
    bad = (y < 1) | (y > COURSE_NUM_LABELS)
    if bad.any():
        raise ValueError(
            f"{path}: y must hold the course's labels 1..{COURSE_NUM_LABELS} (10 for the digit 0); "
            f"found {y[bad][0]:g} (pass labels='stored' to keep the labels as they are)"
        )
    return y.astype(np.int64) % COURSE_NUM_LABELS


def check_label_range(y: np.ndarray, where: str = "y") -> int:
    """K = max(y) + 1 for class indices ``y`` (any numeric dtype, integer-valued), refusing a K far
    larger than the labels present (see :data:`MAX_K_PER_LABEL`). Call it before casting to int."""
    if y.size == 0:
        raise ValueError(f"{where} holds no labels")
    lo, hi = float(y.min()), float(y.max())
    if lo < 0:
        raise ValueError(f"{where}: labels must be class indices >= 0; found {lo:g}")
    present = len(np.unique(y))
    if hi + 1 > max(MAX_K_PER_LABEL * present, MAX_SPARSE_K):
        raise ValueError(
            f"{where}: labels go up to {hi:g} but only {present} distinct labels are present; a "
            f"network would need {hi + 1:g} output units, most never trained: renumber the labels "
            f"0..{present - 1}"
        )
    return int(hi) + 1


def load_mat(path: str | os.PathLike, labels: LabelMode = "course") -> tuple[np.ndarray, np.ndarray]:
    """Load a data file of the course format.

    Parameters
    ----------
    path : str or path-like
        A MATLAB ``.mat`` file holding ``X`` (m × n) and ``y`` (m × 1, or m).
    labels : {"course", "stored"}, default "course"
        ``"course"``: the stored 1..10 become the digits 0..9 (10 is the digit 0).
        ``"stored"``: labels are kept as stored and must already be class indices 0..K-1.

    Returns
    -------
    X : ndarray of shape (m, n), float64
    y : ndarray of shape (m,), int64

    Raises
    ------
    OSError
        If the file does not exist or cannot be read.
    ValueError
        If it is not a .mat file, lacks ``X`` or ``y`` (the keys it has are named), the lengths
        differ, ``X`` holds NaN/inf, or the labels are not integers in range.
    """
    if labels not in ("course", "stored"):
        raise ValueError(f"labels must be 'course' or 'stored'; got {labels!r}")
    path = os.fspath(path)
    _check_is_file(path, "data file")
    contents = _read_mat(path, "data file")
    keys = sorted(k for k in contents if not k.startswith("__"))
    missing = [k for k in ("X", "y") if k not in contents]
    if missing:
        raise ValueError(f"{path} must hold variables 'X' and 'y'; missing {missing}, it has {keys}")
    try:
        X = check_X(contents["X"])
    except (ValueError, TypeError) as exc:
        raise type(exc)(f"{path}: {exc}") from None
    if X.dtype != np.float64:
        X = X.astype(np.float64)
    y = np.asarray(contents["y"])
    if y.ndim == 2 and 1 in y.shape:
        y = y.reshape(-1)
    if y.ndim != 1:
        raise ValueError(f"{path}: y must be a vector of m labels; got shape {y.shape}")
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"{path}: X has {X.shape[0]} rows but y has {y.shape[0]} labels")
    if y.dtype.kind not in "iuf" or (y.dtype.kind == "f" and not np.all(np.isfinite(y) & (y == np.round(y)))):
        raise ValueError(f"{path}: y must hold integer labels; got dtype {y.dtype} with non-integer values")
    if labels == "course":
        return X, _course_labels(y, path)
    check_label_range(y, path)  # before the cast: a label of 1e30 is refused, not wrapped around
    return X, y.astype(np.int64)


#: How a MATLAB level-5 (v6, v7) file begins: a 116-byte text header. v7.3 files are HDF5 files with
#: the same kind of text in a 512-byte user block, then the HDF5 signature.
_MAT5_MAGIC = b"MATLAB 5.0 MAT-file"
_MAT73_MAGIC = b"MATLAB 7.3 MAT-file"
_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"


def _read_mat(path: str, what: str) -> dict:
    """``scipy.io.loadmat(path)``, with an error that names the file and says what it is not: a
    truncated or damaged MATLAB file, a v7.3 (HDF5) file, which scipy cannot read, or no MATLAB file."""
    import scipy.io

    try:
        with open(path, "rb") as f:
            head = f.read(1024)
        size = os.path.getsize(path)
        contents = scipy.io.loadmat(path)
    except (FileNotFoundError, PermissionError, IsADirectoryError) as exc:
        raise type(exc)(f"{what} {path}: {exc.strerror or exc}") from None
    except Exception as exc:  # scipy raises OSError, ValueError, IndexError, MatReadError... on bad files
        detail = " ".join(str(exc).split()) or type(exc).__name__
        if head.startswith(_MAT73_MAGIC) or head[512:520] == _HDF5_MAGIC:
            raise ValueError(f"{what} {path} is a MATLAB v7.3 (HDF5) file, which gradtrio reads only in "
                             f"the v6/v7 format: save it in MATLAB/Octave with save(..., '-v7')") from None
        if head.startswith(_MAT5_MAGIC):
            raise ValueError(f"{what} {path} is a MATLAB .mat file that is truncated or damaged ({size} "
                             f"bytes; reading it failed: {detail})") from None
        raise ValueError(f"{what} {path} is not a readable MATLAB .mat file (no MATLAB 5 header; as a v4 "
                         f"file: {detail})") from None
    return contents


def _check_is_file(path: str, what: str) -> None:
    if os.path.isdir(path):
        raise IsADirectoryError(f"{what} {path} is a directory, not a file")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{what} not found: {path}")


def atomic_write(path: str | os.PathLike, write: Callable[[IO[bytes]], object]) -> str:
    """Write a file atomically: ``write(f)`` fills a temporary file in the same directory, which is
    flushed to disk and then renamed over ``path`` (``os.replace``), so readers see either the old
    file or the whole new one, never a truncated one.

    Parameters
    ----------
    path : str or path-like
    write : callable taking a binary file object

    Returns
    -------
    str
        The absolute path written.
    """
    path = os.path.abspath(os.fspath(path))
    directory = os.path.dirname(path)
    if os.path.isdir(path):
        raise IsADirectoryError(f"cannot write {path}: it is a directory")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
    except OSError as exc:  # name the file asked for, not a temporary one
        raise type(exc)(f"cannot write {path}: {exc.strerror or exc} (in {directory})") from None
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes the file private (0600); give it the usual mode
        os.replace(tmp, path)
    except BaseException as exc:  # KeyboardInterrupt included: never leave the temporary file behind
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(exc, OSError):  # name the file asked for, not the temporary one
            raise type(exc)(f"cannot write {path}: {exc.strerror or exc}") from None
        raise
    return path


def save_cost_history(path: str | os.PathLike, cost_history: ArrayLike) -> str:
    """Write a training run's cost history as CSV, atomically: a header ``iteration,cost``, then one
    row per iteration (0 is the initial weights), the cost in full precision.

    Parameters
    ----------
    path : str or path-like
    cost_history : array_like of shape (iterations + 1,)
        :attr:`gradtrio.train.TrainResult.cost_history`.

    Returns
    -------
    str
        The absolute path written.
    """
    history = np.asarray(cost_history, dtype=np.float64).reshape(-1)
    text = "iteration,cost\n" + "".join(f"{i},{float(J)!r}\n" for i, J in enumerate(history))
    return atomic_write(path, lambda f: f.write(text.encode()))


def _umask() -> int:
    mask = os.umask(0o022)  # reading the umask means setting it: put it straight back
    os.umask(mask)
    return mask


def _weights_format(path: str) -> str:
    ext = os.path.splitext(path)[1].lower()
    if ext not in (".npz", ".mat"):
        raise ValueError(f"weights file must end in .npz or .mat; got {path!r}")
    return ext[1:]


def _rotate_labels(thetas: list[np.ndarray], labels: LabelMode, to_course: bool) -> list[np.ndarray]:
    """Reorder the output units between gradtrio's order (digit d at row d) and the course's
    (stored label k at row k-1, so the digit 0 last). See the module docstring."""
    if labels == "stored":
        return thetas
    if labels != "course":
        raise ValueError(f"labels must be 'course' or 'stored'; got {labels!r}")
    K = thetas[-1].shape[0]
    if K != COURSE_NUM_LABELS:
        raise ValueError(
            f"the course label order applies to networks with {COURSE_NUM_LABELS} outputs (the digits); "
            f"this one has {K}: pass labels='stored' to keep the rows in gradtrio's order"
        )
    shift = -1 if to_course else 1
    return thetas[:-1] + [np.roll(thetas[-1], shift, axis=0)]


def save_weights(
    path: str | os.PathLike, thetas: Sequence[ArrayLike], labels: LabelMode = "course", *,
    activation: str | Sequence[str] = "sigmoid", output: str = "sigmoid",
) -> str:
    """Save weight matrices as ``Theta1, Theta2, …`` to a ``.npz`` or a course ``.mat`` file.

    Parameters
    ----------
    path : str or path-like
        Ends in ``.npz`` or ``.mat``; written atomically.
    thetas : sequence of array_like
        ``thetas[l]`` of shape ``(s_{l+1}, s_l + 1)``, bias in column 0.
    labels : {"course", "stored"}, default "course"
        ``.mat`` only: write the output units in the course's order (see the module docstring).
        The choice is recorded in the file (``gradtrio_label_order``). A regression network (the
        identity output) is always written in its own order.
    activation : str or sequence of str, default "sigmoid"
        The hidden units (one name for all hidden layers or one per layer), recorded in the file.
    output : str, default "sigmoid"
        The output unit, recorded in the file.

    Returns
    -------
    str
        The absolute path written.
    """
    from .model import Architecture

    path = os.fspath(path)
    fmt = _weights_format(path)
    mats = check_thetas(thetas)
    arch = Architecture.of(mats, activation, output)  # refuses unknown names and wrong counts
    units = {ACTIVATIONS_KEY: " ".join(arch.activations), OUTPUT_KEY: arch.output}
    if fmt == "npz":
        named: dict[str, Any] = {f"Theta{i + 1}": t for i, t in enumerate(mats)}
        named.update({k: np.array(v) for k, v in units.items()})
        return atomic_write(path, lambda f: np.savez(f, **named))
    import scipy.io

    if not arch.out.classifier:
        labels = "stored"  # regression outputs are not labels: no order to rotate into
    arrays: dict[str, Any] = {f"Theta{i + 1}": t for i, t in enumerate(_rotate_labels(mats, labels, to_course=True))}
    arrays[LABEL_ORDER_KEY] = labels
    arrays.update(units)
    # scipy.io.savemat takes an open file as well as a path (its documentation); the stubs list paths only.
    return atomic_write(path, lambda f: scipy.io.savemat(f, arrays))  # type: ignore[arg-type]


@dataclass(frozen=True)
class SavedNetwork:
    """A weights file's contents (:func:`load_network`).

    Attributes
    ----------
    thetas : list of ndarray
        ``thetas[l]`` of shape ``(s_{l+1}, s_l + 1)``.
    activations : tuple of str
        The hidden units, one per hidden layer.
    output : str
        The output unit.
    """

    thetas: list[np.ndarray]
    activations: tuple[str, ...]
    output: str

    @property
    def units(self) -> dict[str, Any]:
        """``activation=`` and ``output=`` keywords for :func:`gradtrio.train.predict` and the scores."""
        return {"activation": self.activations, "output": self.output}


def load_weights(
    path: str | os.PathLike, sizes: Sequence[int] | None = None, labels: LabelMode | None = None
) -> list[np.ndarray]:
    """Load ``Theta1, Theta2, …`` from a ``.npz`` or a course ``.mat`` file (the weights of
    :func:`load_network`, without the units).

    Parameters
    ----------
    path : str or path-like
    sizes : sequence of int, optional
        The layer sizes the weights must have (e.g. ``(n_features, 25, 10)``); when omitted the
        matrices must only chain.
    labels : {"course", "stored"}, optional
        ``.mat`` only: the order of the output units (see the module docstring). By default the
        order recorded in the file by :func:`save_weights`, or ``"course"`` for a file without one
        (the course's own weights). A value that contradicts the recorded order is an error.

    Returns
    -------
    list of ndarray
        ``thetas[l]`` of shape ``(s_{l+1}, s_l + 1)``, float64 unless stored as float32.

    Raises
    ------
    OSError
        If the file does not exist or cannot be read.
    ValueError
        If the file is not a weights file, the ``Theta`` keys are missing or not numbered 1..N,
        or the shapes do not chain / do not match ``sizes``.
    """
    return load_network(path, sizes, labels).thetas


def load_network(
    path: str | os.PathLike, sizes: Sequence[int] | None = None, labels: LabelMode | None = None
) -> SavedNetwork:
    """Load the weights and the units of a ``.npz`` or course ``.mat`` weights file.

    Parameters are those of :func:`load_weights`.

    Returns
    -------
    SavedNetwork
        The units recorded by :func:`save_weights`; sigmoid hidden units and output for a file that
        records none (the course's own weights, files of gradtrio before the units were recorded).

    Raises
    ------
    OSError, ValueError
        As :func:`load_weights`; also when the recorded units are unknown names or do not fit the
        number of hidden layers.
    """
    from .model import Architecture

    path = os.fspath(path)
    fmt = _weights_format(path)
    if labels not in (None, "course", "stored"):
        raise ValueError(f"labels must be 'course' or 'stored'; got {labels!r}")
    _check_is_file(path, "weights file")
    if fmt == "npz" and not zipfile.is_zipfile(path):
        raise ValueError(f"{path} is not a valid .npz file (not a zip archive of arrays)")
    if fmt == "mat":
        contents = {k: v for k, v in _read_mat(path, "weights file").items() if not k.startswith("__")}
    else:
        try:
            with np.load(path, allow_pickle=False) as z:
                contents = {k: z[k] for k in z.files}
        except OSError:
            raise
        except Exception as exc:  # BadZipFile, EOFError, pickled objects refused...
            raise ValueError(f"{path} is not a readable {fmt} weights file: {exc}") from None
    names = sorted((k for k in contents if k.startswith("Theta")), key=lambda k: (len(k), k))
    expected = [f"Theta{i + 1}" for i in range(len(names))]
    if not names or names != expected:
        raise ValueError(
            f"{path} must hold weight matrices named Theta1, Theta2, ... (numbered from 1 without gaps); "
            f"it has {sorted(contents)}"
        )
    try:
        mats = check_thetas([contents[k] for k in names], sizes)
    except (ValueError, TypeError) as exc:
        raise type(exc)(f"{path}: {exc}") from None
    activations, output = _recorded_units(path, contents, len(mats) - 1)
    try:
        arch = Architecture.of(mats, activations if activations else "sigmoid", output)
    except ValueError as exc:
        raise ValueError(f"{path}: the recorded units do not fit the weights: {exc}") from None
    if fmt == "mat":
        order = _recorded_order(path, contents, labels) if arch.out.classifier else "stored"
        mats = _rotate_labels(mats, order, to_course=False)
    return SavedNetwork(mats, arch.activations, arch.output)


def _recorded_string(contents: dict, key: str) -> str | None:
    """A string recorded by :func:`save_weights` (.npz: a 0-d str array; .mat: a char array, or an
    empty array for ""), or None when the file has no such variable."""
    if key not in contents:
        return None
    a = np.asarray(contents[key])
    if a.size == 0:
        return ""
    return " ".join(str(v) for v in a.reshape(-1)).strip()


def _recorded_units(path: str, contents: dict, hidden: int) -> tuple[tuple[str, ...] | None, str]:
    """(hidden activations or None for "sigmoid", output) recorded in a weights file."""
    acts = _recorded_string(contents, ACTIVATIONS_KEY)
    out = _recorded_string(contents, OUTPUT_KEY)
    if acts is None and out is None:
        return None, "sigmoid"  # no units recorded: the course's network
    if acts is None or out is None:
        raise ValueError(f"{path} records {'the output' if acts is None else 'the hidden activations'} but not "
                         f"{'the hidden activations' if acts is None else 'the output'} "
                         f"({ACTIVATIONS_KEY}, {OUTPUT_KEY}): it was not written by gradtrio.data.save_weights")
    names = tuple(acts.split())
    if len(names) != hidden:
        raise ValueError(f"{path} has {hidden} hidden layer(s) but records {len(names)} activation(s) "
                         f"{names} ({ACTIVATIONS_KEY})")
    return names, out


def _recorded_order(path: str, contents: dict, labels: LabelMode | None) -> LabelMode:
    """The label order of a .mat weights file: the recorded one, else ``labels``, else "course"."""
    if LABEL_ORDER_KEY not in contents:
        return labels or "course"
    recorded = str(np.asarray(contents[LABEL_ORDER_KEY]).reshape(-1)[0]).strip()
    if recorded not in ("course", "stored"):
        raise ValueError(f"{path}: {LABEL_ORDER_KEY} must be 'course' or 'stored'; got {recorded!r}")
    if labels is not None and labels != recorded:
        raise ValueError(f"{path} records its output units in the {recorded!r} label order; "
                         f"labels={labels!r} contradicts it (leave labels out to follow the file)")
    return "course" if recorded == "course" else "stored"
