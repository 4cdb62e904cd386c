"""Self-check of the corpus of students' implementations (tests/corpus): is every EXPECTED label right?

Each corpus module is called in its own conventions (unrolling order, labels, shape of y) on a few
fixed random problems, converted here from the gradtrio frame (a list of Θ, one-hot Y):

- a correct module (``bug`` None) matches :func:`gradtrio.backprop.cost_and_grad` and leaves its
  arguments as they were;
- a module labelled with a catalog bug behaves as ``CATALOG[bug]`` on every problem (both raise, or the
  same cost and gradient), and differs from the reference on at least one (raises, returns another cost or
  gradient, or writes into its arguments: ``params_mutated_through_view`` must change the caller's
  ``nn_params`` wherever it runs);
- a module labelled ``"beyond: ..."`` differs from the reference on at least one problem, and no catalog
  mutant behaves as it does on every problem.

The problems (fixed seeds, |Θ| <= 1, |X| <= 1): sizes (4, 5, 3) and (3, 4, 4) (the second has a square
Θ2[:, 1:], where ``theta_transposed`` runs), m = 7 with every class present and m = 2 < K with a class
absent, λ = 0 and λ = 1.7; one more with m = 2 and a single class (a one-column one-hot broadcasts over the
K outputs instead of raising); and, for the gradtrio-signature modules, a 4-layer network (3, 4, 5, 3).

Student code overflows in ``exp`` and takes ``log(0)`` as students' code does: every call runs with
NumPy's warnings off and Python's warnings ignored (the suite turns RuntimeWarning into errors).
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from gradtrio import backprop
from gradtrio.catalog import CATALOG

TESTS = Path(__file__).resolve().parent
if str(TESTS) not in sys.path:  # `corpus` is a folder of the tests, not an installed package
    sys.path.insert(0, str(TESTS))

from corpus import manifest  # noqa: E402

RTOL, ATOL = 1e-9, 1e-12
SIZES = [(4, 5, 3), (3, 4, 4)]  # (3, 4, 4): Θ2[:, 1:] is square (4 x 4), where theta_transposed runs
DEEP_SIZES = (3, 4, 5, 3)  # for the gradtrio-signature modules, which take any depth
LAMS = (0.0, 1.7)


def _problem(sizes: tuple[int, ...], m: int, lam: float, seed: int, one_class: bool = False) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    thetas = [rng.uniform(-1, 1, (b, a + 1)) for a, b in zip(sizes[:-1], sizes[1:])]
    X = rng.uniform(-1, 1, (m, sizes[0]))
    K = sizes[-1]
    if one_class:
        labels = np.full(m, 1)  # a single class present: a one-column one-hot broadcasts instead of raising
    elif m >= K:
        labels = rng.permutation(np.arange(m) % K)  # every class present
    else:
        labels = rng.permutation(np.array([0, K - 1][:m]))  # m = 2 < K: a class absent, two distinct
    Y = np.eye(K)[labels]
    return {"sizes": sizes, "thetas": thetas, "X": X, "labels": labels, "Y": Y, "lam": lam,
            "name": f"sizes={sizes} m={m} lam={lam}" + (" one class" if one_class else "")}


def _problems(deep: bool) -> list[dict[str, Any]]:
    sizes_list = SIZES + ([DEEP_SIZES] if deep else [])
    out = []
    seed = 20240
    for sizes in sizes_list:
        for m in (7, 2):
            for lam in LAMS:
                out.append(_problem(sizes, m, lam, seed))
                seed += 1
    out.append(_problem(SIZES[0], 2, LAMS[1], seed, one_class=True))
    return out


def _quiet(fn, *args):
    """("ok", result) or ("raise", exception), with numerical warnings off."""
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return "ok", fn(*args)
    except Exception as exc:  # noqa: BLE001 - student code raises anything
        return "raise", exc


def _pack(thetas: list[np.ndarray], order: str) -> np.ndarray:
    return np.concatenate([T.ravel(order=order) for T in thetas])


def _unpack(flat: Any, shapes: list[tuple[int, int]], order: str) -> list[np.ndarray]:
    flat = np.asarray(flat, dtype=float).reshape(-1)
    sizes = [r * c for r, c in shapes]
    if flat.size != sum(sizes):
        raise ValueError(f"grad has {flat.size} entries, {sum(sizes)} expected")
    out, start = [], 0
    for (r, c), n in zip(shapes, sizes):
        out.append(flat[start:start + n].reshape((r, c), order=order))
        start += n
    return out


def _encode_y(pb: dict[str, Any], exp: dict[str, Any]) -> np.ndarray:
    if exp["labels"] == "one-hot":
        return pb["Y"].copy()
    y = pb["labels"].astype(np.int64) + (1 if exp["labels"] == "1..K" else 0)
    if exp["labels"] not in ("1..K", "0..K-1"):
        raise AssertionError(f"unknown labels convention {exp['labels']!r}")
    return y.reshape(-1, 1) if exp["y_shape"] == "(m, 1)" else y


def _call_entry(mod: Any, exp: dict[str, Any], pb: dict[str, Any]) -> tuple[str, Any, dict[str, bool]]:
    """Call the module on copies of ``pb`` in its own conventions; grads come back as a list of Θ-shaped arrays."""
    fn = getattr(mod, exp["function"])
    thetas = [T.copy() for T in pb["thetas"]]
    X = pb["X"].copy()
    lam = pb["lam"]
    changed: dict[str, bool] = {}
    if exp["signature"] == "gradtrio":
        Y = pb["Y"].copy()
        status, res = _quiet(fn, thetas, X, Y, lam)
        changed["params"] = any(not np.array_equal(a, b) for a, b in zip(thetas, pb["thetas"]))
        changed["data"] = not (np.array_equal(X, pb["X"]) and np.array_equal(Y, pb["Y"]))
        if status == "ok":
            J, grads = res
            res = (J, [np.asarray(G, dtype=float) for G in grads])
        return status, res, changed
    if exp["signature"] != "course":
        raise AssertionError(f"unknown signature {exp['signature']!r}")
    sizes = pb["sizes"]
    if len(sizes) != 3:
        raise AssertionError("course-signature modules are 3-layer networks")
    order = exp["order"]
    nn_params = _pack(thetas, order)
    y = _encode_y(pb, exp)
    y0 = y.copy()
    status, res = _quiet(fn, nn_params, sizes[0], sizes[1], sizes[2], X, y, lam)
    changed["params"] = not np.array_equal(nn_params, _pack(pb["thetas"], order))
    changed["data"] = not (np.array_equal(X, pb["X"]) and np.array_equal(y, y0))
    if status == "ok":
        J, grad = res
        status, grads = _quiet(_unpack, grad, [T.shape for T in pb["thetas"]], order)
        res = (J, grads) if status == "ok" else grads
    return status, res, changed


def _reference(pb: dict[str, Any]) -> tuple[str, Any]:
    return _quiet(backprop.cost_and_grad, [T.copy() for T in pb["thetas"]], pb["X"].copy(), pb["Y"].copy(),
                  pb["lam"])


def _catalog(bug: str, pb: dict[str, Any]) -> tuple[str, Any]:
    return _quiet(CATALOG[bug], [T.copy() for T in pb["thetas"]], pb["X"].copy(), pb["Y"].copy(), pb["lam"])


def _brief(status: str, res: Any) -> str:
    """The exception, or the cost alone: a whole gradient would drown the message."""
    if status == "raise":
        return repr(res)
    return f"J = {float(np.asarray(res[0]).squeeze())!r}"


def _close(a: tuple[Any, list[np.ndarray]], b: tuple[Any, list[np.ndarray]]) -> tuple[bool, str]:
    """Same cost and gradient, to RTOL/ATOL; the reason when not."""
    Ja, Jb = float(np.asarray(a[0]).squeeze()), float(np.asarray(b[0]).squeeze())
    if not np.isclose(Ja, Jb, rtol=RTOL, atol=ATOL):
        return False, f"J {Ja!r} vs {Jb!r}"
    if len(a[1]) != len(b[1]):
        return False, f"{len(a[1])} gradient matrices vs {len(b[1])}"
    for l, (Ga, Gb) in enumerate(zip(a[1], b[1])):
        if Ga.shape != Gb.shape:
            return False, f"grad[{l}] shape {Ga.shape} vs {Gb.shape}"
        if not np.allclose(Ga, Gb, rtol=RTOL, atol=ATOL):
            return False, f"grad[{l}] max |diff| {np.nanmax(np.abs(Ga - Gb)):.3g}"
    return True, ""


def _differs_from_reference(status: str, res: Any, changed: dict[str, bool], pb: dict[str, Any]) -> bool:
    """Raised, or another cost or gradient, or wrote into its arguments: the reference does none of these."""
    ref_status, ref = _reference(pb)
    assert ref_status == "ok", f"the reference raised on {pb['name']}: {ref!r}"
    return status == "raise" or not _close(res, ref)[0] or changed["params"] or changed["data"]


ENTRIES = manifest.entries()
IDS = [name for name, _ in ENTRIES]


def test_corpus_is_not_empty_and_labels_are_well_formed():
    assert len(ENTRIES) >= 14
    keys = {"function", "signature", "order", "labels", "y_shape", "bug"}
    for name, exp in ENTRIES:
        assert set(exp) == keys, name
        if exp["signature"] == "gradtrio":
            assert exp["order"] is None and exp["labels"] is None and exp["y_shape"] is None, name
        else:
            assert exp["order"] in ("C", "F"), name
            assert exp["labels"] in ("1..K", "0..K-1", "one-hot"), name
            assert exp["y_shape"] == (None if exp["labels"] == "one-hot" else exp["y_shape"]), name
            if exp["labels"] != "one-hot":
                assert exp["y_shape"] in ("(m,)", "(m, 1)"), name
        bug = exp["bug"]
        assert bug is None or bug in CATALOG or (isinstance(bug, str) and bug.startswith("beyond: ")), name


@pytest.mark.parametrize(("name", "exp"), ENTRIES, ids=IDS)
def test_corpus_entry_behaves_as_labelled(name: str, exp: dict[str, Any]):
    mod = manifest.load(name)
    problems = _problems(deep=exp["signature"] == "gradtrio")
    bug = exp["bug"]
    if bug is None:
        for pb in problems:
            status, res, changed = _call_entry(mod, exp, pb)
            assert status == "ok", f"{name} raised on {pb['name']}: {res!r}"
            ok, why = _close(res, _reference(pb)[1])
            assert ok, f"{name} differs from the reference on {pb['name']}: {why}"
            assert not changed["params"] and not changed["data"], f"{name} wrote into its arguments on {pb['name']}"
        return
    differs, runs = [], []
    for pb in problems:
        status, res, changed = _call_entry(mod, exp, pb)
        if bug in CATALOG:
            cat_status, cat = _catalog(bug, pb)
            assert status == cat_status, (
                f"{name} {'raised' if status == 'raise' else 'ran'} on {pb['name']} "
                f"but CATALOG[{bug!r}] {'raised' if cat_status == 'raise' else 'ran'}: "
                f"{_brief(status, res)} / {_brief(cat_status, cat)}")
            if status == "ok":
                ok, why = _close(res, cat)
                assert ok, f"{name} differs from CATALOG[{bug!r}] on {pb['name']}: {why}"
            if bug == "params_mutated_through_view" and status == "ok":
                assert changed["params"], f"{name} left the caller's nn_params as they were on {pb['name']}"
        differs.append(_differs_from_reference(status, res, changed, pb))
        runs.append((pb, status, res))
    assert any(differs), f"{name} ({bug}) never differs from the reference"
    if bug not in CATALOG:  # "beyond": no catalog mutant behaves like it on every problem
        for other in CATALOG:
            assert not all(_same_as_catalog(other, pb, status, res) for pb, status, res in runs), (
                f"{name} is labelled beyond the catalog but behaves as CATALOG[{other!r}]")


def _same_as_catalog(bug: str, pb: dict[str, Any], status: str, res: Any) -> bool:
    cat_status, cat = _catalog(bug, pb)
    return status == cat_status and (status == "raise" or _close(res, cat)[0])
