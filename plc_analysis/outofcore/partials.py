"""A school partition's share of the district aggregates: the counts that add up across schools.

A district stored partitioned by school (:func:`plc_analysis.write_partitioned`)
is aggregated one school at a time (a task of
:mod:`plc_analysis.outofcore.partition_run`, on this machine or on a Dask
cluster), then the shares are summed (:mod:`plc_analysis.outofcore.combine`).
What adds up across schools and what does not:

* a student enrolled in one school has all of their scores, rosters and
  evidence in that school's partition (a valid score belongs to a student
  enrolled in the assessment's team, and a team to one school), so their
  standing on each skill is computed whole there.  Per skill and group their
  counts (students assessed, proficient, with an item not attempted, absent;
  the sum and count of scores behind the mean) add up across schools for any
  grouping, the whole district (``by=None``) and subgroups included;
* a student enrolled in several schools (the "crossing" students, found
  beforehand by :func:`crossing_students`) may have evidence on the same skill
  in two schools, which the mastery rule combines into one standing (placed
  where the latest evidence is), and is one student, not two, in a district
  count.  Their counts do not add up: each school returns their evidence rows
  and roster rows instead (a few rows per such student), and the combine step
  computes their standings from the evidence of all their schools with the
  same SQL as the whole-district path.

So the combined tables equal
:func:`~plc_analysis.outofcore.proficiency_sql.district_proficiency_by_skill`
of the whole district to the last count, for every grouping and mastery rule.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import Problem
from ..partitioned import SHARED_NAME, is_partitioned, partition_schools
from ..proficiency import MasteryRule, check_mastery_rule
from ..rules import group_columns
from .district import DEFAULT_MEMORY_LIMIT, District, open_district, register_frame, sql_names, sql_text
from .files import table_files
from .mastery import EVIDENCE_COLUMNS, evidence_view, mastery_view
from .proficiency_sql import PLACEMENT_COLUMNS, absent_query, counts_query, regrouped_seen_query, roster_seen_query

__all__ = [
    "PartialRequest",
    "SchoolPartial",
    "school_partial",
    "crossing_students",
    "partition_list",
    "ADDITIVE_COUNTS",
]

#: The counts of a partial that add up across schools (``score_sum / n_scored`` is the mean score).
ADDITIVE_COUNTS = ["n_assessed", "n_proficient", "n_not_attempted", "score_sum", "n_scored"]

ByLevel = str | tuple[str, ...] | None


@dataclass(frozen=True)
class PartialRequest:
    """What every school computes: the groupings and the mastery rule of the tables asked for.

    Attributes
    ----------
    bys : tuple
        One entry per table, as ``by=`` of :func:`plc_analysis.proficiency_by_skill`
        (a level, a tuple of levels, or None for the whole district).
    rule, weight, cut
        As :func:`plc_analysis.proficiency_by_skill`.
    """

    bys: tuple[ByLevel, ...] = ("team",)
    rule: MasteryRule = "most_recent"
    weight: float = 0.65
    cut: float | None = None

    def __post_init__(self) -> None:
        check_mastery_rule(self.rule, self.weight)
        if not self.bys:
            raise ValueError("ask for at least one table (bys is empty)")

    @property
    def per_assessment(self) -> bool:
        """Whether the tables are per assessment (the mastery rule ``all``)."""
        return self.rule == "all"

    def groups(self, subgroup_columns: Sequence[str]) -> list[list[str]]:
        """The group columns of each table.

        Raises
        ------
        ValueError
            A level that is neither a group level nor a subgroup column.
        """
        return [
            group_columns(list(by) if isinstance(by, tuple) else by, subgroup_columns, "a subgroup column")
            for by in self.bys
        ]

    def count_keys(self, groups: list[str]) -> list[str]:
        """The columns the students assessed are counted by."""
        return ["skill_id", *(["assessment_id", "date"] if self.per_assessment else []), *groups]

    def absent_keys(self, groups: list[str]) -> list[str]:
        """The columns the students absent are counted by."""
        return ["skill_id", *(["assessment_id"] if self.per_assessment else []), *groups]


@dataclass
class SchoolPartial:
    """One school's share of the district aggregates (small: counts, and a few rows per crossing student).

    Attributes
    ----------
    school_id : str
    counts : list of DataFrame
        Per table of the request, the students enrolled only in this school:
        ``<count keys>, n_assessed, n_proficient, n_not_attempted, score_sum, n_scored``.
    absent : list of DataFrame
        Per table, the same students: ``<absent keys>, n_absent``.
    evidence : DataFrame
        The crossing students' evidence rows here (the ``evidence`` columns but ``ord``).
    seen : DataFrame
        The crossing students' roster rows here: ``student_id, skill_id,
        (assessment_id), team_id, school_id, section_id, teacher_id, accounted``.
    students : DataFrame
        The crossing students' ``student_id`` and subgroup columns (no names).
    skills : DataFrame
        The partition's ``skills`` table.
    subgroup_columns : list of str
    n_scores : int
        Valid score rows read.
    problems : list of Problem
    rejected : DataFrame
        As :attr:`plc_analysis.outofcore.District.rejected`.
    """

    school_id: str
    counts: list[pd.DataFrame]
    absent: list[pd.DataFrame]
    evidence: pd.DataFrame
    seen: pd.DataFrame
    students: pd.DataFrame
    skills: pd.DataFrame
    subgroup_columns: list[str]
    n_scores: int = 0
    problems: list[Problem] = field(default_factory=list)
    rejected: pd.DataFrame = field(default_factory=pd.DataFrame)


def partition_list(path: str | Path) -> list[str]:
    """The schools of a partitioned district, checked to be aggregated school by school.

    Parameters
    ----------
    path : str or Path
        A school-partitioned district.

    Returns
    -------
    list of str
        The school ids, in order.

    Raises
    ------
    FileNotFoundError
        ``path`` is not a folder.
    ValueError
        The folder is not school-partitioned, or score rows lie in ``_shared``
        (in no school's partition: a student not enrolled in the assessment's
        team, or a skill kept by no school), which no school's task can place.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise FileNotFoundError(f"no such folder: {folder}")
    if not is_partitioned(folder):
        raise ValueError(
            f"{folder} is not partitioned by school: per-school work needs a district written with "
            "plc_analysis.write_partitioned (one folder per school)"
        )
    shared = [f for f in table_files(folder, "scores") if f.school_id is None]
    stray = sum(_row_count(f.path, f.fmt) for f in shared)
    if stray:
        raise ValueError(
            f"{stray} score row(s) in {SHARED_NAME}/ belong to no school's partition, so no school's task "
            "can count them: run on the whole district (one machine, no --jobs or --scheduler), or see "
            "which rows with plc validate"
        )
    return list(partition_schools(folder))


