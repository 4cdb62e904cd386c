"""``python -m benchmarks``: run the suite (see :mod:`benchmarks.suite`)."""

import sys

from .env import select_jax_platform

# Pin JAX to the CPU before anything can import it (the default device is "cpu"; see --device).
_argv = sys.argv[1:]
_dev = next((a.split("=", 1)[1] for a in _argv if a.startswith("--device=")), None)
if _dev is None and "--device" in _argv[:-1]:
    _dev = _argv[_argv.index("--device") + 1]
select_jax_platform(_dev or "cpu")

from .suite import main  # noqa: E402

raise SystemExit(main())
