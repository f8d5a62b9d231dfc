"""The :class:`Dataset`: canonical tables plus the joins and filters metrics need."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from .coded import Factor, combine, factor, repeated_keys, roster_present
from .errors import problems_frame
from .schema import CFA_TABLES, TABLE_ORDER, TABLES
from .spreadsheet_out import write_people_csv
from .validation import REJECTED_COLUMNS, empty_table

__all__ = ["Dataset", "RESPONSE_COLUMNS"]

T = TypeVar("T")

#: Columns of :meth:`Dataset.responses`.
RESPONSE_COLUMNS = [
    "student_id",
    "assessment_id",
    "item_id",
    "points",
    "earned",
    "attempted",
    "response",
    "max_points",
    "item_kind",
    "key",
    "skill_id",
    "assessment_kind",
    "title",
    "date",
    "common_id",
    "team_id",
    "school_id",
    "section_id",
    "teacher_id",
]


#: Filters that only choose schools and teams (see :meth:`Dataset._already_filtered_by`).
TEAM_FILTERS = frozenset({"school_id", "team_id"})


def filter_ids(value: object) -> frozenset | None:
    """The ids an id filter's value chooses (one id or a collection of ids); None for any other value."""
    if isinstance(value, str):
        return frozenset([value])
    if isinstance(value, (list, tuple, set, frozenset)) and all(isinstance(v, str) for v in value):
        return frozenset(value)
    return None


def _same_filter_value(recorded: object, requested: object) -> bool:
    """Whether two values of an id filter choose the same ids."""
    chosen = filter_ids(recorded)
    return chosen is not None and chosen == filter_ids(requested)


def _empty_problems() -> pd.DataFrame:
    return problems_frame([])


def _empty_rejected() -> pd.DataFrame:
    frame = pd.DataFrame(columns=REJECTED_COLUMNS)
    frame["line"] = frame["line"].astype("Int64")
    return frame


def _empty(name: str) -> Callable[[], pd.DataFrame]:
    return lambda: empty_table(name)


