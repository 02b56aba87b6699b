"""One student can neither stop the class nor set their own grade's metadata.

The module fixture grades one class with the real commands (`python -m
autograder grade`, `feedback`, `export`), in which each student hands in
something that used to stop the class, lose a grade or leak the hidden
tests:

- alice: a right answer, beside a file whose name is not UTF-8;
- bob: a right answer, beside a `timestamp.txt` that says 2000-01-01;
- carol: a lone surrogate in a cell's source;
- dave: prints a lone surrogate, and raises an exception whose message holds one;
- frank: a 5,000-digit integer in the notebook's metadata (valid JSON);
- grace and heidi: the same code, whose conv1d reports its first input in a
  visible test, and whose conv_output_size prints its arguments (grace) or
  puts them in an exception in the hidden tests (heidi); grace's Markdown
  holds a script, event handlers and a full-page overlay with a fake score;
- "José" twice, once NFC and once NFD;
- roster entries whose cells start with =, +, - and @.
"""

import csv
import json
import os
import re
import unicodedata
from pathlib import Path

import nbformat
import numpy as np
import pytest
from bs4 import BeautifulSoup

from autograder.engine.course import CourseFolder
from grader_support import (
    A1,
    NB1,
    autograded,
    cli,
    folder,
    make_course,
    outputs_text,
    put,
    scores,
    solution_code,
    submission,
    total,
    with_cell,
)

SURROGATE_CELL = 'print("out " + chr(0xD800))\nraise ValueError("msg " + chr(0xDFFF))\n'

REPORTS_INPUT = """
_conv1d = conv1d


def conv1d(x, weight, *args, **kwargs):
    if np.shape(x) == (2, 3, 10):  # the first random input of a visible test
        raise ValueError("FIRST-INPUT=%r" % float(np.asarray(x)[0, 0, 0]))
    return _conv1d(x, weight, *args, **kwargs)
"""

PRINTS_ARGS = """
_size = conv_output_size


def conv_output_size(*args, **kwargs):
    print("ARGS" + "-SEEN", args, kwargs)
    return _size(*args, **kwargs)
"""

RAISES_ARGS = """
_size = conv_output_size


def conv_output_size(*args, **kwargs):
    if kwargs.get("stride") == 5 or args[2:3] == (5,):  # only hidden tests use 5
        raise ValueError("SECRET" + "-ARGS %r %r" % (args, kwargs))
    return _size(*args, **kwargs)
"""

HOSTILE_MARKDOWN = """# My answer

<script>document.title = "pwned"</script>
<img src="x" onerror="alert(1)">
<div style="position:fixed;top:0;left:0;width:100%;height:100%;z-index:9999">
<h1>Score: 14 / 14</h1></div>
<a href="javascript:alert(2)">click</a>

Text that stays, with *emphasis*.
"""

ROSTER = (
    "id,first_name,last_name,email\n"
    '=1+2,"@SUM(A1)",-2+3,"+cmd"\n'
    "alice,Alice,Liddell,alice@example.org\n"
)


def as_json(nb):
    return json.loads(nbformat.writes(nb))


def with_surrogate_source():
    nb = as_json(submission(A1, NB1))
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "conv_output_size":
            cell["source"] = "# note " + "\ud800" + "\n" + "".join(cell["source"])
    return json.dumps(nb).encode()  # \ud800 as a JSON escape: valid JSON


def with_huge_integer():
    nb = as_json(submission(A1, NB1))
    nb["metadata"]["huge"] = "HUGE"
    return json.dumps(nb).replace('"HUGE"', "9" * 5000).encode()


def reporter(extra_size):
    nb = submission(
        A1,
        NB1,
        {
            "conv1d": solution_code("conv1d") + REPORTS_INPUT,
            "conv_output_size": solution_code("conv_output_size") + extra_size,
        },
    )
    return nb


def grade_class(root):
    right = submission(A1, NB1)
    put(root, "alice", right)
    with open(os.fsencode(folder(root, "alice")) + b"/notes-\xff.txt", "wb") as f:
        f.write(b"a file whose name is not UTF-8")
    put(root, "bob", right)
    (folder(root, "bob") / "timestamp.txt").write_text("2000-01-01 00:00:00.000000")
    put(root, "carol", with_surrogate_source())
    put(root, "dave", with_cell(right, SURROGATE_CELL))
    put(root, "frank", with_huge_integer())
    grace = reporter(PRINTS_ARGS)
    grace.cells.append(nbformat.v4.new_markdown_cell(HOSTILE_MARKDOWN))
    put(root, "grace", grace)
    put(root, "heidi", reporter(RAISES_ARGS))
    put(root, unicodedata.normalize("NFC", "José"), right)
    put(root, unicodedata.normalize("NFD", "José"), right)
    (root / "roster.csv").write_text(ROSTER, encoding="utf-8")
    return cli(root, "grade", A1, "--part-timeout", "5", "--quiet")


def read_csv(root):
    with open(root / "grades.csv", newline="", encoding="utf-8") as f:
        return {r["student_id"]: r for r in csv.DictReader(f)}


