"""The peers gradtrio is measured against: PyTorch autograd and scikit-learn's MLP backprop.

Both are optional in the sense that a missing or changed peer is *reported as skipped with its
reason* and never dropped silently: PyTorch is the ``bench`` extra, and scikit-learn's ``_backprop``
and ``_loss_grad_lbfgs`` are private API that may change between releases.

Layouts. gradtrio's ``Θ(l)`` is ``(s_{l+1}, s_l + 1)`` with the bias in column 0; scikit-learn keeps
``coefs_[l] = Θ(l)[:, 1:].T`` of shape ``(s_l, s_{l+1})`` and ``intercepts_[l] = Θ(l)[:, 0]``, and
packs all coefs, then all intercepts, into one vector.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["SklearnMLP", "sklearn_mlp_or_reason", "torch_cost_and_grad_fn"]

# The private signatures this module was written against (scikit-learn 1.2 .. 1.9).
_BACKPROP_ARGS = ("X", "y", "activations", "deltas", "coef_grads", "intercept_grads")
_BACKPROP_ARGS_SW = ("X", "y", "sample_weight", "activations", "deltas", "coef_grads", "intercept_grads")
_LBFGS_ARGS = ("packed_coef_inter",) + _BACKPROP_ARGS
_LBFGS_ARGS_SW = ("packed_coef_inter",) + _BACKPROP_ARGS_SW


def _params(fn: Any) -> tuple[str, ...]:
    return tuple(p for p in inspect.signature(fn).parameters if p != "self")


class SklearnMLP:
    """A fitted-shape ``MLPClassifier`` whose weights are set from gradtrio's ``thetas``.

    ``MLPClassifier(activation="logistic", alpha=λ)`` fitted on a one-hot ``Y`` (a multilabel
    indicator) has logistic outputs and the binary log-loss summed over outputs and averaged over
    examples, plus ``alpha/(2m)`` times the squared coefs without intercepts: gradtrio's cost with
    ``λ = alpha``. :meth:`objective_check` measures that claim on the given problem.

    Parameters
    ----------
    thetas : list of ndarray
        ``thetas[l]`` of shape ``(s_{l+1}, s_l + 1)``.
    X : ndarray of shape (m, s_1)
    Y : ndarray of shape (m, K), one-hot
    lam : float
    """

    def __init__(self, thetas: Sequence[np.ndarray], X: np.ndarray, Y: np.ndarray, lam: float):
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.neural_network import MLPClassifier

        bp = _params(MLPClassifier._backprop)
        lb = _params(MLPClassifier._loss_grad_lbfgs)
        if bp not in (_BACKPROP_ARGS, _BACKPROP_ARGS_SW) or lb not in (_LBFGS_ARGS, _LBFGS_ARGS_SW):
            raise RuntimeError(
                f"scikit-learn's private MLP API changed: _backprop{bp}, _loss_grad_lbfgs{lb}"
            )
        self._sw = "sample_weight" in bp
        layers = (thetas[0].shape[1] - 1,) + tuple(t.shape[0] for t in thetas)
        clf = MLPClassifier(hidden_layer_sizes=layers[1:-1], activation="logistic", solver="lbfgs",
                            alpha=lam, max_iter=1, random_state=0)
        n = min(X.shape[0], 20)  # a tiny fit only sets up the private attributes (_coef_indptr, ...)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X[:n], Y[:n])
        if clf.out_activation_ != "logistic" or clf.loss != "log_loss":
            raise RuntimeError(
                f"MLPClassifier on one-hot Y has out_activation_={clf.out_activation_!r}, "
                f"loss={clf.loss!r}; expected 'logistic' and 'log_loss'"
            )
        clf.coefs_ = [np.ascontiguousarray(t[:, 1:].T) for t in thetas]
        clf.intercepts_ = [t[:, 0].copy() for t in thetas]
        self.clf, self.X, self.Y = clf, X, Y
        self.layers = layers
        dt = X.dtype
        self._acts = [X] + [None] * (len(layers) - 1)
        self._deltas = [None] * (len(layers) - 1)
        self._cg = [np.empty((a, b), dtype=dt) for a, b in zip(layers[:-1], layers[1:])]
        self._ig = [np.empty(b, dtype=dt) for b in layers[1:]]
        self.packed = np.hstack([c.ravel() for c in clf.coefs_] + [i.ravel() for i in clf.intercepts_])

    def _buffers(self) -> tuple:
        sw = (None,) if self._sw else ()
        return (self.X, self.Y, *sw, self._acts, self._deltas, self._cg, self._ig)

    def backprop(self) -> tuple[float, list[np.ndarray]]:
        """``MLPClassifier._backprop``: loss, coef grads and intercept grads (scikit-learn's layout)."""
        loss, cg, ig = self.clf._backprop(*self._buffers())
        return float(loss), self.to_thetas(cg, ig)

    def backprop_raw(self) -> Any:
        """The same call without converting the layout (what is timed)."""
        return self.clf._backprop(*self._buffers())

    def loss_grad_lbfgs(self) -> tuple[float, np.ndarray]:
        """``MLPClassifier._loss_grad_lbfgs``: unpack, backprop, pack (what its L-BFGS calls)."""
        return self.clf._loss_grad_lbfgs(self.packed, *self._buffers())

    @staticmethod
    def to_thetas(coef_grads: Sequence[np.ndarray],
                  intercept_grads: Sequence[np.ndarray]) -> list[np.ndarray]:
        """scikit-learn's layout to gradtrio's: ``[intercept | coefᵀ]`` per layer."""
        return [np.column_stack([b, W.T]) for W, b in zip(coef_grads, intercept_grads)]

    def unpack(self, packed: np.ndarray) -> list[np.ndarray]:
        """A packed scikit-learn vector (all coefs, then all intercepts) to gradtrio's layout."""
        shapes = list(zip(self.layers[:-1], self.layers[1:]))
        coefs, start = [], 0
        for a, b in shapes:
            coefs.append(packed[start : start + a * b].reshape(a, b))
            start += a * b
        inters = []
        for _, b in shapes:
            inters.append(packed[start : start + b])
            start += b
        return self.to_thetas(coefs, inters)

    def objective_check(self, J_ref: float, grads_ref: Sequence[np.ndarray]) -> dict[str, float]:
        """Max differences between scikit-learn's loss/gradient and gradtrio's on the same weights."""
        loss, g = self.loss_grad_lbfgs()
        grads = self.unpack(g)
        gmax = max(float(np.max(np.abs(r))) for r in grads_ref)
        diff = max(float(np.max(np.abs(a - b))) for a, b in zip(grads, grads_ref))
        return {
            "cost_gradtrio": float(J_ref),
            "cost_sklearn": float(loss),
            "cost_abs_diff": abs(float(loss) - float(J_ref)),
            "grad_max_abs_diff": diff,
            "grad_max_abs": gmax,
            "grad_max_rel_diff": diff / gmax if gmax else diff,
        }


def sklearn_mlp_or_reason(thetas, X, Y, lam) -> tuple[SklearnMLP | None, str | None]:
    """:class:`SklearnMLP`, or ``(None, reason)`` when scikit-learn or its private API is unusable."""
    try:
        return SklearnMLP(thetas, X, Y, lam), None
    except ImportError as exc:
        return None, f"skipped (scikit-learn not importable: {exc})"
    except (RuntimeError, AttributeError, TypeError, ValueError) as exc:
        return None, f"skipped (scikit-learn private API: {type(exc).__name__}: {exc})"


def torch_cost_and_grad_fn(torch: Any, thetas: Sequence[np.ndarray], X: np.ndarray, Y: np.ndarray,
                           lam: float):
    """PyTorch autograd (eager, CPU) of gradtrio's cost: returns a zero-argument callable.

    The cost is written as gradtrio's (logits, ``softplus(z) - Y z``, bias columns not penalized);
    each call builds the graph and runs ``torch.autograd.grad``. The tensors share memory with the
    NumPy arrays (``torch.from_numpy``), so nothing is copied per call.
    """
    Ts = [torch.from_numpy(np.ascontiguousarray(t)).requires_grad_(True) for t in thetas]
    Xt, Yt = torch.from_numpy(X), torch.from_numpy(Y)
    m = X.shape[0]

    def cost_and_grad() -> tuple[float, list[np.ndarray]]:
        a = Xt
        for l, T in enumerate(Ts):
            z = torch.addmm(T[:, 0], a, T[:, 1:].T)
            if l < len(Ts) - 1:
                a = torch.sigmoid(z)
        # softplus with no linear cut-off: exact log(1 + e^z) for every z (logaddexp(0, z))
        J = (torch.logaddexp(torch.zeros((), dtype=z.dtype), z) - Yt * z).sum() / m
        J = J + lam / (2 * m) * sum((T[:, 1:] * T[:, 1:]).sum() for T in Ts)
        grads = torch.autograd.grad(J, Ts)
        return J.detach().item(), [g.numpy() for g in grads]

    return cost_and_grad
