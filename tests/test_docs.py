"""The documentation site builds with warnings as errors, and covers the public API and the data model."""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

import plc_analysis
import plc_analysis.batch
from plc_analysis.errors import PROBLEM_COLUMNS
from plc_analysis.schema import TABLES, Column
from plc_analysis.validation import REJECTED_COLUMNS

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def _hook():
    spec = importlib.util.spec_from_file_location("data_model_hook", DOCS / "hooks" / "data_model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_mkdocs_build_strict(tmp_path):
    """`mkdocs build --strict`: a broken link, an unparsable docstring or an undocumented column fails it."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_MKDOCS_2_WARNING": "1"}
    site = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    log = done.stdout + done.stderr
    assert done.returncode == 0, log
    assert "WARNING" not in log, log
    page = (site / "data-model" / "index.html").read_text(encoding="utf-8")
    for name, spec in TABLES.items():  # every table and column of the schema is on the data model page
        assert f'id="{name}"' in page, name
        for column in spec.column_names:
            assert f"<code>{column}</code>" in page, f"{name}.{column}"
    assert "schema-table" not in page  # every marker was replaced
    for column in [*REJECTED_COLUMNS, *PROBLEM_COLUMNS]:  # the columns of Dataset.rejected and .problems
        assert f"<code>{column}</code>" in page, column
    for built in site.rglob("*.html"):  # Sphinx roles of the docstrings became links or code
        assert not re.search(r":(func|meth|class|mod|data|attr|exc):<code>", built.read_text(encoding="utf-8")), built


def _documented_names() -> set[str]:
    found = set()
    for page in DOCS.rglob("*.md"):
        found |= set(re.findall(r"^::: ([\w.]+)", page.read_text(encoding="utf-8"), re.MULTILINE))
    return found


def _is_module(path: str) -> bool:
    try:
        return importlib.util.find_spec(path) is not None
    except ModuleNotFoundError:
        return False


def test_api_reference_covers_every_public_name():
    """Every name of ``__all__`` is on a page, under its public path or the module that defines it."""
    documented = _documented_names()
    missing = []
    for package in (plc_analysis, plc_analysis.batch):
        for name in package.__all__:
            obj = getattr(package, name)
            home = getattr(obj, "__module__", None) if callable(obj) else None
            paths = {f"{package.__name__}.{name}"} | ({f"{home}.{name}"} if home else set())
            if not paths & documented:
                missing.append(f"{package.__name__}.{name}")
    assert missing == [], "add these to a page of docs/reference/"


def test_api_reference_names_no_module_in_place_of_a_function():
    """``::: plc_analysis.talking_points`` would render the module of that name, not the function."""
    shadowed = [
        path
        for path in _documented_names()
        if path != "plc_analysis.batch" and _is_module(path) and callable(_public_object(path))
    ]
    assert shadowed == [], "document these as plc_analysis.<module>.<name>"


def _public_object(path: str):
    package, _, name = path.rpartition(".")
    return getattr(importlib.import_module(package), name, None)


def test_data_model_hook_fails_on_an_undocumented_column(monkeypatch):
    hook = _hook()
    grown = dict(TABLES)
    grown["scores"] = replace(TABLES["scores"], columns=(*TABLES["scores"].columns, Column("latency_ms", "float")))
    monkeypatch.setattr(hook, "TABLES", grown)
    with pytest.raises(Exception, match=r"scores\.latency_ms: no meaning"):
        hook.load_meanings()


def test_data_model_hook_states_the_schema_rules():
    hook = _hook()
    points = TABLES["scores"].by_name["points"]
    assert hook.column_rules(points) == ("**required** in the header; a blank cell is allowed", "≥ 0")
    cut = TABLES["skills"].by_name["proficiency_cut"]
    assert hook.column_rules(cut) == ("optional; absent or blank = `0.8`", "≥ 0 and ≤ 1")
    max_points = TABLES["items"].by_name["max_points"]
    assert hook.column_rules(max_points) == ("**required**; a blank rejects the row", "> 0")
    kind = TABLES["assessments"].by_name["kind"]
    assert hook.column_rules(kind)[1].startswith("one of `cfa`, `unit`")
    assert hook.references(TABLES["scores"], "rater_id") == "[`teachers.teacher_id`](#teachers)"


def test_readme_links_only_to_files_in_the_repository():
    """A clone from the project's public home can follow every link of the README."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)\s]+)\)", text)
    local = [t.split("#")[0] for t in targets if not re.match(r"[a-z]+://|mailto:|#", t)]
    assert local, "the README links to its docs"
    outside = [t for t in local if not (ROOT / t).resolve().is_relative_to(ROOT) or not (ROOT / t).exists()]
    assert outside == [], "README links to files that are not in the repository"


def _sample_examples() -> list[tuple[str, str]]:
    """The Python examples of the docs that run on the sample district, as (page, code)."""
    found = []
    for page in sorted(DOCS.rglob("*.md")):
        for code in re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), re.DOTALL):
            if "load_sample()" in code:
                found.append((str(page.relative_to(DOCS)), code))
    return found


def test_docs_examples_on_the_sample_run(tmp_path):
    """What a page tells a coach to type works (in a fresh interpreter, figures drawn off screen)."""
    examples = _sample_examples()
    assert examples, "the coach's guide shows an example on the sample district"
    for page, code in examples:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, f"{page}:\n{code}\n{done.stderr}"
