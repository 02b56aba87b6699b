"""An nbgrader course on disk: its folders, gradebook, and the grader's log.

Paths follow the course's nbgrader_config.py (source_directory,
release_directory, submitted/autograded/feedback directories, db_url), so an
instructor's customisations are honoured.

The grader keeps one append-only log per course,
autograded/.grader/log.jsonl: a line per graded submission, written after
its grades are committed to the gradebook and its autograded notebook is in
place. A submission whose content hash and grading key (source notebooks,
limits, grader version) match its last line is not graded again; a batch
killed half-way therefore resumes where it stopped, and a changed
submission is regraded.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .notebook import SourceNotebook

# nbgrader, SQLAlchemy and traitlets are imported where they are used, so that
# the command line (which imports this module) starts quickly.

GRADER_VERSION = "1"
MAX_SUBMISSION_BYTES = 64 << 20


class CourseError(Exception):
    """Something about the course (not a submission) stops the command."""


@dataclass
class Problem:
    """A submission folder that cannot be graded as it stands, and why."""

    student: str  # the id it would have (display text, if not UTF-8)
    reason: str


def _normal_form(name):
    for form in ("NFC", "NFD"):
        if unicodedata.is_normalized(form, name):
            return form
    return "neither NFC nor NFD"


def _load_config(root):
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    path = root / "nbgrader_config.py"
    if not path.exists():
        return Config()
    return PyFileConfigLoader(path.name, path=str(root)).load_config()


def tools_on_path():
    """Put this Python's scripts folder first on PATH when its tools are not found.

    nbgrader creates a gradebook by running the ``alembic`` command by name, so
    ``.venv/bin/python -m autograder`` run without the environment activated
    would fail on a new course with "No such file or directory: 'alembic'".
    """
    scripts = Path(sys.executable).parent
    if shutil.which("alembic") is None and (scripts / "alembic").exists():
        os.environ["PATH"] = os.pathsep.join(
            [str(scripts), *filter(None, [os.environ.get("PATH")])]
        )


DB_URL_ENV = "AUTOGRADER_DB_URL"


def gradebook_url(url):
    """The SQLAlchemy URL of a gradebook: SQLite or PostgreSQL, else CourseError.

    A plain postgresql:// URL gets the psycopg2 driver, the one installed.
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        raise CourseError(f"not a database URL: {url!r}") from None
    backend, _, driver = parsed.drivername.partition("+")
    if backend == "postgres":
        backend = "postgresql"
    if backend == "postgresql" and driver in ("", "psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg2")
    elif backend != "sqlite" or driver:
        raise CourseError(
            f"unsupported gradebook URL {parsed.drivername}://...: use "
            "sqlite:///path/to/gradebook.db or postgresql://user@host/database"
        )
    return parsed.render_as_string(hide_password=False)


