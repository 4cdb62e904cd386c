"""Sphinx configuration of gradtrio's documentation.

Build (from the repository root; the docs extra installs Sphinx, numpydoc and the theme)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html
    python -m sphinx -W --keep-going -b doctest docs docs/_build/doctest

No network is used: no intersphinx inventories are fetched.
"""

from __future__ import annotations

import doctest
import os

os.environ.setdefault("MPLBACKEND", "Agg")  # before anything imports Matplotlib

import gradtrio  # noqa: E402

project = "gradtrio"
author = "gradtrio developers"
copyright = "2026, gradtrio developers"
release = gradtrio.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",
    "sphinx.ext.mathjax",
    "numpydoc",
]

exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
# The README's pictures live here too; they are images of the pages, not pages.
source_suffix = {".rst": "restructuredtext"}
root_doc = "index"
default_role = "literal"

# autodoc + numpydoc: the docstrings follow numpydoc; types are in them, so signatures stay short.
autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_typehints = "none"
autodoc_preserve_defaults = True
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# Doctests: every ``>>>`` example in the pages and in the docstrings runs under ``-b doctest``.
# ELLIPSIS masks timings and other run-dependent text (``... s``).
doctest_global_setup = """
import numpy as np
import gradtrio
np.set_printoptions(precision=6, suppress=True)
"""
doctest_default_flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE | doctest.IGNORE_EXCEPTION_DETAIL

html_theme = "pydata_sphinx_theme"
html_title = f"gradtrio {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
html_static_path: list[str] = []
html_show_sourcelink = False
