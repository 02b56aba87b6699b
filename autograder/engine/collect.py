"""Put a folder or LMS zip of submissions into nbgrader's submitted/ layout.

    submitted/<student>/<assignment>/<notebook>.ipynb

Recognised layouts (or give --pattern, a regex with named groups `student`
and `file`, matched against each file's path inside the zip or folder):

- a folder per student: alice/output-size.ipynb,
  alice/02-output-size/output-size.ipynb;
- Moodle: "Alice Liddell_1234_assignsubmission_file_/output-size.ipynb"
  (student id "Alice Liddell_1234": the name and Moodle's participant id);
- Canvas: liddellalice_1234_5678_output-size.ipynb,
  liddellalice_LATE_1234_5678_output-size-1.ipynb (student id
  "liddellalice_1234": the name and Canvas's user id; the "-1" that Canvas
  adds to a resubmission is ignored, its LATE marker is kept);
- a file per student: alice.ipynb (when the assignment has one notebook).

The LMS's ids are part of the student id, so two students who share a
display name stay two students. A notebook whose name differs from the
assignment's (an LMS renamed it, or the student did) is renamed when it is
the student's only notebook; when a student has several versions of the same
notebook, the latest resubmission is kept. Two files that would be the same
file of the same student, neither a resubmission of the other, are a
collision: neither is placed, and both are reported. Every file that cannot
be placed is reported with the reason (hidden files, whose names start with
".", included; the LMS's and the operating system's clutter, such as
__MACOSX, is skipped). Student names are Unicode-normalised (NFC). The
source is only read.

What the LMS says about a submission's time (its LATE marker) is recorded
in the course's grading state (CourseFolder.record_submission_time), where
`grade` and `export` read it; a file in the student's folder never sets it.
"""

from __future__ import annotations

import os
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .course import is_text_name, shown_name

MAX_FILE_BYTES = 50 << 20
CANVAS = re.compile(
    r"^(?P<name>[^_/]+)_(?P<late>(?i:late)_)?(?P<id>\d+)_(?:\d+_)?(?P<file>[^/]+)$"
)
MOODLE = re.compile(r"^(?P<name>.+?)_(?P<id>\d+)_assign(?:submission|feedback)_\w*?_?$")
RESUBMISSION = re.compile(r"(?:-(\d+)| \((\d+)\))$")
JUNK = {"__MACOSX", ".DS_Store", "Thumbs.db", "desktop.ini", ".ipynb_checkpoints"}


@dataclass
class Entry:
    path: str  # inside the source, "/"-separated, NFC
    size: int
    read: object  # () -> bytes
    order: int = 0
    unsafe: bool = False
    original: str = ""  # the path as found, before normalisation
    hidden: bool = False  # a part of its path starts with "."


@dataclass
class Report:
    placed: dict = field(default_factory=dict)  # student -> [(dest name, note)]
    notes: list = field(default_factory=list)  # (student, text)
    unplaced: list = field(default_factory=list)  # (path, reason)

    @property
    def ok(self):
        return not self.unplaced

    def text(self, assignment, source):
        lines = [
            f"collected {assignment} from {source}: {len(self.placed)} students placed"
        ]
        changed = sum(
            n in ("new", "updated") for files in self.placed.values() for _, n in files
        )
        lines.append(f"  {changed} files written, the others unchanged")
        for student, text in self.notes:
            lines.append(f"  {student}: {text}")
        if self.unplaced:
            lines.append(f"could not place {len(self.unplaced)} files:")
            lines += [f"  {path}: {reason}" for path, reason in self.unplaced]
        return "\n".join(lines)


def _nfc(text):
    return unicodedata.normalize("NFC", text)


