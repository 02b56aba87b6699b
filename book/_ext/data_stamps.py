"""Chapters that read a data file run again when that file changes.

The execution cache keys a chapter by its code, and Sphinx re-reads a page when
its text changes: neither notices a new `benchmarks/results/*.json`, so a warm
build (and the Pages workflow, which restores the cache) would show the old
figures. A code cell that reads such a file names it in a comment line of its
own,

    # data: benchmarks/results/conv2d_cpu.json

and this extension, before the page is parsed, appends the file's SHA-256 to
that line (or "missing"): a changed file changes the cell, so the cache runs the
chapter again. It also tells Sphinx that the page depends on the file, so that
the page is read again when the file changes.
"""

import hashlib
import re
from pathlib import Path

MARK = re.compile(r"^(\s*# data: )(\S+)[^\n]*$", re.MULTILINE)


def stamp(root, relative):
    """The marker's text for a data file: its path and its content's hash."""
    path = Path(root, relative)
    digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None
    return f"{relative} (sha256 {digest})" if digest else f"{relative} (missing)"


def stamp_data_lines(app, docname, source):
    root = Path(app.srcdir)

    def replace(match):
        app.env.note_dependency(str(root / match.group(2)))
        return match.group(1) + stamp(root, match.group(2))

    source[0] = MARK.sub(replace, source[0])


def setup(app):
    app.connect("source-read", stamp_data_lines)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
