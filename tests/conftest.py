"""Shared fixtures: a tiny valid canonical folder that tests can break on purpose."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

# Property tests check answers, never time: a loaded CI machine must not fail one for being slow.
settings.register_profile("plc", deadline=None)
settings.load_profile("plc")

MINI = {
    "schools.csv": "school_id,name\nS1,Boones Mill Elementary\n",
    "teams.csv": "team_id,school_id,name,grade,subject\nT3,S1,Grade 3 ELA,3,ELA\n",
    "teachers.csv": "teacher_id,team_id,name\nt1,T3,Ms. Ames\nt2,T3,Mr. Bell\n",
    "sections.csv": "section_id,teacher_id,team_id,period,term\nsec1,t1,T3,1,2025-26\nsec2,t2,T3,2,2025-26\n",
    "students.csv": (
        "student_id,grade,first_name,last_name,ell,sped,frl\n"
        "007,3,Ana,Diaz,true,false,yes\n"
        "008,3,Ben,Eto,false,false,no\n"
        "009,3,Cy,Fox,N,Y,0\n"
        "010,3,Di,Gao,false,false,1\n"
    ),
    "enrollments.csv": "student_id,section_id\n007,sec1\n008,sec1\n009,sec2\n010,sec2\n",
    "skills.csv": (
        "skill_id,description,team_id,essential,proficiency_cut,standard\n"
        "K1,Identify the main idea,T3,true,0.8,RL.3.2\n"
        "K2,Use context clues,T3,false,0.75,L.3.4\n"
    ),
    "assessments.csv": "assessment_id,team_id,title,kind,date,unit\nA1,T3,CFA 1,cfa,2025-09-15,1\n",
    "items.csv": (
        "assessment_id,item_id,skill_id,max_points,kind,key\nA1,i1,K1,1,mc,B\nA1,i2,K1,1,mc,C\nA1,i3,K2,4,rubric,\n"
    ),
    "scores.csv": (
        "student_id,assessment_id,item_id,points,response,rater_id\n"
        "007,A1,i1,1,B,\n007,A1,i2,0,A,\n007,A1,i3,3,,t1\n007,A1,i3,2,,t2\n"
        "008,A1,i1,0,D,\n008,A1,i2,1,C,\n008,A1,i3,,,\n"
        "009,A1,i1,1,B,\n009,A1,i2,1,C,\n009,A1,i3,4,,\n"
    ),
}


def write_folder(folder: Path, files: dict[str, str | bytes]) -> Path:
    """Write a canonical folder from {file name: text or bytes}."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


@pytest.fixture
def mini_files() -> dict[str, str]:
    """The tiny valid district as {file name: CSV text}; change a copy to break it."""
    return dict(MINI)


@pytest.fixture
def mini_folder(tmp_path: Path) -> Path:
    """A tiny valid canonical folder on disk."""
    return write_folder(tmp_path / "mini", MINI)


@pytest.fixture(scope="module")
def sample():
    """The sample district (loaded once per test module: a module may rely on what it has computed)."""
    from plc_analysis import load_sample

    return load_sample()


@pytest.fixture(scope="module")
def planted() -> dict:
    """What the sample generator planted in the sample district (``planted.json``): the truths tests check."""
    import json

    from plc_analysis.loading import SAMPLE_PATH

    return json.loads((SAMPLE_PATH / "planted.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def sample_partitioned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample district written partitioned by school (Parquet), once per session: do not change it."""
    from plc_analysis import load_sample, write_partitioned

    return write_partitioned(load_sample(), tmp_path_factory.mktemp("partitioned") / "district")