def shown_url(url):
    """The URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


class CourseFolder:
    """A course folder; db_url (or $AUTOGRADER_DB_URL) overrides the config's."""

    def __init__(self, root=".", db_url=None):
        from nbgrader.coursedir import CourseDirectory

        self.root = Path(root).resolve()
        if not (self.root / "nbgrader_config.py").exists():
            raise CourseError(
                f"{self.root} has no nbgrader_config.py: not a course folder"
            )
        self.config = _load_config(self.root)
        quiet = logging.getLogger("autograder.engine.course")
        quiet.setLevel(logging.ERROR)  # nbgrader's own options trip its warnings
        self.coursedir = CourseDirectory(config=self.config, log=quiet)
        self.coursedir.root = str(self.root)
        self.db_url_given = db_url or os.environ.get(DB_URL_ENV) or None
        self.db_url = gradebook_url(self.db_url_given or self.coursedir.db_url)
        self.coursedir.db_url = self.db_url
        self.course_id = self.coursedir.course_id

    def folder(self, step, student=".", assignment="."):
        return Path(self.coursedir.format_path(step, student, assignment))

    def source_dir(self, assignment):
        return self.folder(self.coursedir.source_directory, ".", assignment)

    def notebooks(self, assignment):
        """The source notebooks of an assignment, sorted by name."""
        folder = self.source_dir(assignment)
        if not folder.is_dir():
            raise CourseError(f"no assignment {assignment!r} in {folder.parent}")
        found = sorted(p for p in folder.glob("*.ipynb") if p.is_file())
        if not found:
            raise CourseError(f"assignment {assignment!r} has no notebooks in {folder}")
        return found

    def assignments(self):
        folder = self.root / self.coursedir.source_directory
        return sorted(
            p.name
            for p in folder.iterdir()
            if p.is_dir() and not p.name.startswith(".")
        )

    def submission_dir(self, student, assignment):
        return self.folder(self.coursedir.submitted_directory, student, assignment)

    def autograded_dir(self, student, assignment):
        return self.folder(self.coursedir.autograded_directory, student, assignment)

    def submissions(self, assignment):
        """{student: folder} for every submission of the assignment that can be
        graded (see `scan_submissions` for the others)."""
        return self.scan_submissions(assignment)[0]

    def scan_submissions(self, assignment):
        """({student: folder}, [Problem]) for the assignment's submission folders.

        A folder name is bytes until proven otherwise: one that is not UTF-8,
        or two names that are one student id once Unicode-normalised (NFC),
        are problems that name the folders; no folder is dropped silently.
        """
        base = self.root / self.coursedir.submitted_directory
        if not base.is_dir():
            return {}, []
        by_id, problems = {}, []
        for raw in sorted(os.listdir(os.fsencode(base))):
            student_dir = base / os.fsdecode(raw)
            if raw.startswith(b".") or not student_dir.is_dir():
                continue
            folder = student_dir / assignment
            if not folder.is_dir() or folder.is_symlink():
                continue
            try:
                name = raw.decode("utf-8")
            except UnicodeDecodeError:
                shown = raw.decode("utf-8", "backslashreplace")
                problems.append(
                    Problem(
                        shown,
                        f"the submission folder name {shown!r} is not UTF-8 "
                        "text: rename it to the student's id; not graded",
                    )
                )
                continue
            by_id.setdefault(unicodedata.normalize("NFC", name), []).append(
                (name, folder)
            )
        found = {}
        for student, folders in by_id.items():
            if len(folders) == 1:
                found[student] = folders[0][1]
                continue
            names = " and ".join(
                f"{n!r} ({_normal_form(n)})" for n, _ in sorted(folders)
            )
            problems.append(
                Problem(
                    student,
                    f"{len(folders)} submission folders, {names}, are the same "
                    "student id once Unicode-normalised: merge or rename them; "
                    "none was graded",
                )
            )
        return found, problems

    @property
    def state_dir(self):
        return self.root / self.coursedir.autograded_directory / ".grader"

    # -- the log

    def log(self):
        """{(student, assignment): last log entry}."""
        return self._last_entries("log.jsonl")

    def submission_times(self):
        """{(student, assignment): {"time", "late", "source"}}, as `collect` saw them.

        Times and late markers come from the LMS (or the exchange), never
        from a file in the student's folder, which the student wrote.
        """
        return self._last_entries("times.jsonl")

    def _last_entries(self, name):
        """{(student, assignment): its last entry} of one JSON-lines file in the
        state folder; a line cut short by a killed batch is skipped."""
        path = self.state_dir / name
        found = {}
        if not path.exists():
            return found
        with open(path, encoding="utf-8") as f:
            for line in f:
                try:
                    entry = json.loads(line)
                    found[(entry["student"], entry["assignment"])] = entry
                except (ValueError, KeyError, TypeError):
                    continue
        return found

    def record_submission_time(self, student, assignment, time, late, source):
        """Remember when the LMS says a submission came (ISO time or None)."""
        self._append(
            "times.jsonl",
            {
                "student": student,
                "assignment": assignment,
                "time": time,
                "late": bool(late),
                "source": source,
            },
        )

    def append_log(self, entry):
        self._append("log.jsonl", entry)

    def _append(self, name, entry):
        self.state_dir.mkdir(parents=True, exist_ok=True)
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        with open(self.state_dir / name, "a", encoding="utf-8") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())

    # -- the gradebook

    def gradebook(self):
        """nbgrader's Gradebook; CourseError (one line) if it cannot be opened."""
        from nbgrader.api import Gradebook
        from sqlalchemy.exc import SQLAlchemyError

        tools_on_path()
        try:
            return Gradebook(self.db_url, self.course_id)
        except SQLAlchemyError as err:
            why = str(getattr(err, "orig", None) or err).strip().splitlines()
            raise CourseError(
                f"cannot open the gradebook {shown_url(self.db_url)}: "
                + (why[0] if why else type(err).__name__)
            ) from None

    def ensure_in_gradebook(self, assignment):
        """Make sure the gradebook knows the assignment's notebooks and cells.

        nbgrader records them when it generates the student version; if the
        gradebook lacks them (or the source changed since), generate once
        into a temporary folder, leaving the release folder alone.
        """
        from nbgrader.api import MissingEntry

        wanted = {}
        for path in self.notebooks(assignment):
            src = SourceNotebook.load(path)
            wanted[src.name] = {t.grade_id: t.points for t in src.tests}
        with self.gradebook() as gb:
            try:
                found = {
                    nb.name: {c.name: c.max_score for c in nb.grade_cells}
                    for nb in gb.find_assignment(assignment).notebooks
                }
            except MissingEntry:
                found = None
        stale = found is None or any(
            {k: v for k, v in found.get(name, {}).items() if k in cells} != cells
            for name, cells in wanted.items()
        )
        if stale:
            with tempfile.TemporaryDirectory() as tmp:
                self.nbgrader(
                    "generate_assignment",
                    assignment,
                    "--force",
                    f"--CourseDirectory.release_directory={tmp}",
                )

    def nbgrader(self, *args):
        """Run an nbgrader command in the course folder; its output if it fails."""
        if self.db_url != self.config.get("CourseDirectory", {}).get("db_url"):
            # given on the command line, or normalised (postgresql:// -> +psycopg2)
            args = (*args, f"--CourseDirectory.db_url={self.db_url}")
        tools_on_path()
        proc = subprocess.run(
            [sys.executable, "-m", "nbgrader", *args],
            cwd=self.root,
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            raise CourseError(
                f"nbgrader {args[0]} failed:\n{proc.stdout[-3000:]}"
                f"{proc.stderr[-3000:]}"
            )
        return proc


def _regular_files(folder):
    """(relative path, path) of a folder's regular files, sorted.

    The relative path is NFC text; a name that is not UTF-8 keeps its bytes
    as surrogate escapes (see `name_bytes` and `is_text_name`).
    """
    folder = Path(folder)
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(
            d for d in dirnames if not os.path.islink(os.path.join(dirpath, d))
        )
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if path.is_symlink() or not path.is_file():
                continue
            rel = str(path.relative_to(folder))
            if is_text_name(rel):
                rel = unicodedata.normalize("NFC", rel)
            found.append((rel, path))
    found.sort(key=lambda e: name_bytes(e[0]))
    return found


def name_bytes(name):
    """A file name as the bytes it has on disk."""
    return os.fsencode(name)


def is_text_name(name):
    """Whether a file name (from os.listdir) is UTF-8 text."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def shown_name(name):
    """A file name fit to print: bytes that are not UTF-8 as \\x escapes."""
    return name_bytes(name).decode("utf-8", "backslashreplace")


def submission_files(folder, notebooks=()):
    """([(relative path, bytes)], skipped) for the student's working folder.

    The notebooks come first; other files follow while they fit in
    MAX_SUBMISSION_BYTES. Symlinks are never followed; a file whose name is
    not UTF-8 is left out. `skipped` says what was left out, and why.
    """
    files, skipped, total = [], [], 0
    entries = _regular_files(folder)
    entries.sort(key=lambda e: (e[0] not in notebooks, name_bytes(e[0])))
    for rel, path in entries:
        if not is_text_name(rel):
            skipped.append(f"{shown_name(rel)} (name not UTF-8)")
            continue
        size = path.stat().st_size
        if total + size > MAX_SUBMISSION_BYTES:
            skipped.append(f"{rel} (too large)")
            continue
        total += size
        files.append((rel, path.read_bytes()))
    return files, skipped


def content_hash(folder):
    """sha256 over the names (as bytes) and bytes of a submission's files."""
    digest = hashlib.sha256()
    for rel, path in _regular_files(folder):
        digest.update(name_bytes(rel) + b"\0")
        digest.update(path.stat().st_size.to_bytes(8, "big"))
        with open(path, "rb") as f:
            for chunk in iter(lambda f=f: f.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def grading_key(notebook_paths, limits, secret=b""):
    """What a result depends on besides the submission itself (the course
    secret, from which the hidden tests' inputs are drawn, included)."""
    digest = hashlib.sha256(GRADER_VERSION.encode())
    digest.update(hashlib.sha256(b"grading key\0" + secret).digest())
    for path in notebook_paths:
        digest.update(Path(path).name.encode() + b"\0" + Path(path).read_bytes())
    digest.update(json.dumps(limits.as_dict(), sort_keys=True).encode())
    return digest.hexdigest()


def now():
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def replace_dir(staged, target):
    """Move a staged folder into place, replacing what was there."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        os.rename(target, old)
    os.rename(staged, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