def _row_count(path: Path, fmt: str) -> int:
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(path).metadata.num_rows)
    with open(path, "rb") as handle:
        lines = sum(1 for line in handle if line.strip())
    return max(0, lines - 1)


def crossing_students(path: str | Path) -> frozenset[str]:
    """Students whose rows are in more than one school's partition (enrolled in several schools).

    Reads only the ``student_id`` column of each partition's ``students``
    table.  Ids are compared trimmed and case-folded, so the set can only be
    too large (which costs a few rows more in transit, never a wrong count).

    Parameters
    ----------
    path : str or Path
        A school-partitioned district.

    Returns
    -------
    frozenset of str
        The ids (as written, trimmed) of every student found in two partitions or more.
    """
    import duckdb

    seen: dict[str, set[str]] = {}
    ids_of: dict[str, set[str]] = {}
    with duckdb.connect() as con:
        for file in table_files(path, "students"):
            if file.school_id is None:
                continue
            source = (
                f"read_parquet({sql_text(str(file.path))})"
                if file.fmt == "parquet"
                else f"read_csv({sql_text(str(file.path))}, header = true, all_varchar = true)"
            )
            rows = con.execute(f"SELECT DISTINCT trim(CAST(student_id AS VARCHAR)) FROM {source}").fetchall()
            for (student,) in rows:
                if student is None:
                    continue
                key = student.casefold()
                seen.setdefault(key, set()).add(file.school_id)
                ids_of.setdefault(key, set()).add(student)
    return frozenset(i for key, schools in seen.items() if len(schools) > 1 for i in ids_of[key])


