"""`collect` keeps students apart and keeps what the LMS says about them.

Each case runs the real `python -m autograder collect` on an LMS zip or
folder and checks where every file went, what was reported, and the exit
status.
"""

import nbformat
import pytest

from grader_support import (
    A1,
    NB1,
    cli,
    course_folder,
    make_zip,
    submission,
)


def notebook_bytes(marker=""):
    nb = submission(A1, NB1)
    nb.metadata["marker"] = marker
    return nbformat.writes(nb).encode()


@pytest.fixture
def course(tmp_path):
    return course_folder(tmp_path)


def placed(course, student):
    path = course.submission_dir(student, A1) / NB1
    return nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)


def collect(course, source):
    proc = cli(course.root, "collect", A1, str(source))
    return proc.returncode, proc.stdout + proc.stderr


def test_two_moodle_students_with_one_name_stay_two_students(course, tmp_path):
    """Are two Moodle "John Smith"s with different participant ids two students?"""
    source = make_zip(
        tmp_path / "moodle.zip",
        {
            "John Smith_1001_assignsubmission_file_/output-size.ipynb": notebook_bytes(
                "first"
            ),
            "John Smith_2002_assignsubmission_file_/output-size.ipynb": notebook_bytes(
                "second"
            ),
        },
    )
    status, out = collect(course, source)
    assert status == 0, out
    assert placed(course, "John Smith_1001").metadata["marker"] == "first"
    assert placed(course, "John Smith_2002").metadata["marker"] == "second"
    assert "earlier" not in out


def test_two_canvas_students_with_one_name_stay_two_students(course, tmp_path):
    """Are two Canvas `smithjohn`s with different user ids two students?"""
    source = make_zip(
        tmp_path / "canvas.zip",
        {
            "smithjohn_111_9001_output-size.ipynb": notebook_bytes("first"),
            "smithjohn_222_9002_output-size.ipynb": notebook_bytes("second"),
        },
    )
    status, out = collect(course, source)
    assert status == 0, out
    assert placed(course, "smithjohn_111").metadata["marker"] == "first"
    assert placed(course, "smithjohn_222").metadata["marker"] == "second"


def test_a_real_collision_names_both_files_and_fails(course, tmp_path):
    """Is the same student and notebook twice (no resubmission) an error that
    names both files, with nothing placed for that notebook?"""
    one = "smithjohn_111_9001_output-size.ipynb"
    two = "smithjohn_111_9002_output-size.ipynb"
    source = make_zip(
        tmp_path / "canvas.zip",
        {
            one: notebook_bytes("first"),
            two: notebook_bytes("second"),
            "doejane_333_9003_output-size.ipynb": notebook_bytes("jane"),
        },
    )
    status, out = collect(course, source)
    assert status == 1
    collisions = [line for line in out.splitlines() if "collision:" in line]
    assert collisions and all(one in line and two in line for line in collisions)
    assert not (course.submission_dir("smithjohn_111", A1) / NB1).exists()
    assert placed(course, "doejane_333").metadata["marker"] == "jane"


def test_unicode_twins_in_a_folder_are_a_collision(course, tmp_path):
    """Do two folders whose names differ only in Unicode normalisation give an
    error naming both, instead of one student silently replacing the other?"""
    source = tmp_path / "handed-in"
    for form, marker in (("José", "nfc"), ("Jose\u0301", "nfd")):
        (source / form).mkdir(parents=True)
        (source / form / NB1).write_bytes(notebook_bytes(marker))
    status, out = collect(course, source)
    assert status == 1
    assert "collision:" in out
    assert "José/output-size.ipynb" in out and "Jose\u0301/output-size.ipynb" in out


def test_a_hidden_entry_is_listed_as_unplaced(course, tmp_path):
    """Is a file whose name starts with "." listed as unplaced, not dropped?"""
    source = make_zip(
        tmp_path / "lms.zip",
        {
            "doejane_1_2_output-size.ipynb": notebook_bytes(),
            ".smithjohn_3_4_output-size.ipynb": notebook_bytes(),
            "__MACOSX/._doejane_1_2_output-size.ipynb": b"clutter",
        },
    )
    status, out = collect(course, source)
    assert status == 1
    assert ".smithjohn_3_4_output-size.ipynb: hidden file" in out
    assert "__MACOSX" not in out


def test_canvas_late_marker_is_kept_and_exported(course, tmp_path):
    """Is Canvas's LATE_ marker kept and shown as late in the grades CSV, and
    does a `timestamp.txt` in the student's folder set nothing?"""
    import csv

    source = make_zip(
        tmp_path / "canvas.zip",
        {
            "doejane_LATE_333_9003_output-size.ipynb": notebook_bytes(),
            "roejohn_444_9004_output-size.ipynb": notebook_bytes(),
            "roejohn_444_9004_timestamp.txt": b"2000-01-01 00:00:00",
        },
    )
    status, out = collect(course, source)
    assert status == 0, out
    assert "doejane_333: marked late by canvas" in out
    assert cli(course.root, "release", A1).returncode == 0
    proc = cli(course.root, "export", "--to", "grades.csv")
    assert proc.returncode == 0, proc.stderr
    with open(course.root / "grades.csv", newline="", encoding="utf-8") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f)}
    assert rows["doejane_333"]["late"] == "yes"
    assert rows["roejohn_444"]["late"] == ""
    assert not rows["roejohn_444"]["timestamp"].startswith("2000")


def test_a_non_utf8_file_name_is_reported_not_placed(course, tmp_path):
    """Is a file whose name is not UTF-8 listed as unplaced, the others placed?"""
    import os

    source = tmp_path / "handed-in"
    (source / "alice").mkdir(parents=True)
    (source / "alice" / NB1).write_bytes(notebook_bytes("alice"))
    os.makedirs(os.fsencode(source / "bob"))
    with open(os.fsencode(source / "bob") + b"/data-\xff.bin", "wb") as f:
        f.write(b"x")
    status, out = collect(course, source)
    assert status == 1
    assert "not UTF-8" in out and "data-\\xff.bin" in out
    assert placed(course, "alice").metadata["marker"] == "alice"
