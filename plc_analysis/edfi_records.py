"""Ed-Fi entities as plain records, from XML interchange elements or ODS/API JSON objects.

Both Ed-Fi shapes (the bulk XML of Data Standard 4 and 5, and the JSON the
ODS/API returns) are turned into the same small records here, each carrying the
file and line it came from, so :mod:`plc_analysis.edfi` maps one thing onto the
canonical tables.  Descriptors are kept as their code value (``Correct``, not
``uri://ed-fi.org/AssessmentItemResultDescriptor#Correct``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .edfi_read import EdFiFile, Node, descriptor_value

__all__ = [
    "AssessmentRef",
    "ScoreRange",
    "ScoreResult",
    "AssessmentMeta",
    "ItemMeta",
    "ObjectiveMeta",
    "ItemResult",
    "ObjectiveResult",
    "StudentAssessmentRecord",
    "PersonRecord",
    "SectionRecord",
    "SectionLink",
    "SchoolRecord",
    "EdFiRecords",
    "read_records",
]

#: (assessment identifier, namespace)
AssessmentRef = tuple[str, str]


@dataclass
class ScoreRange:
    """A score an assessment (or objective) reports: its reporting method and range."""

    method: str
    minimum: str
    maximum: str


@dataclass
class ScoreResult:
    """A reported score: reporting method, result text and where it is."""

    method: str
    result: str
    line: int
    #: the source's name for the result field (``ScoreResult/Result``, ``scoreResults[0].result``)
    field: str = "ScoreResult/Result"


@dataclass
class AssessmentMeta:
    ref: AssessmentRef
    title: str
    category: str
    subjects: list[str]
    grades: list[str]
    scores: list[ScoreRange]
    #: (performance level, reporting method, minimum, maximum)
    levels: list[tuple[str, str, str, str]]
    max_raw: str
    revision_date: str
    file: str
    line: int


@dataclass
class ItemMeta:
    ref: AssessmentRef
    code: str
    category: str
    max_raw: str
    #: correct response values (the key; several for a multi-select item)
    keys: list[str]
    standards: list[str]
    file: str
    line: int


@dataclass
class ObjectiveMeta:
    ref: AssessmentRef
    code: str
    description: str
    max_raw: str
    standards: list[str]
    items: list[str]
    scores: list[ScoreRange]
    parent: str
    file: str
    line: int


@dataclass
class ItemResult:
    ref: AssessmentRef
    code: str
    result: str
    raw: str
    response: str
    indicator: str
    line: int
    #: the source's field names, for problems: result, raw score, response
    fields: tuple[str, str, str]


@dataclass
class ObjectiveResult:
    ref: AssessmentRef
    code: str
    scores: list[ScoreResult]
    levels: list[str]
    line: int


@dataclass
class StudentAssessmentRecord:
    ident: str
    ref: AssessmentRef
    student: str
    date: str
    grade: str
    reason_not_tested: str
    scores: list[ScoreResult]
    levels: list[str]
    items: list[ItemResult]
    objectives: list[ObjectiveResult]
    file: str
    line: int
    #: the source's names of the assessment, student and not-tested fields
    fields: tuple[str, str, str] = (
        "AssessmentReference/AssessmentIdentity/AssessmentIdentifier",
        "StudentReference/StudentIdentity/StudentUniqueId",
        "ReasonNotTested",
    )


@dataclass
class PersonRecord:
    """A student or a staff member."""

    ident: str
    first: str
    last: str
    file: str
    line: int


@dataclass
class SectionRecord:
    ident: str
    school: str
    course: str
    session: str
    name: str
    period: str
    file: str
    line: int


@dataclass
class SectionLink:
    """A student or staff member associated with a section."""

    person: str
    section: str
    school: str
    role: str
    file: str
    line: int


@dataclass
class SchoolRecord:
    ident: str
    name: str
    file: str
    line: int


@dataclass
class EdFiRecords:
    """Everything read from one Ed-Fi source."""

    assessments: list[AssessmentMeta] = field(default_factory=list)
    items: list[ItemMeta] = field(default_factory=list)
    objectives: list[ObjectiveMeta] = field(default_factory=list)
    results: list[StudentAssessmentRecord] = field(default_factory=list)
    students: list[PersonRecord] = field(default_factory=list)
    staff: list[PersonRecord] = field(default_factory=list)
    schools: list[SchoolRecord] = field(default_factory=list)
    sections: list[SectionRecord] = field(default_factory=list)
    student_sections: list[SectionLink] = field(default_factory=list)
    staff_sections: list[SectionLink] = field(default_factory=list)
    #: academic subject of each course code (``Course``)
    course_subjects: dict[str, str] = field(default_factory=dict)
    #: (local course code, school) -> course code (``CourseOffering``)
    offerings: dict[tuple[str, str], str] = field(default_factory=dict)
    #: element names seen but not used, per file (e.g. {"Student.xml": {"StudentEducationOrganizationAssociation"}})
    unused: dict[str, set[str]] = field(default_factory=dict)


# ---------------------------------------------------------------------------
# XML (Data Standard 4 / 5 interchange files)
# ---------------------------------------------------------------------------
def _xml_ref(node: Node, path: str = "AssessmentReference/AssessmentIdentity") -> AssessmentRef:
    identity = node.first(path)
    if identity is None:
        return ("", "")
    return (identity.value("AssessmentIdentifier"), identity.value("Namespace"))


def _xml_ranges(node: Node, tag: str = "AssessmentScore") -> list[ScoreRange]:
    return [
        ScoreRange(
            descriptor_value(s.value("AssessmentReportingMethod")), s.value("MinimumScore"), s.value("MaximumScore")
        )
        for s in node.all(tag)
    ]


def _xml_standards(node: Node) -> list[str]:
    return [
        s.value("LearningStandardIdentity/LearningStandardId")
        for s in node.all("LearningStandardReference")
        if s.value("LearningStandardIdentity/LearningStandardId")
    ]


def _xml_scores(node: Node, prefix: str = "") -> list[ScoreResult]:
    return [
        ScoreResult(
            descriptor_value(s.value("AssessmentReportingMethod")),
            s.value("Result"),
            s.line,
            f"{prefix}ScoreResult/Result",
        )
        for s in node.all("ScoreResult")
    ]


def _xml_levels(node: Node) -> list[str]:
    return [
        descriptor_value(p.value("PerformanceLevel"))
        for p in node.all("PerformanceLevel")
        if p.value("PerformanceLevel")
    ]


def _name(node: Node) -> tuple[str, str]:
    return node.value("Name/FirstName"), node.value("Name/LastSurname")


def _xml_section_identity(node: Node) -> tuple[str, str]:
    identity = node.first("SectionReference/SectionIdentity")
    if identity is None:
        return "", ""
    return (
        identity.value("SectionIdentifier"),
        identity.value("CourseOfferingReference/CourseOfferingIdentity/SchoolReference/SchoolIdentity/SchoolId"),
    )


def _read_xml(file: EdFiFile, out: EdFiRecords) -> None:
    label = file.label
    for node in file.records:
        tag = node.tag
        if tag == "Assessment":
            out.assessments.append(
                AssessmentMeta(
                    (node.value("AssessmentIdentifier"), node.value("Namespace")),
                    node.value("AssessmentTitle"),
                    descriptor_value(node.value("AssessmentCategory")),
                    [descriptor_value(s.text) for s in node.all("AcademicSubject")],
                    [descriptor_value(g.text) for g in node.all("AssessedGradeLevel")],
                    _xml_ranges(node),
                    [
                        (
                            descriptor_value(p.value("PerformanceLevel")),
                            descriptor_value(p.value("AssessmentReportingMethod")),
                            p.value("MinimumScore"),
                            p.value("MaximumScore"),
                        )
                        for p in node.all("AssessmentPerformanceLevel")
                    ],
                    node.value("MaxRawScore"),
                    node.value("RevisionDate"),
                    label,
                    node.line,
                )
            )
        elif tag == "AssessmentItem":
            keys = [r.value("ResponseValue") for r in node.all("PossibleResponse") if _true(r.value("CorrectResponse"))]
            if not keys and node.value("CorrectResponse"):  # Data Standard 3: one CorrectResponse element
                keys = [node.value("CorrectResponse")]
            out.items.append(
                ItemMeta(
                    _xml_ref(node),
                    node.value("IdentificationCode"),
                    descriptor_value(node.value("AssessmentItemCategory")),
                    node.value("MaxRawScore"),
                    keys,
                    _xml_standards(node),
                    label,
                    node.line,
                )
            )
        elif tag == "ObjectiveAssessment":
            out.objectives.append(
                ObjectiveMeta(
                    _xml_ref(node),
                    node.value("IdentificationCode"),
                    node.value("Description"),
                    node.value("MaxRawScore"),
                    _xml_standards(node),
                    [r.value("AssessmentItemIdentity/IdentificationCode") for r in node.all("AssessmentItemReference")],
                    _xml_ranges(node),
                    node.value("ParentObjectiveAssessmentReference/ObjectiveAssessmentIdentity/IdentificationCode"),
                    label,
                    node.line,
                )
            )
        elif tag == "StudentAssessment":
            out.results.append(_xml_student_assessment(node, label))
        elif tag == "Student":
            out.students.append(PersonRecord(node.value("StudentUniqueId"), *_name(node), label, node.line))
        elif tag == "Staff":
            out.staff.append(PersonRecord(node.value("StaffUniqueId"), *_name(node), label, node.line))
        elif tag == "School":
            out.schools.append(SchoolRecord(node.value("SchoolId"), node.value("NameOfInstitution"), label, node.line))
        elif tag == "Section":
            offering = node.first("CourseOfferingReference/CourseOfferingIdentity")
            out.sections.append(
                SectionRecord(
                    node.value("SectionIdentifier"),
                    offering.value("SchoolReference/SchoolIdentity/SchoolId") if offering else "",
                    offering.value("LocalCourseCode") if offering else "",
                    offering.value("SessionReference/SessionIdentity/SessionName") if offering else "",
                    node.value("SectionName"),
                    node.value("ClassPeriodReference/ClassPeriodIdentity/ClassPeriodName"),
                    label,
                    node.line,
                )
            )
        elif tag == "Course":
            out.course_subjects[node.value("CourseCode")] = descriptor_value(node.value("AcademicSubject"))
        elif tag == "CourseOffering":
            school = node.value("SchoolReference/SchoolIdentity/SchoolId")
            out.offerings[(node.value("LocalCourseCode"), school)] = node.value(
                "CourseReference/CourseIdentity/CourseCode"
            )
        elif tag == "StudentSectionAssociation":
            section, school = _xml_section_identity(node)
            student = node.value("StudentReference/StudentIdentity/StudentUniqueId")
            out.student_sections.append(SectionLink(student, section, school, "", label, node.line))
        elif tag == "StaffSectionAssociation":
            section, school = _xml_section_identity(node)
            staff = node.value("StaffReference/StaffIdentity/StaffUniqueId")
            role = descriptor_value(node.value("ClassroomPosition"))
            out.staff_sections.append(SectionLink(staff, section, school, role, label, node.line))
        else:
            out.unused.setdefault(label, set()).add(tag)


def _xml_student_assessment(node: Node, label: str) -> StudentAssessmentRecord:
    items = []
    for item in node.all("StudentAssessmentItem"):
        identity = item.first("AssessmentItemReference/AssessmentItemIdentity")
        items.append(
            ItemResult(
                _xml_ref(identity) if identity is not None else ("", ""),
                identity.value("IdentificationCode") if identity is not None else "",
                descriptor_value(item.value("AssessmentItemResult")),
                item.value("RawScoreResult"),
                item.value("AssessmentResponse"),
                descriptor_value(item.value("ResponseIndicator")),
                item.line,
                ("AssessmentItemResult", "RawScoreResult", "AssessmentResponse"),
            )
        )
    objectives = []
    for objective in node.all("StudentObjectiveAssessment"):
        identity = objective.first("ObjectiveAssessmentReference/ObjectiveAssessmentIdentity")
        objectives.append(
            ObjectiveResult(
                _xml_ref(identity) if identity is not None else ("", ""),
                identity.value("IdentificationCode") if identity is not None else "",
                _xml_scores(objective, "StudentObjectiveAssessment/"),
                _xml_levels(objective),
                objective.line,
            )
        )
    return StudentAssessmentRecord(
        node.value("StudentAssessmentIdentifier"),
        _xml_ref(node),
        node.value("StudentReference/StudentIdentity/StudentUniqueId"),
        node.value("AdministrationDate"),
        descriptor_value(node.value("WhenAssessedGradeLevel")),
        descriptor_value(node.value("ReasonNotTested")),
        _xml_scores(node),
        _xml_levels(node),
        items,
        objectives,
        label,
        node.line,
    )


# ---------------------------------------------------------------------------
# JSON (ODS/API resources, saved as arrays)
# ---------------------------------------------------------------------------
def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _get(obj: object, *path: str) -> str:
    for key in path:
        obj = obj.get(key) if isinstance(obj, dict) else None
    return _text(obj)


def _list(obj: object, key: str) -> list[dict]:
    value = obj.get(key) if isinstance(obj, dict) else None
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _json_ref(obj: dict, key: str = "assessmentReference") -> AssessmentRef:
    return (_get(obj, key, "assessmentIdentifier"), _get(obj, key, "namespace"))


def _json_ranges(obj: dict) -> list[ScoreRange]:
    return [
        ScoreRange(
            descriptor_value(_get(s, "assessmentReportingMethodDescriptor")),
            _get(s, "minimumScore"),
            _get(s, "maximumScore"),
        )
        for s in _list(obj, "scores")
    ]


def _json_standards(obj: dict) -> list[str]:
    found = [_get(s, "learningStandardReference", "learningStandardId") for s in _list(obj, "learningStandards")]
    return [s for s in found if s]


def _json_scores(obj: dict, line: int, prefix: str = "") -> list[ScoreResult]:
    return [
        ScoreResult(
            descriptor_value(_get(s, "assessmentReportingMethodDescriptor")),
            _get(s, "result"),
            line,
            f"{prefix}scoreResults[{n}].result",
        )
        for n, s in enumerate(_list(obj, "scoreResults"))
    ]


def _json_levels(obj: dict) -> list[str]:
    found = [descriptor_value(_get(p, "performanceLevelDescriptor")) for p in _list(obj, "performanceLevels")]
    return [p for p in found if p]


def _true(text: str) -> bool:
    return text.strip().lower() in ("true", "1")


def _json_section(obj: dict) -> tuple[str, str]:
    return _get(obj, "sectionReference", "sectionIdentifier"), _get(obj, "sectionReference", "schoolId")


def _read_json(file: EdFiFile, out: EdFiRecords) -> None:
    label, resource = file.label, file.name
    for line, obj in file.records:
        if resource == "assessments":
            out.assessments.append(
                AssessmentMeta(
                    (_get(obj, "assessmentIdentifier"), _get(obj, "namespace")),
                    _get(obj, "assessmentTitle"),
                    descriptor_value(_get(obj, "assessmentCategoryDescriptor")),
                    [descriptor_value(_get(s, "academicSubjectDescriptor")) for s in _list(obj, "academicSubjects")],
                    [descriptor_value(_get(g, "gradeLevelDescriptor")) for g in _list(obj, "assessedGradeLevels")],
                    _json_ranges(obj),
                    [
                        (
                            descriptor_value(_get(p, "performanceLevelDescriptor")),
                            descriptor_value(_get(p, "assessmentReportingMethodDescriptor")),
                            _get(p, "minimumScore"),
                            _get(p, "maximumScore"),
                        )
                        for p in _list(obj, "performanceLevels")
                    ],
                    _get(obj, "maxRawScore"),
                    _get(obj, "revisionDate"),
                    label,
                    line,
                )
            )
        elif resource == "assessmentItems":
            keys = [
                _get(r, "responseValue") for r in _list(obj, "possibleResponses") if _true(_get(r, "correctResponse"))
            ]
            if not keys and _get(obj, "correctResponse"):
                keys = [_get(obj, "correctResponse")]
            out.items.append(
                ItemMeta(
                    _json_ref(obj),
                    _get(obj, "identificationCode"),
                    descriptor_value(_get(obj, "assessmentItemCategoryDescriptor")),
                    _get(obj, "maxRawScore"),
                    keys,
                    _json_standards(obj),
                    label,
                    line,
                )
            )
        elif resource == "objectiveAssessments":
            out.objectives.append(
                ObjectiveMeta(
                    _json_ref(obj),
                    _get(obj, "identificationCode"),
                    _get(obj, "description"),
                    _get(obj, "maxRawScore"),
                    _json_standards(obj),
                    [_get(i, "assessmentItemReference", "identificationCode") for i in _list(obj, "assessmentItems")],
                    _json_ranges(obj),
                    _get(obj, "parentObjectiveAssessmentReference", "identificationCode"),
                    label,
                    line,
                )
            )
        elif resource == "studentAssessments":
            out.results.append(_json_student_assessment(obj, label, line))
        elif resource == "students":
            out.students.append(
                PersonRecord(
                    _get(obj, "studentUniqueId"), _get(obj, "firstName"), _get(obj, "lastSurname"), label, line
                )
            )
        elif resource == "staffs":
            out.staff.append(
                PersonRecord(_get(obj, "staffUniqueId"), _get(obj, "firstName"), _get(obj, "lastSurname"), label, line)
            )
        elif resource == "schools":
            out.schools.append(SchoolRecord(_get(obj, "schoolId"), _get(obj, "nameOfInstitution"), label, line))
        elif resource == "sections":
            out.sections.append(
                SectionRecord(
                    _get(obj, "sectionIdentifier"),
                    _get(obj, "courseOfferingReference", "schoolId"),
                    _get(obj, "courseOfferingReference", "localCourseCode"),
                    _get(obj, "courseOfferingReference", "sessionName"),
                    _get(obj, "sectionName"),
                    ", ".join(_get(p, "classPeriodReference", "classPeriodName") for p in _list(obj, "classPeriods")),
                    label,
                    line,
                )
            )
        elif resource == "courses":
            out.course_subjects[_get(obj, "courseCode")] = descriptor_value(_get(obj, "academicSubjectDescriptor"))
        elif resource == "courseOfferings":
            key = (_get(obj, "localCourseCode"), _get(obj, "schoolReference", "schoolId"))
            out.offerings[key] = _get(obj, "courseReference", "courseCode")
        elif resource == "studentSectionAssociations":
            section, school = _json_section(obj)
            student = _get(obj, "studentReference", "studentUniqueId")
            out.student_sections.append(SectionLink(student, section, school, "", label, line))
        elif resource == "staffSectionAssociations":
            section, school = _json_section(obj)
            staff = _get(obj, "staffReference", "staffUniqueId")
            role = descriptor_value(_get(obj, "classroomPositionDescriptor"))
            out.staff_sections.append(SectionLink(staff, section, school, role, label, line))


def _json_student_assessment(obj: dict, label: str, line: int) -> StudentAssessmentRecord:
    items = [
        ItemResult(
            _json_ref(item, "assessmentItemReference"),
            _get(item, "assessmentItemReference", "identificationCode"),
            descriptor_value(_get(item, "assessmentItemResultDescriptor")),
            _get(item, "rawScoreResult"),
            _get(item, "assessmentResponse"),
            descriptor_value(_get(item, "responseIndicatorDescriptor")),
            line,
            (
                f"items[{n}].assessmentItemResultDescriptor",
                f"items[{n}].rawScoreResult",
                f"items[{n}].assessmentResponse",
            ),
        )
        for n, item in enumerate(_list(obj, "items"))
    ]
    objectives = [
        ObjectiveResult(
            _json_ref(o, "objectiveAssessmentReference"),
            _get(o, "objectiveAssessmentReference", "identificationCode"),
            _json_scores(o, line, f"studentObjectiveAssessments[{k}]."),
            _json_levels(o),
            line,
        )
        for k, o in enumerate(_list(obj, "studentObjectiveAssessments"))
    ]
    return StudentAssessmentRecord(
        _get(obj, "studentAssessmentIdentifier"),
        _json_ref(obj),
        _get(obj, "studentReference", "studentUniqueId"),
        _get(obj, "administrationDate"),
        descriptor_value(_get(obj, "whenAssessedGradeLevelDescriptor")),
        descriptor_value(_get(obj, "reasonNotTestedDescriptor")),
        _json_scores(obj, line),
        _json_levels(obj),
        items,
        objectives,
        label,
        line,
        (
            "assessmentReference.assessmentIdentifier",
            "studentReference.studentUniqueId",
            "reasonNotTestedDescriptor",
        ),
    )


def read_records(files: list[EdFiFile]) -> EdFiRecords:
    """Turn the files of one Ed-Fi source into records.

    Returns
    -------
    EdFiRecords
    """
    out = EdFiRecords()
    for file in files:
        (_read_xml if file.kind == "xml" else _read_json)(file, out)
    return out
