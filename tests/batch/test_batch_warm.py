"""Kernels kept warm between reports (plc_analysis.batch.warm).

Reused, cleared, replaced when they die, stopped at the end.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from test_batch import build_district, by_team
from test_batch_faults import FAULTS_NB, TEAMS, kernels_gone

from plc_analysis.batch import run_batch, warm
from plc_analysis.batch.local_runner import SWITCH_INTERVAL, LocalRunner

WARM_NB = Path(__file__).parent / "notebooks" / "warm_kernel.ipynb"


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_district(tmp_path_factory.mktemp("warm") / "data", TEAMS)


def pids_of(folder: Path) -> dict[str, int]:
    return {p.stem: int(p.read_text()) for p in folder.glob("*.pid")}


def assert_counts_start_from_one(out: Path, entries: dict) -> None:
    """Every report's code cells are numbered 1, 2, 3 ... as in a fresh kernel."""
    import nbformat

    for entry in entries.values():
        nb = nbformat.read(out / entry["ipynb"], as_version=4)
        counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
        assert counts == list(range(1, len(counts) + 1)), counts


def test_one_worker_reuses_its_kernel_and_each_report_starts_clean(district: Path, tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    pids.mkdir()
    result = run_batch(
        district, tmp_path / "out", notebook=WARM_NB, jobs=1, progress=False, parameters={"pid_dir": str(pids)}
    )
    entries = by_team(result.manifest)
    assert {t: e["status"] for t, e in entries.items()} == {"T-A": "ok", "T-B": "ok", "T-C": "ok"}, entries
    assert len(set(pids_of(pids).values())) == 1  # one kernel served the three reports
    # started while the batch loaded the data, with the report modules imported before the first report
    assert (pids / "T-A.warm").read_text() == "True"
    # every report ran with the modules frozen out of garbage collection (warm-up, then each reset)
    assert {(pids / f"{t}.frozen").read_text() for t in ("T-A", "T-B", "T-C")} == {"True"}
    assert_counts_start_from_one(tmp_path / "out", entries)
    assert kernels_gone(pids) == []  # stopped when the batch ended
    assert warm.close_idle() == 0


def test_fresh_kernels_start_one_kernel_per_report(district: Path, tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    pids.mkdir()
    result = run_batch(
        district,
        tmp_path / "out",
        notebook=WARM_NB,
        jobs=1,
        progress=False,
        parameters={"pid_dir": str(pids)},
        fresh_kernels=True,
    )
    assert result.exit_code == 0
    assert len(set(pids_of(pids).values())) == 3
    assert (pids / "T-A.warm").read_text() == "False"  # no kernel started ahead
    assert (pids / "T-A.frozen").read_text() == "False"  # nor frozen: a fresh kernel is left as it starts
    assert kernels_gone(pids) == []


def test_a_killed_warm_kernel_is_replaced_for_the_next_report(district: Path, tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    pids.mkdir()
    result = run_batch(
        district,
        tmp_path / "out",
        notebook=FAULTS_NB,
        jobs=1,
        progress=False,
        parameters={"kill_for": "T-B", "pid_dir": str(pids)},
    )
    entries = by_team(result.manifest)
    assert {t: e["status"] for t, e in entries.items()} == {"T-A": "ok", "T-B": "failed", "T-C": "ok"}
    assert entries["T-B"]["error_name"] == "DeadKernelError"
    seen = pids_of(pids)
    assert seen["T-A"] == seen["T-B"]  # T-B ran in the kernel T-A left warm, and killed it
    assert seen["T-C"] != seen["T-B"]  # so T-C got a new one
    assert kernels_gone(pids) == []


def test_a_timed_out_kernel_is_not_reused(district: Path, tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    pids.mkdir()
    result = run_batch(
        district,
        tmp_path / "out",
        notebook=FAULTS_NB,
        jobs=1,
        timeout=4,
        progress=False,
        teams=["T-A", "T-B"],
        parameters={"stubborn_for": "T-A", "step_seconds": 1.5, "pid_dir": str(pids)},
    )
    entries = by_team(result.manifest)
    assert {t: e["status"] for t, e in entries.items()} == {"T-A": "timeout", "T-B": "ok"}
    seen = pids_of(pids)
    assert seen["T-A"] != seen["T-B"]
    assert kernels_gone(pids) == []


def test_a_batch_that_fails_to_load_stops_the_kernels_it_started_ahead(tmp_path: Path) -> None:
    import psutil

    from plc_analysis import PLCDataError

    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "schools.csv").write_text("school_id,name\nS1,One\n", encoding="utf-8")  # no teams, no scores
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    with pytest.raises(PLCDataError):
        run_batch(bad, tmp_path / "out", notebook=WARM_NB, jobs=2, progress=False)
    left = [
        p
        for p in psutil.Process().children(recursive=True)
        if p.pid not in before and p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    ]
    assert left == [] and warm.close_idle() == 0


def test_thread_workers_hand_the_gil_over_quickly_until_the_last_batch_closes() -> None:
    before = sys.getswitchinterval()
    assert before > SWITCH_INTERVAL  # Python's default, 5 ms
    first, second = LocalRunner("thread", 1), LocalRunner("thread", 1)
    assert sys.getswitchinterval() == SWITCH_INTERVAL
    first.close()
    assert sys.getswitchinterval() == SWITCH_INTERVAL  # the other batch still runs
    second.close()
    second.close()  # closing twice restores once
    assert sys.getswitchinterval() == before


def test_a_dask_task_hands_the_gil_over_quickly_while_it_runs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from plc_analysis.batch import dask_runner
    from plc_analysis.batch.jobs import ReportJob

    seen = []
    monkeypatch.setattr(dask_runner, "render_job", lambda job, abort, input_path: seen.append(sys.getswitchinterval()))
    before = sys.getswitchinterval()
    job = ReportJob(
        kind="team",
        school_id="S1",
        team_id="T-A",
        school_name="S",
        team_name="T",
        notebook=str(tmp_path / "report.ipynb"),
        parameters={},
        ipynb_path="",
        html_path="",
        notebook_source="{}",
    )
    dask_runner.render_remote(job)
    assert seen == [SWITCH_INTERVAL]
    assert sys.getswitchinterval() == before


def test_reports_on_extracts_keep_text_in_python_strings_and_others_keep_the_default(
    district: Path, tmp_path: Path
) -> None:
    from plc_analysis.batch.execute import render_job
    from plc_analysis.batch.jobs import ReportJob
    from plc_analysis.batch.settings import SMALL_DATA_KERNEL_SETUP

    def storage(pids: Path) -> dict[str, str]:
        return {p.stem: p.read_text() for p in pids.glob("*.strings")}

    for extract, expected in ((True, "python"), (False, "auto")):
        pids = tmp_path / f"pids-{extract}"
        pids.mkdir()
        result = run_batch(
            district,
            tmp_path / f"out-{extract}",
            notebook=WARM_NB,
            jobs=1,
            progress=False,
            parameters={"pid_dir": str(pids)},
            extract=extract,
        )
        assert result.exit_code == 0
        assert storage(pids) == {"T-A": expected, "T-B": expected, "T-C": expected}, extract
    # one warm kernel serving an extract's report, then another notebook: the default is back
    pids = tmp_path / "pids-mixed"
    pids.mkdir()
    jobs = [
        ReportJob(
            kind="team",
            school_id="S",
            team_id=team,
            school_name="S",
            team_name=team,
            notebook=str(WARM_NB),
            parameters={"team_id": team, "pid_dir": str(pids)},
            ipynb_path=str(tmp_path / f"{team}.ipynb"),
            html_path=str(tmp_path / f"{team}.html"),
            **setup,
        )
        for team, setup in (("first", {"kernel_setup": SMALL_DATA_KERNEL_SETUP}), ("second", {}))
    ]
    try:
        assert [render_job(job)["status"] for job in jobs] == ["ok", "ok"]
    finally:
        warm.close_idle()
    assert len(set(pids_of(pids).values())) == 1  # the same kernel
    assert storage(pids) == {"first": "python", "second": "auto"}


class _FakeClient:
    """A kernel client answering shell requests from a script: (parent msg id, status) or an exception."""

    def __init__(self, answers: list) -> None:
        self.answers, self.sent = list(answers), []

    def execute(self, code: str, **kwargs) -> str:
        self.sent.append(code)
        return f"m{len(self.sent)}"

    async def get_shell_msg(self, timeout: float) -> dict:
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        parent, status = answer
        return {"parent_header": {"msg_id": parent}, "content": {"status": status}}

    def stop_channels(self) -> None:
        self.stopped = True


class _FakeManager:
    def __init__(self) -> None:
        self.down = False

    def is_alive(self) -> bool:
        return not self.down

    def shutdown_kernel(self, now: bool = False) -> None:
        self.down = True

    def cleanup_resources(self) -> None:
        pass


@pytest.mark.parametrize(
    "answers, reused",
    [
        ([("m0", "ok"), ("m1", "ok")], True),  # an older reply is skipped, then the reset's own
        ([("m1", "error")], False),  # the reset failed: the kernel is shut down, not lent
        ([__import__("queue").Empty()], False),  # no answer within RESET_TIMEOUT
    ],
)
def test_a_kernel_is_lent_only_once_its_reset_has_succeeded(answers: list, reused: bool, tmp_path: Path) -> None:
    kernel = warm.WarmKernel(
        km=_FakeManager(), kc=_FakeClient(answers), log=open(tmp_path / "log", "wb"), key=("fake-kernel", str(tmp_path))
    )
    warm.give_back(kernel)  # sends the reset and returns at once
    assert kernel.clearing == "m1" and kernel.kc.sent == [warm.RESET_CODE.format(cwd=str(tmp_path))]
    lent = warm.take("fake-kernel", str(tmp_path))
    assert (lent is kernel) == reused and kernel.km.down != reused and kernel.clearing is None
    assert kernel.kc.answers == []  # every scripted answer was read
    assert warm.take("fake-kernel", str(tmp_path)) is None  # nothing else was kept


def test_the_plc_command_skips_jsonschemas_iri_grammar_and_notebooks_still_validate() -> None:
    import subprocess

    probe = (
        "import sys\n"
        "from plc_analysis.batch.engine import skip_unused_iri_grammar\n"
        "first = skip_unused_iri_grammar()\n"
        "import nbformat\n"
        "nbformat.validate(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('1')]))\n"
        "print(first, sys.modules.get('rfc3987_syntax', 'absent'), skip_unused_iri_grammar())\n"
    )
    later = (  # a process that imported jsonschema first keeps whatever it has
        "import sys, jsonschema\n"
        "had = sys.modules.get('rfc3987_syntax', 'absent')\n"
        "from plc_analysis.batch.engine import skip_unused_iri_grammar\n"
        "print(skip_unused_iri_grammar(), sys.modules.get('rfc3987_syntax', 'absent') is had)\n"
    )
    root = str(Path(__file__).resolve().parents[2])
    env = {"PYTHONPATH": root, "PATH": ""}
    run = [
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env) for code in (probe, later)
    ]
    assert [r.stderr for r in run] == ["", ""]
    assert run[0].stdout.split() == ["True", "None", "True"]
    assert run[1].stdout.split() == ["False", "True"]
