"""The corpus (tests/corpus): students' implementations, correct and buggy, in every convention, verified.

Done when no correct one fails, every buggy one fails, and the diagnosis names the planted bug where it is
in the catalog. Each runs at the default budget (:data:`gradtrio.testing.verifier.DEFAULT_EXAMPLES`), as a
user's would.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from gradtrio.testing import verify

TESTS = Path(__file__).resolve().parent
if str(TESTS) not in sys.path:  # `corpus` is a folder of the tests, not an installed package
    sys.path.insert(0, str(TESTS))

from corpus import manifest  # noqa: E402

ENTRIES = manifest.entries()
#: Bugs that are a mismatch between the code and the data's label convention: code that reads labels
#: 1..K as 0-based indices is correct code for 0..K-1 labels, so with labels="auto" it passes in the
#: convention it fits, and the report says which one that is.
CONVENTION_BUGS = {"labels_off_by_one", "labels_not_one_hot"}


def _given(exp):
    return {k: exp[k] for k in ("order", "labels", "y_shape") if exp["signature"] == "course" and exp[k] is not None}


def _fn(name, exp):
    return getattr(manifest.load(name), exp["function"])


@pytest.mark.parametrize("name,exp", ENTRIES, ids=[n for n, _ in ENTRIES])
def test_corpus_entry_is_verified_correctly(name, exp):
    fn = _fn(name, exp)
    bug = exp["bug"]
    if bug is None:  # correct: passes with its conventions detected, and with them given
        r = verify(fn, signature=exp["signature"])
        assert r.verdict == "pass", str(r)
        if exp["signature"] == "course":
            assert (r.conventions["order"], r.conventions["labels"]) == (exp["order"], exp["labels"]), str(r)
            assert verify(fn, signature="course", examples=5, **_given(exp)).passed
        return
    r = verify(fn, signature=exp["signature"], **_given(exp))
    assert r.verdict == "fail", str(r)
    names = [d.name for d in r.diagnosis]
    if bug.startswith("beyond"):
        assert not names, f"{name}: a bug beyond the catalog diagnosed as {names}"
        assert r.pattern, str(r)
    else:
        assert bug in names, str(r)
        assert len(names) <= 2, names  # the planted bug, at most one look-alike on these problems
    assert r.counterexample is not None


@pytest.mark.parametrize("name,exp", [(n, e) for n, e in ENTRIES if e["bug"] and e["signature"] == "course"],
                         ids=[n for n, e in ENTRIES if e["bug"] and e["signature"] == "course"])
def test_buggy_corpus_entry_never_passes_with_conventions_detected(name, exp):
    r = verify(_fn(name, exp), signature="course", examples=5)
    if exp["bug"] in CONVENTION_BUGS:
        assert any("y was read as" in f.message for f in r.findings), str(r)
    else:
        assert r.verdict == "fail", str(r)


def test_corpus_covers_every_convention_and_the_catalog():
    from gradtrio.catalog import CATALOG

    correct = {(e["order"], e["labels"], e["y_shape"]) for _, e in ENTRIES if e["bug"] is None
               and e["signature"] == "course"}
    assert len(correct) == 10
    bugs = {e["bug"] for _, e in ENTRIES if e["bug"]}
    # the corpus is the course's exercise: every bug of the catalog on its network (sigmoid, sigmoid output)
    assert {n for n, mu in CATALOG.items() if mu.units == {"activation": "sigmoid", "output": "sigmoid"}} <= bugs
    assert sum(b.startswith("beyond") for b in bugs) >= 6
