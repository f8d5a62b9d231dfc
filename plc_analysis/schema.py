"""The canonical data model: tables, columns, keys and references.

This module is the single description of the canonical data folder
(``shared/DESIGN.md``, "Canonical data folder").  Loaders and validators read
it; nothing else hard-codes column lists.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "Column",
    "ForeignKey",
    "TableSpec",
    "TABLES",
    "TABLE_ORDER",
    "CFA_TABLES",
    "ASSESSMENT_KINDS",
    "ITEM_KINDS",
    "GOAL_METRICS",
    "ACTION_KINDS",
    "LIST_SEPARATOR",
    "UNKNOWN_GRADE",
]

ASSESSMENT_KINDS = ("cfa", "unit", "cumulative", "practice", "state", "reassessment")
ITEM_KINDS = ("mc", "cr", "rubric")
#: A student's grade when the source does not give it (``students.grade`` is never blank).
UNKNOWN_GRADE = "unknown"
#: Goal metrics understood by :func:`plc_analysis.goal_progress`.
GOAL_METRICS = ("share_proficient", "failure_rate", "share_passing", "mean_percent")
#: What a team decided to do after a CFA (``actions.csv``).
ACTION_KINDS = ("whole_class", "small_group", "enrichment", "other")
#: Separator of the ids in a list cell (``actions.student_ids``).
LIST_SEPARATOR = ";"


@dataclass(frozen=True)
class Column:
    """One column of a canonical table.

    ``kind`` is one of ``id`` (string identifier, never parsed as a number),
    ``text``, ``int``, ``float``, ``bool``, ``date`` or ``enum``.  A required
    column must be present in the header; ``nullable`` says whether a blank
    cell is allowed in it (a blank in an optional column takes ``default``).
    """

    name: str
    kind: str = "text"
    required: bool = False
    nullable: bool = True
    default: object = None
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False


@dataclass(frozen=True)
class ForeignKey:
    """``columns`` of this table must match ``ref_columns`` of ``table``.

    Rows whose referencing cells are all blank are not checked (optional
    references such as ``skills.team_id``).
    """

    columns: tuple[str, ...]
    table: str
    ref_columns: tuple[str, ...]


@dataclass(frozen=True)
class TableSpec:
    """A canonical table: its file stem, columns, key and references."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    #: how unknown extra columns are read: "text" or "subgroup" (bool if every
    #: value is boolean-like, else text)
    extra: str = "text"
    doc: str = ""
    by_name: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {c.name: c for c in self.columns})

    @property
    def file(self) -> str:
        return f"{self.name}.csv"

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def _id(name: str, required: bool = True, nullable: bool = False) -> Column:
    return Column(name, "id", required=required, nullable=nullable)


TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in [
        TableSpec(
            "schools",
            (_id("school_id"), Column("name", required=True, nullable=False)),
            key=("school_id",),
        ),
        TableSpec(
            "teams",
            (
                _id("team_id"),
                _id("school_id"),
                Column("name", required=True, nullable=False),
                Column("grade"),
                Column("subject"),
            ),
            key=("team_id",),
            foreign_keys=(ForeignKey(("school_id",), "schools", ("school_id",)),),
        ),
        TableSpec(
            "teachers",
            (_id("teacher_id"), _id("team_id"), Column("name")),
            key=("teacher_id", "team_id"),
            foreign_keys=(ForeignKey(("team_id",), "teams", ("team_id",)),),
        ),
        TableSpec(
            "sections",
            (_id("section_id"), _id("teacher_id"), _id("team_id"), Column("period"), Column("term")),
            key=("section_id",),
            foreign_keys=(ForeignKey(("teacher_id", "team_id"), "teachers", ("teacher_id", "team_id")),),
        ),
        TableSpec(
            "students",
            (
                _id("student_id"),
                Column("grade", required=True, nullable=False),
                Column("first_name"),
                Column("last_name"),
            ),
            key=("student_id",),
            extra="subgroup",
        ),
        TableSpec(
            "enrollments",
            (_id("student_id"), _id("section_id")),
            key=("student_id", "section_id"),
            foreign_keys=(
                ForeignKey(("student_id",), "students", ("student_id",)),
                ForeignKey(("section_id",), "sections", ("section_id",)),
            ),
        ),
        TableSpec(
            "skills",
            (
                _id("skill_id"),
                Column("description", required=True, nullable=False),
                _id("team_id", required=False, nullable=True),
                Column("essential", "bool", default=True),
                Column("proficiency_cut", "float", default=0.8, minimum=0.0, maximum=1.0),
                Column("standard"),
            ),
            key=("skill_id",),
            foreign_keys=(ForeignKey(("team_id",), "teams", ("team_id",)),),
        ),
        TableSpec(
            "assessments",
            (
                _id("assessment_id"),
                _id("team_id"),
                Column("title", required=True, nullable=False),
                Column("kind", "enum", required=True, nullable=False, choices=ASSESSMENT_KINDS),
                Column("date", "date", required=True, nullable=False),
                Column("unit"),
                _id("common_id", required=False, nullable=True),
            ),
            key=("assessment_id",),
            foreign_keys=(ForeignKey(("team_id",), "teams", ("team_id",)),),
        ),
        TableSpec(
            "items",
            (
                _id("assessment_id"),
                _id("item_id"),
                _id("skill_id"),
                Column("max_points", "float", required=True, nullable=False, minimum=0.0, exclusive_minimum=True),
                Column("kind", "enum", choices=ITEM_KINDS),
                Column("key"),
            ),
            key=("assessment_id", "item_id"),
            foreign_keys=(
                ForeignKey(("assessment_id",), "assessments", ("assessment_id",)),
                ForeignKey(("skill_id",), "skills", ("skill_id",)),
            ),
        ),
        TableSpec(
            "scores",
            (
                _id("student_id"),
                _id("assessment_id"),
                _id("item_id"),
                Column("points", "float", required=True, nullable=True, minimum=0.0),
                Column("response"),
                _id("rater_id", required=False, nullable=True),
            ),
            key=("student_id", "assessment_id", "item_id", "rater_id"),
            foreign_keys=(
                ForeignKey(("student_id",), "students", ("student_id",)),
                ForeignKey(("assessment_id", "item_id"), "items", ("assessment_id", "item_id")),
                ForeignKey(("rater_id",), "teachers", ("teacher_id",)),
            ),
        ),
        TableSpec(
            "goals",
            (
                _id("goal_id"),
                _id("team_id"),
                Column("statement", required=True, nullable=False),
                Column("metric", "enum", required=True, nullable=False, choices=GOAL_METRICS),
                Column("baseline", "float", required=True, nullable=False, minimum=0.0),
                Column("target", "float", required=True, nullable=False, minimum=0.0),
                Column("start_date", "date", required=True, nullable=False),
                Column("due_date", "date", required=True, nullable=False),
                _id("skill_id", required=False, nullable=True),
                Column("assessment_kind", "enum", choices=ASSESSMENT_KINDS),
                Column("subgroup"),
            ),
            key=("goal_id",),
            foreign_keys=(
                ForeignKey(("team_id",), "teams", ("team_id",)),
                ForeignKey(("skill_id",), "skills", ("skill_id",)),
            ),
        ),
        TableSpec(
            "progress",
            (
                _id("student_id"),
                _id("section_id"),
                Column("period_end", "date", required=True, nullable=False),
                Column("percent", "float", required=True, nullable=False, minimum=0.0, maximum=100.0),
            ),
            key=("student_id", "section_id", "period_end"),
            foreign_keys=(
                ForeignKey(("student_id",), "students", ("student_id",)),
                ForeignKey(("section_id",), "sections", ("section_id",)),
            ),
        ),
        TableSpec(
            "interventions",
            (
                _id("student_id"),
                Column("tier", "int", required=True, nullable=False, minimum=1, maximum=3),
                Column("kind", required=True, nullable=False),
                Column("start_date", "date", required=True, nullable=False),
                _id("skill_id", required=False, nullable=True),
                Column("end_date", "date"),
                Column("outcome"),
            ),
            foreign_keys=(
                ForeignKey(("student_id",), "students", ("student_id",)),
                ForeignKey(("skill_id",), "skills", ("skill_id",)),
            ),
        ),
        TableSpec(
            "excused",
            (_id("student_id"), _id("assessment_id"), Column("reason")),
            key=("student_id", "assessment_id"),
            foreign_keys=(
                ForeignKey(("student_id",), "students", ("student_id",)),
                ForeignKey(("assessment_id",), "assessments", ("assessment_id",)),
            ),
            doc="Students excused from an assessment (exempt): out of its denominators, never a 0, never absent.",
        ),
        TableSpec(
            "actions",
            (
                _id("action_id"),
                _id("team_id"),
                _id("skill_id"),
                Column("kind", "enum", required=True, nullable=False, choices=ACTION_KINDS),
                Column("start_date", "date", required=True, nullable=False),
                _id("assessment_id", required=False, nullable=True),
                _id("teacher_id", required=False, nullable=True),
                Column("student_ids"),
                _id("reassess_assessment_id", required=False, nullable=True),
                Column("reassess_by", "date"),
                Column("note"),
            ),
            key=("action_id",),
            foreign_keys=(
                ForeignKey(("team_id",), "teams", ("team_id",)),
                ForeignKey(("skill_id",), "skills", ("skill_id",)),
                ForeignKey(("assessment_id",), "assessments", ("assessment_id",)),
                ForeignKey(("team_id", "teacher_id"), "teachers", ("team_id", "teacher_id")),
                ForeignKey(("reassess_assessment_id",), "assessments", ("assessment_id",)),
            ),
            doc="What the team decided after a CFA: whole-class reteach, small groups with an owner, enrichment.",
        ),
    ]
}

#: Tables in dependency order (a table only references tables before it).
TABLE_ORDER: tuple[str, ...] = tuple(TABLES)
#: The tables a CFA report needs; the rest are optional.
CFA_TABLES: tuple[str, ...] = TABLE_ORDER[:10]
