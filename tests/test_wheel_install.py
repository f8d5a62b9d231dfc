"""The wheel, installed into a fresh virtual environment, works from any folder without the source tree.

The wheel is built offline (``--no-build-isolation``: the dev extra carries setuptools) from a copy of
the files a wheel is made of, so that a stale ``build/`` folder in the checkout cannot hide a missing
file.  The fresh venv gets the wheel only; its dependencies are borrowed read-only from the test's own
environment through a ``.pth`` line, which adds that ``site-packages`` to ``sys.path`` without running
its ``.pth`` files, so the development copy of ``plc_analysis`` (an editable install or ``PYTHONPATH``)
stays out of sight; ``JUPYTER_PATH`` points at the data files those dependencies installed (nbconvert's
templates, the kernel spec).  Every command runs from an empty temporary folder with ``PYTHONPATH`` unset.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

import plc_analysis

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow

#: What the wheel is built from (the rest of the checkout is not part of the package).
WHEEL_SOURCES = ("pyproject.toml", "README.md", "LICENSE", "plc_analysis")

#: Run by the installed package: where it was imported from, the sample and the explorer over it.
CHECK_INSTALLED = """
import json, sys
from importlib.resources import files
import plc_analysis
from plc_analysis import Explorer, load_sample
dataset = load_sample()
Explorer(dataset).widget()
print(json.dumps({
    "module": plc_analysis.__file__,
    "typed": files("plc_analysis").joinpath("py.typed").is_file(),
    "summary": dataset.summary().to_dict(orient="records"),
}))
"""


def _run(args: list, *, cwd: Path, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{' '.join(map(str, args))} failed:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict:
    """A fresh venv holding only the wheel; returns its python, scripts folder, an env and an empty folder."""
    work = tmp_path_factory.mktemp("wheel")
    # without the checkout on PYTHONPATH, which pip would take for an installed plc_analysis
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP"}}
    source = work / "source"
    source.mkdir()
    for name in WHEEL_SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(path, source / name)
    dist = work / "dist"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    _run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q", "-w", dist, source], cwd=work, env=env
    )
    (wheel,) = dist.glob("plc_analysis-*.whl")

    venv = work / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=work, env=env)
    python = venv / ("Scripts" if os.name == "nt" else "bin") / "python"
    paths = json.loads(
        _run(
            [python, "-c", "import json, sysconfig; print(json.dumps(sysconfig.get_paths()))"], cwd=work, env=env
        ).stdout
    )
    _run([*pip, "--python", python, "install", "--no-deps", "--no-index", "-q", wheel], cwd=work, env=env)
    borrowed = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    Path(paths["purelib"], "zz_borrowed_dependencies.pth").write_text("\n".join(borrowed) + "\n")

    # the dependencies' data files (nbconvert's templates, the python3 kernel spec), as their install put them
    env["JUPYTER_PATH"] = os.pathsep.join(
        filter(None, [str(Path(sys.prefix, "share", "jupyter")), env.get("JUPYTER_PATH")])
    )
    env["PATH"] = os.pathsep.join([paths["scripts"], env.get("PATH", "")])
    elsewhere = work / "elsewhere"
    elsewhere.mkdir()
    return {
        "wheel": wheel,
        "venv": venv,
        "python": python,
        "scripts": Path(paths["scripts"]),
        "env": env,
        "cwd": elsewhere,
    }


def test_wheel_carries_the_notebooks_the_sample_templates_and_py_typed(installed):
    import zipfile

    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    for stem in ("team_report", "support_plan", "goals", "district_overview", "explore"):
        assert f"plc_analysis/notebooks/{stem}.ipynb" in names
    for table in ("scores.csv", "students.csv", "planted.json", "README.md"):
        assert f"plc_analysis/data/sample/{table}" in names
    assert "plc_analysis/py.typed" in names
    assert "plc_analysis/templates/plc_report/index.html.j2" in names
    assert not [n for n in names if n.startswith(("tests/", "notebooks/", "data/", "benchmarks/"))]


def test_installed_package_loads_the_sample_and_builds_the_explorer_from_any_folder(installed):
    done = _run([installed["python"], "-c", CHECK_INSTALLED], cwd=installed["cwd"], env=installed["env"])
    result = json.loads(done.stdout.splitlines()[-1])
    assert Path(result["module"]).resolve().is_relative_to(installed["venv"].resolve())  # not the checkout
    assert result["typed"]
    expected = plc_analysis.load_sample().summary().to_dict(orient="records")
    assert result["summary"] == json.loads(json.dumps(expected, default=str))


def test_installed_plc_reports_its_version_and_copies_the_notebooks(installed):
    plc = installed["scripts"] / "plc"
    done = _run([plc, "--version"], cwd=installed["cwd"], env=installed["env"])
    assert done.stdout.strip() == f"plc {plc_analysis.__version__}"
    _run([plc, "notebooks", "--out", "mine"], cwd=installed["cwd"], env=installed["env"])
    copied = sorted(p.name for p in (installed["cwd"] / "mine").glob("*.ipynb"))
    assert copied == sorted(p.name for p in (ROOT / "plc_analysis" / "notebooks").glob("*.ipynb"))


def test_installed_plc_report_renders_a_team_and_the_district_overview(installed, tmp_path):
    out = tmp_path / "reports"
    plc = installed["scripts"] / "plc"
    args = [plc, "report", "--out", out, "--team", "T-G3", "--jobs", "1", "--quiet"]
    done = _run(args, cwd=installed["cwd"], env=installed["env"], timeout=600)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [r["status"] for r in manifest["reports"]] == ["ok"]
    assert manifest["overview"]["status"] == "ok"
    assert Path(manifest["reports"][0]["notebook"]).resolve().is_relative_to(installed["venv"].resolve())
    html = (out / "S01" / "T-G3.html").read_text(encoding="utf-8")
    assert "Weakest essential skill" in html and "Traceback" not in html
    assert (out / "district_overview.html").is_file()
    assert f"Index: {(out / 'index.html').resolve()}" in done.stdout


def test_installed_plc_batch_runs_the_bundled_school_notebook(installed, tmp_path):
    out = tmp_path / "support"
    plc = installed["scripts"] / "plc"
    args = [plc, "batch", "--per", "school", "--school", "S01", "--out", out, "--jobs", "1", "--quiet"]
    _run(args, cwd=installed["cwd"], env=installed["env"], timeout=600)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [(r["school_id"], r["status"]) for r in manifest["reports"]] == [("S01", "ok")]
    notebook = Path(manifest["reports"][0]["notebook"]).resolve()
    assert notebook.name == "support_plan.ipynb" and notebook.is_relative_to(installed["venv"].resolve())
