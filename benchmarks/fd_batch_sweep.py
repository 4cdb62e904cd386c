"""Batch-size sweep of the batched central-difference gradient (``finite_diff.numerical_gradient_batched``).

How ``finite_diff.BATCH_NUMBERS`` was chosen: the full central-difference gradient at the course size
(5000 × 400-25-10, float64, random data from a fixed seed) timed for several batch sizes, best of two
runs after a warm-up call compiles each batch shape. Run it where JAX sees the device to size for:

    python -m benchmarks.fd_batch_sweep                      # batches 32 64 128 192 256 384
    python -m benchmarks.fd_batch_sweep --batches 3 47 143   # any others
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from gradtrio import finite_diff as fd
from gradtrio import network as nw


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batches", type=int, nargs="+", default=[32, 64, 128, 192, 256, 384])
    p.add_argument("--m", type=int, default=5000, help="examples (default: the course's 5000)")
    args = p.parse_args(argv)
    import jax

    rng = np.random.default_rng(0)
    sizes = (400, 25, 10)
    X = rng.random((args.m, sizes[0]))
    Y = nw.one_hot(rng.integers(0, sizes[-1], args.m), sizes[-1])
    theta = nw.unroll(nw.init_weights(sizes))
    J_batch = fd.cost_batch_fn(sizes, X, Y, 1.0, backend="jax")
    print(f"device {jax.devices()[0]}; library default batch here: {J_batch.batch_size}")
    for B in args.batches:
        J_batch(np.repeat(theta[None], 2 * B, axis=0))  # compile this batch shape
        best = float("inf")
        for _ in range(2):
            t = time.perf_counter()
            fd.numerical_gradient_batched(J_batch, None, theta, batch_size=B)
            best = min(best, time.perf_counter() - t)
        print(f"batch {B:4d}: {best:.3f} s", flush=True)


if __name__ == "__main__":
    main()
