"""The batch on a Dask distributed cluster: same reports, manifest, failures and resume as on one machine.

A ``LocalCluster`` of two single-threaded worker processes stands in for a
district's cluster.  The tasks get the notebook's text and the team's extract
as bytes and return the executed notebook and its HTML, so nothing here relies
on the workers seeing the batch's folders (they do, being on this machine; the
tests check that the notebook was handed a folder of the worker's own).
"""

from __future__ import annotations

import _thread
import json
import logging
import re
import signal
import threading
import time
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")

from test_batch import MISBEHAVING_NB, build_district, by_team, cli, temp_files  # noqa: E402
from test_batch_faults import FAULTS_NB, kernels_gone, outputs  # noqa: E402

from plc_analysis import batch as batch_module  # noqa: E402
from plc_analysis.batch import BatchError, load_manifest, run_batch  # noqa: E402

pytestmark = pytest.mark.slow

#: No hanging team here (its time limit would dominate); the time limit is tested below with a short one.
TEAMS = [
    ("T-OK1", "S1", "2025-09-15"),
    ("T-OLD", "S1", "2025-01-10"),  # no assessment in the period -> "no data"
    ("T-RAISE", "S2", "2025-09-20"),
    ("T-DIE", "S2", "2025-09-20"),
]
PLANTED = ["-p", "raise_for", "T-RAISE", "-p", "die_for", "T-DIE", "-p", "hang_for", ""]


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_district(tmp_path_factory.mktemp("dask") / "data", TEAMS)


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=logging.ERROR
    ) as local_cluster:
        yield local_cluster


def test_dask_batch_matches_the_local_batch(district: Path, cluster, tmp_path: Path) -> None:
    local, remote = tmp_path / "local", tmp_path / "dask"
    common = [
        "--data",
        str(district),
        "--notebook",
        str(MISBEHAVING_NB),
        "--timeout",
        "90",
        "--start",
        "2025-08-01",
        "--quiet",
        *PLANTED,
    ]
    code_local, out_local, err_local = cli([*common, "--out", str(local), "--jobs", "2"])
    code, stdout, stderr = cli([*common, "--out", str(remote), "--scheduler", cluster.scheduler_address])
    assert code == code_local == 1, (stdout, stderr, out_local, err_local)
    assert f"on the Dask cluster at {cluster.scheduler_address}" in stdout
    assert "1 ok, 1 no data, 2 failed" in stdout

    manifest, reference = load_manifest(remote), load_manifest(local)
    assert manifest["complete"] is True and manifest["executor"] == "dask" and manifest["jobs"] == 2
    assert manifest["scheduler"] == cluster.scheduler_address
    entries, expected = by_team(manifest), by_team(reference)
    assert {t: e["status"] for t, e in entries.items()} == {
        "T-OK1": "ok",
        "T-OLD": "no data",
        "T-RAISE": "failed",
        "T-DIE": "failed",
    }
    for team, entry in entries.items():
        same = ("status", "error_name", "error_value", "html", "ipynb", "school_id", "team_name", "notebook")
        assert {k: entry[k] for k in same} == {k: expected[team][k] for k in same}, team
        assert outputs(remote / entry["ipynb"]) == outputs(local / entry["ipynb"]), team
        # the same page, but for the random id papermill gives the cell it injects and, for a kernel that
        # died, whether its last execution count arrived before it did (either way on one machine too)
        pages = [
            re.sub(r"cell-id=[0-9a-f-]+|In \[(\d+|None)\]", "", (folder / entry["html"]).read_text(encoding="utf-8"))
            for folder in (remote, local)
        ]
        assert pages[0] == pages[1], team
        nb = json.loads((remote / entry["ipynb"]).read_text(encoding="utf-8"))
        # the notebook read the extract from the worker's own scratch folder, not from a batch path
        data_path = nb["metadata"]["papermill"]["parameters"]["data_path"]
        assert "plc-report-" in data_path and not Path(data_path).exists()
        assert nb["metadata"]["papermill"]["input_path"] == str(MISBEHAVING_NB.resolve())
    assert "planted failure for team T-RAISE" in (remote / "S2" / "T-RAISE.html").read_text(encoding="utf-8")
    assert "DeadKernelError" in (remote / "S2" / "T-DIE.html").read_text(encoding="utf-8")
    assert temp_files(remote) == []

    # --only-failed, on the cluster too
    code, stdout, stderr = cli(
        [
            "--out",
            str(remote),
            "--only-failed",
            "--quiet",
            "--scheduler",
            cluster.scheduler_address,
            "-p",
            "raise_for",
            "",
            "-p",
            "die_for",
            "",
        ]
    )
    assert code == 0, (stdout, stderr)
    assert stdout.startswith("2 report(s)"), stdout
    final = by_team(load_manifest(remote))
    assert {e["status"] for t, e in final.items() if t != "T-OLD"} == {"ok"}
    assert final["T-OK1"] == entries["T-OK1"]


