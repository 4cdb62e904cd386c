"""Finite differences of the model's cost, each perturbed cost evaluated incrementally.

Moving one weight ``Θ(l)[j, k]`` by ``s`` changes the pre-activation of one unit, ``z_l[:, j] += s·a_{l-1}[:, k]``
(``a[:, 0] = 1``, the bias), and nothing upstream of it. So ``J(θ + s e_i)`` needs no new first-layer
product (the ``m × s_1 × s_2`` GEMM that dominates a forward pass of the course's 400-25-10 network), only
what the unit feeds, and the *difference* ``J(θ + s₊e_i) − J(θ + s₋e_i)`` is summed over the terms that
changed, each written as a difference (no ``J(θ + s₊e_i)`` is ever formed, so the large unchanged part of
the cost never cancels):

- a hidden unit's change ``g(z + Δz) − g(z)`` in a difference form of the activation where it has one —
  ``σ(u) − σ(v) = −σ(u)σ(−v)·expm1(−Δz)``, ``tanh u − tanh v = tanh Δz·(1 − tanh u tanh v)``,
  ``softplus u − softplus v = log1p(σ(v)·expm1(Δz))``, the linear pieces of relu, leaky relu and ELU
  exactly — accurate to a few ε *of the change*; the GELU (no such form) and a step across a kink use
  ``g(u) − g(v)``;
- the loss's change from the logits' change ``d``, by the identities ``softplus(z + d) − softplus(z) =
  log1p(σ(z)·expm1(d))`` and ``logsumexp(z + d) − logsumexp(z) = log1p(Σ_k p_k expm1(d_k))`` (p the softmax),
  two of them subtracted as ``log1p(p(e₊ − e₋)/(1 + p e₋))``; squared error as ``(d₊ − d₋)(z − y + (d₊ + d₋)/2)``;
- the penalty's change ``(λ/2m)(t₊² − t₋²)`` in closed form, on the values actually stored.

These are identities of the cost itself (no derivative of it is used), so the differences stay what they
are: finite differences of the model's cost, independent of backpropagation and of JAX's autodiff. The
complex step works the same way with ``s = i h``: ``Im J(θ + i h e_i) = Im Σ(changed terms)``.

The work of one perturbation is ``m·(s_{l+1} + downstream)`` instead of a whole forward pass: 10,025
perturbations of the course network's first layer cost ``m·K`` each. Entries are processed in batches
of :func:`batch_size` (the batch axis last, where XLA's fused loops vectorize), one compiled kernel per
layer, in ``jax.jit``; on several JAX devices the batch axis is split over them
(:mod:`gradtrio.sharding`: the batch split, the base point replicated).

**Rounding.** The computed difference carries the rounding of the changed terms only. Near θ the changes
are linear in the step, so the error of ``D_i = (J₊ − J₋)/(t₊ − t₋)`` is about ``ρ·ε·Γ_i/m`` with ``Γ_i =
Σ_examples |∂J/∂z|·|a_{l-1, k}|`` propagated through absolute values (``|W|``, ``|g'|``): the running-error
scale of one gradient entry, and ``ρ`` the relative error of one changed term after the layers it passes
(:data:`TERM_ULPS` per operation, :data:`SUM_ULPS` per summed unit downstream). Units with no difference form
(the GELU) add the classic ``ε|g(z)|/s`` of a subtraction. :meth:`IncrementalCost.rounding` returns this
bound; the verdicts use it instead of the cost's noise σ/s, which is 10-100 times larger at the course size.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from numpy.typing import ArrayLike

from . import _docs, sharding
from ._incremental_scope import AUTO_WORK, COMPLEX_FORMS, DIFFERENCE_FORMS, full_work, pays, supports
from .autodiff import x64
from .model.activations import LEAKY_SLOPE
from .model.problem import Problem

__all__ = [
    "IncrementalCost",
    "DIFFERENCE_FORMS",
    "COMPLEX_FORMS",
    "BATCH_ELEMENTS",
    "TERM_ULPS",
    "SUM_ULPS",
    "supports",
    "pays",
    "full_work",
    "AUTO_WORK",
    "incremental_cost",
]

#: Elements of the largest intermediate array of one kernel call (``m × width × batch``): 2²² float64
#: (32 MiB) per device. Measured on the 2-core CPU at the course size (``python -m benchmarks.incremental
#: --sweep``): batches of 32 to 256 first-layer entries (m·K·B = 1.6-12.8·10⁶ elements) run within 5 % of
#: each other; below 16 the per-call overhead shows, and above 2²⁴ the intermediates leave the cache.
BATCH_ELEMENTS = 2**22

#: Rounding of one changed term, in ulps of the change, per elementary operation it passes (a product,
#: an ``expm1``, a ``log1p``, a quotient: XLA's are within 1-2 ulps), counted 8 per layer it crosses: a
#: difference form is about 5 operations deep.
TERM_ULPS = 8.0
#: Rounding of a sum over the units of a layer downstream of the perturbed one, per summed unit (the
#: ``|W|``-weighted absolute sum bounds the error of the GEMM, ``s·ε`` in the worst case; the running
#: error of :mod:`gradtrio.rounding` counts the same).
SUM_ULPS = 1.0

# --- the activations' differences ------------------------------------------------------------------------

def _re(z: Any) -> Any:
    return jnp.real(z) if jnp.iscomplexobj(z) else z


def _sigmoid(z: Any) -> Any:
    """σ(z) without overflow, complex-safe (the branch by ``Re z``)."""
    pos = _re(z) >= 0
    zn = jnp.where(pos, -z, z)  # Re zn <= 0: exp(zn) never overflows
    e = jnp.exp(zn)
    return jnp.where(pos, 1 / (1 + e), e / (1 + e))


def _log1p_exp(z: Any) -> Any:
    """softplus(z) = log(1 + e^z) without overflow, complex-safe."""
    pos = _re(z) > 0
    return jnp.where(pos, z, 0) + jnp.log1p(jnp.exp(jnp.where(pos, -z, z)))


def _gelu(z: Any) -> Any:
    return jax.nn.gelu(z, approximate=False)


def _elu(z: Any) -> Any:
    neg = _re(z) <= 0
    return jnp.where(neg, jnp.expm1(jnp.where(neg, z, 0)), z)


def _leaky(z: Any) -> Any:
    return jnp.where(_re(z) > 0, z, LEAKY_SLOPE * z)


def _relu(z: Any) -> Any:
    return jnp.where(_re(z) > 0, z, 0)


def _piecewise(value: Callable[[Any], Any],
               below: Callable[[Any, Any, Any], Any]) -> Callable[[Any, Any, Any], Any]:
    """The difference of a unit linear above 0 (slope 1): ``dz`` where both points are above, ``below(v, dz,
    aux)`` where both are at or below, ``g(u) − g(v)`` across the kink."""
    def diff(v: Any, dz: Any, aux: Any) -> Any:
        u = v + dz
        up, vp = _re(u) > 0, _re(v) > 0
        return jnp.where(up & vp, dz, jnp.where(~up & ~vp, below(v, dz, aux), value(u) - value(v)))
    return diff


def _sigmoid_diff(v: Any, dz: Any, aux: Any) -> Any:  # aux = σ(−v)
    return -_sigmoid(v + dz) * aux * jnp.expm1(-dz)


def _tanh_diff(v: Any, dz: Any, aux: Any) -> Any:  # aux = tanh v
    return jnp.tanh(dz) * (1 - jnp.tanh(v + dz) * aux)


def _softplus_diff(v: Any, dz: Any, aux: Any) -> Any:  # aux = σ(v)
    return jnp.log1p(aux * jnp.expm1(dz))


#: ``g(v + dz) − g(v)`` for each hidden activation, written to keep its digits (module docstring), given
#: ``aux``, a value of the base point computed once (:data:`_AUX`).
_DIFFS: dict[str, Callable[[Any, Any, Any], Any]] = {
    "identity": lambda v, dz, aux: dz,
    "sigmoid": _sigmoid_diff,
    "logistic": _sigmoid_diff,
    "tanh": _tanh_diff,
    "relu": _piecewise(_relu, lambda v, dz, aux: jnp.zeros_like(dz)),
    "leaky_relu": _piecewise(_leaky, lambda v, dz, aux: LEAKY_SLOPE * dz),
    "elu": _piecewise(_elu, lambda v, dz, aux: aux * jnp.expm1(dz)),
    "softplus": _softplus_diff,
    "gelu": lambda v, dz, aux: _gelu(v + dz) - aux,
}

#: The base point's value each difference form reuses, per unit and example.
_AUX: dict[str, Callable[[Any], Any]] = {
    "identity": lambda v: v,
    "sigmoid": lambda v: _sigmoid(-v),
    "logistic": lambda v: _sigmoid(-v),
    "tanh": jnp.tanh,
    "relu": lambda v: v,
    "leaky_relu": lambda v: v,
    "elu": lambda v: jnp.exp(jnp.minimum(v, 0)),
    "softplus": _sigmoid,
    "gelu": _gelu,
}


# --- the loss's differences -------------------------------------------------------------------------------

def _loss_diff(output: str, base: Any, dp: Any, dm: Any | None) -> Any:
    """``Σ_examples [ℓ(z + d₊) − ℓ(z + d₋)]`` per perturbation, shape ``(B,)``, without the labels' linear
    term ``−Y·(d₊ − d₋)`` of the cross-entropies (:func:`_label_term` adds it, one layer lower, where it is
    ``m·s`` numbers instead of ``m·K``).

    ``ℓ`` is ``softplus`` per unit (sigmoid), ``logsumexp`` per example (softmax) or ``½(z − y)²``
    (identity). ``base`` is σ(z), the softmax p or ``z − y``, shape ``(m, K', 1)``; ``dp``, ``dm`` the
    logits' changes, ``(m, K', B)``. ``dm`` None: one point, ``ℓ(z + d₊) − ℓ(z)`` (the complex step).
    """
    if output == "identity":
        if dm is None:
            return jnp.sum(dp * (base + dp / 2), axis=(0, 1))
        return jnp.sum((dp - dm) * (base + (dp + dm) / 2), axis=(0, 1))
    ep = jnp.expm1(dp)
    if output == "sigmoid":  # one elementwise expression, one sum: XLA fuses it without materializing d
        if dm is None:
            return jnp.sum(jnp.log1p(base * ep), axis=(0, 1))
        em = jnp.expm1(dm)
        return jnp.sum(jnp.log1p(base * (ep - em) / (1 + base * em)), axis=(0, 1))
    sp = jnp.sum(base * ep, axis=1)  # softmax: one log1p per example, of the units' summed change
    if dm is None:
        return jnp.sum(jnp.log1p(sp), axis=0)
    sm = jnp.sum(base * jnp.expm1(dm), axis=1)
    return jnp.sum(jnp.log1p((sp - sm) / (1 + sm)), axis=0)


#: Below this |t|, ``sin t = t`` and ``cos t = 1`` to within half an ulp (the next terms, ``t³/6`` and
#: ``t²/2``, are under ε/4 of the values: 1e-8 in float64, 1e-4 in float32), and ``atan q = q`` for
#: ``|q| <= |t|``: the complex step's imaginary parts are that small whenever ``h`` times the logits'
#: sensitivity to a weight is (the default h is 1e-20).
SMALL_ANGLE = {np.dtype(np.float64): 1e-8, np.dtype(np.float32): 1e-4}


#: How far below :data:`SMALL_ANGLE` the bound of the logits' imaginary parts must be (the sensitivity is a
#: first-order bound at the base point).
SMALL_SAFETY = 100.0


def _complex_loss_imag(output: str, base: Any, r: Any, t: Any, small: bool) -> Any:
    """``Im Σ_examples [ℓ(z + d) − ℓ(z)]`` for complex logit changes ``d = r + i t`` given as their real and
    imaginary parts (``(m, K', B)`` each; ``base`` ``(m, K', 1)``), the labels' term left out.

    ``ℓ(z + d) − ℓ(z) = log(1 − p + p e^d)`` (sigmoid, per unit; softmax: ``log Σ_k p_k e^{d_k}``), whose
    imaginary part is ``atan2(Σ p e^r sin t, Σ p e^r cos t + (1 − Σ p))``: the complex logarithm and
    exponential evaluated as such (no expansion of ℓ), in real arithmetic. ``small``: every ``|t|`` is
    below :data:`SMALL_ANGLE`, where ``sin t``, ``cos t`` and ``atan q`` round to ``t``, ``1`` and ``q``
    (XLA's CPU ``sin``, ``cos`` and ``atan2`` are scalar loops, four times an ``exp``). Squared error:
    ``Im[d(z − y) + d²/2] = t(z − y) + r t``.
    """
    if output == "identity":
        return jnp.sum(t * (base + r), axis=(0, 1))
    pe = base * jnp.exp(r)
    num, den = (pe * t, pe) if small else (pe * jnp.sin(t), pe * jnp.cos(t))
    if output == "softmax":
        num, den, base = jnp.sum(num, axis=1), jnp.sum(den, axis=1), jnp.sum(base, axis=1)
    den = den + (1 - base)
    q = num / den if small else jnp.arctan2(num, den)
    return jnp.sum(q, axis=tuple(range(q.ndim - 1)))


def _label_term(output: str, YW: Any, da: Any) -> Any:
    """``Σ Y·(d₊ − d₋)`` of the cross-entropies, from the last hidden layer's change ``da`` (``(m, s, B)``)
    and ``YW = Y Θ(L)[:, 1:]`` (``(m, s, 1)``): the linear term of the loss, summed where it is cheapest."""
    if output == "identity":
        return 0.0
    return jnp.sum(YW * da, axis=(0, 1))


def _to_loss(output: str, base: Any, YW: Any, ap: Any, am: Any | None, w: Any, small: bool = False) -> Any:
    """The loss's change from the last hidden layer's change ``ap``, ``am`` through the output weights
    ``w``: ``einsum`` strings pick a single moved unit (``ap`` of shape ``(m, B)``, ``w`` its column, ``(K, B)``)
    or a whole layer (``(m, s, B)`` and ``(K, s)``)."""
    if ap.ndim == 2:
        out = lambda a: a[:, None, :] * w[None]  # noqa: E731
        label = lambda a: jnp.sum(YW * a, axis=0)  # noqa: E731
    else:
        out = lambda a: jnp.einsum("msb,ts->mtb", a, w)  # noqa: E731
        label = lambda a: _label_term(output, YW[:, :, None], a)  # noqa: E731
    if jnp.iscomplexobj(ap):  # the complex step: its imaginary part, the parts apart (module docstring)
        re, im = jnp.real(ap), jnp.imag(ap)
        labels = 0.0 if output == "identity" else label(im)
        return _complex_loss_imag(output, base[:, :, None], out(re), out(im), small) - labels
    labels = 0.0 if output == "identity" else label(ap if am is None else ap - am)
    return _loss_diff(output, base[:, :, None], out(ap), None if am is None else out(am)) - labels


@functools.partial(jax.jit, static_argnames=("names", "output", "l", "small"))
def _kernel(names: tuple[str, ...], output: str, l: int, A: tuple[Any, ...], Z: tuple[Any, ...],
            U: tuple[Any, ...], W: tuple[Any, ...], base: Any, Y: Any, YW: Any, rows: Any, cols: Any, sp: Any,
            sm: Any | None, small: bool = False) -> Any:
    """Loss differences of a batch of entries ``Θ(l)[rows, cols]`` moved by ``sp`` and ``sm`` (``(B,)``)."""
    L = len(W)
    x = A[l][:, cols]                      # (m, B): the input each weight multiplies
    dp = sp * x
    dm = None if sm is None else sm * x
    if l == L - 1 and jnp.iscomplexobj(sp):  # an output weight's complex step: one logit moves by i·h·x
        labels = 0.0 if output == "identity" else jnp.sum(Y[:, rows] * jnp.imag(dp), axis=0)
        return _complex_loss_imag(output, base[:, rows][:, None, :], jnp.real(dp)[:, None, :],
                                  jnp.imag(dp)[:, None, :], small) - labels
    if l == L - 1:                         # an output weight: one logit moves
        d = dp if dm is None else dp - dm
        labels = 0.0 if output == "identity" else jnp.sum(Y[:, rows] * d, axis=0)
        return _loss_diff(output, base[:, rows][:, None, :], dp[:, None, :],
                          None if dm is None else dm[:, None, :]) - labels
    g = _DIFFS[names[l]]
    z, aux = Z[l][:, rows], U[l][:, rows]
    ap = g(z, dp, aux)                     # (m, B): the one unit that moves
    am = None if dm is None else g(z, dm, aux)
    wcol = W[l + 1][:, 1 + rows]           # (s_{l+2}, B): where its change goes
    if l == L - 2:
        return _to_loss(output, base, YW[:, rows], ap, am, wcol, small)
    dzp = ap[:, None, :] * wcol[None]      # (m, s_{l+2}, B)
    dzm = None if am is None else am[:, None, :] * wcol[None]
    for layer in range(l + 1, L - 1):      # hidden layers downstream: every unit moves
        g = _DIFFS[names[layer]]
        z, aux = Z[layer][:, :, None], U[layer][:, :, None]
        ap = g(z, dzp, aux)
        am = None if dzm is None else g(z, dzm, aux)
        if layer < L - 2:
            Wn = W[layer + 1][:, 1:]
            dzp = jnp.einsum("msb,ts->mtb", ap, Wn)
            dzm = None if am is None else jnp.einsum("msb,ts->mtb", am, Wn)
    return _to_loss(output, base, YW, ap, am, W[L - 1][:, 1:], small)


# --- the engine -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Differences:
    """Central (or any two-point) differences of many entries, and their rounding.

    Attributes
    ----------
    diff : ndarray of shape (k,)
        ``J(θ + s₊e_i) − J(θ + s₋e_i)`` for each entry, float64.
    span : ndarray of shape (k,)
        ``t₊ − t₋``, the displacement actually stored (``fl(θ_i + s₊) − fl(θ_i + s₋)``).
    rounding : ndarray of shape (k,)
        A bound on the rounding of ``diff``, in cost units (see the module docstring).
    """

    diff: np.ndarray
    span: np.ndarray
    rounding: np.ndarray


class IncrementalCost:
    """The model's cost at one point, ready to be differenced entry by entry without full forward passes.

    Parameters
    ----------
    problem : Problem
        Validated data and architecture (:func:`gradtrio.model.problem.validate`).
    mats : sequence of ndarray
        ``mats[l]`` of shape ``(s_{l+1}, s_l + 1)``, in the problem's dtype (validated).
    progress : callable, optional
        ``progress(done, total)`` after each batch of entries.
    batch_elements : int, default :data:`BATCH_ELEMENTS`
        The size of one call's largest intermediate, per device.

    Notes
    -----
    The base point's forward pass (and the scales of the rounding bound) are computed once, here; every
    difference after that costs only the changed terms.
    """

    def __init__(self, problem: Problem, mats: Sequence[np.ndarray], *,
                 progress: Callable[[int, int], None] | None = None, batch_elements: int = BATCH_ELEMENTS):
        self.problem, self.mats = problem, [np.asarray(t) for t in mats]
        self.arch, self.dtype = problem.arch, np.dtype(problem.dtype)
        self.names = tuple(g.name for g in problem.arch.hidden)
        self.output = problem.arch.output
        self.theta = problem.arch.unroll(self.mats)
        self.progress = progress
        self.batch_elements = int(batch_elements)
        self.offsets = np.concatenate([[0], np.cumsum([t.size for t in self.mats])])
        self._base = self._forward()
        self._gamma: list[np.ndarray] | None = None
        self._floor: float | None = None

    @property
    def num_params(self) -> int:
        return int(self.theta.size)

    def _forward(self) -> dict[str, Any]:
        """The base point's activations, pre-activations and loss bases, on the devices, in the dtype."""
        with self._precision():
            dt = jnp.float64 if self.dtype == np.float64 else jnp.float32
            W = tuple(jnp.asarray(t, dtype=dt) for t in self.mats)
            X = jnp.asarray(self.problem.X, dtype=dt)
            Y = jnp.asarray(self.problem.Y, dtype=dt)
            m = X.shape[0]
            A, Z = [], []
            a = X
            for layer, T in enumerate(W):
                A.append(jnp.concatenate([jnp.ones((m, 1), dt), a], axis=1))
                z = a @ T[:, 1:].T + T[:, 0]
                Z.append(z)
                if layer < len(W) - 1:
                    from .autodiff import JAX_ACTIVATIONS
                    a = JAX_ACTIVATIONS[self.names[layer]](z)
            zL = Z[-1]
            if self.output == "sigmoid":
                base = _sigmoid(zL)
            elif self.output == "softmax":
                base = jax.nn.softmax(zL, axis=1)
            else:
                base = zL - Y
            U = tuple(_AUX[name](z) for name, z in zip(self.names, Z[:-1]))
            YW = Y @ W[-1][:, 1:]
            out: dict[str, Any] = {"A": tuple(A), "Z": tuple(Z), "U": U, "W": W, "base": base, "Y": Y, "YW": YW}
            if sharding.device_count() > 1:  # every device holds the base point; the batches are split
                out = {k: tuple(sharding.replicate(x) for x in v) if isinstance(v, tuple) else sharding.replicate(v)
                       for k, v in out.items()}
            out["dt"] = dt
            return out

    def _precision(self) -> Any:
        import contextlib
        return x64() if self.dtype == np.float64 else contextlib.nullcontext()

    def locate(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(layer, row, col)`` of flat entries ``idx`` (unrolled, row-major, layer after layer)."""
        layer = np.searchsorted(self.offsets, idx, side="right") - 1
        cols = np.array([t.shape[1] for t in self.mats])[layer]
        row, col = np.divmod(idx - self.offsets[layer], cols)
        return layer, row, col

    def batch_size(self, layer: int) -> int:
        """Entries of ``layer`` per kernel call: :attr:`batch_elements` per device over the widest
        ``m × width`` intermediate downstream of it (the layers after the one its unit is in)."""
        m = self.problem.m
        widest = max(self.arch.sizes[layer + 2:] or (1,))  # the moved unit is one column; downstream, whole layers
        per_device = max(1, self.batch_elements // (m * widest))
        return per_device * sharding.device_count()

    def _run(self, idx: np.ndarray, sp: np.ndarray, sm: np.ndarray | None, small: bool = False) -> np.ndarray:
        """Loss sums of the changed terms for entries ``idx`` (float64, ``(k,)``), layer by layer in batches
        (the imaginary part of the sum for a complex ``sp``; ``small``: its logits' imaginary parts are below
        :data:`SMALL_ANGLE`)."""
        out = np.empty(idx.size, dtype=np.float64)
        layer, row, col = self.locate(idx)
        b = self._base
        total, done = idx.size, 0
        with self._precision():
            for l in np.unique(layer):
                where = np.flatnonzero(layer == l)
                D = sharding.device_count()
                B = -(-min(self.batch_size(int(l)), where.size) // D) * D  # an equal share for each device
                for start in range(0, where.size, B):
                    part = where[start:start + B]
                    pad = np.resize(part, B)  # the last batch repeats entries: one shape, one compile
                    args = [sharding.shard_rows(np.asarray(v))[0] for v in (row[pad], col[pad], sp[pad])]
                    am = None if sm is None else sharding.shard_rows(np.asarray(sm[pad]))[0]
                    r = _kernel(self.names, self.output, int(l), b["A"], b["Z"], b["U"], b["W"], b["base"],
                                b["Y"], b["YW"], args[0], args[1], args[2], am, small=small)
                    r = sharding.gather_rows(r, B)
                    out[part] = r[: part.size]  # the complex step's kernel returns Im already
                    done += part.size
                    if self.progress is not None:
                        self.progress(done, total)
        return out

    def _entries(self, idx: ArrayLike | None) -> np.ndarray:
        if idx is None:
            return np.arange(self.num_params)
        idx = np.asarray(idx, dtype=np.int64).ravel()
        if idx.size and (idx.min() < 0 or idx.max() >= self.num_params):
            raise ValueError(f"entries must lie in 0..{self.num_params - 1}; got {idx.min()}..{idx.max()}")
        return idx

    def _penalty(self, idx: np.ndarray, tp: np.ndarray, tm: np.ndarray) -> np.ndarray:
        """The penalty's change ``(λ/2m)(t₊² − t₋²)`` (0 on bias entries), float64."""
        _, _, col = self.locate(idx)
        lam, m = self.problem.lam, self.problem.m
        return np.where(col > 0, lam / (2 * m) * (tp - tm) * (tp + tm), 0.0)

    def differences(self, steps: ArrayLike, idx: ArrayLike | None = None, *,
                    minus: ArrayLike | None = None) -> Differences:
        """``J(θ + s₊e_i) − J(θ + s₋e_i)`` for every entry ``i`` of ``idx``, summed over the changed terms.

        Parameters
        ----------
        steps : array_like of shape (k,) or scalar
            ``s₊``, the step of each entry.
        idx : array_like of int, shape (k,), optional
            Flat entries (unrolled order); all of them by default.
        minus : array_like of shape (k,) or scalar, optional
            ``s₋``; ``−s₊`` by default (central differences). ``0`` gives forward differences.

        Returns
        -------
        Differences
            The steps are realized in the problem's dtype: ``span`` is ``fl(θ_i + s₊) − fl(θ_i + s₋)``.
        """
        idx = self._entries(idx)
        sp = np.broadcast_to(np.asarray(steps, dtype=np.float64), idx.shape)
        sm = -sp if minus is None else np.broadcast_to(np.asarray(minus, dtype=np.float64), idx.shape)
        th = self.theta[idx]
        tp = (th + sp.astype(self.dtype)).astype(np.float64)
        tm = (th + sm.astype(self.dtype)).astype(np.float64)
        th64 = th.astype(np.float64)
        dp, dm = tp - th64, tm - th64
        m = self.problem.m
        # a forward difference (s₋ = 0 everywhere) is one point against the base: half the work
        data = self._run(idx, dp, None if not np.any(dm) else dm) / m
        span = tp - tm
        rounding = self.rounding(idx, span, dp, dm)
        if self.dtype != np.float64:
            # float32: the two-step truncation estimate at float32's large steps (5 ε^(1/3) = 0.025) misses
            # its O(h⁴) remainder on trained deep networks (the false-alarm study: 5-9x the engine's bound);
            # the full cost's noise floor, 2ε·S_J a difference, keeps those verdicts where they were
            rounding = np.maximum(rounding, 2 * self._noise_floor())
        return Differences(data + self._penalty(idx, tp, tm), span, rounding)

    def complex_step(self, h: float, idx: ArrayLike | None = None) -> np.ndarray:
        """``Im J(θ + i h e_i) / h`` for every entry of ``idx``, summed over the changed terms.

        Parameters
        ----------
        h : float
            The complex step (``gradtrio.oracles.COMPLEX_STEP`` is the usual one).
        idx : array_like of int, optional

        Returns
        -------
        ndarray of shape (k,), float64
            The gradient by the complex step (exact to rounding away from kinks).
        """
        if not supports(self.problem, "complex"):
            raise ValueError(f"the incremental complex step has no complex form of {self.names}")
        idx = self._entries(idx)
        ct = np.complex128 if self.dtype == np.float64 else np.complex64
        step = np.full(idx.size, 1j * h, dtype=ct)
        m = self.problem.m
        # the logits' imaginary parts are at most h times their sensitivity to a weight (gradtrio.rounding)
        from .rounding import scales_of

        moved = h * float(np.max(scales_of(self.problem, self.mats).flat_sensitivity()))
        data = self._run(idx, step, None, small=moved < SMALL_ANGLE[self.dtype] / SMALL_SAFETY) / (m * h)
        _, _, col = self.locate(idx)
        return data + np.where(col > 0, self.problem.lam / m * self.theta[idx].astype(np.float64), 0.0)

    def gradient(self, h: float, idx: ArrayLike | None = None) -> np.ndarray:
        """Central differences ``(J(θ + h e_i) − J(θ − h e_i)) / (t₊ − t₋)``, shape ``(k,)``, float64."""
        d = self.differences(h, idx)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(d.span != 0, d.diff / np.where(d.span != 0, d.span, 1.0), np.nan)

    def coordinate_differences(self, idx: np.ndarray, plus: np.ndarray,
                               minus: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:attr:`gradtrio.oracles.Function.coordinate_differences`: ``(diff, span, rounding)``."""
        d = self.differences(plus, idx, minus=minus)
        return d.diff, d.span, d.rounding

    def function(self, value: Callable[[np.ndarray], Any] | None = None) -> Any:
        """A :class:`gradtrio.oracles.Function` of the model's cost that the oracles difference through
        this engine: central, forward and Richardson differences (and entry bounds) by
        :meth:`coordinate_differences`, the complex step by :meth:`complex_step` where the units have a
        complex form. ``value`` (by default the model's batched, complex-safe NumPy cost) serves what
        asks for a plain evaluation."""
        from .model import closures
        from .oracles import Function

        return Function(value if value is not None else closures.complex_cost_fn(self.problem),
                        batched=True, complex_safe=True, kinked=self.arch.kinked,
                        coordinate_differences=self.coordinate_differences,
                        coordinate_complex=(lambda idx, h: self.complex_step(h, idx))
                        if supports(self.problem, "complex") else None)

    def _noise_floor(self) -> float:
        """ε·S_J, the rounding of one full evaluation of the cost (:mod:`gradtrio.rounding`)."""
        if self._floor is None:
            from .rounding import scales_of

            self._floor = float(scales_of(self.problem, self.mats).cost_error())
        return self._floor

    # --- the rounding bound -------------------------------------------------------------------------------

    def _gains(self) -> list[np.ndarray]:
        """``Γ[l]`` of shape ``(s_{l+1}, s_l + 1)``: ``Σ_examples |∂loss/∂z_l[:, j]|·|a_{l-1}[:, k]|``, the
        derivatives propagated in absolute values (``|W|``, ``|g'|``), from the loss's slope bound
        ``|σ| + |y|`` (``|p| + |y|``, ``|z − y|``). Computed once, in float64, in NumPy."""
        if self._gamma is not None:
            return self._gamma
        b = self._base
        A = [np.asarray(a, dtype=np.float64) for a in b["A"]]
        Z = [np.asarray(z, dtype=np.float64) for z in b["Z"]]
        base = np.asarray(b["base"], dtype=np.float64)
        Y = np.abs(np.asarray(b["Y"], dtype=np.float64))
        slope = np.abs(base) + (Y if self.output != "identity" else 0.0)
        gamma: list[np.ndarray] = [np.empty(0)] * len(self.mats)
        for layer in range(len(self.mats) - 1, -1, -1):
            gamma[layer] = slope.T @ np.abs(A[layer])
            if layer > 0:
                g = self.arch.hidden[layer - 1]
                gp = np.abs(g.derivative(Z[layer - 1]))
                slope = (slope @ np.abs(self.mats[layer][:, 1:].astype(np.float64))) * gp
        self._gamma = gamma
        return gamma

    def _direct_terms(self) -> list[np.ndarray]:
        """Per layer: ``Σ_examples |∂loss/∂a| · |g(z)|`` of units differenced directly (the GELU),
        shape ``(s_{l+1},)`` (zeros for difference forms): the ``ε|g|`` a subtraction of two values loses."""
        out = []
        b = self._base
        base = np.asarray(b["base"], dtype=np.float64)
        Y = np.abs(np.asarray(b["Y"], dtype=np.float64))
        slope = np.abs(base) + (Y if self.output != "identity" else 0.0)
        terms: list[np.ndarray] = [np.zeros(t.shape[0]) for t in self.mats]
        for layer in range(len(self.mats) - 1, 0, -1):
            up = slope @ np.abs(self.mats[layer][:, 1:].astype(np.float64))  # |∂/∂a_{layer-1}|
            g = self.arch.hidden[layer - 1]
            z = np.asarray(b["Z"][layer - 1], dtype=np.float64)
            if g.name not in DIFFERENCE_FORMS:
                terms[layer - 1] = np.sum(up * np.abs(g.value(z)), axis=0)
            slope = up * np.abs(g.derivative(z))
        out = terms
        return out

    def rounding(self, idx: np.ndarray, span: np.ndarray, dp: np.ndarray, dm: np.ndarray) -> np.ndarray:
        """A bound on the rounding of ``J(θ + s₊e_i) − J(θ + s₋e_i)`` as computed here, cost units, ``(k,)``.

        ``ρ·ε·Γ_i·|span|/m`` (:meth:`_gains`; ρ grows by :data:`TERM_ULPS` a layer crossed and
        :data:`SUM_ULPS` a unit summed downstream), plus ``ε·Σ|∂loss/∂a||g|/m`` twice for each unit with no
        difference form that moves (the entry's own unit, and every unit of such a layer downstream), plus
        the rounding of the penalty's change (``ε·λ/m·|t||span|``).
        """
        eps = float(np.finfo(self.dtype).eps)
        layer, row, col = self.locate(idx)
        gamma = self._gains()
        direct = self._direct_terms()
        m, L = self.problem.m, len(self.mats)
        out = np.empty(idx.size)
        for l in np.unique(layer):
            w = layer == l
            after = L - 1 - int(l)
            rho = TERM_ULPS * (after + 1) + SUM_ULPS * sum(self.arch.sizes[int(l) + 2:-1] or (0,)) \
                + SUM_ULPS * (self.arch.sizes[-1] if self.output == "softmax" else 0)
            rho *= 1 + 2 * max(float(np.max(np.abs(dp[w]), initial=0)), float(np.max(np.abs(dm[w]), initial=0)))
            lin = rho * eps * gamma[int(l)][row[w], col[w]] * np.abs(span[w]) / m
            # a directly differenced unit loses ε|g| twice: the moved unit's own, and every unit of a
            # directly differenced layer downstream (all of them move)
            below = sum(float(np.sum(direct[k])) for k in range(int(l) + 1, L))
            out[w] = lin + 2 * eps * (direct[int(l)][row[w]] + below) / m
        th = np.abs(self.theta[idx].astype(np.float64))
        out += eps * self.problem.lam / m * th * np.abs(span) * 4
        return out


@_docs.fill
def incremental_cost(thetas: Sequence[ArrayLike], X: ArrayLike, Y: ArrayLike, lam: float = 0.0, *,
                     activation: str | Sequence[str] = "sigmoid", output: str = "sigmoid",
                     progress: Callable[[int, int], None] | None = None) -> IncrementalCost:
    """:class:`IncrementalCost` of a problem given as arrays (validated here, once).

    Parameters
    ----------
    {problem}
    {units}
    progress : callable, optional
        ``progress(done, total)``.
    """
    from .model.problem import validate

    pb, mats = validate(thetas, X, Y, lam, activations=activation, output=output)
    return IncrementalCost(pb, mats, progress=progress)

