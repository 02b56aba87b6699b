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
from pathlib import Path

GRADER_VERSION = "1"
MAX_SUBMISSION_BYTES = 64 << 20


class CourseError(Exception):
    """Something about the course (not a submission) stops the command."""


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


class Course:
    """A course folder; db_url (or $AUTOGRADER_DB_URL) overrides the config's."""

    def __init__(self, root=".", db_url=None):
        from nbgrader.coursedir import CourseDirectory

        self.root = Path(root).resolve()
        if not (self.root / "nbgrader_config.py").exists():
            raise CourseError(
                f"{self.root} has no nbgrader_config.py: not a course folder"
            )
        self.config = _load_config(self.root)
        quiet = logging.getLogger("autograder.course")
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
        """{student: folder} for every submission of the assignment."""
        base = self.root / self.coursedir.submitted_directory
        if not base.is_dir():
            return {}
        found = {}
        for student_dir in sorted(base.iterdir()):
            if student_dir.name.startswith(".") or not student_dir.is_dir():
                continue
            folder = student_dir / assignment
            if folder.is_dir() and not folder.is_symlink():
                found[unicodedata.normalize("NFC", student_dir.name)] = folder
        return found

    @property
    def state_dir(self):
        return self.root / self.coursedir.autograded_directory / ".grader"

    # -- the log

    def log(self):
        """{(student, assignment): last log entry}."""
        path = self.state_dir / "log.jsonl"
        entries = {}
        if not path.exists():
            return entries
        with open(path, encoding="utf-8") as f:
            for line in f:
                try:
                    entry = json.loads(line)
                    entries[(entry["student"], entry["assignment"])] = entry
                except (ValueError, KeyError, TypeError):
                    continue  # a line cut short by a killed batch
        return entries

    def append_log(self, entry):
        self.state_dir.mkdir(parents=True, exist_ok=True)
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        with open(self.state_dir / "log.jsonl", "a", encoding="utf-8") as f:
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

        from .notebook import SourceNotebook

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


def read_timestamp(folder):
    path = Path(folder) / "timestamp.txt"
    if not path.is_file():
        return None
    from nbgrader.utils import parse_utc

    try:
        return parse_utc(path.read_text(encoding="utf-8").strip())
    except (ValueError, OSError, UnicodeDecodeError):
        return None


def _regular_files(folder):
    """Relative paths (NFC) and paths of a folder's regular files, sorted."""
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
            rel = unicodedata.normalize("NFC", str(path.relative_to(folder)))
            found.append((rel, path))
    return found


def submission_files(folder, notebooks=()):
    """([(relative path, bytes)], skipped) for the student's working folder.

    The notebooks come first; other files follow while they fit in
    MAX_SUBMISSION_BYTES. Symlinks are never followed.
    """
    files, skipped, total = [], [], 0
    entries = _regular_files(folder)
    entries.sort(key=lambda e: (e[0] not in notebooks, e[0]))
    for rel, path in entries:
        size = path.stat().st_size
        if total + size > MAX_SUBMISSION_BYTES:
            skipped.append(rel)
            continue
        total += size
        files.append((rel, path.read_bytes()))
    return files, skipped


def content_hash(folder):
    """sha256 over the names and bytes of a submission's regular files."""
    digest = hashlib.sha256()
    for rel, path in _regular_files(folder):
        digest.update(rel.encode("utf-8") + b"\0")
        digest.update(path.stat().st_size.to_bytes(8, "big"))
        with open(path, "rb") as f:
            for chunk in iter(lambda f=f: f.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def grading_key(notebook_paths, limits):
    """What a result depends on besides the submission itself."""
    digest = hashlib.sha256(GRADER_VERSION.encode())
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
