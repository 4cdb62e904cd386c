"""Test configuration: Hypothesis profiles, chosen by the HYPOTHESIS_PROFILE environment variable.

- ``dev`` (default): 10 examples a property, for quick local runs.
- ``ci``: 100 examples a property, derandomized (the same draws on every push, so a red CI is
  reproducible), keeping the whole suite within a couple of minutes on 2 cores.
- ``thorough``: 1000 examples a property (``HYPOTHESIS_PROFILE=thorough pytest tests/test_three_way.py``).

Deadlines are off everywhere: the first call for each new network shape compiles a JAX program,
which is slow once and fast after, and would trip Hypothesis' per-example deadline.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_COMMON = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

settings.register_profile("dev", max_examples=10, **_COMMON)
settings.register_profile("ci", max_examples=100, derandomize=True, print_blob=True, **_COMMON)
settings.register_profile("thorough", max_examples=1000, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
