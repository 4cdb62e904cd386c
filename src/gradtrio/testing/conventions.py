"""How a user's implementation is called: its signature and conventions, and one guarded call of it.

A user's cost-and-gradient function is called in *its* conventions and its results are brought back to
gradtrio's (a list of matrices ``Θ(l)`` of shape ``(s_{l+1}, s_l + 1)``, labels 0-based, one-hot ``Y``):

- ``"gradtrio"``: ``fn(thetas, X, Y, lam) -> (J, grads)``, any depth, ``Y`` one-hot of shape (m, K).
- ``"course"``: ``fn(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lam) -> (J, grad)``,
  three layers. ``nn_params`` and ``grad`` are unrolled ``order="C"`` (NumPy row-major:
  ``np.concatenate([T1.ravel(), T2.ravel()])``) or ``"F"`` (Octave's ``[Theta1(:); Theta2(:)]``); ``y`` holds
  ``labels="1..K"`` (the course files: output unit k is label k + 1, and 10 is the digit 0), ``"0..K-1"``
  or ``"one-hot"`` (the (m, K) matrix); a label vector has ``y_shape="(m,)"`` or ``"(m, 1)"``.

:func:`call` makes one call on copies of the arguments and records everything a verdict needs: the
values, an exception (with the user's line that raised it), the arguments the call changed, outputs that
share memory with inputs, NumPy's warnings, and the shape and dtype of what came back.
"""

from __future__ import annotations

import contextlib
import io
import linecache
import os
import time
import traceback
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

__all__ = [
    "SIGNATURES",
    "ORDERS",
    "LABELS",
    "Y_SHAPES",
    "Conventions",
    "Outcome",
    "candidates",
    "call",
    "encode",
]

SIGNATURES = ("gradtrio", "course")
ORDERS = ("C", "F")
LABELS = ("1..K", "0..K-1", "one-hot")
Y_SHAPES = ("(m,)", "(m, 1)")


@dataclass(frozen=True)
class Conventions:
    """The calling conventions of one implementation.

    Attributes
    ----------
    signature : {"gradtrio", "course"}
    order : {"C", "F"} or None
        How ``nn_params`` and ``grad`` are unrolled (course signature only).
    labels : {"1..K", "0..K-1", "one-hot"} or None
    y_shape : {"(m,)", "(m, 1)"} or None
        The shape of a label vector (None for one-hot labels and the gradtrio signature).
    """

    signature: str
    order: str | None = None
    labels: str | None = None
    y_shape: str | None = None

    def describe(self) -> str:
        """One line: ``course signature, order F, labels 1..K, y of shape (m, 1)``."""
        if self.signature == "gradtrio":
            return "gradtrio signature fn(thetas, X, Y, lam), Y one-hot"
        parts = [f"course signature, order {self.order}", f"labels {self.labels}"]
        if self.y_shape is not None:
            parts.append(f"y of shape {self.y_shape}")
        return ", ".join(parts)

    def as_dict(self) -> dict[str, str | None]:
        return {"signature": self.signature, "order": self.order, "labels": self.labels, "y_shape": self.y_shape}


def candidates(signature: str, order: str = "auto", labels: str = "auto", y_shape: str = "auto") -> list[Conventions]:
    """Every convention consistent with what is given (``"auto"`` leaves a field open), in a fixed order."""
    if signature == "gradtrio":
        return [Conventions("gradtrio")]
    out = []
    for o in ORDERS if order == "auto" else (order,):
        for lb in LABELS if labels == "auto" else (labels,):
            shapes: Sequence[str | None] = ((None,) if lb == "one-hot"
                                            else (Y_SHAPES if y_shape == "auto" else (y_shape,)))
            for ys in shapes:
                out.append(Conventions("course", o, lb, ys))
    return out


def encode(conv: Conventions, thetas: Sequence[np.ndarray], Y: np.ndarray) -> tuple[Any, Any]:
    """The parameters and labels in the user's conventions: ``(thetas or nn_params, Y or y)``, new arrays."""
    if conv.signature == "gradtrio":
        return [np.array(t, dtype=np.float64) for t in thetas], np.array(Y, dtype=np.float64)
    params = np.concatenate([np.asarray(t, dtype=np.float64).ravel(order=_order(conv)) for t in thetas])
    if conv.labels == "one-hot":
        return params, np.array(Y, dtype=np.float64)
    y = np.argmax(Y, axis=1) + (1 if conv.labels == "1..K" else 0)
    return params, (y.reshape(-1, 1) if conv.y_shape == "(m, 1)" else y)


def _order(conv: Conventions) -> Literal["C", "F"]:
    return "F" if conv.order == "F" else "C"


def decode(conv: Conventions, flat: np.ndarray, shapes: Sequence[tuple[int, int]]) -> list[np.ndarray]:
    """A course-signature vector cut into the matrices of ``shapes`` in the convention's order."""
    out, start = [], 0
    for r, c in shapes:
        out.append(flat[start:start + r * c].reshape((r, c), order=_order(conv)))
        start += r * c
    return out


