"""The batch's record: ``manifest.json`` (one entry per report) and the ``index.html`` rendered from it."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..export import write_text_atomic
from .index_page import render_index
from .jobs import BatchError
from .outputs import OutputError
from .settings import INDEX_NAME, MANIFEST_NAME

__all__ = ["load_manifest", "save_manifest"]

logger = logging.getLogger(__name__)


def load_manifest(out_dir: str | Path, *, strict: bool = False) -> dict | None:
    """Read ``manifest.json`` from an output folder.

    Parameters
    ----------
    out_dir : str or Path
        The batch output folder.
    strict : bool
        Raise, rather than ignore, a manifest that is there but unreadable
        or not a batch manifest (a run that would merge with it, such as
        ``--only-failed``, must not carry on as if there were none).

    Returns
    -------
    dict or None
        The manifest, or None when there is none (or, unless ``strict``, it
        is unreadable, which is logged: a fresh batch then replaces it).

    Raises
    ------
    BatchError
        With ``strict``: the manifest is unreadable, or an entry lacks what
        identifies its report.
    """
    path = Path(out_dir) / MANIFEST_NAME
    if not path.exists() and not path.is_symlink():
        return None
    manifest: Any = None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        problem = _manifest_problem(manifest)
    except (OSError, ValueError) as exc:
        problem = f"unreadable ({type(exc).__name__}: {' '.join(str(exc).split())[:200]})"
    if problem is None:
        return manifest
    if strict:
        raise BatchError(
            f"{path} is {problem}; it cannot say which reports are done. Fix or remove it, "
            "then run again (without --only-failed, and with --data, to redo every report)"
        )
    logger.warning("ignoring %s: %s", path, problem)
    return None


def _manifest_problem(manifest: Any) -> str | None:
    """What makes ``manifest`` unusable, or None."""
    if not isinstance(manifest, dict) or not isinstance(manifest.get("reports"), list):
        return "not a batch manifest (no list of reports)"
    for number, entry in enumerate(manifest["reports"], start=1):
        if not isinstance(entry, dict) or not isinstance(entry.get("school_id"), str) or "status" not in entry:
            return f"not a batch manifest (report entry {number} lacks its school_id or status)"
    return None


def save_manifest(out: Path, manifest: Mapping[str, Any]) -> None:
    """Write ``manifest.json`` and the ``index.html`` rendered from it, each atomically.

    Parameters
    ----------
    out : Path
        The batch output folder.
    manifest : mapping
        The manifest to write (paths in its entries relative to ``out``).

    Raises
    ------
    OutputError
        A file could not be written (the error and the file's path attached).
    """
    text = json.dumps(manifest, indent=2, ensure_ascii=False, default=str) + "\n"
    for path, render in ((out / MANIFEST_NAME, lambda: text), (out / INDEX_NAME, lambda: render_index(manifest))):
        try:
            write_text_atomic(path, render())
        except OSError as exc:
            raise OutputError(path, exc) from exc