def entries(source):
    """The files of a zip or a folder, as Entry objects, in a stable order."""
    source = Path(source)
    found = []
    if source.is_file() and zipfile.is_zipfile(source):
        archive = zipfile.ZipFile(source)
        for info in archive.infolist():
            if info.is_dir():
                continue
            name = info.filename
            if not info.flag_bits & 0x800:  # not marked UTF-8: often UTF-8 anyway
                try:
                    name = name.encode("cp437").decode("utf-8")
                except (UnicodeEncodeError, UnicodeDecodeError):
                    pass
            found.append(
                Entry(
                    _nfc(name),
                    info.file_size,
                    lambda info=info: archive.read(info),
                    original=name,
                )
            )
    elif source.is_dir():
        for dirpath, dirnames, filenames in os.walk(source):
            dirnames.sort()
            for name in sorted(filenames):
                path = Path(dirpath) / name
                if path.is_symlink() or not path.is_file():
                    continue
                rel = path.relative_to(source).as_posix()
                found.append(
                    Entry(
                        _nfc(rel),
                        path.stat().st_size,
                        lambda path=path: path.read_bytes(),
                        original=rel,
                    )
                )
    else:
        raise FileNotFoundError(f"{source} is neither a folder nor a zip file")
    for i, e in enumerate(found):
        e.order = i
        parts = PurePosixPath(e.path).parts
        e.unsafe = e.path.startswith("/") or ".." in parts
        e.hidden = any(p.startswith(".") for p in parts)
    return [e for e in found if e.unsafe or not set(PurePosixPath(e.path).parts) & JUNK]


def valid_student(name):
    """The student id to use, or None if the name cannot be one."""
    name = _nfc(name).strip()
    if not name or name.startswith(".") or len(name) > 128:
        return None
    if not is_text_name(name):
        return None
    if any(c in name for c in "/\\\x00") or any(
        unicodedata.category(c) == "Cc" for c in name
    ):
        return None
    return name


def _canon(filename):
    stem = filename[: -len(".ipynb")] if filename.endswith(".ipynb") else filename
    stem = RESUBMISSION.sub("", stem)
    return re.sub(r"[^0-9a-z]", "", stem.lower())


def _resubmission(filename):
    stem = filename[: -len(".ipynb")] if filename.endswith(".ipynb") else filename
    m = RESUBMISSION.search(stem)
    return int(m.group(1) or m.group(2)) if m else 0


def _strip_wrapper(found, assignment):
    """Drop a single top-level folder that wraps everything (e.g. 'submissions/')."""
    parts = [PurePosixPath(e.path).parts for e in found]
    tops = {p[0] for p in parts}
    seconds = {p[1] for p in parts if len(p) > 1}
    if (
        len(tops) == 1
        and len(seconds) > 1
        and assignment not in seconds
        and all(len(p) >= 3 for p in parts)
    ):
        for e in found:
            e.path = "/".join(PurePosixPath(e.path).parts[1:])
    return found


@dataclass
class Parsed:
    """Who an entry belongs to, and where it goes in the submission."""

    student: str
    file: str
    late: bool = False
    lms: str = "folder"


def parse(entry, assignment, expected, pattern=None):
    """A Parsed for an entry, or raises ValueError(reason)."""
    if pattern is not None:
        m = pattern.search(entry.path)
        if not m:
            raise ValueError("does not match --pattern")
        return Parsed(m.group("student"), m.group("file"), lms="pattern")
    parts = PurePosixPath(entry.path).parts
    if len(parts) >= 2:
        rest = list(parts[1:])
        if rest[0] == assignment and len(rest) > 1:
            rest = rest[1:]
        m = MOODLE.match(parts[0])
        if m:
            student = f"{m.group('name')}_{m.group('id')}"
            return Parsed(student, "/".join(rest), lms="moodle")
        return Parsed(parts[0], "/".join(rest))
    m = CANVAS.match(parts[0])
    if m:
        student = f"{m.group('name')}_{m.group('id')}"
        return Parsed(student, m.group("file"), bool(m.group("late")), "canvas")
    name = parts[0]
    if name.endswith(".ipynb") and len(expected) == 1:
        if _canon(name) in {_canon(e) for e in expected}:
            raise ValueError("no student name in the path")
        return Parsed(name[: -len(".ipynb")], expected[0])
    raise ValueError("no student name in the path")


