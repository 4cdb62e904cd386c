"""Input validation: every check of user input, in one place.

Every public function that takes ``thetas``, ``X``, ``Y`` or ``lam`` checks them here *before any
arithmetic*, so that a bad input gets one error that says what was expected and what was got,
instead of a broadcasting error (or, worse, a silently wrong number) deep inside a matrix product.

The checks are cheap next to a cost evaluation: shapes and dtypes are O(1); finiteness of ``X`` is
tested with one dot product of ``X`` with itself (NaN and ±inf propagate through it, and BLAS runs it
faster than an element-wise ``np.isfinite(X).all()``), and only when that is not finite is the
element-wise test run to tell overflow of huge finite values from a real NaN/inf. They run once per
problem, at the boundary (:func:`gradtrio.model.validate`); kernels trust what they are given.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "check_sizes",
    "check_thetas",
    "check_X",
    "check_Y",
    "check_lam",
    "check_labels",
    "check_problem",
    "check_thetas_and_X",
    "prepared_thetas_and_X",
    "float_dtype",
    "check_direction",
]


def _describe(a: Any) -> str:
    """A short description of ``a`` for error messages: type, shape and dtype where it has them."""
    if isinstance(a, np.ndarray):
        return f"array of shape {a.shape} and dtype {a.dtype}"
    return f"{type(a).__name__} {a!r}"[:120]


def check_sizes(sizes: Sequence[int]) -> tuple[int, ...]:
    """Validate layer sizes ``(s_1, ..., s_L)``: at least two layers, each a positive integer.

    Parameters
    ----------
    sizes : sequence of int, length L >= 2
        ``sizes[0]`` inputs, ``sizes[-1]`` labels (output units).

    Returns
    -------
    tuple of int
        The sizes as plain Python ints.

    Raises
    ------
    TypeError
        If ``sizes`` is not a sequence of integers.
    ValueError
        If fewer than two layers are given or a size is < 1.
    """
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, (Sequence, np.ndarray)):
        raise TypeError(
            f"sizes must be a sequence of layer sizes such as (400, 25, 10); got {_describe(sizes)}"
        )
    out: list[int] = []
    for i, s in enumerate(sizes):
        if isinstance(s, (bool, np.bool_)) or not isinstance(s, (numbers.Integral, np.integer)):
            raise TypeError(f"sizes[{i}] must be an integer; got {_describe(s)}")
        if s < 1:
            raise ValueError(f"sizes[{i}] must be at least 1 unit; got {int(s)} in sizes={tuple(sizes)}")
        out.append(int(s))
    if len(out) < 2:
        raise ValueError(
            f"a network needs at least 2 layers (inputs and outputs); got sizes={tuple(out)}"
        )
    return tuple(out)


def _as_real_array(a: Any, name: str, *, allow_complex: bool = False) -> np.ndarray:
    """Convert ``a`` to an ndarray of a real (or, if allowed, complex) floating dtype.

    Integers and booleans are promoted to float64; float32 stays float32; anything else
    (strings, objects, datetimes) is a ``TypeError``.
    """
    try:
        arr = np.asarray(a)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"{name} must be a numeric array; could not convert {_describe(a)}: {exc}") from None
    kind = arr.dtype.kind
    if kind in "biu":
        return arr.astype(np.float64)
    if kind == "f":
        if arr.dtype.itemsize < 4:  # float16: too coarse for gradients, promote
            return arr.astype(np.float32)
        return arr
    if kind == "c":
        if allow_complex:
            return arr
        raise TypeError(
            f"{name} must be real; got complex dtype {arr.dtype} "
            "(the complex step has its own cost path: gradtrio.finite_diff.complex_step_gradient)"
        )
    raise TypeError(f"{name} must be a numeric array; got dtype {arr.dtype} ({_describe(arr)})")


def _all_finite(arr: np.ndarray) -> bool:
    """True when every entry of ``arr`` is finite (fast path: one dot product, see module doc)."""
    if arr.size == 0:
        return True
    flat = arr.reshape(-1)
    with np.errstate(over="ignore", invalid="ignore"):
        s = np.dot(flat, flat) if arr.dtype.kind == "f" else np.sum(flat)
    if np.isfinite(s):
        return True
    return bool(np.isfinite(arr).all())


def _first_nonfinite(arr: np.ndarray) -> str:
    idx = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
    return f"{arr[idx]} at index {idx}"


def float_dtype(*arrays: np.ndarray | np.dtype) -> np.dtype:
    """The floating dtype a computation on ``arrays`` (or on arrays of these dtypes) runs in (float64
    unless all are float32)."""
    dt = np.result_type(*arrays)
    if dt.kind not in "fc":
        return np.dtype(np.float64)
    return dt


def check_thetas(
    thetas: Sequence[Any],
    sizes: Sequence[int] | None = None,
    *,
    allow_complex: bool = False,
    check_finite: bool = True,
    _chain: bool = True,
) -> list[np.ndarray]:
    """Validate a list of weight matrices against the layer sizes.

    Parameters
    ----------
    thetas : sequence of array_like, length L-1
        ``thetas[l]`` of shape ``(s_{l+1}, s_l + 1)``, the bias in column 0.
    sizes : sequence of int, optional
        Expected layer sizes. When omitted they are read off the shapes, which must chain
        (the rows of ``thetas[l]`` are the units that ``thetas[l+1]`` takes, plus its bias).
    allow_complex : bool
        Accept complex matrices (the complex-step path).
    check_finite : bool
        Refuse NaN and ±inf.

    Returns
    -------
    list of ndarray
        The matrices as floating arrays (no copy where none is needed).
    """
    if isinstance(thetas, np.ndarray) or not isinstance(thetas, Sequence):
        raise TypeError(
            "thetas must be a list of weight matrices, one per layer (use gradtrio.network.roll to "
            f"turn a flat vector into one); got {_describe(thetas)}"
        )
    if len(thetas) == 0:
        raise ValueError("thetas is empty: a network needs at least one weight matrix")
    mats = [_as_real_array(t, f"Theta({l + 1})", allow_complex=allow_complex) for l, t in enumerate(thetas)]
    for l, t in enumerate(mats):
        if t.ndim != 2:
            raise ValueError(f"Theta({l + 1}) must be a 2-D matrix; got shape {t.shape}")
        if 0 in t.shape:
            raise ValueError(f"Theta({l + 1}) is empty (shape {t.shape}): "
                             "every layer needs units and a bias column")
    if not _chain:
        return mats
    if sizes is None:
        _check_links(mats)
        sizes = (mats[0].shape[1] - 1,) + tuple(t.shape[0] for t in mats)
        if sizes[0] < 1:
            raise ValueError(f"Theta(1) has shape {mats[0].shape}: "
                             "it needs a bias column and at least one input column")
    sizes = check_sizes(sizes)
    if len(mats) != len(sizes) - 1:
        raise ValueError(
            f"sizes={sizes} needs {len(sizes) - 1} weight matrices; got {len(mats)}"
        )
    for l, t in enumerate(mats):
        expected = (sizes[l + 1], sizes[l] + 1)
        if t.shape != expected:
            hint = ""
            if t.shape == (sizes[l + 1], sizes[l]):
                hint = " (the bias column is missing: column 0 holds the bias)"
            elif t.shape == (expected[1], expected[0]):
                hint = f" (it looks transposed: {t.shape[::-1]} is the shape expected)"
            raise ValueError(
                f"Theta({l + 1}) must have shape {expected} = (s_{l + 2}, s_{l + 1} + 1) for "
                f"sizes={sizes}; got {t.shape}{hint}"
            )
    if check_finite:
        _check_finite_thetas(mats)
    return mats


def _check_links(mats: Sequence[np.ndarray]) -> None:
    """With no sizes given, each Θ(l+1) must take the units of Θ(l) plus a bias. Where a link breaks,
    blame the matrix whose transpose would mend it: a transposed Θ(1) (401 × 25 for 25 × 401) reads as
    a network of 24 inputs and 401 hidden units, and only Θ(2) would seem wrong."""
    for l in range(len(mats) - 1):
        a, b = mats[l], mats[l + 1]
        if b.shape[1] == a.shape[0] + 1:
            continue
        if a.shape[1] + 1 == b.shape[1]:
            raise ValueError(
                f"Theta({l + 1}) looks transposed: it has shape {a.shape}, but Theta({l + 2}) (shape "
                f"{b.shape}) takes {b.shape[1] - 1} units plus the bias, which Theta({l + 1}) of shape "
                f"{a.shape[::-1]} would give (rows: units, columns: inputs + bias)"
            )
        if b.shape[0] == a.shape[0] + 1:
            raise ValueError(
                f"Theta({l + 2}) looks transposed: it has shape {b.shape}, but Theta({l + 1}) gives it "
                f"{a.shape[0]} units plus the bias, which Theta({l + 2}) of shape {b.shape[::-1]} would take "
                f"(rows: units, columns: inputs + bias)"
            )
        hint = " (the bias column is missing: column 0 holds the bias)" if b.shape[1] == a.shape[0] else ""
        raise ValueError(
            f"Theta({l + 2}) must have {a.shape[0] + 1} columns (Theta({l + 1}) has {a.shape[0]} units, plus "
            f"the bias column), shape ({b.shape[0]}, {a.shape[0] + 1}); got shape {b.shape}{hint}"
        )


def _check_finite_thetas(mats: Sequence[np.ndarray]) -> None:
    for l, t in enumerate(mats):
        if not _all_finite(t):
            raise ValueError(f"Theta({l + 1}) must be finite; found {_first_nonfinite(t)}")


def check_X(X: Any, n_features: int | None = None, *, allow_complex: bool = False,
            check_finite: bool = True) -> np.ndarray:
    """Validate the design matrix.

    Parameters
    ----------
    X : array_like of shape (m, n_features)
        One example a row, m >= 1.
    n_features : int, optional
        The number of input units ``sizes[0]``.

    Returns
    -------
    ndarray of shape (m, n_features)
    """
    X = _as_real_array(X, "X", allow_complex=allow_complex)
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-D array of shape (m examples, n features); got shape {X.shape}")
    if X.shape[0] == 0:
        raise ValueError("X has zero examples: the cost is an average over examples and needs m >= 1")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(
            f"X must have {n_features} columns, one per input unit (sizes[0] = {n_features}); "
            f"got shape {X.shape}"
        )
    if check_finite and not _all_finite(X):
        raise ValueError(f"X must be finite; found {_first_nonfinite(X)}")
    return X


#: What ``Y`` must hold for each kind of output (:attr:`gradtrio.model.Output.targets`).
TARGETS = ("binary", "one-hot", "real")


def check_Y(Y: Any, m: int, num_labels: int, targets: str = "binary") -> np.ndarray:
    """Validate the targets of ``m`` examples.

    Parameters
    ----------
    Y : array_like of shape (m, num_labels)
        ``targets="binary"`` (the sigmoid's cross-entropy): row i is the one-hot code of example i's
        class (exactly one 1, the rest 0); with a single output unit (K = 1) each entry is the binary
        label 0 or 1 of one logistic unit. ``"one-hot"`` (the softmax): one-hot rows, K >= 2.
        ``"real"`` (squared error): any finite numbers.
    m, num_labels : int
        The expected shape.
    targets : {"binary", "one-hot", "real"}

    Returns
    -------
    ndarray of shape (m, num_labels)
    """
    Y = _as_real_array(Y, "Y")
    what = "real targets" if targets == "real" else "one-hot"
    if Y.ndim == 1:
        hint = (f"one target per example? reshape it to ({m}, 1)" if targets == "real"
                else f"class indices? convert them with gradtrio.network.one_hot(y, {num_labels})")
        raise ValueError(f"Y must be {what} of shape ({m}, {num_labels}); got a 1-D array of shape "
                         f"{Y.shape} ({hint})")
    if Y.shape != (m, num_labels):
        raise ValueError(
            f"Y must be {what} of shape (m, K) = ({m}, {num_labels}) to match X and the output "
            f"layer; got shape {Y.shape}"
        )
    if targets == "real":
        if not _all_finite(Y):
            raise ValueError(f"Y must be finite; got {_first_nonfinite(Y)}")
        return Y
    if targets == "one-hot" and num_labels < 2:
        raise ValueError("a softmax output needs K >= 2 output units (one softmax unit is always 1); "
                         "got K = 1: use the sigmoid output for one binary label")
    binary = (Y == 0) | (Y == 1)
    if not binary.all():
        i, k = (int(v) for v in np.argwhere(~binary)[0])
        raise ValueError(f"Y must be one-hot (entries 0 or 1); got Y[{i}, {k}] = {Y[i, k]}")
    row_sums = Y.sum(axis=1)
    if num_labels > 1 and not (row_sums == 1).all():
        i = int(np.argwhere(row_sums != 1)[0, 0])
        raise ValueError(
            f"Y must be one-hot (exactly one 1 per row); row {i} has {int(row_sums[i])} ones"
        )
    return Y


def check_lam(lam: Any) -> float:
    """Validate the regularization strength: a finite real number >= 0."""
    if isinstance(lam, (bool, np.bool_)) or not isinstance(lam, (numbers.Real, np.floating, np.integer)):
        if isinstance(lam, np.ndarray) and lam.ndim == 0 and lam.dtype.kind in "iuf":
            lam = lam.item()
        else:
            raise TypeError(f"lam must be a real number >= 0; got {_describe(lam)}")
    lam = float(lam)
    if not np.isfinite(lam):
        raise ValueError(f"lam must be finite; got {lam}")
    if lam < 0:
        raise ValueError(f"lam must be >= 0 (it scales a penalty); got {lam}")
    return lam


def _check_chain(mats: Sequence[np.ndarray], x_shape: tuple[int, int]) -> None:
    """Check each Θ(l) against the layer before it, starting from X's width, so that the blame lands
    on the first matrix that does not fit (with a hint when it looks transposed or lacks its bias)."""
    s_in, source = x_shape[1], f"X has {x_shape[1]} features"
    for l, t in enumerate(mats):
        if t.shape[1] != s_in + 1:
            hint = ""
            if t.shape[1] == s_in:
                hint = " (the bias column is missing: column 0 holds the bias)"
            elif t.shape[0] == s_in + 1:
                hint = f" (it looks transposed: ({t.shape[1]}, {t.shape[0]}) would fit)"
            if l == 0 and not hint:  # nothing says Θ(1) is the odd one out: name both
                raise ValueError(
                    f"X must have {t.shape[1] - 1} columns, one per input unit of Theta(1) (shape {t.shape}: "
                    f"{t.shape[1] - 1} inputs + bias); got shape {x_shape}"
                )
            raise ValueError(
                f"Theta({l + 1}) must have {s_in + 1} columns ({source}, plus the bias column), shape "
                f"({t.shape[0]}, {s_in + 1}); got shape {t.shape}{hint}"
            )
        s_in, source = t.shape[0], f"Theta({l + 1}) has {t.shape[0]} units"


def check_thetas_and_X(
    thetas: Sequence[Any], X: Any, *, allow_complex: bool = False, check_finite: bool = True
) -> tuple[list[np.ndarray], np.ndarray]:
    """Validate weights and inputs together (what prediction needs): shapes anchored on X's width."""
    X = check_X(X, None, allow_complex=allow_complex, check_finite=False)
    mats = check_thetas(thetas, allow_complex=allow_complex, check_finite=False, _chain=False)
    _check_chain(mats, X.shape)
    if check_finite:
        _check_finite_thetas(mats)
    if check_finite and not _all_finite(X):
        raise ValueError(f"X must be finite; found {_first_nonfinite(X)}")
    return mats, X


def check_problem(
    thetas: Sequence[Any],
    X: Any,
    Y: Any,
    lam: Any,
    *,
    allow_complex: bool = False,
    check_finite: bool = True,
    targets: str = "binary",
) -> tuple[list[np.ndarray], np.ndarray, np.ndarray, float]:
    """Validate a whole ``(thetas, X, Y, lam)`` problem, the signature the gradients share.

    The expected shapes are anchored on the data: Θ(1) must take X's columns plus a bias, each Θ(l)
    the units of the layer before it plus a bias, and ``Y`` must be one-hot of shape
    ``(m, rows of the last Θ)``. The first matrix that does not fit is the one named. ``targets``: what
    Y must hold (:func:`check_Y`).
    """
    mats, X = check_thetas_and_X(thetas, X, allow_complex=allow_complex, check_finite=check_finite)
    Y = check_Y(Y, X.shape[0], mats[-1].shape[0], targets)
    lam = check_lam(lam)
    return mats, X, Y, lam


def prepared_thetas_and_X(thetas: Sequence[Any], X: Any) -> tuple[list[np.ndarray], np.ndarray]:
    """:func:`check_thetas_and_X`, then everything cast to the one float dtype of :func:`float_dtype`."""
    mats, X = check_thetas_and_X(thetas, X)
    dtype = float_dtype(X, *mats)
    return [t.astype(dtype, copy=False) for t in mats], X.astype(dtype, copy=False)


def check_labels(y: Any, num_labels: int) -> np.ndarray:
    """Validate class indices: the one label check every entry point uses.

    Parameters
    ----------
    y : array_like of int, shape (m,) or (m, 1)
        Class indices in ``0..num_labels-1``; integral floats (1.0) are accepted.
    num_labels : int
        K, the number of output units.

    Returns
    -------
    ndarray of shape (m,), int64
    """
    if not isinstance(num_labels, (int, np.integer)) or isinstance(num_labels, bool) or num_labels < 1:
        raise ValueError(f"num_labels must be a positive integer; got {num_labels!r}")
    arr = np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"y must be a 1-D array of class indices; got shape {arr.shape}")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
            raise ValueError("y must hold integer class indices; got non-integer values")
        if arr.size and (arr.min() < 0 or arr.max() >= num_labels):  # before the cast: 1e20 has no int64
            bad = arr[(arr < 0) | (arr >= num_labels)][0]
            raise ValueError(f"y must be in 0..{num_labels - 1}; got {bad:g}")
        arr = arr.astype(np.int64)
    elif arr.dtype.kind not in "iu":
        raise TypeError(f"y must hold integer class indices; got dtype {arr.dtype}")
    if arr.size and (arr.min() < 0 or arr.max() >= num_labels):
        bad = arr[(arr < 0) | (arr >= num_labels)][0]
        hint = (" (course files store 1..10 with 10 for the digit 0: subtract 1 / use load_mat)"
                if bad == num_labels else "")
        raise ValueError(f"y must be in 0..{num_labels - 1}; got {int(bad)}{hint}")
    return arr.astype(np.int64, copy=False)


