"""Moved to :mod:`gradtrio.model.validate` (kept so that imports of the old private path keep working)."""

from .model.validate import *  # noqa: F403
from .model.validate import __all__  # noqa: F401
