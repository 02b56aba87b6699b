"""The course's map (autograder.manifest) against the files it names."""

import importlib
import re
import sys

import nbformat
import pytest
import yaml

from autograder.checking import reference
from autograder.manifest import ASSIGNMENTS, BY_NAME, READING
from helpers import EXERCISES, ROOT, SOLUTIONS

sys.path.insert(0, str(ROOT / "book" / "_ext"))
import course_tables  # noqa: E402

IDS = [a.name for a in ASSIGNMENTS]
IMPORT = re.compile(r"^from autograder\.ops\.(\w+) import (.+)$", re.MULTILINE)


@pytest.mark.parametrize("a", ASSIGNMENTS, ids=IDS)
def test_each_entry_names_files_that_exist(a):
    """Has each assignment its notebooks, chapter, ops module and tests?"""
    assert (SOLUTIONS / a.name / a.notebook).is_file()
    assert (EXERCISES / a.name / a.notebook).is_file()
    chapter = (ROOT / "book" / f"{a.chapter}.md").read_text(encoding="utf-8")
    assert f"(chap-{a.chapter})=" in chapter
    assert (ROOT / "autograder/checking/ops" / f"{a.ops}.py").is_file()
    for name in a.tests:
        assert (ROOT / "tests" / name).is_file(), name


@pytest.mark.parametrize("a", ASSIGNMENTS, ids=IDS)
def test_the_ops_module_holds_every_op_the_notebook_checks(a):
    """Does every check(...) of the solution notebook name an op that the
    assignment's ops module registers?"""
    module = importlib.import_module(f"autograder.checking.ops.{a.ops}")
    source = "\n".join(
        c.source
        for c in nbformat.read(SOLUTIONS / a.name / a.notebook, as_version=4).cells
    )
    ops = set(re.findall(r"check\(\s*\w+,\s*\"(\w+)\"", source))
    assert ops, "no check call found"
    for op in ops:
        assert op in reference.REFERENCES, op
        fn = reference.REFERENCES[op]
        assert fn.__module__ == module.__name__, (op, fn.__module__)


@pytest.mark.parametrize("a", ASSIGNMENTS, ids=IDS)
def test_the_notebook_imports_from_ops_only_what_the_map_says(a):
    """Does the released notebook import from autograder.ops exactly the
    names of browser_imports (which the browser's copy then ships)?"""
    nb = nbformat.read(EXERCISES / a.name / a.notebook, as_version=4)
    found = {
        (module, name.strip())
        for cell in nb.cells
        for module, names in IMPORT.findall(cell.source)
        for name in names.split(",")
    }
    assert found == {(a.ops, name) for name in a.browser_imports}


def test_the_practice_part_lists_the_map_in_order():
    """Does _toc.yml's Practice part list the exercise pages in the map's order?"""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    (practice,) = [p for p in toc["parts"] if p["caption"] == "Practice"]
    (exercises,) = [c for c in practice["chapters"] if c["file"] == "book/exercises"]
    assert [s["file"] for s in exercises["sections"]] == [a.doc for a in ASSIGNMENTS]


@pytest.mark.parametrize(
    "page, kind",
    [("intro", "intro"), ("exercises", "exercises"), ("in-browser", "browser")],
)
def test_the_book_pages_take_their_table_from_the_map(page, kind):
    """Does each page ask for its table, and does the table hold one row per
    assignment, in the map's order, linking its exercise page?"""
    text = (ROOT / "book" / f"{page}.md").read_text(encoding="utf-8")
    assert f"```{{course-table}} {kind}\n```" in text
    filled = course_tables.fill(text)
    assert "course-table" not in filled
    # The intro's rows are chapters: a chapter without an assignment of its own
    # names another's, so order by each assignment's own row there.
    link = {
        "intro": "`chap-{a.chapter}` | {{doc}}`{a.name} <../{a.doc}>`",
        "exercises": "{{doc}}`{a.name} <../{a.doc}>`",
        "browser": "path={a.name}/{a.notebook}",
    }[kind]
    where = [filled.index(link.format(a=a)) for a in ASSIGNMENTS]
    assert where == sorted(where)


def test_names_are_unique():
    """Is each assignment in the map once?"""
    assert len(BY_NAME) == len(ASSIGNMENTS)


def test_reading_chapters_exist_and_have_no_assignment():
    """Are the chapters without an assignment real pages, none of them a
    chapter that an assignment already names, each pointing at an assignment
    that its Practise section links?"""
    taught = {a.chapter for a in ASSIGNMENTS}
    for chapter, name, _ in READING:
        text = (ROOT / "book" / f"{chapter}.md").read_text(encoding="utf-8")
        assert f"(chap-{chapter})=" in text
        assert chapter not in taught
        practise = text.partition("\n## Practise\n")[2].partition("\n## ")[0]
        assert f"../{BY_NAME[name].doc}" in practise, chapter


def test_every_chapter_is_in_the_intro_table():
    """Does the intro's table have a row for every chapter of the book, in
    reading order (more than one where a chapter has several assignments)?"""
    order = course_tables.reading_order()
    table = course_tables.intro_table()
    rows = [line.split("`chap-")[1].split("`")[0] for line in table.split("\n")[2:]]
    assert [c for i, c in enumerate(rows) if i == 0 or rows[i - 1] != c] == order


def test_the_tests_command_names_an_assignments_test_files(capsys):
    """Does `python -m autograder tests` print the test files of an assignment or
    of a chapter's assignments, and refuse a name it does not know?"""
    from autograder.engine.cli import main

    for a in ASSIGNMENTS:
        for name in (a.name, a.chapter):
            assert main(["tests", name]) == 0
            files = capsys.readouterr().out.split()
            assert {f"tests/{t}" for t in a.tests} <= set(files)
            assert all((ROOT / f).is_file() for f in files)
    with pytest.raises(SystemExit) as refused:
        main(["tests", "no-such-assignment"])
    assert "02-output-size" in str(refused.value)


def test_assignments_are_numbered_in_reading_order():
    """Does assignment NN come after the chapters of every assignment before it
    (the numbers follow the book), and is the map in that order?"""
    order = course_tables.reading_order()
    numbers = [int(a.name.split("-")[0]) for a in ASSIGNMENTS]
    assert numbers == sorted(numbers)
    places = [order.index(a.chapter) for a in ASSIGNMENTS]
    assert places == sorted(places), [a.name for a in ASSIGNMENTS]


def test_every_chapter_has_a_practise_section():
    """Does each chapter end its teaching with a Practise section that links an
    exercise page?"""
    order = course_tables.reading_order()
    assert "conv-vs-linear" in order and "gpu-networks" in order
    for chapter in order:
        text = (ROOT / "book" / f"{chapter}.md").read_text(encoding="utf-8")
        practise = text.partition("\n## Practise\n")[2].partition("\n## ")[0]
        assert "../exercises/" in practise, f"{chapter}: no Practise with an exercise"
