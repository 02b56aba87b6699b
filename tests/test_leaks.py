"""Nothing secret reaches students or readers."""

import html

import pytest

from helpers import EXERCISES, SOLUTIONS
from leaks import find_leaks, secret_lines

SOURCES = sorted(SOLUTIONS.glob("*/*.ipynb"))


@pytest.fixture(scope="module")
def secrets():
    lines = set()
    for source in SOURCES:
        released = EXERCISES / source.relative_to(SOLUTIONS)
        lines |= secret_lines(source, released)
    return lines


def test_there_are_secrets_to_look_for(secrets):
    """Does the leak check know solution and hidden-test lines to search for?"""
    assert len(secrets) > 10


def test_no_secret_in_exercises(secrets):
    """Is any solution or hidden-test text in exercises/?"""
    assert find_leaks(EXERCISES, secrets) == []


def test_no_secret_in_the_site(built_book, secrets):
    """Is any solution or hidden-test text in the built site?"""
    assert find_leaks(built_book, secrets) == []


def test_leak_check_finds_a_leak(tmp_path, secrets):
    """Would the leak check notice a solution line copied into a page?"""
    line = sorted(secrets)[0]
    # As a highlighted code block renders it: tokens in spans, text escaped.
    spans = " ".join(f'<span class="n">{html.escape(w)}</span>' for w in line.split())
    (tmp_path / "page.html").write_text(f"<pre>{spans}</pre>")
    assert find_leaks(tmp_path, secrets) == [(tmp_path / "page.html", line)]


def test_site_scan_covers_the_exercise_pages(built_book):
    """Does the site that the leak check scans include every exercise page and the
    notebook that its download button serves?"""
    released = sorted(EXERCISES.glob("*/*.ipynb"))
    assert released
    for notebook in released:
        rel = notebook.relative_to(EXERCISES.parent)
        assert (built_book / rel.with_suffix(".html")).is_file(), rel
        assert (built_book / "_sources" / rel).is_file(), rel
