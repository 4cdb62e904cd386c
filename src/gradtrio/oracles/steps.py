"""The finite-difference step ``h``, derived from the dtype's machine epsilon ``eps``.

ε is ``np.finfo(dtype).eps``; every default step follows from it and from the error model of its method
(see :mod:`gradtrio.oracles`): central ``5 ε^(1/3)``, forward ``ε^(1/2)``, complex :data:`COMPLEX_STEP`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import DTypeLike

__all__ = ["COMPLEX_STEP", "CENTRAL_SCALE", "FORWARD_SCALE", "default_step"]

#: Complex-step sizes by real dtype. Any h works as long as ``h² |J'''|`` is far below ε (truncation
#: vanishes: h² = 1e-40 ≪ 2.2e-16 in float64, 1e-20 ≪ 1.2e-7 in float32) and ``h·|∂J/∂θ|`` stays far
#: above the smallest normal number (2.2e-308 in float64, 1.2e-38 in float32), so the imaginary part
#: does not underflow. 1e-20 is the customary float64 choice (MyGrad, Martins et al. 2003).
COMPLEX_STEP = {np.dtype(np.float64): 1e-20, np.dtype(np.float32): 1e-10}

#: Central step = CENTRAL_SCALE · ε^(1/3): 3.0e-5 in float64, 2.5e-2 in float32. The optimum is
#: (3 ε |J| / |J'''|)^(1/3), and for the sigmoid network |J| / |J'''| is large (J''' is damped by
#: g''' <= 1/8 and by small weights), so the optimum sits above ε^(1/3). Measured against the
#: complex step (float64 and float32, the 3-5-3 debug problem and random 2-5 layer nets with weights
#: in ±2, λ up to 10): factors 1, 2, 5, 10, 30 gave worst relative errors 4e-10, 2e-10, 1e-10, 2e-10,
#: 2e-9 in float64 and 2e-4, 1e-4, 5e-5, 1e-4, 1e-3 in float32; 5 is best in both.
CENTRAL_SCALE = 5.0

#: Forward step = FORWARD_SCALE · ε^(1/2) (optimum 2 (ε |J| / |J''|)^(1/2)): 1.5e-8 in float64.
FORWARD_SCALE = 1.0


def default_step(method: str, dtype: DTypeLike = np.float64) -> float:
    """The finite-difference step for a method, derived from the dtype's machine epsilon.

    Parameters
    ----------
    method : {"central", "forward", "complex", "richardson"}
        ``"richardson"`` uses the central step (and half of it).
    dtype : numpy dtype, default float64
        The precision J is evaluated in (float64 or float32; complex dtypes map to their real part).

    Returns
    -------
    float
        central ``CENTRAL_SCALE·ε^(1/3)``, forward ``FORWARD_SCALE·ε^(1/2)``, complex
        :data:`COMPLEX_STEP`: the steps whose truncation and rounding errors balance (module docstring).
    """
    dt = np.dtype(dtype)
    if dt.kind == "c":
        dt = np.dtype(np.float32) if dt == np.complex64 else np.dtype(np.float64)
    if dt.kind != "f":
        dt = np.dtype(np.float64)
    if dt not in COMPLEX_STEP:  # float16 / longdouble: use float64's rules
        dt = np.dtype(np.float64) if dt.itemsize > 4 else np.dtype(np.float32)
    eps = float(np.finfo(dt).eps)
    if method in ("central", "richardson"):
        return CENTRAL_SCALE * eps ** (1 / 3)
    if method == "forward":
        return FORWARD_SCALE * eps**0.5
    if method == "complex":
        return COMPLEX_STEP[dt]
    raise ValueError(f"method must be 'central', 'forward', 'complex' or 'richardson'; got {method!r}")


def checked_step(h: float | None, method: str, dtype: np.dtype) -> float:
    """``h``, or the default step of ``method`` when it is None; refuses a step that is not positive."""
    h = default_step(method, dtype) if h is None else float(h)
    if not (np.isfinite(h) and h > 0):
        raise ValueError(f"the step must be a positive finite number; got {h!r}")
    return h


def rms_step(h: float, step_scale: Any) -> float:
    """``h`` divided by the root mean square of ``step_scale`` (at least 1): a random unit direction moves
    the logits by about ``h·rms(step_scale)``, and that, not the largest entry's gain, is the scale its
    step must follow."""
    if step_scale is None:
        return h
    return h / max(1.0, float(np.sqrt(np.mean(np.asarray(step_scale, dtype=np.float64) ** 2))))


def check_step_taken(theta: np.ndarray, tp: Any, tm: Any, h: float) -> None:
    """Refuse a step so small that ``θ ± h`` rounds back to ``θ`` (the difference would be 0/0)."""
    if np.any(np.asarray(tp) == np.asarray(tm)):
        raise ValueError(
            f"the step h={h:g} is below the resolution of {theta.dtype} at |theta| up to "
            f"{float(np.max(np.abs(theta))):.3g}: theta + h rounds back to theta; use a larger step "
            f"(default_step gives {default_step('central', theta.dtype):.3g})"
        )
