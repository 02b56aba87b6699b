"""The class's mistakes, through the real grading and report commands.

A class in which each student makes one known mistake (the mistakes of the
one-mistake grading tests of 02-output-size and 03-conv2d, each student named
after its mistake's key) is graded with `python -m autograder grade`; the
report must count, per mistake, exactly the students who made it.
"""

from __future__ import annotations

import csv
import re

import pytest
from test_conv2d_grading import STUDENTS as CONV2D_STUDENTS
from test_output_size_grading import CONV1D_MISTAKES, SIZE_MISTAKES, SOURCES

from autograder.checking import diagnose
from autograder.checking import registry as reference
from autograder.engine.class_report import UNDIAGNOSED
from grader_support import cli, make_course, put
from helpers import edited, submission

A1, NB1 = "02-output-size", "output-size.ipynb"
A2, NB2 = "03-conv2d", "conv2d.ipynb"
ANY_OP = [diagnose.ONE_WINDOW_SHORT, diagnose.ONE_WINDOW_LONG, diagnose.CHANNELS_LAST]


def key_of(op, diagnosis):
    """The key of the one known mistake of `op` whose message starts with the
    grading test's `diagnosis` (how those tests name what they expect)."""
    records = [*reference.DIAGNOSES[op], *ANY_OP]
    keys = {d.key for d in records if d.message.startswith(diagnosis)}
    assert len(keys) == 1, (op, diagnosis, keys)
    return keys.pop()


def class_01():
    """{student: (cells, key)}: one mistake each, in one function."""
    students = {}
    for edits, _, diagnosis in SIZE_MISTAKES:
        key = key_of("conv_output_size", diagnosis)
        cell = edited(SOURCES["conv_output_size"], *edits)
        students[f"size_{key}"] = ({"conv_output_size": cell}, key)
    for edits, _, diagnosis in CONV1D_MISTAKES:
        key = key_of("conv1d", diagnosis)
        students[key] = ({"conv1d": edited(SOURCES["conv1d"], *edits)}, key)
    return students


def class_02():
    return {
        key_of("conv2d", diagnosis): (cells, key_of("conv2d", diagnosis))
        for cells, _, diagnosis in CONV2D_STUDENTS.values()
    }


CLASSES = {A1: (NB1, class_01()), A2: (NB2, class_02())}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = make_course(tmp_path_factory.mktemp("class"), assignments=list(CLASSES))
    for assignment, (nb, students) in CLASSES.items():
        put(root, "right", submission(assignment, nb), assignment, nb)
        for student, (cells, _) in students.items():
            put(root, student, submission(assignment, nb, cells), assignment, nb)
        proc = cli(root, "grade", assignment, "--quiet")
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return root


def rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("assignment", sorted(CLASSES))
def test_counts_equal_the_mistakes_submitted(course, assignment):
    """Does the report count, for each mistake, exactly the students who made it?
    (A student whose every failed part another mistake explains as well is
    counted for both, marked ambiguous: never for a mistake alone that it did
    not make.)"""
    proc = cli(course, "report", assignment)
    assert proc.returncode == 0, proc.stderr
    _, students = CLASSES[assignment]
    sure, maybe = {}, {}
    for row in rows(course / "reports" / f"{assignment}-mistakes.csv"):
        assert row["student_id"] != "right", row
        found = sure if row["ambiguous"] == "no" else maybe
        found.setdefault(row["mistake"], set()).add(row["student_id"])
    submitted = {}
    for student, (_, key) in students.items():
        submitted.setdefault(key, set()).add(student)
    for key, who in submitted.items():
        assert sure.get(key, set()) <= who, key
        assert who - sure.get(key, set()) <= maybe.get(key, set()), key
    assert set(sure) - {UNDIAGNOSED} <= set(submitted)


@pytest.mark.parametrize("assignment", sorted(CLASSES))
def test_table_counts_match_the_csv(course, assignment):
    """Does each row of the table (part, mistake) count the CSV's students?"""
    cli(course, "report", assignment)
    counted = {}
    for row in rows(course / "reports" / f"{assignment}-mistakes.csv"):
        key = (row["part"], row["mistake"])
        counted[key] = counted.get(key, 0) + 1
    table = (course / "reports" / f"{assignment}-mistakes.md").read_text()
    shown = {}
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 5 and cells[2].isdigit():
            key = re.match(r"`(\w+)`|(\(no diagnosis\))", cells[1])
            shown[(cells[0], key.group(1) or key.group(2))] = int(cells[2])
    assert shown == counted


@pytest.mark.parametrize("assignment", sorted(CLASSES))
def test_report_files_and_reteach(course, assignment):
    """Are the plot (PNG, SVG), the table and the re-teach list written, the list
    ranked by points lost, each item linked to the book?"""
    proc = cli(course, "report", assignment)
    out = course / "reports"
    png = out / f"{assignment}-mistakes.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / f"{assignment}-mistakes.svg").read_text().lstrip().startswith("<")
    text = (out / f"{assignment}-mistakes.md").read_text()
    assert text in proc.stdout
    items = re.findall(r"^\d+\. `(\w+)`.*?, ([\d.]+) points", text, re.M)
    assert items, text
    points = [float(p) for _, p in items]
    assert points == sorted(points, reverse=True)
    assert "output-size.html#" in text or "conv2d.html#" in text


def test_all_shows_mistakes_that_persist(course):
    """Does `report --all` name the students who made the same mistake in both
    assignments (here, every conv mistake's student is in both classes)?"""
    proc = cli(course, "report", "--all")
    assert proc.returncode == 0, proc.stderr
    both = set(CLASSES[A1][1]) & set(CLASSES[A2][1])
    assert both
    table = (course / "reports" / "all-mistakes.md").read_text()
    for key in both:
        line = next(x for x in table.splitlines() if x.startswith(f"| `{key}`"))
        assert line.rstrip(" |").endswith(key), line
    found = {
        (r["mistake"], r["assignment"], r["student_id"])
        for r in rows(course / "reports" / "all-mistakes.csv")
    }
    for key in both:
        assert {(key, A1, key), (key, A2, key)} <= found


def test_report_without_a_name_or_all_fails(course):
    """Does `report` with neither an assignment nor --all exit non-zero?"""
    assert cli(course, "report").returncode == 2