def check_direction(V: Any, mats: Sequence[np.ndarray], name: str = "V") -> list[np.ndarray]:
    """Validate a direction in weight space: one real, finite matrix per weight matrix, of its shape.

    Parameters
    ----------
    V : sequence of array_like
        ``V[l]`` of the shape of ``mats[l]``: what a Hessian-vector product multiplies.
    mats : sequence of ndarray
        The validated weights (their shapes and dtype are the ones expected).
    name : str
        What to call ``V`` in messages.

    Returns
    -------
    list of ndarray
        ``V[l]`` as arrays of the weights' dtype.
    """
    if isinstance(V, np.ndarray) or not isinstance(V, Sequence):
        raise TypeError(
            f"{name} must be a list of {len(mats)} matrices shaped like thetas "
            f"({', '.join(str(t.shape) for t in mats)}); got {_describe(V)} "
            "(the *_flat functions take a flat vector)"
        )
    if len(V) != len(mats):
        raise ValueError(f"{name} must hold {len(mats)} matrices, one per weight matrix; got {len(V)}")
    out = []
    for l, (v, t) in enumerate(zip(V, mats)):
        arr = _as_real_array(v, f"{name}[{l}]")
        if arr.shape != t.shape:
            raise ValueError(f"{name}[{l}] must have the shape of Theta({l + 1}), {t.shape}; got {arr.shape}")
        if not _all_finite(arr):
            raise ValueError(f"{name}[{l}] must be finite; found {_first_nonfinite(arr)}")
        out.append(arr.astype(t.dtype, copy=False))
    return out
