"""Where the files shipped inside the package are: report notebooks, the sample district, HTML templates.

Everything a user needs after ``pip install plc-analysis`` lives inside the
``plc_analysis`` package and is found with :mod:`importlib.resources`, so the
same paths work in a source checkout, an editable install and an installed wheel,
from any working folder.
"""

from __future__ import annotations

import shutil
from importlib.resources import files
from pathlib import Path

__all__ = ["bundled_path", "copy_notebooks", "NOTEBOOK_DIR", "SAMPLE_DIR", "TEMPLATE_DIR"]


def bundled_path(*parts: str) -> Path:
    """The path of a file or folder shipped inside the package.

    Parameters
    ----------
    *parts : str
        Path components below the package folder, e.g. ``("notebooks", "explore.ipynb")``.

    Returns
    -------
    Path
        A real file-system path (notebooks and data folders are handed to papermill,
        nbconvert and pandas, which need one).

    Raises
    ------
    RuntimeError
        When the package is imported from a zip archive, where its files have no path.
    """
    resource = files("plc_analysis").joinpath(*parts)
    if not isinstance(resource, Path):
        raise RuntimeError(
            f"plc_analysis is imported from an archive ({resource!r}); install it as a regular package "
            "(pip install plc-analysis) so that its notebooks and sample data are files on disk"
        )
    return resource


#: The report notebooks (team report, support plan, goals, district overview, explorer).
NOTEBOOK_DIR = bundled_path("notebooks")
#: The synthetic sample district (canonical CSV tables, ``planted.json`` and a README).
SAMPLE_DIR = bundled_path("data", "sample")
#: nbconvert templates of the HTML reports.
TEMPLATE_DIR = bundled_path("templates")


def copy_notebooks(out: str | Path, *, overwrite: bool = False) -> list[Path]:
    """Copy the bundled notebooks into a folder of one's own, to open and change them in JupyterLab.

    The installed notebooks belong to the package (an upgrade replaces them); a coach
    works on copies.  Without ``overwrite`` an existing notebook of the same name is kept.

    Parameters
    ----------
    out : str or Path
        The folder (created if missing).
    overwrite : bool
        Replace notebooks already there.

    Returns
    -------
    list of Path
        The notebooks written, in name order.

    Raises
    ------
    FileExistsError
        When ``overwrite`` is False and some notebook already exists in ``out``; nothing is copied.
    """
    out = Path(out).expanduser()
    sources = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
    existing = [out / source.name for source in sources if (out / source.name).exists()]
    if existing and not overwrite:
        names = ", ".join(path.name for path in existing)
        raise FileExistsError(f"{out} already holds {names}; use another folder or --force to replace them")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for source in sources:
        target = out / source.name
        shutil.copyfile(source, target)
        written.append(target)
    return written
