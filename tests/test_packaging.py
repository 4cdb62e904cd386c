"""The distributions: the sdist carries what the tests need, the wheel its license and type marker.

Both are built the way ``python -m build`` builds them (the sdist from the checkout, the wheel from
the unpacked sdist), without an isolated build environment (``--no-isolation``: the test extra
installs setuptools and build, so nothing is downloaded). A few seconds; it runs in CI.
"""

from __future__ import annotations

import email
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import gradtrio

ROOT = Path(__file__).resolve().parents[1]
#: What the copy of the checkout that the sdist is built from leaves out: never in the sdist, and the
#: first two can be large. docs/_build and __pycache__ stay, so that MANIFEST.in's pruning is still tested.
NOT_SOURCE = (".git", ".venv", ".hypothesis", ".mypy_cache", ".ruff_cache", ".pytest_cache", "build", "dist",
              "*.egg-info", "gradtrio-out")
#: Every test here uses the one build: under ``--dist loadgroup`` (.ci/run) they share a pytest-xdist worker.
pytestmark = pytest.mark.xdist_group("test_packaging.dists")


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    if not (ROOT / "pyproject.toml").is_file():
        pytest.skip("not a source tree (no pyproject.toml beside tests/)")
    out = tmp_path_factory.mktemp("dist")
    # Built from a copy: setuptools writes src/gradtrio.egg-info into the tree it builds the sdist from,
    # and two pytest-xdist workers (each running this fixture for its share of the module) or a worker
    # importing gradtrio meanwhile must not meet a half-written one in the checkout. The copy leaves out
    # only what MANIFEST.in never ships (version control, environments, caches, earlier build outputs).
    tree = out / "tree"
    shutil.copytree(ROOT, tree, symlinks=True, ignore=shutil.ignore_patterns(*NOT_SOURCE))
    proc = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(tree)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"python -m build failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    (sdist,) = out.glob("gradtrio-*.tar.gz")
    (wheel,) = out.glob("gradtrio-*.whl")
    return {"sdist": sdist, "wheel": wheel, "out": out}


def test_sdist_has_what_the_tests_and_readme_need(dists):
    with tarfile.open(dists["sdist"]) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    needed = {"LICENSE", "README.md", ".ci/run", "tests/conftest.py", "src/gradtrio/testing/strategies.py",
              "docs/conf.py", "docs/index.rst", "docs/hidden_units.png", "docs/stepsize.png",
              "benchmarks/__init__.py", "benchmarks/results/cpu/results.md", "src/gradtrio/py.typed"}
    assert not needed - names, f"missing from the sdist: {sorted(needed - names)}"
    tests_here = {str(p.relative_to(ROOT)) for p in (ROOT / "tests").glob("*.py")}
    assert not tests_here - names, f"test files missing from the sdist: {sorted(tests_here - names)}"
    assert not any(n.startswith("docs/_build") or "__pycache__" in n for n in names)


def test_tests_collect_from_the_unpacked_sdist(dists):
    dest = dists["out"] / "unpacked"
    with tarfile.open(dists["sdist"]) as tar:
        if hasattr(tarfile, "data_filter"):  # Python >= 3.10.12 / 3.11.4
            tar.extractall(dest, filter="data")
        else:
            tar.extractall(dest)
    (src,) = dest.iterdir()
    proc = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
                          cwd=src, capture_output=True, text=True, timeout=300)
    tail = proc.stdout[-3000:] + proc.stderr[-2000:]
    assert proc.returncode == 0, f"pytest --collect-only in the unpacked sdist failed:\n{tail}"
    assert "error" not in proc.stdout.lower().splitlines()[-1], tail
    assert "tests collected" in proc.stdout or "selected" in proc.stdout, tail


def test_wheel_has_license_type_marker_and_metadata(dists):
    with zipfile.ZipFile(dists["wheel"]) as whl:
        names = set(whl.namelist())
        (meta_name,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        meta = email.message_from_bytes(whl.read(meta_name))
    dist_info = meta_name.rsplit("/", 1)[0]
    assert "gradtrio/py.typed" in names
    assert f"{dist_info}/licenses/LICENSE" in names
    assert meta["License-Expression"] == "MIT" and meta.get_all("License-File") == ["LICENSE"]
    assert meta["Version"] == gradtrio.__version__  # one source: gradtrio/__init__.py
    requires = [r.split(";")[0].replace(" ", "") for r in meta.get_all("Requires-Dist")]
    assert any(r.startswith("hypothesis") for r in requires), "Hypothesis is a runtime dependency"
    assert not any(n.startswith(("tests/", "benchmarks/", "docs/")) for n in names)
