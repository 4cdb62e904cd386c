"""The step-size study: the curves have the shapes the error analysis predicts; defaults sit at the bottom.

The predictions (see gradtrio.finite_diff's module docstring): truncation falls as h (forward) or h²
(central and complex); rounding grows as ε/h for the differences and does not exist for the complex
step; the optimum of central differences is near ε^(1/3) with error near ε^(2/3).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from gradtrio import stepsize
from gradtrio.tolerances import tolerance

#: A default step "follows from the curve" when its error is within this factor of the best on the
#: half-decade grid: the V is a sum of two power laws, flat to within a few times near its bottom.
NEAR_BEST = 10.0


@pytest.fixture(scope="module")
def study():
    return stepsize.step_study()


def _slope(c, lo, hi):
    """Log-log slope of the curve between steps lo and hi (least squares)."""
    keep = (c.steps >= lo) & (c.steps <= hi)
    return np.polyfit(np.log10(c.steps[keep]), np.log10(c.errors[keep]), 1)[0]


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
        h, err = study.curve("central", dt).best
        assert abs(np.log10(h) - np.log10(eps ** (1 / 3))) <= 1.5, (dt, h)
        assert err <= 100 * eps ** (2 / 3), (dt, err)


def test_complex_step_reaches_rounding_and_stays(study):
    for dt in (np.float64, np.float32):
        c = study.curve("complex", dt)
        small = c.errors[c.steps <= 1e-8]
        assert np.all(small <= 10 * np.finfo(dt).eps), dt


def test_defaults_sit_near_the_bottom_and_within_tolerance(study):
    for c in study.curves:
        assert c.default_error <= NEAR_BEST * c.best[1], (c.method, c.dtype, c.default_error, c.best)
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
