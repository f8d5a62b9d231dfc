"""Read Ed-Fi files safely: XML interchange files and saved ODS/API JSON arrays.

XML is parsed with :mod:`defusedxml` (SAX, expat underneath): a document that
declares a DTD or entities (the "billion laughs" bomb, external entities that
would read local files or the network) is refused with a
:class:`~plc_analysis.PLCDataError` before anything is expanded.  Every element
keeps the line it starts on, so problems can point at the file a person has.

A saved ODS/API resource is a JSON array of objects (what ``GET
/ed-fi/studentAssessments`` returns); each object keeps the line it starts on.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from xml.sax import SAXParseException
from xml.sax.handler import ContentHandler, feature_namespaces
from xml.sax.xmlreader import AttributesNSImpl, Locator

from defusedxml import DefusedXmlException
from defusedxml.sax import make_parser

from .errors import PLCDataError, Problem

__all__ = ["Node", "EdFiFile", "parse_xml", "parse_json_array", "edfi_files", "is_edfi_source", "descriptor_value"]

#: ODS/API resource names (file stems of saved JSON arrays) this package reads.
JSON_RESOURCES = (
    "assessments",
    "assessmentItems",
    "objectiveAssessments",
    "studentAssessments",
    "students",
    "schools",
    "courses",
    "courseOfferings",
    "sections",
    "staffs",
    "staffSectionAssociations",
    "studentSectionAssociations",
)
_RESOURCE_SPELLING = {name.lower(): name for name in JSON_RESOURCES}
#: Interchange root elements that mark an Ed-Fi XML file.
_INTERCHANGE = "Interchange"


@dataclass
class Node:
    """One XML element: local tag name (namespace dropped), text, children and the line it starts on."""

    tag: str
    line: int
    text: str = ""
    children: list[Node] = field(default_factory=list)

    def first(self, path: str) -> Node | None:
        """The first descendant along ``path`` (tags separated by ``/``), or None."""
        node: Node | None = self
        for tag in path.split("/"):
            node = next((c for c in node.children if c.tag == tag), None) if node is not None else None
        return node

    def all(self, tag: str) -> list[Node]:
        """Direct children named ``tag``."""
        return [c for c in self.children if c.tag == tag]

    def value(self, path: str) -> str:
        """Stripped text of the first descendant along ``path`` ("" when absent)."""
        node = self.first(path)
        return node.text.strip() if node is not None else ""


@dataclass
class EdFiFile:
    """One Ed-Fi file as read: its label (the file name), kind (``xml`` or ``json``) and content."""

    label: str
    kind: str
    #: the interchange's root element (XML) or the resource name (JSON)
    name: str
    #: XML: the root's children; JSON: ``(line, object)`` pairs
    records: list


class _TreeBuilder(ContentHandler):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[Node] = []
        self.root: Node | None = None
        self._locator: Any = None

    def setDocumentLocator(self, locator: Locator) -> None:  # noqa: N802 - SAX API
        self._locator = locator

    def startElementNS(self, name: tuple[str | None, str], qname: str | None, attrs: AttributesNSImpl) -> None:  # noqa: N802 - SAX API
        line = self._locator.getLineNumber() if self._locator else 0
        node = Node(name[1], line)
        if self.stack:
            self.stack[-1].children.append(node)
        else:
            self.root = node
        self.stack.append(node)

    def endElementNS(self, name: tuple[str | None, str], qname: str | None) -> None:  # noqa: N802 - SAX API
        self.stack.pop()

    def characters(self, content: str) -> None:
        if self.stack:
            self.stack[-1].text += content


def parse_xml(data: bytes, label: str) -> Node:
    """Parse XML bytes into a :class:`Node` tree, refusing DTDs and entities.

    Raises
    ------
    PLCDataError
        When the document declares a DTD or entities (refused, never
        expanded), or is not well-formed XML (the line and column are named).
    """
    handler = _TreeBuilder()
    parser = make_parser()
    parser.forbid_dtd = True
    parser.forbid_entities = True
    parser.forbid_external = True
    parser.setFeature(feature_namespaces, True)
    parser.setContentHandler(handler)
    from io import BytesIO

    source = BytesIO(data)
    try:
        parser.parse(source)
    except DefusedXmlException as exc:
        what = type(exc).__name__.replace("Forbidden", "").lower() or "declaration"
        raise PLCDataError(
            [
                Problem(
                    label,
                    None,
                    None,
                    None,
                    f"refused: the file declares a {what} (DTDs and entities are not read, so entity "
                    "expansion and external references cannot run); an Ed-Fi interchange file has neither",
                )
            ],
            source=label,
        ) from None
    except SAXParseException as exc:
        raise PLCDataError(
            [Problem(label, exc.getLineNumber(), None, None, f"not well-formed XML: {exc.getMessage()}")],
            source=label,
        ) from None
    if handler.root is None:
        raise PLCDataError([Problem(label, None, None, None, "empty XML document")], source=label)
    return handler.root


def parse_json_array(data: bytes, label: str) -> list[tuple[int, dict]]:
    """Parse a saved ODS/API resource: a JSON array of objects, each with the line it starts on.

    Raises
    ------
    PLCDataError
        When the text is not JSON, not an array, or an element is not an object.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise PLCDataError([Problem(label, line, None, None, "not UTF-8 text (JSON must be UTF-8)")]) from None
    decoder = json.JSONDecoder()
    position = _skip_space(text, 0)
    if position >= len(text) or text[position] != "[":
        raise PLCDataError(
            [Problem(label, None, None, None, "not a JSON array (a saved ODS/API resource is [ {...}, ... ])")]
        )
    position = _skip_space(text, position + 1)
    records: list[tuple[int, dict]] = []
    problems: list[Problem] = []
    while position < len(text) and text[position] != "]":
        line = text.count("\n", 0, position) + 1
        try:
            value, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            raise PLCDataError([Problem(label, exc.lineno, None, None, f"not valid JSON: {exc.msg}")]) from None
        if isinstance(value, dict):
            records.append((line, value))
        else:
            problems.append(Problem(label, line, None, str(value)[:40], "array element is not a JSON object"))
        position = _skip_space(text, end)
        if position < len(text) and text[position] == ",":
            position = _skip_space(text, position + 1)
    if position >= len(text):
        raise PLCDataError(
            [Problem(label, text.count("\n") + 1, None, None, "not valid JSON: the array is not closed")]
        )
    if problems:
        raise PLCDataError(problems, source=label)
    return records


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def descriptor_value(text: str) -> str:
    """The code value of an Ed-Fi descriptor: ``uri://ed-fi.org/XDescriptor#Correct`` -> ``Correct``."""
    text = text.strip()
    return text.rsplit("#", 1)[-1].strip() if "#" in text else text


