"""The step-size study: the curves have the shapes the error analysis predicts; defaults sit at the bottom.

The predictions (see gradtrio.oracles' module docstring): truncation falls as h (forward) or h²
(central and complex); rounding grows as ε/h for the differences and does not exist for the complex
step; the optimum of central differences is near ε^(1/3) with error near ε^(2/3).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from gradtrio import stepsize
from gradtrio.network import debug_problem, unroll
from gradtrio.tolerances import tolerance

#: A default step "follows from the curve" when its error is within this factor of the bottom of the
#: V, the minimum of the two power laws fitted in _bottom (not the smallest error on the grid, which
#: near the bottom is the luckiest of several samples of rounding noise): the V is flat to within a
#: few times near its bottom. Measured: 1.2-4.0 (central 1.2-1.3, forward 3.2-4.0).
NEAR_BEST = 10.0
#: ... and when the step is within this many decades of the V's bottom.
NEAR_BEST_DECADES = 1.0
#: Order of the truncation error of each method: h (forward) or h² (central and complex).
ORDER = {"forward": 1, "central": 2, "complex": 2}


@pytest.fixture(scope="module")
def study():
    return stepsize.step_study()


def _slope(c, lo, hi):
    """Log-log slope of the curve between steps lo and hi (least squares)."""
    keep = (c.steps >= lo) & (c.steps <= hi)
    return np.polyfit(np.log10(c.steps[keep]), np.log10(c.errors[keep]), 1)[0]


def _truncation(study, method):
    """``(a, p)`` of the truncation arm ``a·h^p``, from float64 steps 1e-3 .. 1e-1.

    There truncation exceeds rounding by four orders or more, so ``a`` is determined to ~4 digits on
    any CPU; it is a property of the cost's derivatives, not of the dtype, so it serves float32 too.
    """
    c = study.curve(method, np.float64)
    keep = (c.steps >= 1e-3) & (c.steps <= 1e-1)
    p = ORDER[method]
    return float(np.exp(np.median(np.log(c.errors[keep] / c.steps[keep] ** p)))), p


def _bottom(study, c):
    """``(h*, E*)``: the bottom of the V ``E(h) = a·h^p + ρ/h`` as a model, not as the grid minimum.

    The grid minimum is the smallest of several samples of rounding noise wherever rounding matters
    near the bottom (float64 central: a sample at 3e-5 against one at 1e-4), so a ratio to it depends
    on the CPU. Here ``a`` comes from the truncation arm (determined) and ``ρ`` is the median of
    ``h·E(h)`` over the rounding arm: the steps where truncation is under 1 % of the error and ``h`` is
    at least 10 ulps of the largest |θ| (nearer, the step θ ± h actually takes is off by up to
    ulp/2h): 6 to 15 steps here. A median of so many is a noise *scale*, stable to ~20 % (measured
    spread of h·E: ±15 % float64, ±40 % float32), and h* moves only as its cube (central) or square
    (forward) root.
    """
    a, p = _truncation(study, c.method)
    ulp = np.finfo(c.dtype).eps * np.abs(unroll(debug_problem(study.sizes, study.m)[0])).max()
    arm = ~np.isnan(c.errors) & (a * c.steps**p <= 0.01 * c.errors) & (c.steps >= 10 * ulp)
    assert arm.sum() >= 4, (c.method, c.dtype, c.steps[arm])
    rho = float(np.median(c.steps[arm] * c.errors[arm]))
    h = (rho / (p * a)) ** (1 / (p + 1))
    return h, a * h**p + rho / h


def test_all_curves_present(study):
    assert {(c.method, c.dtype) for c in study.curves} == {
        (m, d) for m in ("forward", "central", "complex") for d in ("float64", "float32")}
    assert study.curve("central", np.float64).steps[0] == 1.0
    assert study.curve("complex", np.float64).steps[-1] == pytest.approx(1e-30)
    with pytest.raises(KeyError, match="no curve"):
        study.curve("central", np.float16)


@pytest.mark.parametrize("method, order", [("forward", 1), ("central", 2)])
def test_truncation_arm_slope(study, method, order):
    # float64, steps 1e-1 .. 1e-3: truncation dominates rounding by many orders there.
    assert _slope(study.curve(method, np.float64), 1e-3, 1e-1) == pytest.approx(order, abs=0.3)


@pytest.mark.parametrize("method", ["forward", "central"])
def test_rounding_arm_slope(study, method):
    # float64, steps 1e-12 .. 1e-10: rounding ~ ε|J|/h gives slope -1 (noisy: each point is one draw).
    assert _slope(study.curve(method, np.float64), 1e-12, 1e-10) == pytest.approx(-1, abs=0.4)


def test_central_optimum_near_eps_one_third(study):
    for dt in (np.float64, np.float32):
        eps = np.finfo(dt).eps
        h, err = _bottom(study, study.curve("central", dt))
        assert abs(np.log10(h) - np.log10(eps ** (1 / 3))) <= 1.5, (dt, h)
        assert err <= 100 * eps ** (2 / 3), (dt, err)


def test_complex_step_reaches_rounding_and_stays(study):
    for dt in (np.float64, np.float32):
        c = study.curve("complex", dt)
        small = c.errors[c.steps <= 1e-8]
        assert np.all(small <= 10 * np.finfo(dt).eps), dt


def test_defaults_sit_near_the_bottom_and_within_tolerance(study):
    """Each default against derived bounds, never against the grid minimum: below the V's bottom the
    grid holds samples of rounding noise, and the smallest of them (float32 complex step: 1.9e-9 at
    h = 3e-30 against 1.2e-8 at the default, a ratio 1.35 on one machine and 6.27 on another) says
    nothing about the default."""
    for c in study.curves:
        if c.method == "complex":
            # No rounding arm: the default must lie where truncation (determined, extrapolated from
            # its h² arm) is negligible against rounding, and its error must be rounding-sized.
            a, p = _truncation(study, c.method)
            eps = np.finfo(c.dtype).eps
            assert a * c.default_step**p <= eps / 100, (c.dtype, c.default_step)
            assert c.default_error <= 10 * eps, (c.dtype, c.default_error)
            continue
        h, err = _bottom(study, c)
        assert abs(np.log10(c.default_step / h)) <= NEAR_BEST_DECADES, (c.method, c.dtype, c.default_step, h)
        assert c.default_error <= NEAR_BEST * err, (c.method, c.dtype, c.default_error, err)
    for dt in (np.float64, np.float32):
        c = study.curve("central", dt)
        assert c.default_error < tolerance(dt, "backprop", "central").rtol


def test_float32_small_steps_are_undefined_not_wrong(study):
    c = study.curve("central", np.float32)
    assert np.isnan(c.errors[c.steps <= 1e-11]).all()  # θ ± h rounds back to θ in float32
    assert not np.isnan(c.errors[c.steps >= 1e-6]).any()


def test_unknown_method():
    with pytest.raises(ValueError, match="methods must be among"):
        stepsize.step_study(methods=("backward",))


def test_cli_writes_png_and_json(tmp_path, capsys):
    png, js = tmp_path / "s.png", tmp_path / "s.json"
    assert stepsize.main(["--out", str(png), "--json", str(js)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    data = json.loads(js.read_text())
    assert len(data["curves"]) == 6
    assert "central" in capsys.readouterr().out