@dataclass
class Outcome:
    """One call of a user's implementation, in gradtrio's conventions.

    Attributes
    ----------
    J : float or None
        The cost as a float (None when the call raised or returned no usable scalar).
    grads : list of ndarray or None
        The gradient as gradtrio's matrices, float64 (None when unusable).
    error : str or None
        ``"ValueError: operands could not be broadcast ..."`` when the call raised.
    where : str or None
        The user's line that raised: ``"my_ex4.py:42: delta3 = a3 - Y"``.
    entered : bool
        False when calling the function failed before its first line ran (wrong number of arguments).
    contract : list of str
        Problems with what came back, each a sentence: wrong shape, a non-finite cost, a view of an input.
    notes : list of str
        What is worth knowing but not wrong: a (n, 1) gradient, a 1×1 cost, NumPy's warnings.
    changed : dict of str to ndarray
        The arguments the call wrote into, by name (``"Theta(1)"``, ``"X"``, ``"y"``), as the call left them
        (in gradtrio's layout for parameters).
    grad_dtype : numpy.dtype or None
    seconds : float
        Wall time of the call.
    """

    J: float | None = None
    grads: list[np.ndarray] | None = None
    error: str | None = None
    where: str | None = None
    entered: bool = True
    contract: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    changed: dict[str, np.ndarray] = field(default_factory=dict)
    grad_dtype: np.dtype | None = None
    J_dtype: np.dtype | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Values came back that can be compared."""
        return self.error is None and self.J is not None and self.grads is not None


#: gradtrio's own folder: its frames are never the user's line (a checkout may well be called "gradtrio").
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def _library_file(filename: str) -> bool:
    """A frame of gradtrio, of an installed library (NumPy, pandas) or of Python's frozen modules."""
    path = os.path.abspath(filename)
    return (path.startswith(_PACKAGE_DIR) or filename.startswith("<frozen")
            or any(part in ("site-packages", "dist-packages") for part in path.split(os.sep)))


def _user_frame(tb: Any, fn: Callable) -> tuple[str | None, bool]:
    """The deepest frame of the traceback in the user's code (not NumPy's, not gradtrio's), as
    ``file:line: source``, and whether the user's function was entered at all."""
    frames = traceback.extract_tb(tb)
    code = getattr(fn, "__code__", None)
    entered = code is None or any(f.filename == code.co_filename for f in frames)
    mine = [f for f in frames if not _library_file(f.filename)]
    if not mine:
        return None, entered
    f = mine[-1]
    source = (f.line or linecache.getline(f.filename, f.lineno or 0)).strip()
    name = f.filename.replace("\\", "/").rsplit("/", 1)[-1]
    return f"{name}:{f.lineno}: {source}", entered


def _scalar(J: Any, out: Outcome) -> float | None:
    try:
        arr = np.asarray(J)
    except Exception:  # an object NumPy cannot read
        out.contract.append(f"J must be a number; got {type(J).__name__}")
        return None
    if arr.size != 1 or arr.dtype.kind not in "biuf":
        out.contract.append(f"J must be one real number; got {type(J).__name__} of shape {arr.shape} and dtype "
                            f"{arr.dtype}")
        return None
    if arr.ndim:
        out.notes.append(f"J comes back as an array of shape {arr.shape}, not a scalar (float(J) works)")
    out.J_dtype = arr.dtype
    if arr.dtype == np.float32:
        out.notes.append("J comes back in float32 (7 digits): it is judged with float32's rounding")
    value = float(arr.reshape(()))
    return value


def _gradient(conv: Conventions, g: Any, shapes: Sequence[tuple[int, int]], out: Outcome) -> list[np.ndarray] | None:
    n = sum(r * c for r, c in shapes)
    if conv.signature == "gradtrio":
        if isinstance(g, np.ndarray) or not isinstance(g, Sequence) or len(g) != len(shapes):
            out.contract.append(f"grads must be a list of {len(shapes)} arrays shaped like thetas; got "
                                f"{type(g).__name__}" + (f" of length {len(g)}" if isinstance(g, Sequence) else ""))
            return None
        mats = []
        for l, (G, shape) in enumerate(zip(g, shapes)):
            A = np.asarray(G)
            if A.shape != shape:
                out.contract.append(f"grads[{l}] must have the shape of thetas[{l}], {shape}; got {A.shape}")
                return None
            mats.append(A)
        arrays = mats
    else:
        A = np.asarray(g)
        if A.size != n:
            out.contract.append(f"grad must have {n} entries (one per parameter, the size of nn_params); got shape "
                                f"{A.shape}")
            return None
        if A.shape != (n,):
            out.notes.append(f"grad comes back with shape {A.shape}, not ({n},): scipy.optimize.minimize expects a "
                             "flat vector (return grad.ravel())")
        arrays = [A]
    kinds = {a.dtype.kind for a in arrays}
    if not kinds <= set("fiub"):
        out.contract.append(f"the gradient must be real numbers; got dtype {arrays[0].dtype}")
        return None
    out.grad_dtype = np.result_type(*arrays)
    if out.grad_dtype == np.float32:
        out.notes.append("the gradient comes back in float32 (7 digits) for float64 inputs: it is judged with "
                         "float32's rounding")
    if conv.signature == "gradtrio":
        return [np.array(a, dtype=np.float64) for a in arrays]
    return decode(conv, np.array(arrays[0], dtype=np.float64).ravel(), shapes)


