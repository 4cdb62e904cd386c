"""Output paths of the ``gradtrio`` command, checked before any work so that no result is lost."""

from __future__ import annotations

import os
from collections.abc import Sequence


def writable_folder(folder: str) -> str | None:
    """None if a file can be created in the existing ``folder``, else the reason (strerror)."""
    import tempfile

    try:
        with tempfile.TemporaryFile(dir=folder, prefix=".gradtrio-probe."):
            return None
    except OSError as exc:
        return exc.strerror or str(exc)


def check_out_dir(option: str, out: str, files: Sequence[str]) -> None:
    """Refuse, before any work, an output folder gradtrio could not write ``files`` into.

    The folder need not exist: then the nearest existing folder above it must let it be created.
    Each message names the real path (never a temporary file's).
    """
    if os.path.exists(out) and not os.path.isdir(out):
        raise ValueError(f"{option} must be a folder; {out} is a file")
    if os.path.isdir(out):
        for name in files:
            path = os.path.join(out, name)
            if os.path.isdir(path):
                raise ValueError(f"{option} {out}: {path} is a folder, where gradtrio writes a file: "
                                 f"move it away or choose another {option}")
        why = writable_folder(out)
        if why:
            raise ValueError(f"{option} {out}: the folder is not writable ({why})")
        return
    above = os.path.dirname(os.path.abspath(out))
    while not os.path.exists(above):
        above = os.path.dirname(above)
    if not os.path.isdir(above):
        raise ValueError(f"{option} {out}: cannot create the folder: {above} is a file")
    why = writable_folder(above)
    if why:
        raise ValueError(f"{option} {out}: cannot create the folder: {above} is not writable ({why})")


def check_output_path(path: str, option: str = "--output") -> None:
    """Refuse an output file that cannot be written, before any work, naming the option and path."""
    if os.path.isdir(path):
        raise ValueError(f"{option} must be a file name; {path} is a folder")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise ValueError(f"{option} {path}: the folder {parent} does not exist")
    why = writable_folder(parent)
    if why:
        raise ValueError(f"{option} {path}: the folder {parent} is not writable ({why})")

