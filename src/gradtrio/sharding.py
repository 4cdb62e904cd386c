"""A batch of perturbed parameter vectors split over every device JAX sees, on one host or several.

The batched JAX evaluations of gradtrio (:func:`gradtrio.autodiff.flat_cost_batch`, behind the batched
central differences, entry bounds and localization probes of a JAX batched cost) map *rows* — one
perturbed vector a row, each independent of the others — to costs. This module spreads those rows over
a one-dimensional :class:`jax.sharding.Mesh` of every device (axis :data:`AXIS`): each device evaluates
its own block of rows, and the results come back to NumPy in row order. Nothing else is shared: the
inputs ``X, Y`` and λ are replicated, and no collective runs inside the evaluation.

- :func:`device_count` and :func:`mesh`: the devices (all hosts: after :func:`jax.distributed.initialize`,
  :func:`jax.devices` is global and :func:`jax.local_devices` this host's).
- :func:`shard_rows`: pad the rows to a multiple of the device count (copies of the last row, so that
  every padded row evaluates to a finite value wherever a real one does) and place them with
  ``NamedSharding(mesh, P("rows"))``; :func:`replicate` places what every row shares.
- :func:`gather_rows`: the rows of a result back to one NumPy array on every host (on several hosts,
  :func:`jax.experimental.multihost_utils.process_allgather`), padding dropped.
- :func:`map_rows`: the three together around one jitted row function.
- :func:`initialize`: :func:`jax.distributed.initialize` from arguments or environment variables.

With exactly one device nothing changes: :func:`shard_rows` and :func:`replicate` return their NumPy
argument as it is, no mesh is built, and the jitted function places it on the default device as before.

Several hosts
-------------
gradtrio's oracles are deterministic: every process runs the same program on the same problem and builds
the same batch of perturbations (building a batch is a copy of θ per row, far cheaper than evaluating
it). :func:`shard_rows` therefore takes the *whole* batch on every process and places, through
:func:`jax.make_array_from_callback`, only the rows of the devices this process addresses; the results
are all-gathered so that every process continues with the same NumPy arrays. The inputs handed to
:func:`shard_rows` and :func:`replicate` must be identical on every process (same seed, same data).

Precision: the placement runs under :func:`gradtrio.autodiff.x64`, so float64 rows stay float64; call the
jitted function under it too (as gradtrio's own evaluations do).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

__all__ = ["AXIS", "ENV_VARS", "device_count", "mesh", "shard_rows", "replicate", "gather_rows", "map_rows",
           "initialize"]

#: The name of the mesh axis that the rows (the perturbations) are split over.
AXIS = "rows"

#: The environment variables :func:`initialize` reads when no argument is given: the coordinator's
#: ``host:port`` (JAX reads this one itself too), the number of processes and this process's id (0 to
#: ``num_processes − 1``; gradtrio's names, spelled like JAX's).
ENV_VARS = ("JAX_COORDINATOR_ADDRESS", "JAX_NUM_PROCESSES", "JAX_PROCESS_ID")


def device_count() -> int:
    """The number of devices the rows are split over: :func:`jax.device_count`, every host's devices.

    Returns
    -------
    int
        At least 1; 1 means no sharding at all (the evaluations run as without this module).
    """
    return int(jax.device_count())


@functools.lru_cache(maxsize=4)
def _mesh(devices: tuple[Any, ...]) -> Mesh:
    return Mesh(np.array(devices, dtype=object), (AXIS,))


def mesh() -> Mesh:
    """The 1-D mesh of every device, axis :data:`AXIS` (built once per set of devices).

    Returns
    -------
    jax.sharding.Mesh
        Over :func:`jax.devices` in JAX's order (process by process, on several hosts).
    """
    return _mesh(tuple(jax.devices()))


def _placed(x: np.ndarray, spec: PartitionSpec) -> jax.Array:
    """``x`` (the same on every process) as a global array of sharding ``NamedSharding(mesh(), spec)``:
    each process copies only the blocks of the devices it addresses."""
    from .autodiff import x64

    sharding = NamedSharding(mesh(), spec)
    with x64():
        return jax.make_array_from_callback(x.shape, sharding, lambda index: x[index])


def shard_rows(x: np.ndarray) -> tuple[jax.Array | np.ndarray, int]:
    """Split the rows of ``x`` over every device: pad them to a multiple of :func:`device_count` and place
    them with ``NamedSharding(mesh(), P("rows"))``.

    Parameters
    ----------
    x : ndarray of shape (B, ...)
        One perturbation a row (real or complex), the same on every process.

    Returns
    -------
    rows : jax.Array of shape (B_padded, ...), or x itself
        ``B_padded = D·⌈B/D⌉`` rows for ``D`` devices, the last ``B_padded − B`` copies of row ``B − 1``;
        device ``k`` holds rows ``k·B_padded/D`` to ``(k + 1)·B_padded/D − 1``. With one device, ``x``
        unchanged (a NumPy array: no mesh, no copy).
    n_valid : int
        ``B``, the rows that are ``x``'s (:func:`gather_rows` keeps those).

    Raises
    ------
    ValueError
        When ``x`` has no row axis (a scalar).
    """
    x = np.asarray(x)
    if x.ndim == 0:
        raise ValueError(f"shard_rows needs an array with a row axis, shape (B, ...); got shape {x.shape}")
    n, devices = x.shape[0], device_count()
    if devices == 1:
        return x, n
    pad = -n % devices
    if pad and n:
        x = np.concatenate([x, np.repeat(x[-1:], pad, axis=0)])
    return _placed(x, PartitionSpec(AXIS)), n


def replicate(x: Any) -> jax.Array | np.ndarray:
    """A full copy of ``x`` on every device (what every row shares: the data, λ), the same on every process.

    Parameters
    ----------
    x : array_like
        Any shape.

    Returns
    -------
    jax.Array with ``NamedSharding(mesh(), P())``, or ``x`` itself
        ``x`` as it is when it is already such an array, or when there is one device (a jax.Array, or
        ``x`` as a NumPy array).
    """
    if isinstance(x, jax.Array):
        if device_count() == 1 or x.sharding == NamedSharding(mesh(), PartitionSpec()):
            return x
    x = np.asarray(x)
    return x if device_count() == 1 else _placed(x, PartitionSpec())


def gather_rows(y: Any, n_valid: int) -> np.ndarray:
    """The first ``n_valid`` rows of a row-sharded result, as one NumPy array on every process.

    Parameters
    ----------
    y : jax.Array or ndarray of shape (B_padded, ...)
        What a function of :func:`shard_rows`'s rows returned, one result a row.
    n_valid : int
        The rows to keep (the second value of :func:`shard_rows`).

    Returns
    -------
    ndarray of shape (n_valid, ...)
        On several hosts every process gets every row
        (:func:`jax.experimental.multihost_utils.process_allgather`); a copy, writable.
    """
    if isinstance(y, jax.Array) and not y.is_fully_addressable:
        from jax.experimental import multihost_utils

        from .autodiff import x64

        with x64():  # the all-gather is a jitted program: in 64 bits, float64 results stay float64
            y = multihost_utils.process_allgather(y, tiled=True)
    return np.array(np.asarray(y)[:n_valid])


def map_rows(fn: Callable[..., Any], x: np.ndarray, *shared: Any) -> np.ndarray:
    """``fn(rows, *shared)`` with the rows of ``x`` split over every device and ``shared`` replicated.

    Parameters
    ----------
    fn : callable
        A jitted function mapping rows of shape ``(B, ...)`` (and the shared arguments) to results with
        one row each, shape ``(B, ...)``; rows must not depend on each other (``vmap`` of a row function).
        It is called under :func:`gradtrio.autodiff.x64`.
    x : ndarray of shape (B, ...)
    *shared : array_like
        Arguments every row uses, placed by :func:`replicate`.

    Returns
    -------
    ndarray of shape (B, ...)
        As :func:`gather_rows`.
    """
    from .autodiff import x64

    rows, n_valid = shard_rows(x)
    placed = [replicate(a) for a in shared]
    with x64():
        return gather_rows(fn(rows, *placed), n_valid)


def _env_int(name: str) -> int | None:
    text = os.environ.get(name)
    if text is None or text == "":
        return None
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"environment variable {name} must be an integer; got {text!r}") from None


def initialize(coordinator_address: str | None = None, num_processes: int | None = None,
               process_id: int | None = None, **kwargs: Any) -> bool:
    """Join several processes (hosts) into one set of devices: :func:`jax.distributed.initialize`.

    Call it at the start of every process, before any JAX computation (JAX fixes its devices at the
    first one). Each argument left out is read from its variable of :data:`ENV_VARS`; when none is set
    anywhere, this is a single-host run and nothing is done. On a cluster that JAX detects by itself
    (SLURM, Open MPI, Kubernetes, Cloud TPU) call ``jax.distributed.initialize()`` directly instead:
    gradtrio uses whatever devices JAX then sees.

    Parameters
    ----------
    coordinator_address : str, optional
        ``"host:port"`` of process 0, reachable from every process (``$JAX_COORDINATOR_ADDRESS``).
    num_processes : int, optional
        The number of processes (``$JAX_NUM_PROCESSES``).
    process_id : int, optional
        This process's id, 0 to ``num_processes − 1`` (``$JAX_PROCESS_ID``).
    **kwargs
        Passed on to :func:`jax.distributed.initialize` (``local_device_ids``, ``initialization_timeout``, ...).

    Returns
    -------
    bool
        True when the processes are joined (now, or by an earlier call); False for a single-host run.

    Raises
    ------
    ValueError
        When only some of the three are given, or ``process_id`` is not in ``0..num_processes − 1``.
    """
    if jax.distributed.is_initialized():
        return True
    address = coordinator_address if coordinator_address is not None else os.environ.get(ENV_VARS[0]) or None
    count = num_processes if num_processes is not None else _env_int(ENV_VARS[1])
    pid = process_id if process_id is not None else _env_int(ENV_VARS[2])
    given = {ENV_VARS[0]: address, ENV_VARS[1]: count, ENV_VARS[2]: pid}
    if all(v is None for v in given.values()):
        return False
    missing = [name for name, v in given.items() if v is None]
    if missing:
        raise ValueError(f"a multi-host run needs the coordinator address, the number of processes and this "
                         f"process's id; missing {', '.join(missing)} (argument or environment variable)")
    assert count is not None and pid is not None and address is not None  # for mypy: none is missing
    if count < 1 or not 0 <= pid < count:
        raise ValueError(f"process_id must lie in 0..num_processes - 1 = {count - 1}; got {pid} "
                         f"(num_processes {count})")
    jax.distributed.initialize(coordinator_address=address, num_processes=count, process_id=pid, **kwargs)
    return True

