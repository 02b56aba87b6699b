"""`python -m autograder check NOTEBOOK`: a student's check before handing in.

Runs the notebook top to bottom in a fresh kernel (as `nbgrader validate`
does), then prints one line per part (test cell): `ok`, or what failed, the
diagnosis first. The exit status is 0 only when every part passes; the
grader runs more cases than the notebook shows.
"""

from __future__ import annotations

import shutil
import sys
import textwrap
from pathlib import Path

import nbformat

from ..checking.check import MISTAKE_PREFIX
from .notebook import MAX_NOTEBOOK_BYTES


def _grade_cells(nb):
    for cell in nb.cells:
        nbg = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type == "code" and nbg.get("grade") and not nbg.get("solution"):
            yield nbg.get("grade_id") or "?", float(nbg.get("points") or 0), cell


def part_lines(nb):
    """[(grade_id, passed, text)] for the executed notebook's test cells."""
    found = []
    for gid, points, cell in _grade_cells(nb):
        errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
        if errors:
            found.append((gid, False, _failure(errors[0])))
            continue
        score = _returned_score(cell)
        if score is not None and score < points:
            found.append((gid, False, f"partial credit: {score:g} of {points:g}"))
        else:
            found.append((gid, True, "ok"))
    return found


def _failure(error):
    """What failed: a failed check's diagnoses (check.Verdict's lines that
    start with MISTAKE_PREFIX), else its first line on the output, else the
    exception."""
    name, value = str(error.get("ename", "")), str(error.get("evalue", ""))
    if name == "CheckFailed":
        lines = value.split("\n")
        found = [
            x[len(MISTAKE_PREFIX) :] for x in lines if x.startswith(MISTAKE_PREFIX)
        ]
        if found:
            return " | or: ".join(found)
        return " ".join(x.strip() for x in lines[1:2]) or value
    if name == "NotImplementedError":
        return "not done yet (NotImplementedError)"
    first = value.strip().split("\n")[0]
    return f"{name}: {first}"


def _returned_score(cell):
    for out in cell.get("outputs", []):
        if out.output_type == "execute_result":
            text = out.get("data", {}).get("text/plain", "")
            try:
                return float(text)
            except ValueError:
                return None
    return None


def run(path, timeout=120.0):
    """The notebook at `path`, executed in a fresh kernel in its folder."""
    from nbclient import NotebookClient

    path = Path(path)
    size = path.stat().st_size
    if size > MAX_NOTEBOOK_BYTES:
        raise ValueError(f"{path.name} is too large ({size / 2**20:.0f} MiB)")
    text = path.read_bytes().decode("utf-8", errors="replace")
    nb = nbformat.reads(text, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        allow_errors=True,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent.resolve())}},
    )
    client.execute()
    return nb


def main(notebook, timeout=120.0, out=sys.stdout):
    try:
        nb = run(notebook, timeout)
    except (OSError, ValueError, nbformat.reader.NotJSONError) as err:
        print(f"error: cannot run {notebook}: {err}", file=sys.stderr)
        return 2
    lines = part_lines(nb)
    width = max(60, shutil.get_terminal_size((100, 24)).columns)
    name_width = max((len(gid) for gid, _, _ in lines), default=0)
    for gid, passed, text in lines:
        head = f"{'ok  ' if passed else 'FAIL'} {gid:<{name_width}}  "
        print(
            textwrap.fill(
                text,
                width,
                initial_indent=head,
                subsequent_indent=" " * len(head),
                break_on_hyphens=False,
            ),
            file=out,
        )
    failed = sum(not passed for _, passed, _ in lines)
    print(
        f"{len(lines) - failed} of {len(lines)} parts pass"
        + ("" if not failed else "; the grader runs more cases than these"),
        file=out,
    )
    return 1 if failed or not lines else 0