def _task_threads(threads: int | None) -> int | None:
    """DuckDB threads for one task: as told, else the cores shared among a Dask worker's task threads."""
    if threads is not None or "distributed" not in sys.modules:  # not on a Dask worker (nothing to import)
        return threads
    from distributed import get_worker

    try:
        worker = get_worker()
    except ValueError:
        return None
    return max(1, (os.cpu_count() or 1) // max(1, int(worker.state.nthreads)))


def _open_school(path: str, school_id: str, memory_limit: str, threads: int | None) -> District:
    if not Path(path).is_dir():
        raise FileNotFoundError(
            f"the district folder {path} is not visible on {socket.gethostname()}: every Dask worker reads its "
            "schools' partitions from that folder, so it must be at the same path on every worker (a shared "
            "file system)"
        )
    return open_district(
        path, schools=[school_id], errors="quarantine", memory_limit=memory_limit, threads=_task_threads(threads)
    )


def school_partial(
    path: str | Path,
    school_id: str,
    request: PartialRequest,
    crossing: frozenset[str] = frozenset(),
    *,
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
    threads: int | None = None,
) -> SchoolPartial:
    """One school's share of the district aggregates, from that school's partition only.

    A task of :mod:`plc_analysis.outofcore.partition_run` (on a Dask worker,
    the district folder must be at the same path).

    Parameters
    ----------
    path : str or Path
        A school-partitioned district.
    school_id : str
        The school whose partition is read.
    request : PartialRequest
        The tables asked for.
    crossing : frozenset of str
        The students enrolled in several schools (:func:`crossing_students`).
    memory_limit : str
        DuckDB's memory limit for this task.
    threads : int, optional
        DuckDB threads (default: every core, or the cores per task thread on a Dask worker).

    Returns
    -------
    SchoolPartial
        Its problems are the partition's validation problems (the task never
        raises for bad rows; the caller decides).
    """
    with _open_school(str(path), school_id, memory_limit, threads) as district:
        con = district.con
        subgroups = list(district.small.subgroup_columns)
        groups = request.groups(subgroups)
        evidence_view(district)
        mastery = mastery_view(district, request.rule, weight=request.weight)
        mine = district.small.students["student_id"].astype("str")
        register_frame(con, "crossing", pd.DataFrame({"student_id": sorted(set(mine) & crossing)}, dtype="str"))
        local = f"(SELECT m.* FROM {mastery} m ANTI JOIN crossing USING (student_id))"
        # every roster row once, by every placement column; each table regroups it (one scan of the scores)
        seen_all = roster_seen_query(PLACEMENT_COLUMNS, [], per_assessment=request.per_assessment)
        con.execute(f"CREATE TEMP TABLE roster_seen AS {seen_all}")
        counts, absent = [], []
        for columns in groups:
            chosen = [g for g in columns if g in subgroups]
            counts.append(
                district.sql(counts_query(local, request.count_keys(columns), chosen, request.cut, additive=True))
            )
            seen = regrouped_seen_query(
                "roster_seen",
                columns,
                chosen,
                per_assessment=request.per_assessment,
                where="r.student_id NOT IN (SELECT student_id FROM crossing)",
            )
            absent.append(district.sql(absent_query(seen, request.absent_keys(columns))))
        kept = [c for c in EVIDENCE_COLUMNS if c != "ord"]
        evidence = district.sql(f"SELECT {', '.join(kept)} FROM evidence SEMI JOIN crossing USING (student_id)")
        picked = ", ".join(["student_id", *sql_names(subgroups)])
        students = district.sql(f"SELECT {picked} FROM students SEMI JOIN crossing USING (student_id)")
        return SchoolPartial(
            school_id=school_id,
            counts=counts,
            absent=absent,
            evidence=evidence,
            seen=district.sql("SELECT * FROM roster_seen SEMI JOIN crossing USING (student_id)"),
            students=students,
            skills=district.small.skills,
            subgroup_columns=subgroups,
            n_scores=district.count(),
            problems=list(district.problems),
            rejected=district.rejected,
        )
