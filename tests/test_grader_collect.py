"""`collect`: LMS zips and folders into nbgrader's submitted/ layout."""

import hashlib
import unicodedata

import pytest

from autograder.engine.collect import collect
from grader_support import (
    A1,
    NB1,
    cli,
    course_folder,
    make_zip,
    submission,
)


def notebook_bytes(nb=None):
    import nbformat

    return nbformat.writes(nb or submission(A1, NB1)).encode()


@pytest.fixture
def course(tmp_path):
    return course_folder(tmp_path)


def placed(course, student, name=NB1):
    return course.submission_dir(student, A1) / name


def test_canvas_zip(course, tmp_path):
    """Are Canvas names parsed, resubmissions preferred and strays reported?"""
    old, new = notebook_bytes(), notebook_bytes() + b"\n"
    source = make_zip(
        tmp_path / "canvas.zip",
        {
            "doejane_12345_67890_output-size.ipynb": old,
            "roejohn_111_222_output-size.ipynb": old,
            "roejohn_LATE_111_333_output-size-1.ipynb": new,
            "smithann_444_555_Output_Size.ipynb": old,
            "smithann_444_555_scratch.ipynb": old,
            "__MACOSX/._doejane_12345_67890_output-size.ipynb": b"junk",
            "README.txt": b"from the LMS",
        },
    )
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    report = collect(course, A1, source)
    assert placed(course, "doejane_12345").read_bytes() == old
    assert placed(course, "roejohn_111").read_bytes() == new
    assert placed(course, "smithann_444").read_bytes() == old  # Output_Size matches
    assert ("README.txt", "no student name in the path") in report.unplaced
    strays = dict(report.unplaced)
    assert "matches none" in strays["smithann_444_555_scratch.ipynb"]
    assert not report.ok
    assert hashlib.sha256(source.read_bytes()).hexdigest() == digest


def test_moodle_folders_with_unicode_names(course, tmp_path):
    """Are Moodle folders parsed and decomposed Unicode names normalised?"""
    name = unicodedata.normalize("NFD", "José Ñúñez")
    source = make_zip(
        tmp_path / "moodle.zip",
        {f"{name}_98765_assignsubmission_file_/output-size.ipynb": notebook_bytes()},
    )
    report = collect(course, A1, source)
    assert report.ok, report.unplaced
    assert placed(course, "José Ñúñez_98765").exists()
    assert list(report.placed) == ["José Ñúñez_98765"]


def test_folder_per_student_and_renamed_notebook(course, tmp_path):
    """Are student folders used, and a lone notebook with another name renamed?"""
    src = tmp_path / "handed-in"
    (src / "alice" / A1).mkdir(parents=True)
    (src / "alice" / A1 / NB1).write_bytes(notebook_bytes())
    (src / "bob").mkdir()
    (src / "bob" / "Untitled (3).ipynb").write_bytes(notebook_bytes())
    (src / "bob" / "data.csv").write_text("1,2\n")
    report = collect(course, A1, src)
    assert report.ok
    assert placed(course, "alice").exists() and placed(course, "bob").exists()
    assert placed(course, "bob", "data.csv").read_text() == "1,2\n"
    assert ("bob", f"renamed Untitled (3).ipynb to {NB1}") in report.notes
    again = collect(course, A1, src)
    assert {n for files in again.placed.values() for _, n in files} == {"unchanged"}


def test_unusable_paths_are_reported(course, tmp_path):
    """Are unsafe paths and unusable student names reported, not written?"""
    source = make_zip(
        tmp_path / "bad.zip",
        {
            "../../escape_1_2_output-size.ipynb": notebook_bytes(),
            "alice/../../x.ipynb": notebook_bytes(),
            ".hidden/output-size.ipynb": notebook_bytes(),
        },
    )
    report = collect(course, A1, source)
    assert not (course.root.parent / "x.ipynb").exists()
    assert report.unplaced and not report.placed
    assert not (course.root / "submitted" / "..").resolve().joinpath("x.ipynb").exists()


def test_collect_command_exit_status(course, tmp_path):
    """Does `collect` print what it placed and exit 1 when something was left?"""
    source = make_zip(
        tmp_path / "lms.zip",
        {"doejane_1_2_output-size.ipynb": notebook_bytes(), "notes.txt": b"?"},
    )
    proc = cli(course.root, "collect", A1, str(source))
    assert proc.returncode == 1
    assert "1 students placed" in proc.stdout and "notes.txt" in proc.stdout
