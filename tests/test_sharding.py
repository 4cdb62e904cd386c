"""The batched JAX evaluations split over several devices, and over two processes, give the one-device results.

JAX fixes its devices when it starts, so every configuration runs in a child process started with its
environment set first: ``XLA_FLAGS=--xla_force_host_platform_device_count=D`` (D simulated CPU devices)
and ``JAX_PLATFORMS=cpu``. The child (:data:`CHILD`) computes, on one seeded random problem, the batched
central-difference gradient through :func:`gradtrio.model.closures.cost_batch_fn` (JAX), the entry bounds
and a localization through the same batched cost, and a complex-step gradient through
:func:`gradtrio.sharding.map_rows`; it records how every batch was placed, and prints JSON. The parent
compares D = 4 with D = 1, with the NumPy per-coordinate differences and with the analytic gradient.

Tolerances, derived from the problem's measured rounding (float64):

- a cost evaluation is off by about σ = ε·S_J (:meth:`gradtrio.rounding.RoundingScales.cost_error`, the
  rounding of the sum of the absolute values of the cost's terms), so two central differences at the same
  step that evaluate the cost differently (another batch shape per device, the NumPy cost) differ by
  at most ``ROUND_SAFETY·σ/h``, the rounding term the verdicts use;
- the complex step is exact to rounding: an analytic gradient's bound, ``ANALYTIC_SAFETY·ε·G``
  (:meth:`~gradtrio.rounding.RoundingScales.grad_error`), for each of the two sides compared.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import gradtrio
from gradtrio.tolerances import ANALYTIC_SAFETY, ROUND_SAFETY

#: Every test here reads the one pair of child runs: under ``--dist loadgroup`` (.ci/run) they share a worker.
pytestmark = pytest.mark.xdist_group("test_sharding.runs")

#: Simulated devices of the sharded run; two processes of half as many each in the multi-host run.
DEVICES = 4
#: A child that takes longer has hung (a multi-host run whose peer never came); a normal one takes 3-10 s.
CHILD_TIMEOUT_S = 240

CHILD = r"""
import json, sys
import numpy as np
from gradtrio import sharding

joined = sharding.initialize()  # a multi-host run when JAX_COORDINATOR_ADDRESS etc. are set
import jax
from gradtrio import autodiff, backprop, finite_diff as fd, network, oracles, rounding
from gradtrio.model import Architecture, closures

placements = []
real_shard_rows = sharding.shard_rows

def recording_shard_rows(x):
    rows, n = real_shard_rows(x)
    local = ({str(s.device.id): int(s.data.shape[0]) for s in rows.addressable_shards}
             if isinstance(rows, jax.Array) else None)
    devices = len(rows.sharding.device_set) if isinstance(rows, jax.Array) else 1
    placements.append({"rows": int(rows.shape[0]), "n_valid": int(n), "local": local, "devices": devices,
                       "numpy": isinstance(rows, np.ndarray)})
    return rows, n

real_gather_rows = sharding.gather_rows

def recording_gather_rows(y, n_valid):  # where the results were computed: on the devices of the rows
    if isinstance(y, jax.Array):  # every batch placed since the last gather went into this result
        done = {str(s.device.id): int(s.data.shape[0]) for s in y.addressable_shards}
        for p in reversed(placements):
            if "results" in p:
                break
            p["results"] = done
    return real_gather_rows(y, n_valid)

sharding.shard_rows = recording_shard_rows  # map_rows looks them up at each call
sharding.gather_rows = recording_gather_rows

rng = np.random.default_rng(20240616)
sizes, m, lam = (5, 4, 3), 11, 0.7
thetas = [rng.standard_normal((b, a + 1)) for a, b in zip(sizes[:-1], sizes[1:])]
X = rng.standard_normal((m, sizes[0]))
Y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], m)]
theta = network.unroll(thetas)
g = network.unroll(backprop.cost_and_grad(thetas, X, Y, lam)[1])
h = float(fd.default_step("central"))
sigma = rounding.rounding_scales(thetas, X, Y, lam).cost_error()

J_batch = closures.cost_batch_fn(sizes, X, Y, lam, backend="jax")
out = {"device_count": sharding.device_count(), "local_devices": len(jax.local_devices()),
       "process_count": jax.process_count(), "process_index": jax.process_index(), "joined": joined,
       "h": h, "sigma": sigma, "n": int(theta.size),
       "batch_size_course": closures._jax_batch_size(10**6, 5000, (400, 25, 10))}
# 7 coordinates a call: 14 rows, padded to 16 on 4 devices; 53 = 7·7 + 4 leaves a partial last call
out["central"] = fd.numerical_gradient_batched(J_batch, None, theta, batch_size=7).tolist()
out["central_default"] = fd.numerical_gradient_batched(J_batch, None, theta).tolist()
out["numpy_central"] = fd.numerical_gradient(fd.cost_fn(sizes, X, Y, lam), None, theta).tolist()

