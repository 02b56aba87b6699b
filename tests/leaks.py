"""Find solution or hidden-test text in files that students or readers get."""

from __future__ import annotations

import html
import re
from pathlib import Path

import nbformat

MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
_REGION = re.compile(
    r"### BEGIN (SOLUTION|HIDDEN TESTS)\n(.*?)### END (SOLUTION|HIDDEN TESTS)", re.S
)


def secret_lines(source_nb: Path, released_nb: Path, min_length=25):
    """Distinctive lines of a source notebook's solutions and hidden tests.

    Lines that also appear in the released notebook, whole or within a longer
    line (shared boilerplate, a visible test that adds a comment), or that are
    shorter than `min_length` are left out: they prove nothing.
    """
    released = nbformat.read(released_nb, as_version=4)
    public = "\n".join(cell.source for cell in released.cells)
    source = nbformat.read(source_nb, as_version=4)
    secrets = set()
    for cell in source.cells:
        for match in _REGION.finditer(cell.source):
            for line in match.group(2).splitlines():
                line = line.strip()
                if len(line) >= min_length and line not in public:
                    secrets.add(line)
    return secrets


_TAG = re.compile(r"<[^>]+>")


def text_files(root: Path):
    """(path, text) of every text file; HTML as the text a reader sees."""
    suffixes = {".ipynb", ".html", ".js", ".txt", ".md", ".py", ".json"}
    for path in root.rglob("*"):
        if path.is_file() and path.suffix in suffixes:
            text = path.read_text(encoding="utf-8", errors="replace")
            if path.suffix == ".html":
                text = html.unescape(_TAG.sub("", text))
            yield path, text


def find_leaks(root: Path, secrets):
    """(path, what) for every marker or secret line found under root."""
    found = []
    for path, text in text_files(root):
        for marker in MARKERS:
            if marker in text:
                found.append((path, marker))
        for line in secrets:
            if line in text:
                found.append((path, line))
    return found
