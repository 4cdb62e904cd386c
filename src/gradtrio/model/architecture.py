"""The architecture of a network: layer sizes, an activation per hidden layer, the output and its loss.

It owns the parameter layout (written down once in :mod:`gradtrio.network`): ``thetas[l]`` of shape
``(s_{l+1}, s_l + 1)``, the bias in column 0; :meth:`Architecture.unroll` flattens them row-major,
layer after layer, into the one vector an optimizer sees, and :meth:`Architecture.roll` is its exact
inverse; :meth:`Architecture.init` draws the course's initial weights.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from .activations import Activation, Output, activation
from .activations import output as _output
from .validate import check_sizes, check_thetas

__all__ = ["Architecture", "default_epsilon", "float_dtype_arg", "RECTIFIERS"]

#: The hidden units initialised with He's range rather than Glorot's (:meth:`Architecture.init`).
RECTIFIERS = frozenset({"relu", "leaky_relu", "elu", "gelu"})


def float_dtype_arg(dtype: DTypeLike) -> np.dtype:
    """A floating dtype argument (float64, float32), else a ValueError saying what was expected."""
    dt = np.dtype(dtype)
    if dt.kind != "f":
        raise ValueError(f"dtype must be a floating type such as float64 or float32; got {dt}")
    return dt


def default_epsilon(s_in: int, s_out: int) -> float:
    """The course's initialisation range ``sqrt(6) / sqrt(s_in + s_out)`` (≈0.12 for 400→25)."""
    return float(np.sqrt(6.0) / np.sqrt(s_in + s_out))