eb = oracles.entry_bounds(J_batch, g, theta, sizes=sizes)  # batched: the entries' points prefetched
one_by_one = oracles.entry_bounds(lambda v: J_batch(v), g, theta, sizes=sizes)  # not batched
out["entries"] = {"fd": eb.fd.tolist(), "bound": eb.bound.tolist(), "verdict": eb.verdict,
                  "evaluations": eb.evaluations, "fd_one_by_one": one_by_one.fd.tolist(),
                  "evaluations_one_by_one": one_by_one.evaluations}
wrong = g.copy()
wrong[17] += 1e-3
loc = oracles.localize(J_batch, wrong, theta, sizes=sizes)
out["localize"] = {"suspects": [s.index for s in loc.suspects], "verdict": loc.verdict}

# The complex step through map_rows: tanh and the identity output are analytic, so the JAX cost is
# complex-safe on this network; one row θ + i·h_c·e_j for each coordinate j.
arch = Architecture(sizes, "tanh", "identity")
Yr = rng.standard_normal((m, sizes[-1]))
hc = float(fd.default_step("complex"))
rows = theta[None, :] + 1j * hc * np.eye(theta.size)
cost = jax.jit(jax.vmap(lambda v, X, Y: autodiff.jax_cost(arch.cut(v), X, Y, lam, "tanh", "identity"),
                        in_axes=(0, None, None)))
with autodiff.x64():
    vals = sharding.map_rows(cost, rows, X, Yr)
out["complex"] = (np.imag(vals) / hc).tolist()
out["complex_dtype"] = str(vals.dtype)
out["complex_backprop"] = network.unroll(
    backprop.cost_and_grad(thetas, X, Yr, lam, activation="tanh", output="identity")[1]).tolist()
out["complex_grad_error"] = rounding.rounding_scales(thetas, X, Yr, lam, activation="tanh",
                                                     output="identity").grad_error().tolist()
# The incremental engine: its batches of entries split over the devices, the base point replicated.
from gradtrio.incremental import incremental_cost
eng = incremental_cost(thetas, X, Y, lam, activation="tanh")
d = eng.differences(h)
out["incremental"] = {"diff": d.diff.tolist(), "span": d.span.tolist(), "rounding": d.rounding.tolist(),
                      "complex": eng.complex_step(hc).tolist(),
                      "backprop": network.unroll(backprop.cost_and_grad(thetas, X, Y, lam,
                                                                        activation="tanh")[1]).tolist(),
                      "grad_error": rounding.rounding_scales(thetas, X, Y, lam,
                                                             activation="tanh").grad_error().tolist()}
