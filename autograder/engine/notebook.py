"""What to run, where, from which notebook: the instructor's or the student's.

The instructor's source notebook (solutions/<assignment>/<name>.ipynb) is the
authority on every cell except the answers. From a submission, the grader
takes only the code of the solution cells (found by grade_id) and the cells
the student added; locked cells, test cells, points and metadata always come
from the source. A submission that renamed, duplicated, deleted or retyped
cells, or changed their metadata, is graded by these rules and the changes
are reported as warnings; one that cannot be read at all is a `Malformed`.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

MAX_NOTEBOOK_BYTES = 20 << 20
HIDDEN_BEGIN, HIDDEN_END = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"
SOLUTION_REGION = re.compile(
    r"^([ \t]*)### BEGIN SOLUTION[^\n]*\n.*?^[ \t]*### END SOLUTION[^\n]*(\n|$)",
    re.MULTILINE | re.DOTALL,
)
NO_ANSWER = "# (no answer could be read from the submission)"
LONE_SURROGATE = re.compile("[\ud800-\udfff]")
MAX_INT_DIGITS = 1000  # longer integers in a submission are kept as text


def clean_text(text):
    """Text fit to write as UTF-8: a lone surrogate (valid in JSON's \\u escapes,
    not in UTF-8) becomes U+FFFD."""
    return LONE_SURROGATE.sub("\ufffd", text)


def clean(value):
    """A copy of plain data (dicts, lists, strings) with every string cleaned."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean(k): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    return value


def _parse_int(digits):
    """JSON integers: Python refuses to parse more than 4300 digits; a
    submission's metadata may hold any, and none of them matters to grading."""
    return int(digits) if len(digits) <= MAX_INT_DIGITS else digits


class Malformed(Exception):
    """A submission notebook that cannot be graded at all; the message says why."""


def released_test_source(source):
    """A test cell's source without its hidden tests (as nbgrader releases it)."""
    kept, hidden = [], False
    for line in source.split("\n"):
        if HIDDEN_BEGIN in line:
            hidden = True
        elif HIDDEN_END in line:
            hidden = False
        elif not hidden:
            kept.append(line)
    return "\n".join(kept).rstrip("\n")


_TRANSFORMER = None


def python_source(cell_source):
    """Cell text as plain Python (IPython magics become get_ipython() calls)."""
    global _TRANSFORMER
    if not any(
        line.lstrip().startswith(("%", "!")) or line.rstrip().endswith("?")
        for line in cell_source.splitlines()
    ):
        return cell_source
    if _TRANSFORMER is None:
        from IPython.core.inputtransformer2 import TransformerManager

        _TRANSFORMER = TransformerManager()
    try:
        return _TRANSFORMER.transform_cell(cell_source)
    except Exception:  # leave it; compiling it will report the problem
        return cell_source


def defined_names(source):
    """Top-level names a cell defines (functions, classes, assignments, imports)."""
    try:
        tree = ast.parse(python_source(source))
    except SyntaxError:
        return set()
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names


def _nbgrader(meta):
    nbg = meta.get("nbgrader") if isinstance(meta, dict) else None
    return nbg if isinstance(nbg, dict) else {}


def _text(source):
    if isinstance(source, list):
        return "".join(s for s in source if isinstance(s, str))
    return source if isinstance(source, str) else ""


# ----------------------------------------------------------------- source


@dataclass
class SourceCell:
    kind: str  # markdown, locked, solution, answer, test
    cell_type: str
    grade_id: str | None
    source: str
    metadata: dict
    points: float = 0.0

    @property
    def released(self):
        """What students see (and what feedback shows) for this cell."""
        if self.kind == "test":
            return released_test_source(self.source)
        if self.kind in ("solution", "answer"):
            return SOLUTION_REGION.sub(
                lambda m: m.group(1) + NO_ANSWER + "\n", self.source
            )
        return self.source


@dataclass
class SourceNotebook:
    """An assignment's notebook as the instructor wrote it."""

    name: str  # file name without .ipynb
    cells: list
    metadata: dict
    digest: str
    proxied: dict = field(default_factory=dict)  # name -> defining grade_id

    @classmethod
    def load(cls, path):
        path = Path(path)
        raw = path.read_bytes()
        nb = nbformat.reads(raw.decode("utf-8"), as_version=4)
        cells = [_source_cell(c) for c in nb.cells]
        book = cls(path.stem, cells, dict(nb.metadata), hashlib.sha256(raw).hexdigest())
        locked = set()
        for cell in cells:
            if cell.kind == "locked":
                locked |= defined_names(cell.source)
        for cell in cells:
            if cell.kind == "solution" and cell.cell_type == "code":
                for name in sorted(defined_names(cell.source) - locked):
                    book.proxied.setdefault(name, cell.grade_id)
        return book

    @property
    def tests(self):
        return [c for c in self.cells if c.kind == "test"]

    def by_id(self):
        return {c.grade_id: c for c in self.cells if c.grade_id}


