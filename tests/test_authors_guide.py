"""The author's guide (docs/authors.md) against the repository it describes."""

from __future__ import annotations

import re

import pytest
import yaml

from autograder.manifest import BY_NAME
from helpers import EXERCISES, ROOT, SOLUTIONS

GUIDE = (ROOT / "docs" / "authors.md").read_text(encoding="utf-8")
README = (ROOT / "README.md").read_text(encoding="utf-8")
ASSIGNMENTS = sorted(p.name for p in SOLUTIONS.iterdir() if p.is_dir())
# A path in the repository, as the guide quotes it: `book/_static/logo.svg`.
PATH = re.compile(
    r"`((?:\.github|\.ci|book|docs|tests|autograder|solutions|exercises)"
    r"/[\w./<>-]*|[\w-]+\.(?:yml|py|toml|md)|LICENSE(?:-CONTENT)?)`"
)


def section(title):
    """The text of the guide's section whose heading contains `title`."""
    match = re.search(
        rf"^## .*{re.escape(title)}.*\n([\s\S]*?)(?=^## |\Z)", GUIDE, re.M
    )
    assert match, title
    return match.group(1)


def test_readme_links_the_guide():
    """Does the README link the author's guide?"""
    assert "(docs/authors.md)" in README


def test_every_file_the_guide_names_exists():
    """Does every repository path that the guide quotes exist (placeholders such as
    <name> and NN-name aside)?"""
    paths = {m for m in PATH.findall(GUIDE) if "<" not in m and "NN" not in m}
    assert len(paths) > 20
    missing = sorted(p for p in paths if not (ROOT / p).exists())
    assert missing == []


def tables():
    """The files still written by hand that list every assignment, as step 6 of
    *Add an assignment* names them."""
    step = section("Add an assignment").split("6. **What is still written by hand**", 1)
    step = step[1].split("\n7. ", 1)[0]
    return re.findall(r"^\s+- `([^`]+)`", step, re.M)


def test_the_guide_names_the_hand_written_tables_and_the_map():
    """Does the guide name the map the generated tables come from, and the places
    still written by hand: the table of contents and the README?"""
    assert set(tables()) >= {"_toc.yml", "README.md"}
    assert "`autograder/manifest.py`" in section("Add an assignment")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_assignment_is_in_every_place_the_guide_names(assignment):
    """Is each assignment in every hand-written table the guide lists and in the
    course map, released, with its stored PyTorch answers, so that the guide's list
    is the list an author must follow?"""
    missing = [t for t in tables() if assignment not in (ROOT / t).read_text()]
    assert missing == []
    assert assignment in BY_NAME
    assert (EXERCISES / assignment).is_dir()
    precomputed = ROOT / "autograder" / "offline" / "precomputed"
    assert (precomputed / f"{assignment}.json").is_file()


def test_config_settings_the_guide_names_exist():
    """Are the settings that the guide tells an author to change in _config.yml and
    nbgrader_config.py there?"""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    for key in ("title", "author", "copyright", "logo"):
        assert f"`{key}:`" in GUIDE and config[key]
    assert (ROOT / config["logo"]).is_file()
    assert config["repository"]["url"] in GUIDE
    assert "c.CourseDirectory.course_id" in GUIDE
    assert "c.CourseDirectory.course_id" in (ROOT / "nbgrader_config.py").read_text()