def _shares(outputs: Sequence[Any], inputs: dict[str, Any]) -> list[str]:
    names = []
    for name, arr in inputs.items():
        if isinstance(arr, np.ndarray) and any(isinstance(o, np.ndarray) and np.shares_memory(o, arr) for o in outputs):
            names.append(name)
    return names


def call(fn: Callable[..., Any], conv: Conventions, thetas: Sequence[np.ndarray], X: np.ndarray, Y: np.ndarray,
         lam: float) -> Outcome:
    """Call ``fn`` once on copies of one problem, in the conventions ``conv``, and record what happened.

    Parameters
    ----------
    fn : callable
        The user's implementation.
    conv : Conventions
    thetas : list of ndarray
        gradtrio's layout: ``thetas[l]`` of shape ``(s_{l+1}, s_l + 1)``.
    X : ndarray of shape (m, s_1)
    Y : ndarray of shape (m, K), one-hot
    lam : float

    Returns
    -------
    Outcome
        Never raises for what ``fn`` does: an exception, a wrong shape or a write into an argument is
        recorded in it.
    """
    shapes = [t.shape for t in thetas]
    params, labels = encode(conv, thetas, Y)
    Xc = np.array(X, dtype=np.float64)
    kept = (params.copy() if isinstance(params, np.ndarray) else [t.copy() for t in params], Xc.copy(), labels.copy())
    out = Outcome()
    args: tuple[Any, ...]
    if conv.signature == "gradtrio":
        args = (params, Xc, labels, float(lam))
    else:
        args = (params, int(X.shape[1]), int(thetas[0].shape[0]), int(thetas[-1].shape[0]), Xc, labels, float(lam))
    start = time.perf_counter()
    printed = io.StringIO()  # a student's debugging print(), hundreds of calls over: kept off the report
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="warn"), \
            contextlib.redirect_stdout(printed):
        warnings.simplefilter("always")
        try:
            result = fn(*args)
        except Exception as exc:  # the user's exception is a finding, never a crash of gradtrio
            out.seconds = time.perf_counter() - start
            out.error = f"{type(exc).__name__}: {exc}"
            out.where, out.entered = _user_frame(exc.__traceback__, fn)
            return out
    out.seconds = time.perf_counter() - start
    if printed.getvalue():
        out.notes.append("prints to stdout (hidden during the checks)")
    for w in caught:
        text = f"{w.category.__name__}: {w.message}"
        if text not in out.notes:
            out.notes.append(text)
    _record_changes(conv, kept, params, Xc, labels, shapes, out)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        out.contract.append(f"must return (J, grad), a pair; got {type(result).__name__}"
                            + (f" of length {len(result)}" if isinstance(result, (tuple, list)) else ""))
        return out
    J, g = result
    out.J = _scalar(J, out)
    grads = _gradient(conv, g, shapes, out)
    outputs = list(g) if conv.signature == "gradtrio" and isinstance(g, Sequence) else [g]
    inputs = {"X": Xc, "y" if conv.signature == "course" else "Y": labels}
    if conv.signature == "course":
        inputs["nn_params"] = params
    else:
        inputs.update({f"thetas[{l}]": t for l, t in enumerate(params)})
    shared = _shares(outputs + [J], inputs)
    if shared:
        out.contract.append(f"what it returns shares memory with its argument {', '.join(shared)}: the caller's "
                            "array and the result are one array (return a copy)")
    out.grads = grads
    return out


def _record_changes(conv: Conventions, kept: tuple[Any, np.ndarray, np.ndarray], params: Any, X: np.ndarray,
                    labels: np.ndarray, shapes: Sequence[tuple[int, int]], out: Outcome) -> None:
    p0, X0, y0 = kept
    if conv.signature == "gradtrio":
        for l, (a, b) in enumerate(zip(params, p0)):
            if not _same(a, b):
                out.changed[f"Theta({l + 1})"] = np.array(a, dtype=np.float64)
    elif not _same(params, p0):
        for l, (a, b) in enumerate(zip(decode(conv, params, shapes), decode(conv, p0, shapes))):
            if not _same(a, b):
                out.changed[f"Theta({l + 1})"] = np.array(a, dtype=np.float64)
    if not _same(X, X0):
        out.changed["X"] = np.array(X)
    if not _same(labels, y0):
        out.changed["Y" if conv.signature == "gradtrio" else "y"] = np.array(labels)


def _same(a: Any, b: np.ndarray) -> bool:
    a = np.asarray(a)
    return a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=True))
