"""The names of the former ``gradtrio.mutants``, kept importable: the code lives in :mod:`gradtrio.catalog`.

- the bug catalog (:data:`CATALOG`, :data:`CONTROL`, :class:`Mutant`): :mod:`gradtrio.catalog.bugs`;
- the known values (:data:`KNOWN_VALUE_CASES`, :func:`known_value_failures`):
  :mod:`gradtrio.catalog.known_values`;
- the detection study (checkers, :func:`detection_table`, :class:`CheckResult`; ``Row`` is
  :class:`gradtrio.catalog.DetectionRow`): :mod:`gradtrio.catalog.study`;
- the Hypothesis strategy (``problems``): :func:`gradtrio.testing.strategies.study_problems`;
- the table's formatting and the command line (:func:`format_table`, :func:`table_to_dict`,
  :func:`add_cli_arguments`, :func:`run_from_cli`, :func:`main`): :mod:`gradtrio.cli.mutants`,
  imported on first use. ``python -m gradtrio.mutants`` runs ``gradtrio mutants``.
"""

from __future__ import annotations

from typing import Any

from .catalog.bugs import CATALOG as CATALOG
from .catalog.bugs import CONTROL as CONTROL
from .catalog.bugs import CONTROLS as CONTROLS
from .catalog.bugs import DEBUG_SIZES as DEBUG_SIZES
from .catalog.bugs import JUDGE_LAM as JUDGE_LAM
from .catalog.bugs import JUDGE_M as JUDGE_M
from .catalog.bugs import SQUARE_SIZES as SQUARE_SIZES
from .catalog.bugs import Kind as Kind
from .catalog.bugs import Mutant as Mutant
from .catalog.known_values import CLOSED_FORM_RTOL as CLOSED_FORM_RTOL
from .catalog.known_values import KNOWN_VALUE_CASES as KNOWN_VALUE_CASES
from .catalog.known_values import PRINTOUT_RTOL as PRINTOUT_RTOL
from .catalog.known_values import KnownValueCase as KnownValueCase
from .catalog.known_values import known_value_failures as known_value_failures
from .catalog.study import CHECKERS as CHECKERS
from .catalog.study import DIRECTIONS as DIRECTIONS
from .catalog.study import FULL_BUDGET as FULL_BUDGET
from .catalog.study import QUICK_BUDGET as QUICK_BUDGET
from .catalog.study import CheckResult as CheckResult
from .catalog.study import DetectionRow as DetectionRow
from .catalog.study import check_autodiff as check_autodiff
from .catalog.study import check_central as check_central
from .catalog.study import check_complex as check_complex
from .catalog.study import check_directional as check_directional
from .catalog.study import check_known_values as check_known_values
from .catalog.study import checkers as checkers
from .catalog.study import detection_table as detection_table
from .catalog.study import examples_to_failure as examples_to_failure
from .catalog.study import judge_problem as judge_problem
from .catalog.study import make_hypothesis_checker as make_hypothesis_checker
from .catalog.study import three_way_failure as three_way_failure
from .testing.problem import Problem as Problem

#: The former name of :class:`gradtrio.catalog.DetectionRow` (``gradtrio.check.Row`` is another class).
Row = DetectionRow

__all__ = [
    "Mutant",
    "CATALOG",
    "CONTROL",
    "CONTROLS",
    "CheckResult",
    "CHECKERS",
    "KNOWN_VALUE_CASES",
    "known_value_failures",
    "judge_problem",
    "detection_table",
    # served by __getattr__ from gradtrio.cli.mutants, on first use
    "format_table",  # noqa: F822
    "add_cli_arguments",  # noqa: F822
    "run_from_cli",  # noqa: F822
]

#: Names served by other modules on first use: the command line imports argparse and the CLI package,
#: the strategy Hypothesis, neither needed to use the catalog.
_LAZY = {
    "format_table": ("gradtrio.cli.mutants", "format_table"),
    "table_to_dict": ("gradtrio.cli.mutants", "table_to_dict"),
    "add_cli_arguments": ("gradtrio.cli.mutants", "add_cli_arguments"),
    "run_from_cli": ("gradtrio.cli.mutants", "run_from_cli"),
    "main": ("gradtrio.cli.mutants", "main"),
    "problems": ("gradtrio.testing.strategies", "study_problems"),
    "HYPOTHESIS_ARCHS": ("gradtrio.testing.strategies", "STUDY_SIZES"),
    "HYPOTHESIS_M": ("gradtrio.testing.strategies", "STUDY_M"),
}


def __getattr__(name: str) -> Any:
    import importlib

    if name in _LAZY:
        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


if __name__ == "__main__":
    from .cli.mutants import main as _main

    raise SystemExit(_main())
