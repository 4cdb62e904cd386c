"""What a reader needs to trust (or reproduce) a timing: machine, CPU, versions, thread settings, devices."""

from __future__ import annotations

import datetime as _dt
import importlib
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

__all__ = ["collect_environment", "select_jax_platform", "jax_config", "jax_info", "torch_or_reason"]

# Environment variables that change how many threads BLAS, OpenMP, XLA and PyTorch use.
THREAD_ENV_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "XLA_FLAGS",
    "JAX_PLATFORMS",
    "JAX_ENABLE_X64",
    "JAX_DEFAULT_MATMUL_PRECISION",
    "XLA_PYTHON_CLIENT_PREALLOCATE",
)

PACKAGES = ("numpy", "scipy", "jax", "jaxlib", "sklearn", "torch", "matplotlib", "threadpoolctl", "gradtrio")


def select_jax_platform(device: str) -> None:
    """Pin JAX to the CPU for ``device="cpu"``; must run before the first ``import jax``.

    For ``"gpu"`` and ``"auto"`` JAX picks its default backend (a GPU when it sees one).
    If JAX was already imported (e.g. inside a test session), the environment variable cannot take
    effect any more; the backend actually used is recorded by :func:`jax_info` either way.
    """
    if device == "cpu" and "jax" not in sys.modules:
        os.environ["JAX_PLATFORMS"] = "cpu"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(name: str) -> str:
    try:
        mod = importlib.import_module(name)
    except Exception as exc:  # noqa: BLE001 - any import failure means "not usable"
        return f"not installed ({type(exc).__name__})"
    return str(getattr(mod, "__version__", "unknown"))


def _git() -> dict[str, Any]:
    root = Path(__file__).resolve().parents[1]
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root, capture_output=True, text=True, timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return {"commit": "unknown", "dirty": None}
    if len(commit) != 40:  # not a git checkout (e.g. a copied tree): rev-parse echoes its argument
        return {"commit": "unknown", "dirty": None}
    return {"commit": commit, "dirty": bool(dirty)}


def jax_config(jax: Any, name: str) -> Any:
    """A JAX configuration value (``jax.config.<name>``), or ``"unknown"`` if this JAX lacks it."""
    try:
        return getattr(jax.config, name)
    except AttributeError:
        try:
            return jax.config.read(name)
        except Exception:  # noqa: BLE001
            return "unknown"


def jax_info() -> dict[str, Any]:
    """JAX backend, devices, float64 switch and the float32 matmul precision setting.

    On NVIDIA GPUs JAX runs float32 matrix products in TF32 by default (``precision=None`` /
    ``"default"``), about 1e-3 relative error per product instead of float32's 1e-7: every float32
    GPU figure must be read with this setting.
    """
    try:
        import jax
    except Exception as exc:  # noqa: BLE001
        return {"available": False, "reason": f"{type(exc).__name__}: {exc}"}
    devs = jax.devices()
    return {
        "available": True,
        "backend": jax.default_backend(),
        "devices": [f"{d.platform}:{d.id} {getattr(d, 'device_kind', '')}".strip() for d in devs],
        "device_kind": getattr(devs[0], "device_kind", "unknown"),
        "x64_enabled": bool(jax_config(jax, "jax_enable_x64")),
        "default_matmul_precision": str(jax_config(jax, "jax_default_matmul_precision")),
    }


def torch_or_reason() -> tuple[Any, str | None]:
    """``(torch, None)`` when PyTorch imports, else ``(None, reason)`` (it is an optional peer)."""
    try:
        import torch
    except ImportError:
        return None, "skipped (not installed; pip install '.[bench]')"
    except Exception as exc:  # noqa: BLE001 - a broken install is reported, not fatal
        return None, f"skipped (import failed: {type(exc).__name__}: {exc})"
    return torch, None


def _threads() -> dict[str, Any]:
    out: dict[str, Any] = {"env": {k: os.environ.get(k) for k in THREAD_ENV_VARS}}
    try:
        from threadpoolctl import threadpool_info

        out["threadpools"] = [
            {k: p.get(k) for k in ("user_api", "internal_api", "num_threads", "prefix", "version",
                                   "threading_layer", "architecture")}
            for p in threadpool_info()
        ]
    except Exception as exc:  # noqa: BLE001
        out["threadpools"] = f"unavailable ({type(exc).__name__})"
    torch, reason = torch_or_reason()
    out["torch_num_threads"] = torch.get_num_threads() if torch is not None else reason
    return out


def collect_environment(argv: list[str] | None = None) -> dict[str, Any]:
    """Everything recorded at the top of ``results.json`` and ``results.md``."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {
        "date_utc": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "command": " ".join([Path(sys.executable).name, "-m", "benchmarks"] + list(argv or [])),
        "machine": platform.machine(),
        "platform": platform.platform(),
        "cpu_model": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": usable,
        "python": sys.version.split()[0],
        "versions": {name: _version(name) for name in PACKAGES},
        "threads": _threads(),
        "jax": jax_info(),
        "git": _git(),
    }