def _unplaced(entry, assignment, expected, regex):
    """(Parsed, file path parts), or the reason the entry cannot be placed."""
    if entry.unsafe:
        return "unsafe file path"
    if not is_text_name(entry.path):
        return "the file name is not UTF-8 text"
    if entry.hidden:
        return "hidden file (a name in its path starts with '.')"
    try:
        found = parse(entry, assignment, expected, regex)
    except ValueError as err:
        return str(err)
    student = valid_student(found.student)
    rel_parts = PurePosixPath(_nfc(found.file)).parts
    if student is None:
        return f"{found.student!r} is not a usable student name"
    if (
        not rel_parts
        or any(p in ("..", "") for p in rel_parts)
        or found.file.startswith("/")
    ):
        return "unsafe file path"
    if entry.size > MAX_FILE_BYTES:
        return f"larger than {MAX_FILE_BYTES >> 20} MiB"
    found.student = student
    return found, rel_parts


def collect(course, assignment, source, pattern=None):
    """Place the files of `source` into submitted/; a Report."""
    expected = [p.name for p in course.notebooks(assignment)]
    canon = {_canon(e): e for e in expected}
    regex = re.compile(pattern) if pattern else None
    report = Report()
    per_student = {}
    for entry in _strip_wrapper(entries(source), assignment):
        got = _unplaced(entry, assignment, expected, regex)
        if isinstance(got, str):
            report.unplaced.append((shown_name(entry.path), got))
            continue
        found, rel_parts = got
        per_student.setdefault(found.student, []).append(
            ("/".join(rel_parts), entry, found)
        )
    for student, files in per_student.items():
        _place(course, assignment, student, files, expected, canon, report)
    return report


def _collision(report, student, entries):
    paths = [shown_name(e.original or e.path) for e in entries]
    for path in paths:
        others = ", ".join(repr(p) for p in paths if p != path)
        report.unplaced.append(
            (
                path,
                f"collision: the same file of student {student!r} as {others}, "
                "and neither is a resubmission of the other; neither was placed",
            )
        )


def _place(course, assignment, student, files, expected, canon, report):
    chosen, other_notebooks, extra = {}, [], {}
    for rel, entry, found in files:
        name = PurePosixPath(rel).name
        if name.endswith(".ipynb") and _canon(name) in canon:
            chosen.setdefault(canon[_canon(name)], []).append((rel, entry, found))
        elif name.endswith(".ipynb"):
            other_notebooks.append((rel, entry, found))
        else:
            extra.setdefault(rel, []).append((rel, entry, found))
    if not chosen and len(other_notebooks) == 1 and len(expected) == 1:
        rel, entry, found = other_notebooks.pop()
        chosen[expected[0]] = [(rel, entry, found)]
        report.notes.append((student, f"renamed {rel} to {expected[0]}"))
    for _, entry, _ in other_notebooks:
        report.unplaced.append(
            (
                entry.path,
                "notebook name matches none of the "
                f"assignment's notebooks ({', '.join(expected)})",
            )
        )
    dest = course.submission_dir(student, assignment)
    written, kept = [], []
    for target, versions in sorted(chosen.items()):
        versions.sort(
            key=lambda v: (_resubmission(PurePosixPath(v[0]).name), v[1].order)
        )
        rel, entry, found = versions[-1]
        latest = _resubmission(PurePosixPath(rel).name)
        tied = [
            v[1] for v in versions if _resubmission(PurePosixPath(v[0]).name) == latest
        ]
        if len(tied) > 1:
            _collision(report, student, tied)
            continue
        for old, _, _ in versions[:-1]:
            report.notes.append((student, f"kept {rel}, not the earlier {old}"))
        kept.append(found)
        written.append((target, _write(dest / target, entry.read())))
    for rel, versions in sorted(extra.items()):
        if len(versions) > 1:
            _collision(report, student, [v[1] for v in versions])
            continue
        written.append((rel, _write(dest / rel, versions[0][1].read())))
    if written:
        report.placed.setdefault(student, []).extend(written)
    if kept:
        late = any(f.late for f in kept)
        lms = kept[0].lms
        course.record_submission_time(student, assignment, None, late, lms)
        if late:
            report.notes.append((student, f"marked late by {lms}"))


def _write(path, data):
    """Write atomically; 'new', 'updated' or 'unchanged'."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        if path.is_file() and not path.is_symlink() and path.read_bytes() == data:
            return "unchanged"
        state = "updated"
    else:
        state = "new"
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return state
