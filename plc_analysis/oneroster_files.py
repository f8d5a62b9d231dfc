"""The files of a OneRoster CSV export (folder or zip), read as their specification names them.

OneRoster exports are found in a folder or a zip (possibly in a subfolder),
with file names in any case (``userprofiles.csv``, ``ORGS.csv``).  Each file
is read with :func:`plc_analysis.readers.read_raw_bytes`; its header cells
are matched to the specification's column names without regard to case, and
known other spellings seen in real exports (``dataLastModified``, ``grade``
for ``grades``, ``userSourcedId`` in ``demographics.csv`` ...) are read as the
column they mean.  Cells are stripped strings; every row keeps its line.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pandas as pd

from .readers import LINE, RawTable, check_zip, read_input_bytes, read_raw_bytes, read_zip_member

__all__ = [
    "ONEROSTER_FILES",
    "KNOWN_COLUMNS",
    "Source",
    "empty_source",
    "read_export",
    "pad_short_rows",
    "normalise",
    "split_list",
    "is_true",
    "true_flags",
]

#: OneRoster CSV files (1.1 and 1.2), by their spelling in the specification.
ONEROSTER_FILES = (
    "manifest",
    "orgs",
    "users",
    "roles",
    "courses",
    "classes",
    "enrollments",
    "academicSessions",
    "demographics",
    "categories",
    "lineItems",
    "results",
    "lineItemLearningObjectiveIds",
    "resultLearningObjectiveIds",
    "scoreScales",
    "lineItemScoreScales",
    "resultScoreScales",
    "classResources",
    "courseResources",
    "resources",
    "userProfiles",
    "userResources",
)
KNOWN_COLUMNS = (
    "sourcedId status dateLastModified enabledUser orgSourcedIds role username userIds givenName familyName "
    "middleName identifier email sms phone agentSourcedIds grades password name type parentSourcedId title "
    "courseSourcedId classCode classType location schoolSourcedId termSourcedIds subjects subjectCodes periods "
    "schoolYearSourcedId courseCode orgSourcedId classSourcedId userSourcedId primary beginDate endDate "
    "startDate schoolYear birthDate sex americanIndianOrAlaskaNative asian blackOrAfricanAmerican "
    "nativeHawaiianOrOtherPacificIslander white demographicRaceTwoOrMoreRaces hispanicOrLatinoEthnicity "
    "countryOfBirthCode stateOfBirthAbbreviation cityOfBirth publicSchoolResidenceStatus description "
    "assignDate dueDate categorySourcedId gradingPeriodSourcedId academicSessionSourcedId resultValueMin "
    "resultValueMax lineItemSourcedId studentSourcedId scoreStatus score textScore scoreDate comment "
    "inProgress incomplete late missing weight learningObjectiveId resultSourcedId source roleType "
    "userProfileSourcedId primaryOrgSourcedId propertyName value userMasterIdentifier preferredGivenName "
    "preferredMiddleName preferredFamilyName pronouns profileType vendorId applicationId credentialType "
    "scoreScaleSourcedId scoreScaleType scoreScaleValue courseSourcedId classSourcedId"
).split()
_COLUMN_SPELLING = {c.lower(): c for c in KNOWN_COLUMNS}
#: Other spellings seen in real exports, per file ("*": any file), read as the specification's column.
_COLUMN_ALIASES = {
    "*": {"datalastmodified": "dateLastModified", "datelastmodifed": "dateLastModified"},
    "classes": {"grade": "grades", "term": "termSourcedIds", "termsourcedid": "termSourcedIds"},
    "courses": {"grade": "grades", "schoolyearid": "schoolYearSourcedId"},
    "users": {"grade": "grades", "userid": "userIds"},
    "demographics": {"usersourcedid": "sourcedId", "birthdate": "birthDate"},
    "lineItems": {"gradingperiod": "gradingPeriodSourcedId"},
}


@dataclass
class Source:
    """One OneRoster file as read: stripped string cells plus ``_line``."""

    name: str
    label: str
    frame: pd.DataFrame
    mode: str = ""
    #: columns read under another spelling, as ``"old→new"``
    renamed: tuple[str, ...] = ()

    def col(self, column: str) -> pd.Series:
        """The column's cells, or blanks when the file does not have it (an optional column)."""
        if column in self.frame:
            return self.frame[column]
        return pd.Series("", index=self.frame.index, dtype=object)

    def __len__(self) -> int:
        return len(self.frame)


def empty_source(name: str, label: str) -> Source:
    """A file the export does not have: no rows, no columns."""
    return Source(name, label, pd.DataFrame({LINE: pd.Series([], dtype="int64")}))


def _find_members(names: Iterable[str]) -> dict[str, str]:
    """Pick the OneRoster CSV files (stem -> member path) from a listing, in the export's root folder."""
    paths = [PurePosixPath(n.replace("\\", "/")) for n in names]
    paths = [
        p for p in paths if p.suffix.lower() == ".csv" and "__MACOSX" not in p.parts and not p.name.startswith("._")
    ]
    markers = [p for p in paths if p.name.lower() in ("manifest.csv", "users.csv", "orgs.csv")]
    if not markers:
        return {}
    root = min((p.parent for p in markers), key=lambda d: (len(d.parts), str(d)))
    return {p.stem: str(p) for p in paths if p.parent == root}


