"""The one error boundary of ``plc``: one line and a documented exit code, whatever happens (issue 24 class 6)."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import MINI, write_folder
from hostile_helpers import assert_one_line, plc_fixture  # noqa: F401 (the plc fixture)

from plc_analysis import cli, loading
from plc_analysis.cli import EXIT_BUG, EXIT_DATA, EXIT_INTERRUPTED, EXIT_OK, EXIT_PIPE, EXIT_USAGE

ROOT = Path(__file__).resolve().parents[2]


def test_exit_codes_are_distinct_and_documented():
    codes = [EXIT_OK, EXIT_DATA, EXIT_USAGE, EXIT_BUG, EXIT_INTERRUPTED, EXIT_PIPE]
    assert len(set(codes)) == len(codes)
    for code in codes:
        assert f"\n{code} " in cli.__doc__
    help_text = cli.build_parser().format_help()
    assert "Exit codes" in help_text and "--debug" in help_text


def test_a_missing_path_is_a_usage_error(plc, tmp_path):
    assert_one_line(plc("validate", tmp_path / "nope"), EXIT_USAGE, "no such file or folder")


def test_an_unknown_command_or_option_is_one_line(plc):
    assert_one_line(plc("frobnicate"), EXIT_USAGE, "invalid choice", "see plc --help")
    assert_one_line(plc("validate"), EXIT_USAGE, "required", "see plc validate --help")
    assert_one_line(plc("summary", "--colour"), EXIT_USAGE, "unrecognized arguments")


def test_an_unexpected_error_is_one_line_naming_a_bug_and_debug_shows_the_traceback(plc, tmp_path, monkeypatch):
    folder = write_folder(tmp_path / "d", MINI)

    def broken(*args, **kwargs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(loading, "load_dataset", broken)
    line = assert_one_line(plc("validate", folder), EXIT_BUG, "ZeroDivisionError", "--debug")
    assert line.startswith("plc validate: ")
    for argv in (("--debug", "validate", folder), ("validate", folder, "--debug")):
        ran = plc(*argv)
        assert ran.code == EXIT_BUG
        assert "Traceback" in ran.err and "ZeroDivisionError" in ran.err


def test_ctrl_c_anywhere_is_one_line_and_130(plc, tmp_path, monkeypatch):
    folder = write_folder(tmp_path / "d", MINI)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(loading, "load_dataset", interrupted)
    assert_one_line(plc("validate", folder), EXIT_INTERRUPTED, "plc validate: interrupted")
    monkeypatch.setattr(cli, "build_parser", interrupted)  # during start-up, before a command is known
    assert_one_line(plc("validate", folder), EXIT_INTERRUPTED, "plc: interrupted")


def test_a_disk_error_is_one_line(plc, tmp_path, monkeypatch):
    folder = write_folder(tmp_path / "d", MINI)

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device", str(tmp_path / "rejected.csv"))

    monkeypatch.setattr(loading, "load_dataset", full)
    assert_one_line(plc("validate", folder), EXIT_USAGE, "No space left on device", "rejected.csv")


class ClosedPipe(io.StringIO):
    """stdout whose reader has gone (``plc validate DIR | head``)."""

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def fileno(self) -> int:
        raise io.UnsupportedOperation("no file descriptor")


def test_a_closed_output_pipe_ends_quietly_with_141(tmp_path, monkeypatch, capsys):
    folder = write_folder(tmp_path / "d", MINI)
    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    assert cli.main(["validate", str(folder)]) == EXIT_PIPE
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.slow
def test_a_real_pipe_closed_by_head_leaves_no_traceback(tmp_path):
    strangers = "".join(f"x{i},A1,i1,1,,\n" for i in range(4000))  # 4000 error lines: more than a pipe holds
    folder = write_folder(tmp_path / "d", {**MINI, "scores.csv": MINI["scores.csv"] + strangers})
    script = f"{sys.executable} -m plc_analysis.cli validate {folder} | head -1"
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run(
        ["bash", "-o", "pipefail", "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=300, env=env
    )
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr, done.stderr
    assert done.stdout.startswith("Validated")
    assert done.returncode == EXIT_PIPE


def test_validate_exits_0_on_clean_data_and_1_on_errors(plc, tmp_path):
    assert plc("validate", write_folder(tmp_path / "ok", MINI)).code == EXIT_OK
    bad = write_folder(
        tmp_path / "bad", {**MINI, "scores.csv": MINI["scores.csv"].replace("007,A1,i1,1", "007,A1,i1,9")}
    )
    ran = plc("validate", bad)
    assert ran.code == EXIT_DATA and "Traceback" not in ran.out + ran.err
