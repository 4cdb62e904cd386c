"""Test configuration: Hypothesis profiles, chosen by the HYPOTHESIS_PROFILE environment variable.

- ``dev`` (default): 10 examples a property, for quick local runs.
- ``ci``: 100 examples a property, derandomized (the same draws on every push, so a red CI is
  reproducible); what CI runs (.ci/run).
- ``thorough``: 1000 examples a property (``HYPOTHESIS_PROFILE=thorough pytest tests/test_three_way.py``).

Deadlines are off everywhere: the first call for each new network shape compiles a JAX program,
which is slow once and fast after, and would trip Hypothesis' per-example deadline.

Across cores (``pytest -n 2``, pytest-xdist), each worker is a process that loads this file and the
same profile. ``ci`` keeps no example database: ``derandomize=True`` implies ``database=None`` in
Hypothesis (stated below as well), so workers share nothing and a read-only checkout is fine; so
does any profile under ``CI=true``, whose defaults are Hypothesis' own CI settings. Elsewhere ``dev``
and ``thorough`` keep Hypothesis' default database, ``.hypothesis/examples`` in the working folder,
which the workers share: it is a best-effort key-value store of one file per example, written to a
temporary file and renamed into place, and a read that meets a missing file skips it, so concurrent
workers cannot corrupt it (Hypothesis' maintainers call it safe for concurrent use).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_COMMON = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

settings.register_profile("dev", max_examples=10, **_COMMON)
settings.register_profile("ci", max_examples=100, derandomize=True, database=None, print_blob=True, **_COMMON)
settings.register_profile("thorough", max_examples=1000, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
