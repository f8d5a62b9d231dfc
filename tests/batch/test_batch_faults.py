"""Faults a district batch must survive without losing or duplicating a report.

tests/batch/test_batch.py already covers a notebook that raises, one that hangs in a
single cell (time limit), a kernel that exits (``os._exit``), an HTML exporter
that fails, atomic writes and a resume after a (simulated) interrupted
manifest.  This file adds what those do not: a kernel killed by SIGKILL (as the
out-of-memory killer does), a notebook that ignores interrupts and overruns the
whole-notebook limit in short steps, no kernel left running afterwards, a disk
that fills up mid-batch, a real Ctrl-C sent to a ``plc batch`` process then a
resume, corrupt and truncated input CSV, and two batches at once in one
process, one of them interrupted.

The notebook is ``tests/batch/notebooks/faults.ipynb``: it imports nothing heavy, so
a report costs little more than starting its kernel.
"""

from __future__ import annotations

import _thread
import errno
import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from test_batch import build_district, by_team, cli, temp_files

from plc_analysis import PLCDataError
from plc_analysis import export as export_module
from plc_analysis.batch import load_manifest, run_batch

ROOT = Path(__file__).resolve().parents[2]
FAULTS_NB = Path(__file__).parent / "notebooks" / "faults.ipynb"
#: Three teams, two schools; the period is open so every team has data.
TEAMS = [("T-A", "S1", "2025-09-15"), ("T-B", "S1", "2025-09-20"), ("T-C", "S2", "2025-10-01")]
#: Generous: other test processes share the 2 cores.
WAIT = 120


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_district(tmp_path_factory.mktemp("faults") / "data", TEAMS)


def alive(pid: int) -> bool:
    """Whether a process is running (a zombie waiting to be reaped counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return not Path("/proc").is_dir()  # no /proc (not Linux): trust kill(0)
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def kernels_gone(pid_dir: Path, grace: float = 10.0) -> list[int]:
    """Pids of kernels (from their pid files) still running after ``grace`` seconds."""
    pids = [int(p.read_text()) for p in pid_dir.glob("*.pid")]
    deadline = time.monotonic() + grace
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    return [pid for pid in pids if alive(pid)]


def wait_for_reports(out: Path, count: int, *, timeout: float = WAIT, proc: subprocess.Popen | None = None) -> dict:
    """Poll ``out``'s manifest until it lists at least ``count`` reports."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        manifest = load_manifest(out)
        if manifest is not None and len(manifest["reports"]) >= count:
            return manifest
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"plc batch ended early ({proc.returncode}): {proc.stderr.read()}")
        time.sleep(0.1)
    raise AssertionError(f"no {count} report(s) in {out} after {timeout} s")


def outputs(page_or_nb: Path) -> str:
    """The text outputs of an executed notebook, in order (what the team reads)."""
    nb = json.loads(page_or_nb.read_text(encoding="utf-8"))
    texts = []
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                texts.append("".join(output["text"]))
    return "".join(texts)


# ---------------------------------------------------------------------------
# kernels killed or stuck
# ---------------------------------------------------------------------------
@pytest.mark.slow
def test_kernel_killed_and_stubborn_hang_leave_no_kernel_running(district: Path, tmp_path: Path) -> None:
    out, pids = tmp_path / "out", tmp_path / "pids"
    pids.mkdir()
    limit, step = 6, 2.5  # four steps of 2.5 s, each under the per-cell limit, together over the notebook's
    result = run_batch(
        district,
        out,
        notebook=FAULTS_NB,
        jobs=3,
        timeout=limit,
        progress=False,
        parameters={"kill_for": "T-B", "stubborn_for": "T-C", "step_seconds": step, "pid_dir": str(pids)},
    )
    assert result.exit_code == 1
    entries = by_team(result.manifest)
    assert {t: e["status"] for t, e in entries.items()} == {"T-A": "ok", "T-B": "failed", "T-C": "timeout"}
    assert load_manifest(out)["complete"] is True

    # SIGKILL: the others finish, the report says how the kernel died
    killed = entries["T-B"]
    assert killed["error_name"] == "DeadKernelError"
    assert "killed by SIGKILL" in killed["error_value"] and "memory" in killed["error_value"]
    page = (out / killed["html"]).read_text(encoding="utf-8")
    assert "DeadKernelError" in page and "killed by SIGKILL" in page
    assert "started" in page and "report complete" not in page  # the cells before the kill are shown
    assert "report complete" in (out / entries["T-A"]["html"]).read_text(encoding="utf-8")

    # interrupts ignored, every cell under the cell limit: the whole-notebook guard stops it
    stubborn = entries["T-C"]
    assert stubborn["error_name"] == "NotebookTimeout"
    assert limit <= stubborn["seconds"] < limit + 30
    text = outputs(out / stubborn["ipynb"])
    assert "stubborn step 1 done" in text and "stubborn step 4 done" not in text
    page = (out / stubborn["html"]).read_text(encoding="utf-8")
    assert "NotebookTimeout" in page and "report complete" not in page

    assert len(list(pids.glob("*.pid"))) == 3
    assert kernels_gone(pids) == []
    assert temp_files(out) == []


