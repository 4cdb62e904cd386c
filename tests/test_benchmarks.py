"""The benchmark suite: its timing engine, and a smoke run of the whole suite on tiny sizes.

The smoke run checks what a reader of the results relies on, not the speed (timings in CI are
noise): every method is either measured or listed as skipped with a reason, each result agrees
with float64 backprop, the ratios are the per-round ratios of the recorded times, scikit-learn's
MLP optimizes gradtrio's objective, and the three output files are written.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `benchmarks` is a folder of the repository, not an installed package
    sys.path.insert(0, str(ROOT))

from benchmarks.problems import parse_sizes  # noqa: E402
from benchmarks.timing import Method, ratio_summary, run_interleaved  # noqa: E402

# Every method the cost+gradient case knows on a CPU run: each must be measured or skipped.
COSTGRAD_METHODS = {"floor", "backprop", "backprop_loop", "jax_jit", "autodiff", "torch", "sklearn_backprop",
                    "sklearn_loss_grad"}
GRADCHECK_METHODS = {"cost", "backprop", "fd_loop", "complex_step", "fd_batched", "directional"}
# Agreement with float64 backprop on identical inputs. float64: every method differs by rounding only,
# a few ulps (2.2e-16) times the depth and the sums over ≤ 40 examples → 1e-12 is generous. float32:
# ε = 1.2e-7, times the same growth → 1e-5 (measured ~1e-6).
GRAD_RTOL = {"float64": 1e-12, "float32": 1e-5}
# Central differences with the float64 default step: error ~ε^(2/3) ≈ 4e-11 relative (finite_diff's
# docstring); 1e-8 leaves room for the scale of J. The complex step is exact to rounding.
FD_RTOL = 1e-8
# scikit-learn's loss and gradient vs gradtrio's on the same weights: identical formulas, different
# summation order → rounding only.
OBJECTIVE_ATOL = 1e-12


def test_parse_sizes_names_and_custom():
    sizes = parse_sizes("debug, course,40x6-5-3")
    assert [s.name for s in sizes] == ["debug", "course", "40x6-5-3"]
    assert sizes[1].layers == (400, 25, 10) and sizes[1].m == 5000
    assert sizes[1].n_params == 25 * 401 + 10 * 26
    assert sizes[2].m == 40 and sizes[2].layers == (6, 5, 3)
    with pytest.raises(ValueError, match="unknown size 'huge'"):
        parse_sizes("huge")


def test_rounds_rotate_and_pair():
    calls: list[str] = []

    def make(name):
        return Method(name, lambda: calls.append(name), "cpu", name)

    methods = [make("a"), make("b"), make("c")]
    times, _, first, failed = run_interleaved(methods, repeats=3, budget_s=1e9)
    assert set(first) == {"a", "b", "c"} and not failed
    rounds = [calls[3 + 3 * r: 6 + 3 * r] for r in range(3)]  # after the 3 warm-up calls
    assert rounds == [["a", "b", "c"], ["b", "c", "a"], ["c", "a", "b"]]  # each method leads once
    assert all(len(t) == 3 for t in times.values())


def test_budget_stops_rounds_but_keeps_one():
    methods = [Method("slow", lambda: sum(range(20000)), "cpu", "slow")]
    times, _, _, _ = run_interleaved(methods, repeats=50, budget_s=0.0)
    assert len(times["slow"]) == 1


def test_inner_calls_are_averaged_within_a_round():
    calls = []
    meth = Method("cheap", lambda: calls.append(1), "cpu", "cheap", inner=4)
    times, _, _, _ = run_interleaved([meth], repeats=2, budget_s=1e9)
    assert len(calls) == 1 + 2 * 4  # one warm-up, then 4 calls in each of 2 rounds
    assert len(times["cheap"]) == 2


def test_a_failing_method_is_reported_not_fatal():
    def broken():
        raise RuntimeError("no GPU kernel")

    methods = [Method("ok", lambda: 1, "cpu", "ok"), Method("broken", broken, "gpu", "broken")]
    times, _, _, failed = run_interleaved(methods, repeats=2, budget_s=1e9)
    assert list(times) == ["ok"] and len(times["ok"]) == 2
    assert failed == {"broken": "RuntimeError: no GPU kernel"}


def test_ratio_is_median_of_per_round_ratios():
    # Per-round ratios 2, 3, 10: median 3 (a ratio of medians would give 4/1 = 4).
    r = ratio_summary([2.0, 6.0, 40.0], [1.0, 2.0, 4.0])
    assert (r["median"], r["min"], r["max"], r["n"]) == (3.0, 2.0, 10.0, 3)
    with pytest.raises(ValueError, match="paired rounds"):
        ratio_summary([1.0], [1.0, 2.0])


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    from benchmarks.suite import main

    out = tmp_path_factory.mktemp("bench")
    status = main(["--quick", "--device", "auto", "--cases", "costgrad,gradcheck,train,objective",
                   "--sizes", "40x6-5-3", "--repeats", "2", "--budget", "0.5",
                   "--train-maxiter", "3", "--out", str(out)])
    assert status == 0
    return out, json.loads((out / "results.json").read_text())


def test_smoke_writes_report_files(smoke):
    out, res = smoke
    md = (out / "results.md").read_text()
    assert (out / "times.png").stat().st_size > 1000
    for heading in ("### Targets", "### Cost + gradient, float64", "### Cost + gradient, float32",
                    "### Gradient checking", "### Training", "### Same objective"):
        assert heading in md
    env = res["env"]
    assert env["cpu_model"] and env["cpu_count"] >= 1
    assert env["versions"]["numpy"] == np.__version__
    assert isinstance(env["threads"]["threadpools"], list)
    assert env["jax"]["backend"] in ("cpu", "gpu") and env["jax"]["x64_enabled"]


@pytest.mark.parametrize("kind,expected", [("costgrad", COSTGRAD_METHODS), ("gradcheck", GRADCHECK_METHODS)])
def test_smoke_every_method_measured_or_skipped_with_reason(smoke, kind, expected):
    _, res = smoke
    cases = [c for c in res["cases"] if c["case"] == kind]
    assert cases
    for c in cases:
        assert set(c["methods"]) | set(c["skipped"]) >= expected, c["size"]
        assert not set(c["methods"]) & set(c["skipped"])
        assert all(reason.startswith("skipped (") for reason in c["skipped"].values())
        for name, m in c["methods"].items():
            assert m["repeats"] == len(m["times_s"]) >= 1
            assert m["min_s"] <= m["median_s"] <= m["max_s"], name


def test_smoke_results_agree_with_backprop(smoke):
    _, res = smoke
    for c in res["cases"]:
        for name, m in c["methods"].items():
            check = m.get("check", {})
            assert "error" not in check, (c["case"], name, check)
            if c["case"] == "costgrad" and "grad_max_rel_diff" in check:
                assert check["grad_max_rel_diff"] < GRAD_RTOL[c["dtype"]], (c["dtype"], name, check)
                assert check["cost_rel_diff"] < GRAD_RTOL[c["dtype"]], (c["dtype"], name, check)
            if c["case"] == "gradcheck" and "grad_max_rel_diff" in check:
                assert check["grad_max_rel_diff"] < FD_RTOL, (name, check)
            if name == "directional":
                assert check["passed"]


def test_smoke_ratios_pair_rounds(smoke):
    _, res = smoke
    c = next(c for c in res["cases"] if c["case"] == "costgrad" and c["dtype"] == "float64")
    a = np.array(c["methods"]["backprop"]["times_s"])
    b = np.array(c["methods"]["floor"]["times_s"])
    assert c["ratios"]["backprop/floor"]["median"] == pytest.approx(float(np.median(a / b)), rel=1e-12)


def test_smoke_sklearn_optimizes_the_same_objective(smoke):
    _, res = smoke
    obj = res["objective"]
    assert not obj.get("skipped") and len(obj["problems"]) >= 2
    for p in obj["problems"]:
        assert p["cost_abs_diff"] < OBJECTIVE_ATOL and p["grad_max_abs_diff"] < OBJECTIVE_ATOL, p


def test_smoke_targets_reported(smoke):
    _, res = smoke
    targets = res["targets"]
    names = [t["target"] for t in targets]
    assert len(targets) == 8, names
    assert sum("backprop_kernel" in n for n in names) == 2  # the redesign's digits and course targets
    for t in targets:
        assert t["status"] in ("met", "not met") or t["status"].startswith("not measured ("), t
    train = next(c for c in res["cases"] if c["case"] == "train")
    assert {"gradtrio", "sklearn"} <= set(train["methods"])
    assert 0.0 <= train["methods"]["gradtrio"]["check"]["test_accuracy"] <= 1.0


def test_checker_comparison_smoke(tmp_path):
    """The checker benchmark runs end to end in its quickest mode and its JSON says what the README
    claims in kind: gradtrio's localize finds and names the planted entries with no false alarm, and
    the control row of the mutant table is clean. torch rows are skipped when torch is missing."""
    import os
    import subprocess

    env = dict(os.environ, PYTHONPATH=str(ROOT / "src") + os.pathsep + str(ROOT))
    r = subprocess.run([sys.executable, "-m", "benchmarks.bench_checkers", "--quick", "--trials", "1",
                        "--no-float32", "--out", str(tmp_path)], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    data = json.loads((tmp_path / "checkers.json").read_text())
    rows = [p for p in data["planted"] if p["checker"] == "gradtrio localize"]
    assert rows and all(p["located"]["x10"] == p["trials"] and p["false_alarms"] == 0 for p in rows)
    assert data["mutants"][0]["kind"] == "control"
    controls = [row for row in data["mutants"] if row["kind"] == "control"]
    assert len(controls) > 1  # the correct backprop of every network a mutant lives on
    for control in controls:  # any checker flagging correct code on any network is a false alarm
        flagged = [c for c, res in control["results"].items() if isinstance(res, dict) and res.get("detected")]
        assert not flagged, (control["mutant"], flagged)
    assert (tmp_path / "checkers.md").exists()


# H V by hand against JAX's forward-over-reverse on the same float64 inputs: the same products summed in
# other orders, a few ulps (2.2e-16) times the depth and the sums over <= 40 examples, relative to the
# largest entry → 1e-12 is generous (measured ~3e-16), as GRAD_RTOL for the gradient.
HVP_RTOL = 1e-12


def test_second_order_speed_smoke(tmp_path):
    """The second-order speed benchmark runs end to end in its quick mode: every product is timed in
    every round, its ratios are the per-round ratios of the recorded times, H V agrees with JAX's to
    rounding, vᵀGv >= 0, and the course-size targets are reported as not measured (not silently dropped)."""
    import os
    import subprocess

    from benchmarks.second_order_speed import METHODS, RATIOS

    env = dict(os.environ, PYTHONPATH=str(ROOT / "src") + os.pathsep + str(ROOT))
    r = subprocess.run([sys.executable, "-m", "benchmarks.second_order_speed", "--quick", "--repeats", "2",
                        "--out", str(tmp_path)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    res = json.loads((tmp_path / "speed.json").read_text())
    md = (tmp_path / "speed.md").read_text()
    for heading in ("### Targets", "### Ratios", "### Times", "### Checks"):
        assert heading in md
    (setting,) = res["settings"]
    assert setting["setting"] == "1" and len(setting["cases"]) == 3
    assert {c["output"] for c in setting["cases"]} == {"sigmoid", "softmax", "identity"}
    for c in setting["cases"]:
        assert set(c["methods"]) == set(METHODS), c["problem"]
        for name, m in c["methods"].items():
            assert m["repeats"] == len(m["times_s"]) == 2 and m["inner"] >= 1, name
            assert m["min_s"] <= m["median_s"] <= m["max_s"], name
        for a, b in RATIOS:
            per_round = np.array(c["methods"][a]["times_s"]) / np.array(c["methods"][b]["times_s"])
            got = c["ratios"][f"{a}/{b}"]
            assert got["median"] == pytest.approx(float(np.median(per_round)), rel=1e-12)
            assert got["q1"] <= got["median"] <= got["q3"]
        check = c["check"]
        assert check["hvp_vs_jax_rel"] < HVP_RTOL and check["grad_vs_jax_rel"] < GRAD_RTOL["float64"], check
        assert check["vGv"] >= 0.0, check
    assert len(res["targets"]) == 3
    assert all(t["status"] == "not measured (course size not run)" for t in res["targets"])


def test_sharding_scaling_smoke(tmp_path):
    """The sharding benchmark runs end to end in its quick mode on 1 and 2 simulated devices: each device
    count is its own process that sees that many devices, both variants are timed in every round, and the
    two-device gradients equal the one-device ones within the rounding bound (the exit status says so)."""
    import os
    import subprocess

    env = dict(os.environ, PYTHONPATH=str(ROOT / "src") + os.pathsep + str(ROOT))
    r = subprocess.run([sys.executable, "-m", "benchmarks.sharding_scaling", "--quick", "--devices", "1,2",
                        "--out", str(tmp_path)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    res = json.loads((tmp_path / "scaling.json").read_text())
    assert [run["devices"] for run in res["runs"]] == [1, 2]
    for run in res["runs"]:
        assert run["env"]["jax"]["devices"] == [f"cpu:{d} cpu" for d in range(run["devices"])]
        for m in run["methods"].values():
            assert m["repeats"] == len(m["times_s"]) == 2 and m["min_s"] <= m["median_s"] <= m["max_s"]
    assert all(c["within"] for c in res["agreement"]) and len(res["agreement"]) == 4
    assert "Agreement with one device" in (tmp_path / "scaling.md").read_text()