def test_time_limit_and_ctrl_c_on_the_cluster(cluster, tmp_path: Path) -> None:
    """A Client object; the whole-notebook limit and Ctrl-C both kill kernels on the workers."""
    if threading.current_thread() is not threading.main_thread() or (
        signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        pytest.skip("needs the main thread with Python's SIGINT handler")
    teams = [("T-A", "S1", "2025-09-15"), ("T-B", "S1", "2025-09-20"), ("T-C", "S2", "2025-10-01")]
    district = build_district(tmp_path / "data", teams)
    with distributed.Client(cluster) as client:
        result = run_batch(
            district,
            tmp_path / "limit",
            notebook=FAULTS_NB,
            timeout=5,
            progress=False,
            scheduler=client,
            parameters={"stubborn_for": "T-C", "step_seconds": 2},
        )
        assert result.exit_code == 1 and result.executor == "dask"
        entries = by_team(result.manifest)
        assert {t: e["status"] for t, e in entries.items()} == {"T-A": "ok", "T-B": "ok", "T-C": "timeout"}
        assert entries["T-C"]["error_name"] == "NotebookTimeout"
        assert "stubborn step 1 done" in outputs(tmp_path / "limit" / entries["T-C"]["ipynb"])

        out, pids = tmp_path / "stopped", tmp_path / "pids"
        pids.mkdir()

        def interrupt_when_running() -> None:
            deadline = time.monotonic() + 120
            while len(list(pids.glob("*.pid"))) < 2 and time.monotonic() < deadline:
                time.sleep(0.1)
            _thread.interrupt_main()

        threading.Thread(target=interrupt_when_running, daemon=True).start()
        begun = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            run_batch(
                district,
                out,
                notebook=FAULTS_NB,
                timeout=300,
                progress=False,
                scheduler=client,
                parameters={"sleep_seconds": 300, "pid_dir": str(pids)},
            )
        assert time.monotonic() - begun < 120
        assert kernels_gone(pids) == []  # killed on the workers, through the batch's Dask event
        manifest = load_manifest(out)
        assert manifest["complete"] is False and manifest["reports"] == []
        assert client.status == "running"  # a client it was given is left open
    assert temp_files(out) == []


def test_local_scheduler_and_unreachable_scheduler(
    district: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run_batch(
        district,
        tmp_path / "out",
        notebook=FAULTS_NB,
        teams=["T-OK1"],
        jobs=1,
        timeout=60,
        progress=False,
        scheduler="local",
    )
    assert result.exit_code == 0 and result.executor == "dask" and result.jobs == 1
    assert [e["status"] for e in result.reports] == ["ok"]
    assert "extract files:" in outputs(tmp_path / "out" / "S1" / "T-OK1.ipynb")

    monkeypatch.setattr(batch_module.dask_runner, "DASK_CONNECT_TIMEOUT", 2.0)
    code, _, stderr = cli(
        [
            "--data",
            str(district),
            "--out",
            str(tmp_path / "none"),
            "--notebook",
            str(FAULTS_NB),
            "--scheduler",
            "tcp://127.0.0.1:9",
            "--quiet",
        ]
    )
    assert code == 2 and "cannot connect to the Dask scheduler at tcp://127.0.0.1:9" in stderr
    with pytest.raises(BatchError, match="scheduler must be"):
        run_batch(district, tmp_path / "bad", notebook=FAULTS_NB, scheduler=42)


def test_workers_keep_their_kernels_between_reports_until_the_batch_closes(cluster, tmp_path: Path) -> None:
    """Like a local batch: a second report on a worker runs, cleared, in the kernel of its first."""
    from test_batch_warm import WARM_NB, assert_counts_start_from_one, pids_of

    teams = [
        ("T-A", "S1", "2025-09-15"),
        ("T-B", "S1", "2025-09-20"),
        ("T-C", "S2", "2025-10-01"),
        ("T-D", "S2", "2025-10-02"),
    ]
    district = build_district(tmp_path / "data", teams)
    runs = {}
    for fresh in (False, True):
        pids = tmp_path / f"pids-{fresh}"
        pids.mkdir()
        result = run_batch(
            district,
            tmp_path / f"out-{fresh}",
            notebook=WARM_NB,
            progress=False,
            scheduler=cluster.scheduler_address,
            fresh_kernels=fresh,
            parameters={"pid_dir": str(pids)},
        )
        entries = by_team(result.manifest)
        # WARM_NB fails if a report sees an earlier one's variables, figures, folder or garbage
        assert {e["status"] for e in entries.values()} == {"ok"}, entries
        assert_counts_start_from_one(tmp_path / f"out-{fresh}", entries)
        runs[fresh] = pids_of(pids)
        assert kernels_gone(pids) == []  # stopped when the batch closed, though the cluster runs on
    # two single-threaded workers, so two reports at a time: the last two reuse the first two kernels
    assert len(set(runs[False].values())) <= 2 < len(set(runs[True].values())) == len(teams)
    # a reused kernel was cleared and its modules frozen out of garbage collection (a new one is not yet)
    frozen = [(tmp_path / "pids-False" / f"{t}.frozen").read_text() for t, _, _ in teams]
    assert frozen.count("True") == len(teams) - len(set(runs[False].values()))
    assert cluster.scheduler_info["workers"]  # the cluster itself is left running
