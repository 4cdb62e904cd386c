"""The headline benchmark: ``backprop.cost_and_grad`` against ``jax.jit(jax.value_and_grad(cost))``.

At the course size (m = 5000, sizes 400-25-10, float64) on the CPU, with the matrix-product floor
and the peers in the same interleaved rounds; the target is a median per-round ratio <= 1.0.
It is the suite's ``costgrad`` case at that one size::

    python -m benchmarks.backprop_vs_jax [--repeats 21] [--out DIR]

(the same as ``python -m benchmarks --cases costgrad --sizes course --dtypes float64``).
"""

from __future__ import annotations

import json
import sys

from .env import select_jax_platform


def main(argv: list[str] | None = None) -> int:
    """Run the case, print the backprop/jax_jit and backprop/floor ratios; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--out" not in argv:
        from .suite import RESULTS_DIR

        argv += ["--out", str(RESULTS_DIR / "backprop_vs_jax")]
    select_jax_platform("cpu")
    from .suite import main as suite_main

    args = ["--cases", "costgrad", "--sizes", "course", "--dtypes", "float64", "--device", "cpu", *argv]
    status = suite_main(args)
    out = argv[argv.index("--out") + 1]
    with open(f"{out}/results.json") as f:
        case = json.load(f)["cases"][0]
    for key in ("backprop/jax_jit", "backprop/floor"):
        r = case["ratios"].get(key)
        if r is not None:
            print(f"{key}: median {r['median']:.3f} "
                  f"(min {r['min']:.3f}, max {r['max']:.3f}, {r['n']} rounds)")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