def read_export(path: Path) -> tuple[dict[str, RawTable], list[str]]:
    """Read the CSV files of a OneRoster folder or zip.

    Returns
    -------
    tuple
        ``(tables, others)``: raw tables keyed by the specification's file
        stem (matched case-insensitively), and the names of other CSV files.
    """
    spelling = {n.lower(): n for n in ONEROSTER_FILES}
    tables: dict[str, RawTable] = {}
    others: list[str] = []
    if path.is_dir():
        # a folder or a link that leads nowhere under a table's name is that file unreadable, not absent
        listing = [str(p.relative_to(path).as_posix()) for p in path.rglob("*.csv")]
        members = _find_members(listing)

        def read(member: str) -> bytes:
            return read_input_bytes(path / member, PurePosixPath(member).name)
    else:
        check_zip(path)  # corrupt, encrypted or a zip bomb: one problem, before anything expands
        with zipfile.ZipFile(path) as archive:
            members = _find_members(i.filename for i in archive.infolist() if not i.is_dir())
            contents = {m: read_zip_member(archive, m, f"{path.name}: {m}") for m in members.values()}

        def read(member: str) -> bytes:
            return contents[member]

    for stem, member in sorted(members.items()):
        name = spelling.get(stem.lower())
        if name is None:
            others.append(PurePosixPath(member).name)
            continue
        tables[name] = read_raw_bytes(read(member), name, PurePosixPath(member).name)
    return tables, others


def _column_names(columns: Iterable[str], name: str) -> tuple[list[str], list[str]]:
    """The specification's spelling of each column, and ``"old→new"`` for each alias read.

    Header case is ignored; a known other spelling (``dataLastModified``,
    ``grade`` for ``grades`` ...) is read as its column unless the file also
    has the column under its own name.
    """
    anywhere, here = _COLUMN_ALIASES["*"], _COLUMN_ALIASES.get(name, {})
    spelled = [_COLUMN_SPELLING.get(str(c).lower(), c) if c != LINE else c for c in columns]
    present = set(spelled)
    renamed: list[str] = []
    result = []
    for original, column in zip(columns, spelled):
        key = str(column).lower()
        target = here.get(key) or (anywhere.get(key) if column not in KNOWN_COLUMNS else None)
        if target and target not in present:
            present.add(target)
            renamed.append(f"{original}→{target}")
            column = target
        result.append(column)
    return result, renamed


def pad_short_rows(raw: RawTable) -> list[int]:
    """Take back rows the reader left out for having fewer cells than the header.

    A row that stops early (its trailing optional cells left off, as some
    exporters write them) is read with the missing cells blank; a row with
    more cells than the header, or one whose quoted cell runs over several
    lines, stays left out.  ``raw`` is changed in place: its frame gains the
    rows, its problems and ``dropped`` lose them.

    Returns
    -------
    list of int
        The lines taken back.
    """
    width = len(raw.frame.columns) - 1  # the header's columns, without _line
    short = [
        d
        for d in raw.dropped
        if 0 < len(d["row"]) < width and "runs to line" not in d["reason"] and d["reason"].startswith("row has")
    ]
    if not short:
        return []
    header = [c for c in raw.frame.columns if c != LINE]
    rows = pd.DataFrame(
        [[d["row"].get(i, "") for i in range(width)] for d in short], columns=header, dtype="str"
    ).assign(**{LINE: [int(d["line"]) for d in short]})
    frame = pd.concat([raw.frame.astype(dict.fromkeys(header, "str")), rows], ignore_index=True)
    raw.frame = frame.sort_values(LINE, kind="stable").reset_index(drop=True)
    lines = {int(d["line"]) for d in short}
    raw.dropped = [d for d in raw.dropped if d not in short]
    raw.problems = [p for p in raw.problems if not (p.line in lines and p.reason.startswith("row has"))]
    return sorted(lines)


def normalise(raw: RawTable, name: str) -> Source:
    """A raw table as a :class:`Source`: the specification's column names, stripped string cells."""
    frame = raw.frame.copy()
    frame.columns, renamed = _column_names(frame.columns, name)
    for column in frame.columns:
        if column != LINE:
            # object dtype: the converter walks these cells row by row, which is much faster than
            # iterating Arrow-backed strings
            frame[column] = frame[column].fillna("").astype("str").str.strip().astype(object)
    return Source(name, raw.label or f"{name}.csv", frame.reset_index(drop=True), renamed=tuple(renamed))


def split_list(cell: str) -> list[str]:
    """Items of a comma-separated OneRoster list cell (``"3,4"`` -> ``["3", "4"]``)."""
    return [part.strip() for part in str(cell).split(",") if part.strip()]


#: How a OneRoster boolean cell says true (``primary``, ``missing`` ...); anything else is false.
_TRUE_WORDS = ("true", "t", "yes", "y", "1")


def is_true(text: str) -> bool:
    """The cell says true."""
    return text.strip().lower() in _TRUE_WORDS


def true_flags(values: pd.Series) -> pd.Series:
    """Boolean Series: the cell says true (``true``, ``yes``, ``1`` ...)."""
    return values.str.strip().str.lower().isin(_TRUE_WORDS).astype(bool)
