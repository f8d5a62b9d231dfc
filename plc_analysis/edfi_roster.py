"""Place Ed-Fi students in their classes from the section records the files carry.

An Ed-Fi source with ``StudentSectionAssociation`` records (the StudentEnrollment interchange, or
``studentSectionAssociations.json``) says which sections each student is in; ``Section`` /
``CourseOffering`` / ``Course`` records say each section's academic subject, and
``StaffSectionAssociation`` its teacher.  A team (an assessed subject and grade) takes the sections
of its students whose course is in the team's subject, or whose subject is not known; a student with
none of them is placed in the team's ``<team>:unassigned`` section, and a warning says how many.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from .edfi_records import EdFiRecords, SectionLink, SectionRecord
from .errors import Problem

__all__ = ["Placement", "place_students", "same_subject", "UNASSIGNED"]

#: Suffix of the section holding a team's students that no section of the files places.
UNASSIGNED = "unassigned"
#: Academic subjects that name one family (a reading test belongs with the English language arts classes).
_FAMILIES = {
    "english language arts": "ela",
    "english": "ela",
    "reading": "ela",
    "writing": "ela",
    "language arts": "ela",
    "reading/language arts": "ela",
    "literacy": "ela",
    "mathematics": "math",
    "math": "math",
    "science": "science",
    "life and physical sciences": "science",
    "social studies": "social",
    "social sciences and history": "social",
}


def same_subject(section_subject: str, team_subject: str) -> bool:
    """Whether a section of ``section_subject`` serves a team assessing ``team_subject`` (unknown serves any)."""
    if not section_subject or not team_subject:
        return True
    a, b = section_subject.strip().lower(), team_subject.strip().lower()
    return _FAMILIES.get(a, a) == _FAMILIES.get(b, b)


@dataclass
class Placement:
    """Canonical roster rows, each with the Ed-Fi file and line it came from."""

    #: (row, file, line)
    sections: list[tuple[dict, str, int]] = field(default_factory=list)
    teachers: list[tuple[dict, str, int]] = field(default_factory=list)
    enrollments: list[tuple[dict, str, int]] = field(default_factory=list)
    #: team -> school id ("" when the files do not say)
    school_of_team: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _section_subject(records: EdFiRecords, section: SectionRecord | None) -> str:
    if section is None:
        return ""
    course = records.offerings.get((section.course, section.school), section.course)
    return records.course_subjects.get(course, "")


def place_students(records: EdFiRecords, members: dict[str, list[str]], team_subjects: dict[str, str]) -> Placement:
    """Sections, teachers and enrollments for each team's students, from the files' section records.

    Parameters
    ----------
    records : EdFiRecords
        What the files hold (sections, section associations, staff, courses).
    members : dict
        Team id -> the students with results in that team.
    team_subjects : dict
        Team id -> the academic subject it assesses ("" when unknown).

    Returns
    -------
    Placement
        ``sections`` rows (``section_id, teacher_id, team_id, period, term``): a section serving
        one team keeps its ``SectionIdentifier``, one serving several becomes
        ``<SectionIdentifier>@<team>`` in each; ``teachers`` (``teacher_id, team_id, name``): the
        section's teacher of record (else its first staff member, else a ``<section>:teacher``
        placeholder, with a warning); ``enrollments`` (``student_id, section_id``).
    """
    out = Placement()
    section_of = {s.ident: s for s in records.sections if s.ident}
    staff_name = {p.ident: " ".join(x for x in (p.first, p.last) if x) for p in records.staff}
    links: dict[str, list[SectionLink]] = defaultdict(list)
    for link in records.student_sections:
        if link.person and link.section:
            links[link.person].append(link)
    serving: dict[str, set[str]] = defaultdict(set)
    chosen: list[tuple[str, str, SectionLink]] = []
    unplaced: dict[str, list[str]] = defaultdict(list)
    for team, students in sorted(members.items()):
        subject = team_subjects.get(team, "")
        for student in students:
            mine = [
                link
                for link in links.get(student, [])
                if same_subject(_section_subject(records, section_of.get(link.section)), subject)
            ]
            if not mine:
                unplaced[team].append(student)
            for link in mine:
                serving[link.section].add(team)
                chosen.append((team, student, link))
    with_results = {s for students in members.values() for s in students}
    idle = {link.person for link in records.student_sections} - with_results
    if idle:
        out.notes.append(f"{len(idle)} student(s) in the section associations have no results here: not placed")
    teachers_of: dict[str, list[SectionLink]] = defaultdict(list)
    for link in records.staff_sections:
        if link.section and link.person:
            teachers_of[link.section].append(link)
    made: set[str] = set()
    teacher_rows: set[tuple[str, str]] = set()
    schools: dict[str, Counter] = defaultdict(Counter)
    for team, student, link in chosen:
        section_id = link.section if len(serving[link.section]) == 1 else f"{link.section}@{team}"
        record = section_of.get(link.section)
        school = (record.school if record else "") or link.school
        if school:
            schools[team][school] += 1
        if section_id not in made:
            made.add(section_id)
            staff = sorted(teachers_of.get(link.section, []), key=lambda s: "teacher of record" not in s.role.lower())
            if staff:
                teacher, name, file, line = (
                    staff[0].person,
                    staff_name.get(staff[0].person, ""),
                    staff[0].file,
                    staff[0].line,
                )
            else:
                teacher, name = f"{link.section}:teacher", "Unknown (no StaffSectionAssociation)"
                file, line = (record.file, record.line) if record else (link.file, link.line)
                out.problems.append(
                    Problem(
                        file,
                        line,
                        "SectionIdentifier",
                        link.section,
                        "no teacher for this section in the files "
                        f"(no StaffSectionAssociation): its teacher is {teacher!r}",
                        "warning",
                    )
                )
            if (teacher, team) not in teacher_rows:
                teacher_rows.add((teacher, team))
                out.teachers.append(({"teacher_id": teacher, "team_id": team, "name": name}, file, line))
            where = (record.file, record.line) if record else (link.file, link.line)
            out.sections.append(
                (
                    {
                        "section_id": section_id,
                        "teacher_id": teacher,
                        "team_id": team,
                        "period": record.period if record else "",
                        "term": record.session if record else "",
                        "name": record.name if record else "",
                    },
                    *where,
                )
            )
        out.enrollments.append(({"student_id": student, "section_id": section_id}, link.file, link.line))
    for team, students in sorted(unplaced.items()):
        section, teacher = f"{team}:{UNASSIGNED}", f"{team}:{UNASSIGNED}"
        out.teachers.append(({"teacher_id": teacher, "team_id": team, "name": "Unassigned (no section)"}, "", 0))
        out.sections.append(({"section_id": section, "teacher_id": teacher, "team_id": team}, "", 0))
        for student in students:
            out.enrollments.append(({"student_id": student, "section_id": section}, "", 0))
        if records.student_sections:
            out.problems.append(
                Problem(
                    records.student_sections[0].file,
                    None,
                    None,
                    None,
                    f"{len(students)} student(s) with results in team {team!r} are in no section of its subject "
                    f"in the files: placed in section {section!r}",
                    "warning",
                )
            )
    for team, counts in schools.items():
        out.school_of_team[team] = counts.most_common(1)[0][0]
    return out