# ---------------------------------------------------------------------------
# disk full
# ---------------------------------------------------------------------------
@pytest.mark.slow
def test_disk_full_mid_batch_stops_cleanly_then_resumes(
    district: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    (out / "S1").mkdir(parents=True)
    for team in ("T-A", "T-B"):  # last week's reports
        (out / "S1" / f"{team}.html").write_text("<html>last week</html>", encoding="utf-8")
    real = export_module.atomic_write
    state = {"notebooks": 0, "full": False, "refused": []}

    @contextmanager
    def filling_disk(path, mode="w", **kwargs):
        # the first report is written; the disk is full from the second report's first byte on
        if str(path).endswith(".ipynb"):
            state["notebooks"] += 1
            state["full"] = state["full"] or state["notebooks"] >= 2
        with real(path, mode, **kwargs) as handle:
            if state["full"]:
                state["refused"].append(Path(path).name)
                handle.write("{" if "b" not in mode else b"{")  # half a file reaches the temp file
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            yield handle

    monkeypatch.setattr(export_module, "atomic_write", filling_disk)
    code, stdout, stderr = cli(
        [
            "--data",
            str(district),
            "--out",
            str(out),
            "--notebook",
            str(FAULTS_NB),
            "--jobs",
            "2",
            "--timeout",
            "60",
            "--quiet",
        ]
    )
    assert code == 2, (stdout, stderr)
    assert "No space left on device" in stderr and "disk is full" in stderr and "--only-failed" in stderr
    assert "manifest.json" in state["refused"]  # the batch tried to record the failure, and could not

    manifest = load_manifest(out)  # the last manifest that could be written: whole, valid JSON
    assert manifest is not None and manifest["complete"] is False
    done = by_team(manifest)
    assert len(done) == 1 and [e["status"] for e in done.values()] == ["ok"]
    (first,) = done
    second = next(name for name in state["refused"] if name.endswith(".ipynb")).removesuffix(".ipynb")
    school = {t: s for t, s, _ in TEAMS}
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    untouched = [f"S1/{t}.html" for t in ("T-A", "T-B") if t not in (first, second)]  # stopped before writing
    assert written == sorted(
        ["index.html", "manifest.json", f"{school[first]}/{first}.html", f"{school[first]}/{first}.ipynb", *untouched]
    )
    # no half-written temp file, and the report that could not be written left no file at all
    # (not last week's page beside this week's failure)
    assert temp_files(out) == []
    assert not (out / school[second] / f"{second}.html").exists()

    monkeypatch.setattr(export_module, "atomic_write", real)  # space freed
    code, stdout, stderr = cli(["--out", str(out), "--only-failed", "--jobs", "2", "--quiet"])
    assert code == 0, (stdout, stderr)
    assert stdout.startswith("2 report(s)"), stdout
    final = load_manifest(out)
    assert final["complete"] is True
    assert {t: e["status"] for t, e in by_team(final).items()} == {"T-A": "ok", "T-B": "ok", "T-C": "ok"}
    assert by_team(final)[first] == done[first]  # kept, not run twice
    for team, school, _ in TEAMS:
        assert "last week" not in (out / school / f"{team}.html").read_text(encoding="utf-8")


# ---------------------------------------------------------------------------
# Ctrl-C
# ---------------------------------------------------------------------------
@pytest.mark.slow
def test_ctrl_c_then_resume_loses_and_repeats_nothing(district: Path, tmp_path: Path) -> None:
    out, pids = tmp_path / "out", tmp_path / "pids"
    pids.mkdir()
    teams = [t for t, _, _ in TEAMS]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "plc_analysis.cli",
            "batch",
            "--data",
            str(district),
            "--out",
            str(out),
            "--notebook",
            str(FAULTS_NB),
            "--jobs",
            "1",
            "--timeout",
            "120",
            "--quiet",
            "-p",
            "sleep_seconds",
            "1",
            "-p",
            "pid_dir",
            str(pids),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for_reports(out, 1, proc=proc)
        proc.send_signal(signal.SIGINT)  # what Ctrl-C in the terminal does
        stdout, stderr = proc.communicate(timeout=WAIT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, (stdout, stderr)
    assert "interrupted" in stderr and "--only-failed" in stderr

    manifest = load_manifest(out)
    assert manifest["complete"] is False
    first = by_team(manifest)
    assert 1 <= len(first) < len(teams) and {e["status"] for e in first.values()} == {"ok"}
    assert "batch incomplete" in (out / "index.html").read_text(encoding="utf-8")
    assert kernels_gone(pids) == []  # the running report's kernel was killed, not orphaned
    assert temp_files(out) == []

    result = run_batch(out_dir=out, only_failed=True, jobs=2, parameters={"sleep_seconds": 0}, progress=False)
    assert result.exit_code == 0
    resumed = [e["team_id"] for e in result.reports]
    assert sorted(resumed) == sorted(set(teams) - set(first))  # none twice, none lost
    final = load_manifest(out)
    assert final["complete"] is True
    assert {t: e["status"] for t, e in by_team(final).items()} == dict.fromkeys(teams, "ok")
    for team, entry in first.items():
        assert by_team(final)[team] == entry


# ---------------------------------------------------------------------------
# corrupt input
# ---------------------------------------------------------------------------
def test_corrupt_or_truncated_csv_is_named_and_nothing_runs(district: Path, tmp_path: Path) -> None:
    def broken(name: str, change) -> Path:
        folder = tmp_path / name
        shutil.copytree(district, folder)
        change(folder)
        return folder

    def truncate(folder: Path) -> None:  # a copy cut off part way through a row
        data = (folder / "scores.csv").read_bytes()
        (folder / "scores.csv").write_bytes(data[: data.index(b"\n", len(data) // 2) + 12])

    def garbage(folder: Path) -> None:  # a compressed file saved under the .csv name
        (folder / "items.csv").write_bytes(gzip.compress((folder / "items.csv").read_bytes()))

    def empty(folder: Path) -> None:  # a transfer that stopped before the first byte
        (folder / "enrollments.csv").write_bytes(b"")

    cases = {
        "truncated": (truncate, "scores.csv, line", "fields, the header has 6"),
        "garbage": (garbage, "items.csv", "is a gzip-compressed file, not CSV text"),
        "empty": (empty, "enrollments.csv", "file is empty"),
    }
    for name, (change, where, why) in cases.items():
        data = broken(name, change)
        out = tmp_path / f"out-{name}"
        code, stdout, stderr = cli(["--data", str(data), "--out", str(out), "--notebook", str(FAULTS_NB), "--quiet"])
        assert code == 2, (name, stdout, stderr)  # documented: the batch could not start
        assert "does not validate" in stderr and where in stderr and why in stderr, (name, stderr)
        assert not (out / "manifest.json").exists() and not any(out.rglob("*.html")), name
        with pytest.raises(PLCDataError) as caught:
            run_batch(data, out, notebook=FAULTS_NB, progress=False)
        assert where.split(",")[0] in set(caught.value.problems["file"]), name


# ---------------------------------------------------------------------------
# two batches at once
# ---------------------------------------------------------------------------
@pytest.mark.slow
def test_two_concurrent_batches_one_interrupted(district: Path, tmp_path: Path) -> None:
    """Each batch has its own stop signal: Ctrl-C in one never kills the other's reports."""
    if threading.current_thread() is not threading.main_thread() or (
        signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        pytest.skip("needs the main thread with Python's SIGINT handler")
    out_a, out_b, gate = tmp_path / "a", tmp_path / "b", tmp_path / "gate"
    results: dict[str, object] = {}

    def batch_a() -> None:  # its reports wait for the gate, opened once B has been interrupted
        try:
            results["a"] = run_batch(
                district,
                out_a,
                notebook=FAULTS_NB,
                jobs=3,
                timeout=120,
                progress=False,
                parameters={"wait_for": str(gate)},
            )
        except BaseException as exc:  # noqa: BLE001 - reported below
            results["a"] = exc

    def interrupt_b() -> None:
        try:
            wait_for_reports(out_b, 1)
        except AssertionError:
            return
        manifest_a = load_manifest(out_a)
        results["a running"] = manifest_a is not None and len(manifest_a["reports"]) < len(TEAMS)
        _thread.interrupt_main()

    background = threading.Thread(target=batch_a)
    background.start()
    threading.Thread(target=interrupt_b, daemon=True).start()
    try:
        with pytest.raises(KeyboardInterrupt):
            run_batch(
                district,
                out_b,
                notebook=FAULTS_NB,
                jobs=1,
                timeout=120,
                progress=False,
                parameters={"sleep_seconds": 2},
            )  # B's later reports are still to come when it is stopped
    finally:
        gate.write_text("open", encoding="utf-8")
        background.join(WAIT)
    assert not background.is_alive()
    assert results["a running"], "batch A had finished before B was interrupted: the test proved nothing"

    a = results["a"]
    assert not isinstance(a, BaseException), a
    assert a.exit_code == 0 and load_manifest(out_a)["complete"] is True
    assert {t: e["status"] for t, e in by_team(a.manifest).items()} == dict.fromkeys(["T-A", "T-B", "T-C"], "ok")
    partial = by_team(load_manifest(out_b))
    assert 1 <= len(partial) < 3

    b = run_batch(out_dir=out_b, only_failed=True, jobs=2, progress=False)
    assert b.exit_code == 0 and len(b.reports) + len(partial) == 3
    final_b = by_team(load_manifest(out_b))
    for team, school, _ in TEAMS:  # same reports in both folders, each written whole
        assert final_b[team]["status"] == "ok"
        assert outputs(out_a / school / f"{team}.ipynb") == outputs(out_b / school / f"{team}.ipynb")
    assert temp_files(out_a) == [] and temp_files(out_b) == []
