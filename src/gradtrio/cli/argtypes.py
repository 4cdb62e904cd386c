"""argparse types of the ``gradtrio`` command: each turns a string into a validated value or says why not.

Values are validated here, at the boundary, once; the commands pass them on as they are.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence


def int_at_least(low: int):
    """An argparse type: an integer >= ``low``."""
    what = "a positive integer" if low == 1 else f"an integer >= {low}"

    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}; got {text!r}") from None
        if v < low:
            raise argparse.ArgumentTypeError(f"expected {what}; got {v}")
        return v

    return parse


positive_int, nonneg_int = int_at_least(1), int_at_least(0)


def lam(text: str) -> float:
    """λ, validated here once (:func:`gradtrio.model.validate.check_lam`): the commands pass it on as it is."""
    from ..model.validate import check_lam

    try:
        return check_lam(float(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"λ must be a finite number >= 0; got {text!r}") from None


def fraction(text: str) -> float:
    """A relative size strictly between 0 and 1 (``--bug-size``)."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a fraction between 0 and 1, such as 0.05; got {text!r}") from None
    if not 0 < v < 1:
        raise argparse.ArgumentTypeError(f"expected a fraction strictly between 0 and 1, such as 0.05; got {v:g}")
    return v


def layer_sizes(values: Sequence[str]) -> list[int]:
    """Layer sizes from ``25 25`` as well as ``25,25``; the library checks that they are >= 1."""
    out = []
    for part in (p for v in values for p in str(v).replace(",", " ").split()):
        try:
            out.append(int(part))
        except ValueError:
            raise ValueError(f"layer sizes must be integers; got {part!r}") from None
    return out


