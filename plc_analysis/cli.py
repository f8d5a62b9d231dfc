"""The ``plc`` command line: validate data, generate the sample, summarise, run batches.

Every command ends with one line (or one line per data problem) and one of
these exit codes, whatever happens (``--debug`` adds the traceback):

====  ==================================================================
0     done, no errors
1     the data has errors (rows rejected, a file unreadable) or some
      reports failed
2     the command could not run as given: a bad option or value, a path
      that does not exist, an output folder in use or not writable
3     an unexpected error inside plc (a bug: rerun with ``--debug`` and
      report the traceback)
130   interrupted (Ctrl-C or SIGTERM)
141   the reader of the output went away (``plc validate DIR | head``);
      nothing more is printed
====  ==================================================================
"""

from __future__ import annotations

import argparse
import errno
import os
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pandas as pd

if TYPE_CHECKING:
    from .errors import PLCDataError

__all__ = [
    "main",
    "build_parser",
    "OneLineErrorParser",
    "EXIT_OK",
    "EXIT_DATA",
    "EXIT_USAGE",
    "EXIT_BUG",
    "EXIT_INTERRUPTED",
    "EXIT_PIPE",
]

#: Done, no errors.
EXIT_OK = 0
#: The data has errors (rows rejected, a file unreadable), or some reports failed.
EXIT_DATA = 1
#: The command could not run as given (options, paths, the output folder).
EXIT_USAGE = 2
#: An unexpected error inside plc: a bug.
EXIT_BUG = 3
#: Interrupted (Ctrl-C, SIGTERM).
EXIT_INTERRUPTED = 130
#: The output's reader went away (a closed pipe): 128 + SIGPIPE, as the shell reports a process it ended.
EXIT_PIPE = 141


def _out_of_core(path: str, engine: str) -> bool:
    """Whether ``engine`` (auto, pandas, duckdb) means opening ``path`` out of core."""
    if engine == "pandas":
        return False
    if engine == "duckdb":
        if not Path(path).is_dir():
            raise NotADirectoryError(
                errno.ENOTDIR, "--engine duckdb reads a canonical or partitioned data folder", path
            )
        return True
    from .outofcore.overview import large_district

    return large_district(path)


def _cmd_validate(args: argparse.Namespace) -> int:
    from .spreadsheet_out import write_people_csv

    notes: tuple[str, ...] = ()
    if args.roster is None and _out_of_core(args.path, args.engine):
        from .outofcore import open_district

        with open_district(args.path, errors="quarantine") as district:
            summary, problems, rejected = district.summary(), district.problems_table, district.rejected
        print(f"Validated {args.path} out of core (DuckDB): {int(summary['rows'].sum()):,} rows")
    else:
        from .loading import load_dataset

        dataset = load_dataset(args.path, errors="quarantine", roster=args.roster)
        summary, problems, rejected, notes = dataset.summary(), dataset.problems, dataset.rejected, dataset.notes
        print(f"Validated {args.path}")
    errors = problems[problems["severity"] == "error"]
    warnings = problems[problems["severity"] == "warning"]
    print(summary.to_string(index=False))
    if notes:  # what the loader assumed (a fallback, a file not used ...), each said once
        print(f"\nNotes: {len(notes)}")
        for note in notes:
            print(f"  - {note}")
    for title, frame in (("Errors (rows rejected)", errors), ("Warnings", warnings)):
        if len(frame):
            print(f"\n{title}: {len(frame)}")
            for row in frame.itertuples(index=False):
                line = "" if pd.isna(row.line) else f", line {row.line}"
                column = f", column {row.column!r}" if isinstance(row.column, str) else ""
                value = f" value {row.value!r}:" if isinstance(row.value, str) else ""
                print(f"  - {row.file}{line}{column}:{value} {row.reason}")
    out = (
        Path(args.rejected)
        if args.rejected
        else (
            Path(args.path) / "rejected.csv" if Path(args.path).is_dir() else Path(args.path).with_name("rejected.csv")
        )
    )
    if len(rejected):
        write_people_csv(rejected, out)
        print(f"\n{len(rejected)} rejected row(s) written to {out}")
    if len(errors) or len(rejected[rejected["severity"] == "error"]):
        return 1
    print("\nNo errors.")
    return 0


