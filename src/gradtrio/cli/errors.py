"""Exit codes of the ``gradtrio`` command, and its one-line error messages.

Exit codes: 0 success; 1 a gradient check failed; 2 bad input (one line on stderr, no traceback);
3 a gradient check was inconclusive; 130 interrupted by Ctrl-C.
"""

from __future__ import annotations

import sys
from typing import NoReturn

EXIT_OK, EXIT_CHECK_FAILED, EXIT_USAGE, EXIT_INCONCLUSIVE, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
#: The exit code of each verdict of a gradient check.
EXIT_OF_VERDICT = {"pass": EXIT_OK, "fail": EXIT_CHECK_FAILED, "inconclusive": EXIT_INCONCLUSIVE}

#: What ``gradtrio train`` is about to allocate, for the message of a MemoryError.
memory_context: dict[str, str] = {}


def fail(message: str) -> NoReturn:
    """Print ``gradtrio: error: message`` as one line on stderr and exit 2."""
    print(f"gradtrio: error: {' '.join(str(message).split())}", file=sys.stderr)
    raise SystemExit(EXIT_USAGE)


def cli_message(exc: BaseException) -> str:
    """The library's message in one line, with its Python spellings of options turned into the CLI's."""
    text = " ".join(str(exc).split())
    for python, option in (("labels='stored'", "--labels stored"), ("labels='course'", "--labels course"),
                           ("test_size=", "--test-size ")):
        text = text.replace(python, option)
    return text