def _source_cell(cell):
    nbg = _nbgrader(cell.metadata)
    grade_id = nbg.get("grade_id")
    if cell.cell_type != "code":
        kind = "answer" if nbg.get("solution") else "markdown"
    elif nbg.get("solution"):
        kind = "answer" if nbg.get("grade") else "solution"
    elif nbg.get("grade"):
        kind = "test"
    else:
        kind = "locked"
    points = float(nbg.get("points", 0) or 0)
    meta = copy.deepcopy(dict(cell.metadata))
    return SourceCell(kind, cell.cell_type, grade_id, _text(cell.source), meta, points)


# ----------------------------------------------------------------- submission


@dataclass
class SubmittedCell:
    cell_type: str
    source: str
    grade_id: str | None
    nbgrader: dict


def read_submission(path):
    """The cells of a submitted notebook, read as leniently as is safe."""
    path = Path(path)
    if not path.exists():
        others = (
            sorted(p.name for p in path.parent.glob("*.ipynb"))
            if path.parent.is_dir()
            else []
        )
        found = f" (found: {', '.join(others)})" if others else ""
        raise Malformed(f"missing notebook {path.name}{found}")
    if path.is_symlink() or not path.is_file():
        raise Malformed(f"{path.name} is not a regular file")
    size = path.stat().st_size
    if size > MAX_NOTEBOOK_BYTES:
        raise Malformed(f"{path.name} is too large ({size / 2**20:.0f} MiB)")
    raw = path.read_bytes()
    try:
        data = json.loads(raw.decode("utf-8-sig"), parse_int=_parse_int)
    except UnicodeDecodeError:
        raise Malformed(f"{path.name} is not a notebook: not UTF-8 text") from None
    except json.JSONDecodeError as err:
        raise Malformed(
            f"{path.name} is not a notebook: invalid JSON ({err})"
        ) from None
    except RecursionError:
        raise Malformed(
            f"{path.name} is not a notebook: JSON nested too deeply"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        if isinstance(data, dict) and "worksheets" in data:
            raise Malformed(f"{path.name} uses the old notebook format 3")
        raise Malformed(f"{path.name} is not a notebook: it has no list of cells")
    cells = []
    for cell in data["cells"]:
        if not isinstance(cell, dict):
            continue
        nbg = _nbgrader(cell.get("metadata"))
        grade_id = nbg.get("grade_id")
        cells.append(
            SubmittedCell(
                cell_type=cell.get("cell_type")
                if isinstance(cell.get("cell_type"), str)
                else "code",
                source=clean_text(_text(cell.get("source"))),
                grade_id=clean_text(grade_id) if isinstance(grade_id, str) else None,
                nbgrader=clean(nbg),
            )
        )
    return cells


# ----------------------------------------------------------------- merging


@dataclass
class Step:
    """One cell of the graded notebook, in order."""

    kind: str  # markdown, locked, student, test, answer
    cell_type: str
    source: str
    metadata: dict
    grade_id: str | None = None
    label: str = ""  # the file name its code runs under: <cell conv1d>
    outputs: list = field(default_factory=list)
    failed: str | None = None  # what the cell raised when it ran, if anything

    @property
    def runs_in_child(self):
        return self.cell_type == "code" and self.kind in ("locked", "student")


_CHECKED_FLAGS = ("grade", "solution", "locked", "points", "task")


def merge(source: SourceNotebook, submitted):
    """(steps, warnings): the graded notebook's cells and what was odd about it."""
    warnings = []
    by_id = source.by_id()
    groups, trailing, counts = {}, {None: []}, {}
    anchor = None
    for i, cell in enumerate(submitted):
        gid = cell.grade_id if cell.grade_id in by_id else None
        if gid is None:
            trailing.setdefault(anchor, []).append((i, cell))
            continue
        anchor = gid
        counts[gid] = counts.get(gid, 0) + 1
        groups.setdefault(gid, []).append((i, cell))
    steps = [_student_step(i, c) for i, c in trailing[None]]
    for src in source.cells:
        steps += _steps_for(src, groups.get(src.grade_id, []), warnings)
        steps += [_student_step(i, c) for i, c in trailing.get(src.grade_id, [])]
    unknown = sorted(
        {c.grade_id for c in submitted if c.grade_id and c.grade_id not in by_id}
    )
    if unknown:
        warnings.append(
            "cells with unknown grade_ids ran as the student's own cells: "
            + ", ".join(repr(g) for g in unknown)
        )
    return steps, warnings


def _student_step(i, cell):
    kind = "student" if cell.cell_type == "code" else "markdown"
    return Step(kind, cell.cell_type, cell.source, {}, None, f"<cell {i + 1}>")


def _steps_for(src, copies, warnings):
    gid = src.grade_id
    if src.kind == "markdown":
        return [Step("markdown", src.cell_type, src.source, src.metadata, gid)]
    if src.kind in ("locked", "test"):
        if len(copies) > 1:
            warnings.append(
                f"{src.kind} cell {gid!r} appears {len(copies)} times in the "
                "submission; the course's version ran once"
            )
        elif not copies:
            warnings.append(
                f"{src.kind} cell {gid!r} was deleted; the course's version ran"
            )
        elif _norm(copies[0][1].source) != _norm(src.released):
            warnings.append(
                f"{src.kind} cell {gid!r} was edited; the course's version ran"
            )
        _check_metadata(src, copies, warnings)
        kind = "locked" if src.kind == "locked" else "test"
        source = src.source if kind == "locked" else src.released
        label = f"<cell {gid}>" if gid else "<locked cell>"
        return [Step(kind, src.cell_type, source, src.metadata, gid, label)]
    # solution or manually graded answer: the student's text
    if not copies:
        warnings.append(
            f"solution cell {gid!r} is missing (renamed or deleted); "
            "the student's unlabelled cells ran in its place"
        )
        return [
            Step("markdown", "markdown", f"*(solution cell `{gid}` is missing)*", {})
        ]
    if len(copies) > 1:
        warnings.append(
            f"solution cell {gid!r} appears {len(copies)} times; "
            "all copies ran, in order"
        )
    _check_metadata(src, copies, warnings)
    steps = []
    for n, (_, cell) in enumerate(copies):
        if cell.cell_type != src.cell_type:
            warnings.append(
                f"solution cell {gid!r} was changed from {src.cell_type} "
                f"to {cell.cell_type}"
            )
        kind = "student" if cell.cell_type == "code" else "markdown"
        if src.kind == "answer" and cell.cell_type != "code":
            kind = "answer"
        meta = src.metadata if n == 0 else {}
        label = f"<cell {gid}>" if n == 0 else f"<cell {gid} copy {n + 1}>"
        steps.append(
            Step(
                kind, cell.cell_type, cell.source, meta, gid if n == 0 else None, label
            )
        )
    return steps


def _norm(text):
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def _check_metadata(src, copies, warnings):
    want = _nbgrader(src.metadata)
    for _, cell in copies:
        changed = [
            k
            for k in _CHECKED_FLAGS
            if cell.nbgrader.get(k, want.get(k)) != want.get(k)
        ]
        if changed:
            warnings.append(
                f"the nbgrader metadata of cell {src.grade_id!r} was changed "
                f"({', '.join(changed)}); the course's metadata was used"
            )
            return


# ----------------------------------------------------------------- output


def error_output(ename, evalue, traceback_lines=()):
    return nbformat.v4.new_output(
        "error",
        ename=ename,
        evalue=evalue,
        traceback=list(traceback_lines) or [f"{ename}: {evalue}"],
    )


def stream_output(text, name="stdout"):
    return nbformat.v4.new_output("stream", name=name, text=text)


def graded_notebook(source: SourceNotebook, steps, banner=None):
    """The autograded notebook: course cells, the student's answers, outputs."""
    nb = nbformat.v4.new_notebook(metadata=copy.deepcopy(source.metadata))
    if banner:
        nb.cells.append(nbformat.v4.new_markdown_cell(clean_text(banner)))
    for step in steps:
        meta = copy.deepcopy(step.metadata)
        text = clean_text(step.source)
        if step.cell_type == "code":
            cell = nbformat.v4.new_code_cell(text, metadata=meta)
            cell.outputs = [nbformat.from_dict(clean(o)) for o in step.outputs]
        elif step.cell_type == "raw":
            cell = nbformat.v4.new_raw_cell(text, metadata=meta)
        else:
            cell = nbformat.v4.new_markdown_cell(text, metadata=meta)
        nb.cells.append(cell)
    return nb


def unreadable_steps(source: SourceNotebook, reason):
    """The graded notebook's steps for a submission that could not be read."""
    steps = []
    for src in source.cells:
        kind = {"solution": "student", "answer": "answer"}.get(src.kind, src.kind)
        text = src.released
        step = Step(kind, src.cell_type, text, src.metadata, src.grade_id)
        if src.kind == "test":
            step.outputs = [error_output("NotGraded", reason)]
        steps.append(step)
    return steps
