"""Lint, types and documentation, as tests, so that CI's one command (the README's) runs them.

- ``ruff check .`` with the rule set stated in pyproject.toml (``[tool.ruff.lint]``);
- ``mypy`` with the configuration of pyproject.toml (``[tool.mypy]``: the package, with NumPy's and
  SciPy's stubs);
- the Sphinx site, HTML and doctest builders, warnings as errors (every ``>>>`` example of the pages
  and of the docstrings runs).

The tools come from the ``lint`` and ``docs`` extras, which the README's test command installs; none of
these tests is skipped when a tool is missing (a skipped check would read as a passed one in CI).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXTRAS_HINT = "the README's test command installs it: pip install -e '.[test,lint,docs]'"


def _run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, **kwargs)


def _require(module: str) -> None:
    proc = _run(["pip", "show", "-q", module])
    assert proc.returncode == 0, f"{module} is not installed; {EXTRAS_HINT}"


def test_ruff_is_clean():
    _require("ruff")
    proc = _run(["ruff", "check", "--no-cache", "--output-format", "concise", "."])
    assert proc.returncode == 0, f"ruff check . found:\n{proc.stdout[-8000:]}{proc.stderr[-2000:]}"


def test_mypy_is_clean(tmp_path):
    _require("mypy")
    _require("scipy-stubs")
    proc = _run(["mypy", "--cache-dir", str(tmp_path / "mypy_cache")])
    assert proc.returncode == 0, f"mypy found:\n{proc.stdout[-8000:]}{proc.stderr[-2000:]}"


@pytest.mark.parametrize("builder", ["html", "doctest"])
def test_docs_build_without_warnings(builder, tmp_path):
    _require("sphinx")
    _require("numpydoc")
    env = dict(os.environ, MPLBACKEND="Agg")
    proc = _run(["sphinx", "-W", "--keep-going", "-q", "-b", builder, "-d", str(tmp_path / "doctrees"),
                 "docs", str(tmp_path / builder)], env=env)
    assert proc.returncode == 0, (f"sphinx -b {builder} failed (warnings are errors):\n"
                                  f"{proc.stdout[-6000:]}{proc.stderr[-8000:]}")
