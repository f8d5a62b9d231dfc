"""Importing plc_analysis changes nothing process-wide, and its figures show in a coach's own notebook.

The first test runs in a fresh interpreter: it imports everything plc_analysis imports (dependencies may
set their own warnings filters when imported: scipy.special does), takes a snapshot of the process-wide
state, imports plc_analysis, and compares.  The second executes a notebook with nbclient, as JupyterLab
would, under ``%matplotlib inline``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from nbformat.v4 import new_code_cell, new_notebook

ROOT = Path(__file__).resolve().parent.parent

#: The modules importing plc_analysis brings in, in the order they were first imported.
LIST_DEPENDENCIES = """
import json, sys
before = set(sys.modules)
import plc_analysis
print(json.dumps([m for m in sys.modules if m not in before and m.split(".")[0] != "plc_analysis"]))
"""

#: Imports those modules, takes a snapshot of process-wide state, imports plc_analysis and prints both snapshots.
COMPARE_STATE = """
import importlib, json, logging, os, sys, warnings
for name in json.loads(sys.argv[1]):
    try:
        importlib.import_module(name)
    except Exception:  # some private submodules cannot be imported on their own; their parents were
        pass
import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_svg import RendererSVG

def pandas_options(node, prefix=""):
    values = {}
    for key in dir(node):
        value = getattr(node, key)
        if type(value).__name__ == "DictWrapper":
            values.update(pandas_options(value, prefix + key + "."))
        else:
            values[prefix + key] = repr(value)
    return values

def state():
    root = logging.getLogger()
    return {
        "backend": matplotlib.get_backend(),
        "rcParams": {k: repr(v) for k, v in matplotlib.rcParams.items()},
        "pandas options": pandas_options(pd.options),
        "warnings filters": [repr(f) for f in warnings.filters],
        "numpy errors": np.geterr(),
        "numpy print options": {k: repr(v) for k, v in np.get_printoptions().items()},
        "root logger": [root.level, [repr(h) for h in root.handlers]],
        "environment": dict(os.environ),
        "sys.path": list(sys.path),
        "RendererSVG": sorted(f"{k}={v!r}" for k, v in vars(RendererSVG).items()),
    }

before = state()
import plc_analysis
import plc_analysis.batch, plc_analysis.cli, plc_analysis.report, plc_analysis.report_scopes
after = state()
print(json.dumps({"before": before, "after": after}))
"""


def _python(code: str, *args: str, env: dict | None = None) -> str:
    import os

    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=environment, timeout=180, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()[-1]


@pytest.fixture(scope="module")
def dependencies() -> str:
    listed = _python(LIST_DEPENDENCIES)
    assert "matplotlib.pyplot" in json.loads(listed)  # the snapshot is taken after the heavy imports
    return listed


def test_importing_the_package_changes_nothing_process_wide(dependencies):
    """Backend, rcParams, pandas options, warnings filters, numpy, logging, environment: all as they were.

    The kernel of a coach's notebook runs with matplotlib's inline backend; it stays.
    """
    backend = "module://matplotlib_inline.backend_inline"
    snapshots = json.loads(_python(COMPARE_STATE, dependencies, env={"MPLBACKEND": backend}))
    before, after = snapshots["before"], snapshots["after"]
    assert before["backend"] == backend
    for aspect, was in before.items():
        now = after[aspect]
        if aspect == "pandas options":  # an import may register new options, never change one
            now = {k: v for k, v in now.items() if k in was}
        assert now == was, f"importing plc_analysis changed the {aspect}"


def test_a_coachs_inline_notebook_shows_the_package_figures():
    """``%matplotlib inline``, then ``import plc_analysis``: plot_proficiency and plain pyplot both show."""
    from nbclient import NotebookClient

    nb = new_notebook(
        cells=[
            new_code_cell("%matplotlib inline\nimport matplotlib.pyplot as plt\nimport plc_analysis as plc"),
            new_code_cell(
                "table = plc.proficiency_by_skill(plc.load_sample().filter(team_id='T-G3'))\n"
                "plc.plot_proficiency(table, title='Grade 3: students proficient by skill');"
            ),
            new_code_cell("import matplotlib\nprint(matplotlib.get_backend())"),
            new_code_cell("plt.plot([1, 2, 3])\nplt.show()"),
        ]
    )
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()

    def images(cell) -> list[str]:
        return [m for out in cell.outputs for m in out.get("data", {}) if m in ("image/png", "image/svg+xml")]

    errors = [out for cell in nb.cells for out in cell.outputs if out.output_type == "error"]
    assert not errors, errors
    assert images(nb.cells[1]) != [], "plot_proficiency showed nothing under %matplotlib inline"
    backend = "".join(out.get("text", "") for out in nb.cells[2].outputs).strip()
    assert "inline" in backend, backend
    assert images(nb.cells[3]) != [], "plt.show() showed nothing after importing plc_analysis"