out["placements"] = placements
print("RESULT " + json.dumps(out))
"""


def _env(devices: int, **extra: str) -> dict[str, str]:
    src = str(Path(gradtrio.__file__).resolve().parents[1])
    env = dict(os.environ, JAX_PLATFORMS="cpu", XLA_FLAGS=f"--xla_force_host_platform_device_count={devices}",
               PYTHONPATH=os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH")) if p), **extra)
    for name in ("JAX_COORDINATOR_ADDRESS", "JAX_NUM_PROCESSES", "JAX_PROCESS_ID"):
        if name not in extra:
            env.pop(name, None)
    return env


def _start(devices: int, **extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", CHILD], env=_env(devices, **extra), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _result(proc: subprocess.Popen) -> dict:
    try:
        stdout, stderr = proc.communicate(timeout=CHILD_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        stdout, stderr = proc.communicate()
        raise AssertionError(f"the child did not finish within {CHILD_TIMEOUT_S} s:\n{stderr[-3000:]}") from None
    lines = [line for line in stdout.splitlines() if line.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, f"the child exited with {proc.returncode}:\n{stderr[-3000:]}"
    return json.loads(lines[-1][len("RESULT "):])


@pytest.fixture(scope="module")
def runs() -> dict[int, dict]:
    """The child on 1 and on :data:`DEVICES` simulated devices, run side by side."""
    procs = {d: _start(d) for d in (1, DEVICES)}
    return {d: _result(p) for d, p in procs.items()}


def _within(a: list[float], b: list[float], bound: np.ndarray | float, what: str) -> None:
    gap = np.abs(np.asarray(a) - np.asarray(b))
    bounds = np.broadcast_to(bound, gap.shape)
    worst = int(np.argmax(gap / bounds))
    assert np.all(gap <= bounds), f"{what}: entry {worst} differs by {gap[worst]:.3g}, bound {bounds[worst]:.3g}"


def test_one_device_places_nothing(runs):
    one = runs[1]
    assert one["device_count"] == 1 and one["placements"]
    assert all(p["numpy"] and p["rows"] == p["n_valid"] for p in one["placements"])  # no padding, no mesh


def test_each_device_holds_its_share_of_every_batch(runs):
    four = runs[DEVICES]
    assert four["device_count"] == DEVICES and four["placements"]
    for p in four["placements"]:
        assert p["devices"] == DEVICES and not p["numpy"]
        assert p["rows"] % DEVICES == 0 and 0 <= p["rows"] - p["n_valid"] < DEVICES, p
        assert p["local"] == p["results"] == {str(d): p["rows"] // DEVICES for d in range(DEVICES)}, p
    # 7 coordinates a call are 14 rows: padded to 16, 4 on each device
    assert any(p["n_valid"] == 14 and p["rows"] == 16 for p in four["placements"])


def test_batch_per_call_scales_with_the_devices(runs):
    assert runs[DEVICES]["batch_size_course"] == DEVICES * runs[1]["batch_size_course"]


def test_central_differences_equal_the_single_device_ones(runs):
    one, four = runs[1], runs[DEVICES]
    bound = ROUND_SAFETY * one["sigma"] / one["h"]
    for key in ("central", "central_default"):
        _within(four[key], one[key], bound, f"{key}: 4 devices vs 1")
        _within(four[key], four["numpy_central"], bound, f"{key}: 4 devices vs NumPy per coordinate")


def test_entry_bounds_and_localization_through_the_sharded_cost(runs):
    one, four = runs[1], runs[DEVICES]
    bound = ROUND_SAFETY * one["sigma"] / one["h"]
    e1, e4 = one["entries"], four["entries"]
    assert e4["verdict"] == e1["verdict"] == "pass"
    assert e4["evaluations"] == e1["evaluations"] == e4["evaluations_one_by_one"]
    _within(e4["fd"], e1["fd"], bound, "entry bounds: 4 devices vs 1")
    _within(e4["fd"], e4["fd_one_by_one"], bound, "entry bounds: prefetched vs one by one")
    assert four["localize"] == one["localize"] == {"suspects": [17], "verdict": "fail"}


def test_complex_step_through_the_sharded_rows(runs):
    one, four = runs[1], runs[DEVICES]
    assert four["complex_dtype"] == "complex128"
    bound = 2 * ANALYTIC_SAFETY * np.asarray(one["complex_grad_error"])  # two analytic-quality sides
    _within(four["complex"], one["complex"], bound, "complex step: 4 devices vs 1")
    _within(four["complex"], four["complex_backprop"], bound, "complex step vs backprop")


def test_incremental_differences_through_the_sharded_batches(runs):
    """The engine's differences on 4 devices are the one-device ones to their rounding bound, and its
    complex step is the gradient to rounding (its placements are checked with every other batch's above)."""
    one, four = runs[1]["incremental"], runs[DEVICES]["incremental"]
    assert four["span"] == one["span"]
    _within(four["diff"], one["diff"], ROUND_SAFETY * 2 * np.asarray(one["rounding"]), "incremental: 4 devices vs 1")
    bound = 2 * ANALYTIC_SAFETY * np.asarray(one["grad_error"])
    _within(four["complex"], one["complex"], bound, "incremental complex step: 4 devices vs 1")
    _within(four["complex"], four["backprop"], bound, "incremental complex step vs backprop")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_two_processes_give_the_single_process_gradient(runs):
    """Two processes on this machine, 2 simulated CPU devices each, joined by ``sharding.initialize()``
    from the environment variables (JAX's CPU collectives: gloo over TCP)."""
    env = {"JAX_COORDINATOR_ADDRESS": f"127.0.0.1:{_free_port()}", "JAX_NUM_PROCESSES": "2"}
    procs = [_start(DEVICES // 2, **env, JAX_PROCESS_ID=str(i)) for i in range(2)]
    results = [_result(p) for p in procs]
    one = runs[1]
    bound = ROUND_SAFETY * one["sigma"] / one["h"]
    for i, res in enumerate(results):
        assert res["joined"] and res["process_count"] == 2 and res["process_index"] == i
        assert res["device_count"] == DEVICES and res["local_devices"] == DEVICES // 2
        for p in res["placements"]:  # this process holds the rows of its own two devices only
            assert len(p["local"]) == DEVICES // 2 and set(p["local"].values()) == {p["rows"] // DEVICES}, p
            assert p["results"] == p["local"], p
        _within(res["central"], one["central"], bound, f"process {i}: central vs one process")
        _within(res["entries"]["fd"], one["entries"]["fd"], bound, f"process {i}: entry bounds vs one process")
        assert res["localize"] == one["localize"]
    assert results[0]["central"] == results[1]["central"]  # every process gets the same result