def feedback_text(root, student):
    path = root / "feedback" / student / A1 / NB1.replace(".ipynb", ".html")
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = make_course(tmp_path_factory.mktemp("robust") / "course")
    seen = {"grade": grade_class(root)}
    seen["scores"] = scores(root)
    seen["first_inputs"] = {
        s: re.findall(r"FIRST-INPUT=([-0-9.e]+)", outputs_text(autograded(root, s)))
        for s in ("grace", "heidi")
    }
    seen["feedback"] = cli(root, "feedback", A1)
    seen["export"] = cli(root, "export", "--roster", "roster.csv", "--to", "grades.csv")
    seen["csv"] = read_csv(root)
    seen["regrade"] = cli(root, "grade", A1, "--student", "grace", "--force", "--quiet")
    seen["first_inputs_again"] = re.findall(
        r"FIRST-INPUT=([-0-9.e]+)", outputs_text(autograded(root, "grace"))
    )
    return root, seen


def test_a_non_utf8_file_name_stops_nobody(graded):
    """Is everyone graded when one folder holds a file whose name is not UTF-8?"""
    root, seen = graded
    out = seen["grade"].stdout
    assert "Traceback" not in out + seen["grade"].stderr
    for student in ("alice", "bob", "carol", "dave", "frank"):
        assert total(seen["scores"][student]) == 10, (student, out)
    log = (root / "autograded" / ".grader" / "log.jsonl").read_text(encoding="utf-8")
    alice = [json.loads(line) for line in log.splitlines() if '"alice"' in line]
    assert any("notes-\\xff.txt (name not UTF-8)" in w for w in alice[-1]["warnings"])


@pytest.mark.parametrize("student", ["carol", "dave", "frank"])
def test_surrogates_and_huge_integers_are_graded(graded, student):
    """Is a lone surrogate (source, output, exception) or a 5,000-digit integer
    in the metadata graded like any submission, not an error?"""
    _, seen = graded
    row = seen["csv"][student]
    assert (row["status"], float(row["score"])) == ("graded", 10.0), row
    assert row["needs_manual_grading"] == ""


def test_surrogates_reach_the_autograded_notebook_as_replacement_characters(graded):
    """Does what dave printed and raised reach his notebook, as U+FFFD?"""
    root, _ = graded
    text = outputs_text(autograded(root, "dave"))
    assert "out \ufffd" in text and "msg \ufffd" in text


def test_unicode_twins_are_an_error_naming_both(graded):
    """Do NFC and NFD "José" give an error that names both folders, not one row?"""
    _, seen = graded
    out = seen["grade"].stdout
    assert seen["grade"].returncode == 1
    line = next(line for line in out.splitlines() if "Unicode-normalised" in line)
    assert "NFC" in line and "NFD" in line
    row = seen["csv"][unicodedata.normalize("NFC", "José")]
    assert row["status"] == "error" and row["needs_manual_grading"] == "yes"
    assert "NFD" in row["reason"]
    assert unicodedata.normalize("NFD", "José") not in seen["csv"]


def test_timestamp_file_in_the_folder_sets_nothing(graded):
    """Does a timestamp.txt beside the notebook leave the gradebook's time alone?"""
    root, _ = graded
    with CourseFolder(root).gradebook() as gb:
        when = gb.find_submission(A1, "bob").timestamp
    assert when is None or when.year > 2000
    assert not seen_file(root / "autograded" / "bob" / A1 / "timestamp.txt")


def seen_file(path):
    return Path(path).exists()


def test_visible_inputs_are_the_notebooks_for_everyone(graded):
    """Do the visible tests draw, in grading, exactly the inputs that the student's
    notebook drew (so feedback shows what the student saw), for every student?"""
    _, seen = graded
    grace, heidi = seen["first_inputs"]["grace"], seen["first_inputs"]["heidi"]
    assert grace and heidi
    fixed = np.random.default_rng(0).normal(size=(2, 3, 10))[0, 0, 0]
    assert float(grace[0]) == pytest.approx(fixed)
    assert float(heidi[0]) == pytest.approx(fixed)
    assert seen["regrade"].returncode == 0, seen["regrade"].stdout
    assert seen["first_inputs_again"][0] == grace[0]


KEYED_CELL = """\
\"\"\"A test cell: a visible draw, then hidden ones.\"\"\"
import numpy as np
visible = np.random.default_rng(7).normal()
### BEGIN HIDDEN TESTS
hidden = np.random.default_rng(7).normal()
hidden_list_seed = np.random.default_rng([7, 1]).normal()
### END HIDDEN TESTS
after = np.random.default_rng(7).normal()
"""


def _draws(key):
    """The values the cell above draws in the grader's namespace for a key."""
    from types import SimpleNamespace

    from autograder.engine.runner import CompiledNotebook, compile_test

    cell = SimpleNamespace(source=KEYED_CELL, grade_id="keyed", points=1)
    test = compile_test(cell)
    course = CompiledNotebook(source=None, program=[("test", test)])
    ns = course.namespace(key)
    exec(test.body, ns)
    return {k: ns[k] for k in ("visible", "hidden", "hidden_list_seed", "after")}