def _cmd_convert(args: argparse.Namespace) -> int:
    """Any supported source -> the canonical folder, rejected.csv, problems.csv and notes.txt."""
    from .conversion import convert_to_canonical
    from .errors import PLCDataError

    options = {k: v for k, v in (("item_map", args.item_map), ("date", args.date), ("grade", args.grade)) if v}
    try:
        result = convert_to_canonical(
            args.source, args.out, roster=args.roster, fmt=args.format, force=args.force, **options
        )
    except (FileExistsError, ValueError) as exc:
        if isinstance(exc, PLCDataError):  # an unreadable source: reported by main like any data problem
            raise
        print(f"plc convert: {exc}", file=sys.stderr)
        return 2
    dataset = result.dataset
    print(f"Converted {args.source}" + (f" with roster {args.roster}" if args.roster else "") + f" -> {args.out}")
    print(dataset.summary().to_string(index=False))
    for note in dataset.notes:
        print(f"  note: {note}")
    errors = int((dataset.rejected["severity"] == "error").sum())
    warnings = int((dataset.rejected["severity"] == "warning").sum())
    print(
        f"\n{len(dataset.rejected)} row(s) or cell(s) left out ({errors} error(s), {warnings} by design): "
        f"{result.rejected_path}; every problem: {result.problems_path}; notes: {result.notes_path}"
    )
    return 1 if errors else 0


def _cmd_sample(args: argparse.Namespace) -> int:
    from .sample import generate_sample

    generate_sample(args.out, seed=args.seed, students=args.students)
    print(f"Sample district written to {args.out}")
    return 0