@dataclass(frozen=True, eq=False)
class Dataset:
    """A district's (or a filtered part of a district's) assessment data.

    One attribute per canonical table, each a DataFrame with the canonical
    columns (an absent table is empty).  The dataset is frozen: no attribute
    can be reassigned, and :meth:`filter` returns a new dataset.  Treat the
    frames as read-only too: what the dataset has computed from them (joins,
    evidence, metrics) is remembered and would not follow an edit; edit a
    copy and build a new dataset (``dataclasses.replace(dataset, scores=...)``).

    Attributes
    ----------
    schools, teams, teachers, sections, students, enrollments : DataFrame
        The canonical roster tables (columns in ``docs/data-model.md``).
    skills, assessments, items, scores, goals, progress, interventions, excused, actions : DataFrame
        The canonical assessment, support and decision tables (``excused``: students
        excused from an assessment, out of its denominators; ``actions``: what the team decided).
    problems : DataFrame
        Every problem found while loading (``file, line, column, value,
        reason, severity``), warnings included.
    rejected : DataFrame
        Rows not loaded (``file, line, severity, reason, row``).
    source : str
        Where the data came from.
    notes : tuple of str
        Plain-language notes from the loader (e.g. "roster only: no results").
    filters : dict
        The filters applied to reach this dataset (empty for a whole load).
    """

    schools: pd.DataFrame = field(default_factory=_empty("schools"))
    teams: pd.DataFrame = field(default_factory=_empty("teams"))
    teachers: pd.DataFrame = field(default_factory=_empty("teachers"))
    sections: pd.DataFrame = field(default_factory=_empty("sections"))
    students: pd.DataFrame = field(default_factory=_empty("students"))
    enrollments: pd.DataFrame = field(default_factory=_empty("enrollments"))
    skills: pd.DataFrame = field(default_factory=_empty("skills"))
    assessments: pd.DataFrame = field(default_factory=_empty("assessments"))
    items: pd.DataFrame = field(default_factory=_empty("items"))
    scores: pd.DataFrame = field(default_factory=_empty("scores"))
    goals: pd.DataFrame = field(default_factory=_empty("goals"))
    progress: pd.DataFrame = field(default_factory=_empty("progress"))
    interventions: pd.DataFrame = field(default_factory=_empty("interventions"))
    excused: pd.DataFrame = field(default_factory=_empty("excused"))
    actions: pd.DataFrame = field(default_factory=_empty("actions"))
    problems: pd.DataFrame = field(default_factory=_empty_problems)
    rejected: pd.DataFrame = field(default_factory=_empty_rejected)
    source: str = ""
    notes: tuple[str, ...] = ()
    filters: dict = field(default_factory=dict)
    # what has been computed from the tables (see cached()); a new, empty one for every new dataset
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @classmethod
    def from_tables(
        cls,
        tables: Mapping[str, pd.DataFrame],
        *,
        problems: pd.DataFrame | None = None,
        rejected: pd.DataFrame | None = None,
        source: str = "",
        notes: tuple[str, ...] = (),
        filters: Mapping[str, Any] | None = None,
        hints: Mapping[str, Any] | None = None,
    ) -> Dataset:
        """A dataset from ``{table name: DataFrame}`` (absent tables empty).

        Parameters
        ----------
        tables : mapping of str to DataFrame
            Canonical tables by name; any other name is an error.
        problems, rejected, source, notes, filters
            As the attributes of the same names.
        hints : mapping, optional
            What a validated load already knows about the scores
            (``score_codes``, ``record_candidates``: see
            :func:`plc_analysis.validation.validate_tables`), so it is not
            recomputed.

        Returns
        -------
        Dataset

        Raises
        ------
        ValueError
            For a name that is not a canonical table.
        """
        unknown = sorted(set(tables) - set(TABLE_ORDER))
        if unknown:
            raise ValueError(f"not canonical table(s): {', '.join(unknown)}; the tables are {', '.join(TABLE_ORDER)}")
        extra: dict[str, Any] = {"source": source, "notes": tuple(notes), "filters": dict(filters or {})}
        if problems is not None:
            extra["problems"] = problems
        if rejected is not None:
            extra["rejected"] = rejected
        dataset = cls(**dict(tables), **extra)
        dataset._cache.update(hints or {})
        return dataset

    # -- table access -------------------------------------------------
    @property
    def tables(self) -> Mapping[str, pd.DataFrame]:
        """Every canonical table by name, in :data:`~plc_analysis.schema.TABLE_ORDER` (a read-only view)."""
        return MappingProxyType({name: getattr(self, name) for name in TABLE_ORDER})

    def cached(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The value computed once per dataset for ``key``: ``compute()`` the first time, remembered after.

        What metrics derive from the tables (evidence, mastery, joins) is
        remembered here, so several report blocks share one computation.  The
        value is shared: callers must not modify it.

        Returns
        -------
        object
            Whatever ``compute`` returns.
        """
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def uncached(self) -> Dataset:
        """The same tables with nothing computed yet (for timing a metric from scratch).

        Returns
        -------
        Dataset
        """
        return replace(self)

    def __getitem__(self, name: str) -> pd.DataFrame:
        """``dataset["scores"]`` is ``dataset.scores``."""
        if name not in TABLES:
            raise KeyError(name)
        return getattr(self, name)

    def __repr__(self) -> str:
        sizes = ", ".join(f"{name}={len(self.tables[name]):,}" for name in TABLE_ORDER)
        extra = f"; {len(self.rejected):,} rejected rows" if len(self.rejected) else ""
        where = f" from {self.source}" if self.source else ""
        filt = f" filtered by {self.filters}" if self.filters else ""
        return f"<Dataset{where}{filt}: {sizes}{extra}>"

    def summary(self) -> pd.DataFrame:
        """Row counts per table, and rows rejected per input file.

        Returns
        -------
        DataFrame
            Columns ``table, rows, rejected``: one row per canonical table
            (rejected rows counted from the file of the same name), then one
            row per other input file with rejected rows (e.g. a OneRoster
            ``results.csv``), whose ``rows`` is blank.
        """
        rejected = self.rejected["file"].value_counts()
        by_stem = {
            name: int(rejected.get(f"{name}.csv", 0) + rejected.get(f"{name}.parquet", 0)) for name in TABLE_ORDER
        }
        frame = pd.DataFrame(
            {
                "table": list(TABLE_ORDER),
                "rows": [len(self.tables[n]) for n in TABLE_ORDER],
                "rejected": [by_stem[n] for n in TABLE_ORDER],
            }
        )
        others = rejected[
            [f not in {f"{n}.csv" for n in TABLE_ORDER} | {f"{n}.parquet" for n in TABLE_ORDER} for f in rejected.index]
        ]
        extra = pd.DataFrame({"table": others.index.astype(str), "rows": pd.NA, "rejected": others.to_numpy()})
        frame["rows"] = frame["rows"].astype("Int64")
        return pd.concat([frame, extra.astype({"rows": "Int64"})], ignore_index=True) if len(extra) else frame

    @property
    def subgroup_columns(self) -> list[str]:
        """Student columns beyond the canonical ones (e.g. ``ell``, ``sped``, ``frl``)."""
        canonical = set(TABLES["students"].column_names)
        return [c for c in self.students.columns if c not in canonical]

    # -- joins ----------------------------------------------------------
    def student_sections(self) -> pd.DataFrame:
        """Each student's section, teacher, team and school.

        Returns
        -------
        DataFrame
            Columns ``student_id, section_id, teacher_id, team_id, school_id``;
            one row per enrollment.
        """
        if "student_sections" not in self._cache:
            sections = self.sections[["section_id", "teacher_id", "team_id"]].merge(
                self.teams[["team_id", "school_id"]], on="team_id", how="left"
            )
            self._cache["student_sections"] = self.enrollments[["student_id", "section_id"]].merge(
                sections, on="section_id", how="inner"
            )
        return self._cache["student_sections"]

    def scores_of_record(self) -> pd.DataFrame:
        """One score per student × item: the one that counts.

        Double-scored work (calibration) has several rows with a ``rater_id``;
        the row of record is the one without a rater, else the one scored by
        the student's own teacher, else the first rater in id order.

        Returns
        -------
        DataFrame
            The ``scores`` columns, one row per ``student_id, assessment_id, item_id``.
        """
        scores = self.scores
        if scores["rater_id"].isna().all() or not len(scores):
            return scores
        if not (scores.index.is_monotonic_increasing and scores.index.is_unique):
            return self.resolve_raters(scores)
        positions = self.record_positions()
        return scores if positions is None else scores.iloc[positions]

    def resolve_raters(self, scores: pd.DataFrame) -> pd.DataFrame:
        """The row of record of each key among ``scores`` (rows in index order)."""
        keys = ["student_id", "assessment_id", "item_id"]
        own = self._own_teacher(scores)
        priority = pd.Series(2, index=scores.index)
        priority[scores["rater_id"].isna()] = 0
        priority[own] = 1
        ordered = scores.assign(_p=priority, _r=scores["rater_id"].fillna("")).sort_values(
            keys + ["_p", "_r"], kind="stable"
        )
        return ordered.drop_duplicates(keys).drop(columns=["_p", "_r"]).sort_index()

    def score_codes(self) -> dict[str, Factor]:
        """``student``, ``assessment`` and ``item``: the score rows' ids as integer codes (cached)."""
        if "score_codes" not in self._cache:
            scores = self.scores
            columns = {"student": "student_id", "assessment": "assessment_id", "item": "item_id"}
            if len(scores) < 100_000:
                self._cache["score_codes"] = {name: factor(scores[c]) for name, c in columns.items()}
            else:  # hashing text releases the GIL: the three columns at once
                with ThreadPoolExecutor(max_workers=len(columns)) as pool:
                    done = pool.map(lambda c: factor(scores[c]), columns.values())
                    self._cache["score_codes"] = dict(zip(columns, done))
        return self._cache["score_codes"]

    def record_positions(self) -> np.ndarray | None:
        """Positions of the scores of record in ``scores`` (None: every row; cached).

        Only the keys scored more than once are resolved (by
        :meth:`resolve_raters`); every other row is its own row of record.
        A validated load passes the rows that may repeat a key
        (``record_candidates``), so the whole table need not be searched.
        """
        if "record_positions" in self._cache:
            return self._cache["record_positions"]
        scores = self.scores
        positions = None
        if len(scores) and not scores["rater_id"].isna().all():
            repeated = self._repeated_keys()
            if repeated.any():
                at = np.flatnonzero(repeated)
                chosen = self.resolve_raters(scores.iloc[at].set_axis(at))
                keep = ~repeated
                keep[chosen.index.to_numpy()] = True
                positions = np.flatnonzero(keep)
        self._cache["record_positions"] = positions
        return positions

    def _repeated_keys(self) -> np.ndarray:
        """Mask of the score rows whose ``student_id, assessment_id, item_id`` appears more than once."""
        scores = self.scores
        keys = ["student_id", "assessment_id", "item_id"]
        candidates = self._cache.get("record_candidates")
        if candidates is not None:
            repeated = np.zeros(len(scores), dtype=bool)
            repeated[candidates] = scores.iloc[candidates].duplicated(keys, keep=False).to_numpy()
            return repeated
        codes = self.score_codes()
        key = combine(*((codes[c].codes + 1, len(codes[c]) + 1) for c in ("student", "assessment", "item")))
        if key is None:
            return scores.duplicated(keys, keep=False).to_numpy()
        return repeated_keys(key)

    def _own_teacher(self, scores: pd.DataFrame) -> pd.Series:
        teams = scores[["student_id", "assessment_id"]].merge(
            self.assessments[["assessment_id", "team_id"]], on="assessment_id", how="left"
        )
        teams = teams.merge(
            self.student_sections()[["student_id", "team_id", "teacher_id"]], on=["student_id", "team_id"], how="left"
        ).drop_duplicates(["student_id", "assessment_id"])
        teacher = scores[["student_id", "assessment_id"]].merge(teams, on=["student_id", "assessment_id"], how="left")[
            "teacher_id"
        ]
        return pd.Series((teacher.to_numpy() == scores["rater_id"].to_numpy()), index=scores.index)

    def ratings(self) -> pd.DataFrame:
        """Double-scored work as long ratings for calibration.

        Returns
        -------
        DataFrame
            Columns ``work_id, rater_id, score, item_id, assessment_id,
            student_id``; ``work_id`` is ``student_id/assessment_id/item_id``.
            Only work scored by two or more raters is included.
        """
        rated = self.scores[self.scores["rater_id"].notna()]
        keys = ["student_id", "assessment_id", "item_id"]
        counts = rated.groupby(keys)["rater_id"].transform("nunique")
        rated = rated[counts >= 2]
        return pd.DataFrame(
            {
                "work_id": rated["student_id"] + "/" + rated["assessment_id"] + "/" + rated["item_id"],
                "rater_id": rated["rater_id"],
                "score": rated["points"],
                "item_id": rated["item_id"],
                "assessment_id": rated["assessment_id"],
                "student_id": rated["student_id"],
            }
        ).reset_index(drop=True)

    def responses(self) -> pd.DataFrame:
        """Scores of record joined with item, skill, assessment, section, teacher, team and school.

        Returns
        -------
        DataFrame
            Columns ``student_id, assessment_id, item_id, points`` (NaN = not
            attempted), ``earned`` (points with not-attempted as 0),
            ``attempted`` (bool), ``response, max_points, item_kind, key,
            skill_id, assessment_kind, title, date, common_id, team_id,
            school_id, section_id, teacher_id``.  The section and teacher are
            the student's section in the team that gives the assessment.
        """
        if "responses" in self._cache:
            return self._cache["responses"]
        scores = self.scores_of_record()
        items = self.items[["assessment_id", "item_id", "max_points", "kind", "key", "skill_id"]].rename(
            columns={"kind": "item_kind"}
        )
        assessments = self.assessments[["assessment_id", "team_id", "title", "kind", "date", "common_id"]].rename(
            columns={"kind": "assessment_kind"}
        )
        placement = self.student_sections()[["student_id", "team_id", "section_id", "teacher_id", "school_id"]]
        placement = placement.drop_duplicates(["student_id", "team_id"])
        frame = (
            scores[["student_id", "assessment_id", "item_id", "points", "response"]]
            .merge(items, on=["assessment_id", "item_id"], how="left")
            .merge(assessments, on="assessment_id", how="left")
            .merge(placement, on=["student_id", "team_id"], how="left")
        )
        frame["attempted"] = frame["points"].notna()
        frame["earned"] = frame["points"].fillna(0.0)
        frame = frame[RESPONSE_COLUMNS]
        self._cache["responses"] = frame
        return frame

    def roster(self, assessment_ids: list[str] | None = None) -> pd.DataFrame:
        """Who should have sat each assessment, and whether they did.

        Returns
        -------
        DataFrame
            Columns ``assessment_id, student_id, section_id, teacher_id,
            team_id, school_id, present, excused`` — one row per assessment ×
            student enrolled in a section of the assessment's team; ``present``
            is false for a student with no score rows at all, who is absent
            unless ``excused`` (listed in the ``excused`` table: exempt, out of
            the assessment's denominators but not missing).
        """
        assessments = self.assessments[["assessment_id", "team_id"]]
        if assessment_ids is not None:
            assessments = assessments[assessments["assessment_id"].isin(assessment_ids)]
        placement = self.student_sections().drop_duplicates(["student_id", "team_id"])
        roster = assessments.merge(placement, on="team_id", how="inner")
        if not self.scores[["student_id", "assessment_id"]].isna().any().any():
            roster["present"] = roster_present(self, roster)
        else:
            sat = self.scores[["student_id", "assessment_id"]].drop_duplicates().assign(present=True)
            roster = roster.merge(sat, on=["student_id", "assessment_id"], how="left")
        roster["present"] = roster["present"].fillna(False).astype(bool)
        excused = self.excused
        if len(excused):
            pairs = pd.MultiIndex.from_frame(excused[["student_id", "assessment_id"]].astype(str))
            keys = pd.MultiIndex.from_arrays([roster["student_id"].astype(str), roster["assessment_id"].astype(str)])
            roster["excused"] = keys.isin(pairs) & ~roster["present"].to_numpy()
        else:
            roster["excused"] = False
        return roster[
            ["assessment_id", "student_id", "section_id", "teacher_id", "team_id", "school_id", "present", "excused"]
        ]

    # -- filters ----------------------------------------------------------
    def filter(
        self,
        *,
        school_id: str | list[str] | None = None,
        team_id: str | list[str] | None = None,
        teacher_id: str | list[str] | None = None,
        section_id: str | list[str] | None = None,
        assessment_id: str | list[str] | None = None,
        skill_id: str | list[str] | None = None,
        kind: str | list[str] | None = None,
        start: str | pd.Timestamp | None = None,
        end: str | pd.Timestamp | None = None,
    ) -> Dataset:
        """A dataset restricted to some schools, teams, teachers, assessments, skills or dates.

        Filters combine with AND; each accepts one id or a list (an empty
        list keeps nothing; ``None`` does not filter).  Teams,
        sections, teachers, students and enrollments are cut to those the
        filter reaches; scores to the kept assessments, items (skills) and
        students; ``start``/``end`` (inclusive ISO dates) cut assessments,
        progress reports, interventions and actions (by start date) by date.

        Returns
        -------
        Dataset
            A new dataset; ``filters`` records what was applied.  This
            dataset itself when it was already cut to the same schools or
            teams (and nothing else), which a second cut would not change.
        """

        def many(value: str | Iterable[str]) -> list[str]:
            return [value] if isinstance(value, str) else list(value)

        applied = {
            k: v
            for k, v in dict(
                school_id=school_id,
                team_id=team_id,
                teacher_id=teacher_id,
                section_id=section_id,
                assessment_id=assessment_id,
                skill_id=skill_id,
                kind=kind,
                start=start,
                end=end,
            ).items()
            if v is not None
        }
        if self._already_filtered_by(applied):
            return self
        t = dict(self.tables)
        teams = t["teams"]
        if school_id is not None:
            teams = teams[teams["school_id"].isin(many(school_id))]
        if team_id is not None:
            teams = teams[teams["team_id"].isin(many(team_id))]
        team_ids = set(teams["team_id"])
        sections = t["sections"][t["sections"]["team_id"].isin(team_ids)]
        if teacher_id is not None:
            sections = sections[sections["teacher_id"].isin(many(teacher_id))]
        if section_id is not None:
            sections = sections[sections["section_id"].isin(many(section_id))]
        enrollments = t["enrollments"][t["enrollments"]["section_id"].isin(sections["section_id"])]
        students = t["students"][t["students"]["student_id"].isin(enrollments["student_id"])]
        teachers = t["teachers"][t["teachers"]["team_id"].isin(team_ids)]
        if teacher_id is not None:
            teachers = teachers[teachers["teacher_id"].isin(many(teacher_id))]
        assessments = t["assessments"][t["assessments"]["team_id"].isin(team_ids)]
        if assessment_id is not None:
            assessments = assessments[assessments["assessment_id"].isin(many(assessment_id))]
        if kind is not None:
            assessments = assessments[assessments["kind"].isin(many(kind))]
        start_ts = pd.Timestamp(start) if start is not None else None
        end_ts = pd.Timestamp(end) if end is not None else None
        if start_ts is not None:
            assessments = assessments[assessments["date"] >= start_ts]
        if end_ts is not None:
            assessments = assessments[assessments["date"] <= end_ts]
        # Skills shared by several teams (blank team_id) belong to a team through its items.
        team_items = t["items"][
            t["items"]["assessment_id"].isin(
                t["assessments"].loc[t["assessments"]["team_id"].isin(team_ids), "assessment_id"]
            )
        ]
        skills = t["skills"][
            t["skills"]["team_id"].isin(team_ids)
            | (t["skills"]["team_id"].isna() & t["skills"]["skill_id"].isin(team_items["skill_id"]))
        ]
        if skill_id is not None:
            skills = skills[skills["skill_id"].isin(many(skill_id))]
        items = t["items"][
            t["items"]["assessment_id"].isin(assessments["assessment_id"])
            & t["items"]["skill_id"].isin(skills["skill_id"])
        ]
        if skill_id is not None:
            assessments = assessments[assessments["assessment_id"].isin(items["assessment_id"])]
        scores = t["scores"]
        scores = scores[
            scores["assessment_id"].isin(assessments["assessment_id"])
            & scores["student_id"].isin(students["student_id"])
        ]
        scores = scores.merge(items[["assessment_id", "item_id"]], on=["assessment_id", "item_id"])
        progress = t["progress"][t["progress"]["section_id"].isin(sections["section_id"])]
        if start_ts is not None:
            progress = progress[progress["period_end"] >= start_ts]
        if end_ts is not None:
            progress = progress[progress["period_end"] <= end_ts]
        interventions = t["interventions"][t["interventions"]["student_id"].isin(students["student_id"])]
        if end_ts is not None:
            interventions = interventions[interventions["start_date"] <= end_ts]
        # an intervention on a skill belongs with that skill's team; one without a skill (a tier) stays
        interventions = interventions[
            interventions["skill_id"].isna() | interventions["skill_id"].isin(skills["skill_id"])
        ]
        excused = t["excused"][
            t["excused"]["assessment_id"].isin(assessments["assessment_id"])
            & t["excused"]["student_id"].isin(students["student_id"])
        ]
        goals = t["goals"][t["goals"]["team_id"].isin(team_ids)]
        # a team's decisions stay with the team; as of ``end``, only those already started
        actions = t["actions"][
            t["actions"]["team_id"].isin(team_ids) & t["actions"]["skill_id"].isin(skills["skill_id"])
        ]
        if end_ts is not None:
            actions = actions[actions["start_date"] <= end_ts]
        schools = t["schools"][t["schools"]["school_id"].isin(teams["school_id"])]
        new = dict(
            schools=schools,
            teams=teams,
            teachers=teachers,
            sections=sections,
            students=students,
            enrollments=enrollments,
            skills=skills,
            assessments=assessments,
            items=items,
            scores=scores,
            goals=goals,
            progress=progress,
            interventions=interventions,
            excused=excused,
            actions=actions,
        )
        new = {k: v.reset_index(drop=True) for k, v in new.items()}
        return replace(self, **new, filters={**self.filters, **applied})

    def _already_filtered_by(self, applied: dict) -> bool:
        """True when filtering by ``applied`` would return this dataset's rows unchanged.

        That is known without looking at the rows when this dataset came from
        filters on schools and teams only and ``applied`` repeats some of them:
        such a filter keeps each table's rows that reach the kept teams, and
        the rows left all do.  (Dates, assessments or skills are not
        short-cut: a skill shared by several teams stays with its team even
        when a date filter drops its items, so filtering twice could differ.)
        The same object is returned, so the metrics it has computed are reused
        (a batch extract of one team, asked again for that team, is one
        dataset rather than two).
        """
        if not applied or not self.filters or set(self.filters) - TEAM_FILTERS:
            return False
        return all(_same_filter_value(self.filters.get(key), value) for key, value in applied.items())

    # -- output -------------------------------------------------------------
    def write(self, folder: str | Path, *, fmt: str = "csv") -> Path:
        """Write the canonical folder (and ``rejected.csv`` when rows were rejected).

        Parameters
        ----------
        folder : str or Path
            Destination folder (created).
        fmt : {"csv", "parquet"}
            File format for the tables.

        Returns
        -------
        Path
            The folder.
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for name in TABLE_ORDER:
            table = self.tables[name]
            if not len(table) and name not in CFA_TABLES:  # what a CFA report needs is written even when empty
                continue
            if fmt == "parquet":
                table.to_parquet(folder / f"{name}.parquet", index=False)
            else:
                out = table.copy()
                for column in out.columns:
                    if pd.api.types.is_datetime64_any_dtype(out[column]):
                        out[column] = out[column].dt.strftime("%Y-%m-%d")
                    elif pd.api.types.is_bool_dtype(out[column]) or str(out[column].dtype) == "boolean":
                        out[column] = out[column].map({True: "true", False: "false"})
                out.to_csv(folder / f"{name}.csv", index=False)
        if len(self.rejected):
            write_people_csv(self.rejected, folder / "rejected.csv")
        return folder
