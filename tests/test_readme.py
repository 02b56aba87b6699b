"""The README's statements about the course that can drift from the sources."""

import re

import nbformat

from helpers import ROOT, SOLUTIONS

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_points_table_matches_the_notebooks():
    """Does the README's assignment table list every assignment with its real points?"""
    rows = dict(re.findall(r"^\| `(\d\d-[\w-]+)` \|.*\| (\d+) \|$", README, re.M))
    actual = {}
    for path in sorted(SOLUTIONS.glob("*/*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        cells = [c.metadata.get("nbgrader", {}) for c in nb.cells]
        actual[path.parent.name] = sum(
            m.get("points", 0) for m in cells if m.get("grade")
        )
    assert {k: int(v) for k, v in rows.items()} == actual


def test_two_commands_exist():
    """Do the README's build and test commands name scripts that exist?"""
    for command in ("bash .ci/build-book", "bash .ci/test"):
        assert command in README
        assert (ROOT / command.split()[1]).is_file()
    assert "bash .ci/test" in (ROOT / ".ci" / "run").read_text()
