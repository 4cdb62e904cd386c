"""Classic backpropagation bugs, values known from independent sources, and which checker catches which.

- :mod:`gradtrio.catalog.bugs` — the bug catalog: :data:`CATALOG` of :class:`Mutant`\\ s, each the
  vectorized algorithm with one classic bug switched on, and :data:`CONTROL`, the correct one;
- :mod:`gradtrio.catalog.known_values` — costs and gradients known by hand or from the course's
  printouts (:data:`KNOWN_VALUE_CASES`), shared with the tests that check the same numbers;
- :mod:`gradtrio.catalog.study` — the detection study: the checkers and :func:`detection_table`;
- :mod:`gradtrio.catalog.counting` — a problem as counted flat-vector functions (:class:`FlatProblem`).

``gradtrio mutants`` (:mod:`gradtrio.cli.mutants`) prints the detection table.
"""

from .bugs import CATALOG as CATALOG
from .bugs import CONTROL as CONTROL
from .bugs import CONTROLS as CONTROLS
from .bugs import DEBUG_SIZES as DEBUG_SIZES
from .bugs import JUDGE_LAM as JUDGE_LAM
from .bugs import JUDGE_M as JUDGE_M
from .bugs import KINDS as KINDS
from .bugs import SQUARE_SIZES as SQUARE_SIZES
from .bugs import Mutant as Mutant
from .counting import Counted as Counted
from .counting import FlatProblem as FlatProblem
from .known_values import KNOWN_VALUE_CASES as KNOWN_VALUE_CASES
from .known_values import KnownValueCase as KnownValueCase
from .known_values import known_value_cases as known_value_cases
from .known_values import known_value_failures as known_value_failures
from .study import CHECKERS as CHECKERS
from .study import FULL_BUDGET as FULL_BUDGET
from .study import QUICK_BUDGET as QUICK_BUDGET
from .study import CheckResult as CheckResult
from .study import DetectionRow as DetectionRow
from .study import check_autodiff as check_autodiff
from .study import check_central as check_central
from .study import check_complex as check_complex
from .study import check_directional as check_directional
from .study import check_known_values as check_known_values
from .study import checkers as checkers
from .study import control_name as control_name
from .study import detection_table as detection_table
from .study import examples_to_failure as examples_to_failure
from .study import judge_problem as judge_problem
from .study import three_way_failure as three_way_failure

__all__ = [
    "CATALOG",
    "KINDS",
    "CONTROL",
    "CONTROLS",
    "DEBUG_SIZES",
    "JUDGE_LAM",
    "JUDGE_M",
    "SQUARE_SIZES",
    "Mutant",
    "Counted",
    "FlatProblem",
    "KNOWN_VALUE_CASES",
    "KnownValueCase",
    "known_value_cases",
    "known_value_failures",
    "CHECKERS",
    "FULL_BUDGET",
    "QUICK_BUDGET",
    "CheckResult",
    "DetectionRow",
    "check_autodiff",
    "check_central",
    "check_complex",
    "check_directional",
    "check_known_values",
    "checkers",
    "control_name",
    "detection_table",
    "examples_to_failure",
    "judge_problem",
    "three_way_failure",
]
