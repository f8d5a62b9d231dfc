"""environment.yml and pyproject.toml must list the same dependencies."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
# conda-forge names that differ from PyPI names
CONDA_TO_PYPI: dict[str, str] = {"python-duckdb": "duckdb"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pypi = {_name(r) for r in project["dependencies"]}
    pypi |= {_name(r) for extra in project["optional-dependencies"].values() for r in extra}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {CONDA_TO_PYPI.get(_name(d), _name(d)) for d in env["dependencies"] if isinstance(d, str)}
    conda -= {"python", "pip"}
    assert conda == pypi, f"only in environment.yml: {sorted(conda - pypi)}; only in pyproject: {sorted(pypi - conda)}"
    pip_section = next(d for d in env["dependencies"] if isinstance(d, dict))["pip"]
    assert "-e .[dev]" in pip_section


def test_versions_agree():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = {_name(r): r.replace(" ", "")[len(_name(r)) :] for r in project["dependencies"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    for dep in env["dependencies"]:
        name = CONDA_TO_PYPI.get(_name(dep), _name(dep)) if isinstance(dep, str) else ""
        if name in pins:
            assert dep.replace(" ", "")[len(_name(dep)) :] == pins[name], dep


def test_readme_opens_with_the_two_commands():
    lines = (ROOT / "README.md").read_text().splitlines()
    block = lines[lines.index("```bash") + 1 : lines.index("```")]
    assert [line.split("#")[0].strip() for line in block] == ["make report", "make test"]
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_readme_python_api_example_prints_the_planted_findings(capsys):
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Python API") :]
    code = section[section.index("```python") + len("```python") : section.index("```", section.index("```python") + 3)]
    exec(compile(code, "README.md", "exec"), {})
    out = capsys.readouterr().out.splitlines()[1:]  # after print(d)
    assert out[0].startswith("Make inferences using evidence from the text")
    assert out[1].startswith("Mr. Quinn's students") and "Use context clues" in out[1]
    assert "G3-c04-01" in out[2] and "check the key" in out[2]