def test_hidden_draws_are_keyed_per_student_and_visible_draws_are_not():
    """Do hidden-test draws differ between students, stay the same for one
    student, and differ from the fixed seed, while visible draws do not change?"""
    from autograder.engine.hidden import course_secret, student_key

    secret = b"course secret"
    assert course_secret  # the module's own entry point exists
    a1, a2 = _draws(student_key(secret, "ann")), _draws(student_key(secret, "ann"))
    b = _draws(student_key(secret, "ben"))
    plain = np.random.default_rng(7).normal()
    assert a1 == a2
    for draws in (a1, b):
        assert draws["visible"] == plain and draws["after"] == plain
        assert draws["hidden"] != plain
    assert a1["hidden"] != b["hidden"]
    assert a1["hidden_list_seed"] != b["hidden_list_seed"]
    assert _draws(student_key(b"another secret", "ann"))["hidden"] != a1["hidden"]


def test_feedback_hides_output_and_messages_from_hidden_tests(graded):
    """Does feedback leave out what the code printed or raised in hidden tests?"""
    root, seen = graded
    assert seen["feedback"].returncode == 0, seen["feedback"].stderr
    grace, heidi = feedback_text(root, "grace"), feedback_text(root, "heidi")
    assert "ARGS-SEEN" not in grace
    assert "output from hidden tests is hidden" in grace
    assert "SECRET-ARGS" not in heidi
    assert "raised ValueError in the hidden tests" in heidi
    assert "FIRST-INPUT=" in grace  # a visible test's message is still shown


def test_feedback_sanitises_student_markdown(graded):
    """Is a student's script, event handler or page overlay removed from feedback?"""
    root, _ = graded
    page = BeautifulSoup(feedback_text(root, "grace"), "html.parser")
    student = [
        div
        for div in page.find_all("div", class_="student-markdown")
        if "My answer" in div.get_text()
    ]
    assert student, "the student's Markdown is missing from the feedback"
    block = student[0]
    assert "Text that stays" in block.get_text()
    assert not block.find_all("script")
    for tag in block.find_all(True):
        assert not [a for a in tag.attrs if a.startswith("on") or a == "style"], tag
        assert not tag.get("href", "").startswith("javascript")
    assert "document.title" not in str(page.find_all("script"))
    assert "position" not in str(block)  # the overlay's style is gone


def test_csv_cells_cannot_become_formulas(graded):
    """Are ids and text cells starting with =, +, - or @ escaped in the CSV?"""
    _, seen = graded
    assert seen["export"].returncode == 0, seen["export"].stderr
    rows = seen["csv"]
    assert "=1+2" not in rows
    row = rows["'=1+2"]
    assert (row["first_name"], row["last_name"], row["email"]) == (
        "'@SUM(A1)",
        "'-2+3",
        "'+cmd",
    )
    assert row["status"] == "missing"
    assert float(rows["alice"]["score"]) == 10  # numbers stay numbers
    for row in rows.values():
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), row


CRASH = """
import os
import autograder.engine.runner as runner

_real = runner.grade_notebook


def grade_notebook(course, path, *args, **kwargs):
    if os.environ.get("CRASH_STUDENT") in str(path).split(os.sep):
        raise RuntimeError("the grader crashed on this submission")
    return _real(course, path, *args, **kwargs)


runner.grade_notebook = grade_notebook
"""


def test_a_crash_on_a_resubmission_replaces_the_old_score(tmp_path):
    """When the grader crashes on a resubmission, is the old score replaced by an
    error with the reason, flagged for manual grading, instead of kept as graded?"""
    root = make_course(tmp_path / "course")
    put(root, "alice", submission(A1, NB1))
    put(root, "bob", submission(A1, NB1))
    first = cli(root, "grade", A1, "--part-timeout", "5", "--quiet")
    assert first.returncode == 0, first.stdout + first.stderr
    put(root, "alice", with_cell(submission(A1, NB1), "x = 1"))  # resubmitted
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(CRASH)
    path = os.pathsep.join([str(hook), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path, "CRASH_STUDENT": "alice"}
    second = cli(root, "grade", A1, "--part-timeout", "5", "--quiet", env=env)
    assert second.returncode == 1
    assert "alice: grader error" in second.stdout
    export = cli(root, "export", "--to", "grades.csv")
    assert export.returncode == 0, export.stderr
    rows = read_csv(root)
    assert rows["alice"]["status"] == "error"
    assert float(rows["alice"]["score"]) == 0
    assert rows["alice"]["needs_manual_grading"] == "yes"
    assert "the grader crashed on this submission" in rows["alice"]["reason"]
    assert (rows["bob"]["status"], float(rows["bob"]["score"])) == ("graded", 10)
    assert not (root / "autograded" / "alice" / A1).exists()