@dataclass(frozen=True, init=False)
class Architecture:
    """Layer sizes and the units of each layer; a value (hashable, compared by its fields).

    Parameters
    ----------
    sizes : sequence of int, length L >= 2
        ``sizes[0]`` inputs, ``sizes[-1]`` output units (labels).
    activations : str or sequence of str, default "sigmoid"
        One name of :data:`gradtrio.model.ACTIVATIONS` for every hidden layer, or one per hidden layer.
    output : str, default "sigmoid"
        A name of :data:`gradtrio.model.OUTPUTS`: the output unit and its loss.
    """

    sizes: tuple[int, ...]
    activations: tuple[str, ...]
    output: str

    def __init__(self, sizes: Sequence[int], activations: str | Activation | Sequence[str | Activation] = "sigmoid",
                 output: str | Output = "sigmoid") -> None:
        sizes = check_sizes(sizes)
        hidden = len(sizes) - 2
        if isinstance(activations, (str, Activation)) or not isinstance(activations, Sequence):
            acts = (activation(activations),) * hidden  # one for all: refused even with no hidden layer
        else:
            acts = tuple(activation(n) for n in activations)  # refuses unknown names, with the known ones
        if len(acts) != hidden:
            raise ValueError(f"sizes={sizes} has {hidden} hidden layers; got {len(acts)} activations "
                             f"{tuple(a.name for a in acts)}")
        out = output.name if isinstance(output, Output) else _output(output).name
        object.__setattr__(self, "sizes", sizes)
        object.__setattr__(self, "activations", tuple(a.name for a in acts))
        object.__setattr__(self, "output", out)

    @classmethod
    def of(cls, thetas: Sequence[ArrayLike], activations: str | Sequence[str] = "sigmoid",
           output: str | Output = "sigmoid") -> Architecture:
        """The architecture whose parameters ``thetas`` are (their shapes must chain)."""
        mats = check_thetas(thetas, check_finite=False, allow_complex=True)
        return cls((mats[0].shape[1] - 1,) + tuple(t.shape[0] for t in mats), activations, output)

    @property
    def kinked(self) -> bool:
        """Whether some hidden unit has a kink (relu, leaky_relu): where finite differences may cross one."""
        return any(g.kinks for g in self.hidden)

    @property
    def unit_keywords(self) -> dict[str, Any]:
        """``{}`` for the course's network (sigmoid throughout), else ``{"activation": ..., "output": ...}``:
        the keywords that make a function of the shared signature compute this network, given only where
        they change something (so a function written for the course's network needs none)."""
        if set(self.activations) <= {"sigmoid"} and self.output == "sigmoid":
            return {}
        return {"activation": self.activations, "output": self.output}

    @cached_property
    def hidden(self) -> tuple[Activation, ...]:
        """The :class:`~gradtrio.model.Activation` of each hidden layer."""
        return tuple(activation(n) for n in self.activations)

    @cached_property
    def out(self) -> Output:
        """The :class:`~gradtrio.model.Output` (output unit and loss)."""
        return _output(self.output)

    @cached_property
    def shapes(self) -> tuple[tuple[int, int], ...]:
        """``(s_{l+1}, s_l + 1)`` for each layer; e.g. ``((25, 401), (10, 26))`` for ``(400, 25, 10)``."""
        return tuple((s_out, s_in + 1) for s_in, s_out in zip(self.sizes[:-1], self.sizes[1:]))

    @cached_property
    def offsets(self) -> tuple[int, ...]:
        """Where each layer starts in the unrolled vector, and (last) the number of parameters."""
        return tuple(int(v) for v in np.cumsum([0] + [r * c for r, c in self.shapes]))

    @property
    def num_params(self) -> int:
        """Total number of parameters (weights and biases)."""
        return self.offsets[-1]

    def cut(self, vector: np.ndarray) -> list[np.ndarray]:
        """The weight matrices of an unrolled vector already known to fit (views, no checks).

        For inner code that holds a validated vector; users' vectors go through :meth:`roll`.
        """
        o = self.offsets
        return [vector[..., o[l] : o[l + 1]].reshape(*vector.shape[:-1], r, c)
                for l, (r, c) in enumerate(self.shapes)]

    def roll(self, vector: ArrayLike) -> list[np.ndarray]:
        """Cut a flat parameter vector into the weight matrices (views of it when it is contiguous).

        Parameters
        ----------
        vector : array_like of shape (num_params,)

        Returns
        -------
        list of ndarray
            ``thetas[l]`` of shape ``(s_{l+1}, s_l + 1)``.

        Raises
        ------
        ValueError
            If the vector is not 1-D or its length is not :attr:`num_params`.
        """
        v = np.asarray(vector)
        if v.dtype.kind not in "biufc":
            raise TypeError(f"vector must be numeric; got dtype {v.dtype}")
        if v.ndim != 1:
            raise ValueError(f"vector must be 1-D (an unrolled parameter vector); got shape {v.shape}")
        if v.size != self.num_params:
            detail = " + ".join(f"{r}*{c}" for r, c in self.shapes)
            raise ValueError(f"sizes={self.sizes} has {self.num_params} parameters ({detail}); "
                             f"got a vector of length {v.size}")
        return self.cut(v)

    def unroll(self, thetas: Sequence[ArrayLike]) -> np.ndarray:
        """Flatten weight matrices of this architecture, row-major, layer after layer (always a new array)."""
        mats = check_thetas(thetas, self.sizes, check_finite=False, allow_complex=True)
        return np.concatenate([t.ravel() for t in mats])

    def init(self, seed: int | np.random.Generator | None = 0, epsilon_init: float | None = None,
             dtype: DTypeLike = np.float64) -> list[np.ndarray]:
        """Random weights, uniform in ``[−ε, ε]``, to break the symmetry between hidden units.

        Parameters
        ----------
        seed : int or numpy.random.Generator, default 0
            The same seed gives bit-identical weights.
        epsilon_init : float, optional
            One range for every layer. By default each layer gets a range suited to the units it feeds:
            Glorot's ``sqrt(6) / sqrt(s_in + s_out)`` (the course's recommendation: ≈0.12 for 400→25,
            ≈0.46 for 25→10) for sigmoid, tanh, softplus and identity units and for the output layer;
            He's ``sqrt(6 / s_in)`` for the rectifiers (relu, leaky_relu, elu, gelu), whose outputs
            keep half the variance a symmetric unit keeps (He et al., 2015).
        dtype : numpy dtype, default float64

        Returns
        -------
        list of ndarray
            ``thetas[l]`` of shape ``(s_{l+1}, s_l + 1)``.
        """
        dt = float_dtype_arg(dtype)
        if epsilon_init is not None and not (
            isinstance(epsilon_init, (int, float, np.integer, np.floating))
            and np.isfinite(epsilon_init) and epsilon_init > 0
        ):
            raise ValueError(f"epsilon_init must be a positive finite number; got {epsilon_init!r}")
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        out = []
        feeds = self.activations + (self.output,)
        for (r, c), s_in, s_out, unit in zip(self.shapes, self.sizes[:-1], self.sizes[1:], feeds):
            if epsilon_init is not None:
                eps = float(epsilon_init)
            elif unit in RECTIFIERS and unit != self.output:
                eps = float(np.sqrt(6.0 / s_in))
            else:
                eps = default_epsilon(s_in, s_out)
            out.append(rng.uniform(-eps, eps, size=(r, c)).astype(dt, copy=False))
        return out