def _cmd_notebooks(args: argparse.Namespace) -> int:
    from .bundled import copy_notebooks

    try:
        written = copy_notebooks(args.out, overwrite=args.force)
    except FileExistsError as exc:
        print(f"plc notebooks: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(path)
    print(f"Open the explorer with: jupyter lab {Path(args.out) / 'explore.ipynb'}")
    return 0


def _cmd_summary(args: argparse.Namespace) -> int:
    from .loading import load_dataset, load_sample

    dataset = load_dataset(args.path) if args.path else load_sample()
    print(dataset)
    print(dataset.summary().to_string(index=False))
    return 0


def _extract_key_from_env() -> bytes | None:
    """The key in ``PLC_EXTRACT_KEY`` (hex), to seal extracts for the processes holding it; None when unset."""
    from .extract import EXTRACT_KEY_ENV

    given = os.environ.get(EXTRACT_KEY_ENV, "")
    if not given:
        return None
    try:
        key = bytes.fromhex(given)
    except ValueError:
        key = b""
    if len(key) < 16:
        raise ValueError(f"{EXTRACT_KEY_ENV} must be a key of at least 16 bytes written in hex")
    return key


def _cmd_extracts(args: argparse.Namespace) -> int:
    """Every team's extract (or the teams asked for), cut out of core: the folders a batch hands its reports."""
    from .outofcore import cut_team_extracts, open_district

    try:
        key = _extract_key_from_env()
    except ValueError as exc:
        print(f"plc extracts: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not Path(args.data).is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "plc extracts reads a canonical or partitioned data folder", args.data)
    show = sys.stderr.isatty() and not args.quiet
    with open_district(args.data, errors="quarantine" if args.quarantine else "raise") as district:
        try:
            cut = cut_team_extracts(district, args.out, teams=args.team, progress=show, key=key)
        except (ValueError, FileExistsError) as exc:
            print(f"plc extracts: {exc}", file=sys.stderr)
            return EXIT_USAGE
        rejected = len(district.rejected)
    if len(cut) <= 20:
        print(cut[["team_id", "school_id", "score_rows", "folder"]].to_string(index=False))
    print(
        f"{len(cut):,} team extract(s), {int(cut['score_rows'].sum()):,} score rows, "
        f"{cut['bytes'].sum() / 1e6:,.1f} MB, written to {args.out}"
    )
    if rejected:
        print(f"{rejected:,} invalid row(s) left out (plc validate {args.data} lists them)")
    if key is None:
        print(
            "Sealed with a key of this run only: a report loading an extract validates it again "
            "(set PLC_EXTRACT_KEY to a hex key to seal them for the processes holding it)."
        )
    return EXIT_OK


def _cmd_batch(args: argparse.Namespace) -> int:
    from .batch import batch_from_args

    return batch_from_args(args)


def _cmd_letters(args: argparse.Namespace) -> int:
    """One page per student of a team, for the student and the family, in one language (HTML, and PDF)."""
    from .export import write_text_atomic
    from .letters import letters_html
    from .loading import load_dataset, load_sample
    from .print_pdf import PdfUnavailable, ReportPrinter, running_header

    dataset = load_dataset(args.data) if args.data else load_sample()
    try:
        page = letters_html(dataset, args.team, args.lang)
    except ValueError as exc:
        print(f"plc letters: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    html_path = write_text_atomic(out / f"{args.team}.letters.{args.lang}.html", page)
    print(html_path)
    if args.pdf:
        try:
            with ReportPrinter() as printer:
                header = running_header(f"{args.team} · progress reports ({args.lang})", audience="families")
                print(printer.print(html_path, html_path.with_suffix(".pdf"), header))
        except PdfUnavailable as exc:
            print(f"plc letters: PDF not written: {exc}", file=sys.stderr)
            return 2
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    """The main output: one HTML team report per team, the district overview, and an index linking them all."""
    from .batch import FAILED_STATUSES, BatchError, run_batch_from_args, run_district_overview
    from .batch.arguments import print_pdfs_from_args

    result, code = run_batch_from_args(args)
    if result is None:  # the batch could not start, stopped on a full disk or was interrupted (said on stderr)
        return code
    try:
        # the batch's own data: --data, else (with --only-failed) what the manifest recorded, else the sample
        overview = run_district_overview(
            result.out_dir, result.manifest["data_path"], timeout=args.timeout, audience=args.overview_audience
        )
    except BatchError as exc:
        print(f"plc report: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            "plc report: interrupted while rendering the district overview; the team reports are in "
            f"{result.index_path}.",
            file=sys.stderr,
        )
        return 130
    if overview["status"] in FAILED_STATUSES:
        print(f"District overview {overview['status']}: {overview['error_name']}: {overview['error_value']}")
        code = max(code, 1)
    if overview["html"]:
        print(f"District overview (aggregates only): {overview['html']}")
    if args.pdf:  # after the overview: one browser prints the team reports and the overview
        code = max(code, print_pdfs_from_args(result.out_dir, "plc report"))
    print(f"Index: {result.index_path}")
    return code


def _cmd_overview_tables(args: argparse.Namespace) -> int:
    """The district's proficiency by skill per team, school and district (out of core) as CSV files."""
    import time

    from .batch import BatchError
    from .errors import PLCDataError
    from .outofcore.district_tables import proficiency_tables, write_tables

    if args.jobs is not None and args.scheduler is not None:
        print(
            "plc overview-tables: give --jobs (this machine) or --scheduler (a Dask cluster), not both", file=sys.stderr
        )
        return EXIT_USAGE
    bys = [None if by == "district" else by.split("+") if "+" in by else by for by in (args.by or DEFAULT_BYS)]
    start = time.perf_counter()
    try:
        result = proficiency_tables(
            args.data,
            bys,
            args.rule,
            jobs=args.jobs,
            scheduler=args.scheduler,
            memory_limit=args.memory_limit,
            progress=not args.quiet and sys.stderr.isatty(),
        )
    except PLCDataError:
        raise  # every problem listed by main, exit 1
    except (ValueError, BatchError) as exc:  # not partitioned, an unknown --by, no cluster at that address
        print(f"plc overview-tables: {exc}", file=sys.stderr)
        return EXIT_USAGE
    how = (
        f"school by school on the Dask cluster {args.scheduler}"
        if args.scheduler
        else f"school by school, {args.jobs} at once"
        if args.jobs
        else "the whole district at once"
    )
    crossing = f", {result.crossing} student(s) in several schools" if result.crossing else ""
    print(
        f"Proficiency by skill of {args.data}: {len(result.schools)} school(s), {result.n_scores:,} score rows"
        f"{crossing}; {how}, {time.perf_counter() - start:.1f} s"
    )
    for path, table in zip(write_tables(result.tables, args.out), result.tables.values()):
        print(f"  {path} ({len(table)} rows)")
    return EXIT_OK


#: The tables of ``plc overview-tables`` unless ``--by`` says otherwise.
DEFAULT_BYS = ("team", "school", "district")


class OneLineErrorParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line (``plc batch: --jobs: must be at least 1``), exit 2.

    Subcommands' parsers are of the same class (argparse makes them so).
    """

    def error(self, message: str) -> NoReturn:
        """Print the error on one line, pointing at ``--help``, and exit with :data:`EXIT_USAGE`."""
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for ``plc``."""
    from . import __version__
    from .arg_types import int_at_least, positive_int
    from .sample import MIN_SAMPLE_STUDENTS

    parser = OneLineErrorParser(
        prog="plc",
        description="PLC Workbook: assessment analytics for teacher teams.",
        epilog="Exit codes: 0 done, 1 data errors or failed reports, 2 the command could not run as given, "
        "3 a bug (rerun with --debug), 130 interrupted, 141 output pipe closed.",
    )
    parser.add_argument("--version", action="version", version=f"plc {__version__}")
    # taken out of the arguments by main(), wherever it stands: listed here for --help
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error (any command)")
    sub = parser.add_subparsers(dest="command", required=True)

    validate = sub.add_parser("validate", help="check a data folder, OneRoster export or score sheet")
    validate.add_argument("path")
    validate.add_argument("--rejected", help="where to write rejected.csv (default: beside the data)")
    validate.add_argument("--roster", help="match the students to a roster from another system (OneRoster or folder)")
    validate.add_argument(
        "--engine",
        choices=("auto", "pandas", "duckdb"),
        default="auto",
        help="pandas: load in memory; duckdb: check the scores out of core (DuckDB, bounded memory); "
        "auto (default): duckdb for a folder of 5 million score rows or more",
    )
    validate.set_defaults(func=_cmd_validate)

    convert = sub.add_parser(
        "convert",
        help="write the canonical folder (with rejected.csv, problems.csv and notes.txt) from any supported source",
    )
    convert.add_argument("source", help="a OneRoster export, Canvas / Google Classroom export, score sheet or folder")
    convert.add_argument("--out", required=True, help="the canonical folder to write")
    convert.add_argument("--roster", help="students and sections from another system (OneRoster or canonical folder)")
    convert.add_argument("--format", choices=("csv", "parquet"), default="csv", help="table files (default: csv)")
    convert.add_argument("--item-map", help="item map of a score sheet or gradebook export (assignment -> skill)")
    convert.add_argument("--date", help="assessment date of a score sheet or gradebook export (YYYY-MM-DD)")
    convert.add_argument("--grade", help="students' grade when the source has none")
    convert.add_argument("--force", action="store_true", help="replace the tables of an existing canonical folder")
    convert.set_defaults(func=_cmd_convert)

    sample = sub.add_parser("sample", help="generate the synthetic sample district")
    sample.add_argument("--out", default="data/sample")
    sample.add_argument("--seed", type=int, default=2026)
    sample.add_argument(
        "--students",
        type=int_at_least(MIN_SAMPLE_STUDENTS),
        default=None,
        help=f"high-school size (default 600; 4000 = full; at least {MIN_SAMPLE_STUDENTS})",
    )
    sample.set_defaults(func=_cmd_sample)

    from .batch import add_batch_arguments

    report = sub.add_parser(
        "report", help="team reports for every team, an index and the district overview (default: the sample district)"
    )
    add_batch_arguments(report)
    report.add_argument(
        "--overview-audience",
        choices=("district", "public"),
        default="district",
        help="who the district overview is for: district staff (default) or the public (no teacher names)",
    )
    report.set_defaults(func=_cmd_report)

    letters = sub.add_parser(
        "letters", help="progress reports for the students and families of one team, one page per student"
    )
    letters.add_argument("--team", required=True, metavar="TEAM_ID", help="the team whose students get a letter")
    letters.add_argument("--lang", default="en", help="language of the letters: en (default) or a catalog's, e.g. es")
    letters.add_argument("--data", default=None, help="district data (default: the sample district)")
    letters.add_argument("--out", default="letters", help="output folder (default: letters)")
    letters.add_argument("--pdf", action="store_true", help="also print them to PDF (needs Chromium)")
    letters.set_defaults(func=_cmd_letters)

    extracts = sub.add_parser(
        "extracts", help="cut every team's extract out of a big district (DuckDB, bounded memory), as a batch does"
    )
    extracts.add_argument("data", help="a canonical or school-partitioned data folder")
    extracts.add_argument("--out", required=True, help="the folder to write one extract folder per team into")
    extracts.add_argument(
        "--team", action="append", metavar="TEAM_ID", help="only this team (repeat for several; default: every team)"
    )
    extracts.add_argument(
        "--quarantine", action="store_true", help="leave invalid rows out instead of stopping (plc validate lists them)"
    )
    extracts.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    extracts.set_defaults(func=_cmd_extracts)

    batch = sub.add_parser("batch", help="run a notebook once per team (or school) with papermill, in parallel")
    add_batch_arguments(batch)
    batch.set_defaults(func=_cmd_batch)

    notebooks = sub.add_parser(
        "notebooks", help="copy the report notebooks and the explorer into a folder, to open in JupyterLab"
    )
    notebooks.add_argument("--out", default="plc-notebooks", help="the folder (default: ./plc-notebooks)")
    notebooks.add_argument("--force", action="store_true", help="replace notebooks already in the folder")
    notebooks.set_defaults(func=_cmd_notebooks)

    from .outofcore.district import DEFAULT_MEMORY_LIMIT
    from .proficiency import MASTERY_RULES

    tables = sub.add_parser(
        "overview-tables",
        help="the district's proficiency by skill per team, school and district as CSV files, out of core "
        "(for district staff: counts not suppressed); --jobs or --scheduler: school by school",
    )
    tables.add_argument("data", help="a canonical data folder or a school-partitioned district")
    tables.add_argument("--out", required=True, help="folder for the CSV files (proficiency_by_<by>.csv)")
    tables.add_argument(
        "--by",
        action="append",
        default=None,
        metavar="LEVEL",
        help="team, school, teacher, section, district or a subgroup column (team+ell: both); repeatable "
        f"(default: {', '.join(DEFAULT_BYS)})",
    )
    tables.add_argument(
        "--rule", choices=MASTERY_RULES, default="most_recent", help="mastery rule (default: most_recent)"
    )
    tables.add_argument(
        "--jobs",
        "-j",
        type=positive_int,
        default=None,
        help="school by school, this many schools at once in their own processes (needs a school-partitioned "
        "district; memory bounded by the largest schools); default: the whole district in one DuckDB",
    )
    tables.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="school by school on a Dask cluster: tcp://host:8786, a scheduler file or 'local'; every worker "
        "must see the district folder at the same path",
    )
    tables.add_argument(
        "--memory-limit",
        default=DEFAULT_MEMORY_LIMIT,
        help=f"DuckDB's memory on this machine, shared by --jobs (default: {DEFAULT_MEMORY_LIMIT}); it spills beyond",
    )
    tables.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    tables.set_defaults(func=_cmd_overview_tables)

    summary = sub.add_parser("summary", help="print table sizes for a dataset (default: the sample)")
    summary.add_argument("path", nargs="?")
    summary.set_defaults(func=_cmd_summary)
    return parser


def _data_error_text(exc: PLCDataError) -> str:
    """A PLCDataError as one line (a single problem) or a head line and one line per problem."""
    if len(exc.problem_list) == 1:
        return str(exc.problem_list[0])
    return str(exc)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 500 else text[:497] + "..."


def _failure(exc: BaseException) -> tuple[int, str]:
    """The exit code and the message for an exception that ended a command."""
    import csv
    import zipfile

    from .errors import PLCDataError

    if isinstance(exc, PLCDataError):
        return EXIT_DATA, _data_error_text(exc)
    if isinstance(exc, FileNotFoundError):
        return EXIT_USAGE, _one_line(exc)
    if isinstance(exc, (PermissionError, IsADirectoryError, NotADirectoryError)):
        return EXIT_USAGE, f"{exc.filename or ''}: {exc.strerror}".lstrip(": ") if exc.strerror else _one_line(exc)
    if isinstance(exc, OSError) and exc.strerror:  # disk full, read-only folder, too many links...
        where = f"{exc.filename}: " if exc.filename else ""
        return EXIT_USAGE, f"{where}{exc.strerror}"
    if isinstance(exc, (UnicodeDecodeError, csv.Error, zipfile.BadZipFile)):
        # the readers turn these into PLCDataError; one escaping is a reader's bug, but still the input's fault
        return EXIT_DATA, f"a file could not be read ({type(exc).__name__}: {_one_line(exc)})"
    return EXIT_BUG, (
        f"unexpected error ({type(exc).__name__}: {_one_line(exc)}); this is a bug in plc: "
        "rerun with --debug for the traceback and report it"
    )


def _quiet_broken_pipe() -> int:
    """The reader of stdout went away: say nothing more, and keep Python from complaining at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout replaced by something without a file descriptor
        pass
    return EXIT_PIPE


def main(argv: list[str] | None = None) -> int:
    """Run the ``plc`` command; returns the exit code.

    Parameters
    ----------
    argv : list of str, optional
        The arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit code (see the module docstring): 0 done, 1 data errors, 2
        the command could not run as given, 3 a bug, 130 interrupted, 141
        output pipe closed.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    end = argv.index("--") if "--" in argv else len(argv)
    debug = "--debug" in argv[:end]
    argv = [a for a in argv[:end] if a != "--debug"] + argv[end:]
    command = "plc"
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        command = f"plc {args.command}"
        code = args.func(args)
        sys.stdout.flush()  # a closed pipe shows here, inside the boundary
        return code
    except SystemExit as exc:  # argparse: usage errors (2) and --help (0)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    except KeyboardInterrupt:
        if debug:
            traceback.print_exc()
        print(f"{command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return _quiet_broken_pipe()
    except Exception as exc:  # the one boundary: every other failure becomes one line and a documented code
        if debug:
            traceback.print_exc()
        code, message = _failure(exc)
        try:
            print(f"{command}: {message}", file=sys.stderr)
        except BrokenPipeError:
            pass
        return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