def _members(path: Path) -> Iterator[tuple[str, bytes]]:
    """``(name, bytes)`` of every .xml / .json file of a folder, zip or single file."""

    def wanted(name: str) -> bool:
        pure = PurePosixPath(name.replace("\\", "/"))
        return (
            pure.suffix.lower() in (".xml", ".json")
            and "__MACOSX" not in pure.parts
            and not pure.name.startswith(("._", "."))
        )

    if path.is_dir():
        for file in sorted(p for p in path.rglob("*") if p.is_file() and wanted(p.name)):
            yield file.relative_to(path).as_posix(), file.read_bytes()
    elif path.suffix.lower() == ".zip":
        with zipfile.ZipFile(path) as archive:
            for info in sorted(archive.infolist(), key=lambda i: i.filename):
                if not info.is_dir() and wanted(info.filename):
                    yield info.filename, archive.read(info)
    else:
        yield path.name, path.read_bytes()


def _json_resource(name: str) -> str | None:
    stem = PurePosixPath(name).stem
    return _RESOURCE_SPELLING.get(stem.lower())


def is_edfi_source(path: Path) -> bool:
    """Whether ``path`` (a folder, zip, .xml or .json file) looks like Ed-Fi data.

    An Ed-Fi XML file's root element starts with ``Interchange``; a JSON file
    is named after an ODS/API resource (``studentAssessments.json`` ...).
    """
    try:
        return bool(_listing(path))
    except (OSError, zipfile.BadZipFile):
        return False


def _head(file: Path) -> bytes:
    """The first bytes of an XML file (where its root element is); nothing of other files."""
    if file.suffix.lower() != ".xml":
        return b""
    with file.open("rb") as handle:
        return handle.read(2048)


def _listing(path: Path) -> list[tuple[str, str]]:
    """``(member name, kind)`` of the Ed-Fi files in ``path``, reading only a little of each XML file."""
    found: list[tuple[str, str]] = []
    heads: Iterable[tuple[str, bytes]]
    if path.is_dir():
        candidates = [(p.relative_to(path).as_posix(), p) for p in sorted(path.rglob("*")) if p.is_file()]
        heads = ((name, _head(file)) for name, file in candidates)
    elif path.suffix.lower() == ".zip":
        with zipfile.ZipFile(path) as archive:
            heads_list = []
            for info in archive.infolist():
                if info.is_dir():
                    continue
                head = b""
                if info.filename.lower().endswith(".xml"):
                    with archive.open(info) as member:
                        head = member.read(2048)
                heads_list.append((info.filename, head))
        heads = heads_list
    else:
        heads = [(path.name, _head(path))]
    for name, head in heads:
        lower = name.lower()
        if "__macosx" in lower or PurePosixPath(name).name.startswith("._"):
            continue
        if lower.endswith(".json") and _json_resource(name):
            found.append((name, "json"))
        elif lower.endswith(".xml") and f"<{_INTERCHANGE}".encode() in head:
            found.append((name, "xml"))
    return found


def edfi_files(path: Path) -> tuple[list[EdFiFile], list[str]]:
    """Read every Ed-Fi file of a folder, zip or single file.

    Returns
    -------
    tuple
        ``(files, others)``: the files read (XML interchange files and JSON
        resource arrays) and the names of other ``.xml``/``.json`` files,
        which are not read.

    Raises
    ------
    PLCDataError
        When a file is hostile or malformed XML, or malformed JSON (all such
        files are listed at once).
    """
    files: list[EdFiFile] = []
    others: list[str] = []
    problems: list[Problem] = []
    for name, data in _members(path):
        label = PurePosixPath(name).name
        try:
            if name.lower().endswith(".json"):
                resource = _json_resource(name)
                if resource is None:
                    others.append(label)
                    continue
                files.append(EdFiFile(label, "json", resource, parse_json_array(data, label)))
            else:
                root = parse_xml(data, label)
                if not root.tag.startswith(_INTERCHANGE):
                    others.append(label)
                    continue
                files.append(EdFiFile(label, "xml", root.tag, root.children))
        except PLCDataError as exc:
            problems.extend(exc.problem_list)
    if problems:
        raise PLCDataError(problems, source=str(path))
    return files, others
