"""The batch's record: ``manifest.json`` (one entry per report) and the ``index.html`` rendered from it."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..export import write_text_atomic
from .index_page import render_index
from .outputs import OutputError
from .settings import INDEX_NAME, MANIFEST_NAME

__all__ = ["load_manifest", "save_manifest"]

logger = logging.getLogger(__name__)


def load_manifest(out_dir: str | Path) -> dict | None:
    """Read ``manifest.json`` from an output folder.

    Parameters
    ----------
    out_dir : str or Path
        The batch output folder.

    Returns
    -------
    dict or None
        The manifest, or None when there is none (or it is unreadable, which
        is logged: a resumed batch then re-runs everything).
    """
    path = Path(out_dir) / MANIFEST_NAME
    if not path.exists():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        logger.warning("ignoring unreadable %s: %s", path, exc)
        return None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("reports"), list):
        logger.warning("ignoring %s: not a batch manifest", path)
        return None
    return manifest


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
