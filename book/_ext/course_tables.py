"""The book's tables of assignments, from the course's map (autograder.manifest).

A page asks for one with a directive block on its own lines,

    ```{course-table} intro
    ```

which this extension replaces, before the page is parsed, by the table of
that kind: "intro" (chapter, exercise, what you implement), "exercises"
(assignment, chapter, what you write) or "browser" (the JupyterLite links).
Without this extension the block is an unknown directive, which fails the
strict build: a table cannot silently go missing.
"""

import re
from pathlib import Path

import yaml

from autograder.manifest import ASSIGNMENTS, BY_NAME, READING

BLOCK = re.compile(r"^```\{course-table\} (\w+)\n```$", re.MULTILINE)
LITE = "../lite/notebooks/index.html?path={name}/{notebook}"


def _exercise(a):
    return f"{{doc}}`{a.name} <../{a.doc}>`"


def _chapter(a):
    return f"{{ref}}`chap-{a.chapter}`"


def reading_order():
    """The chapters' names (the numbered parts of _toc.yml), in reading order."""
    toc = yaml.safe_load((Path(__file__).parents[2] / "_toc.yml").read_text())
    numbered = [part for part in toc["parts"] if part.get("numbered")]
    return [c["file"].removeprefix("book/") for p in numbered for c in p["chapters"]]


def intro_table():
    order = reading_order()
    rows = [(a.chapter, _exercise(a), a.writes) for a in ASSIGNMENTS]
    rows += [(c, _exercise(BY_NAME[name]), what) for c, name, what in READING]
    rows.sort(key=lambda row: order.index(row[0]))
    head = ["| chapter | exercise | what you implement |", "|---|---|---|"]
    body = [f"| {{ref}}`chap-{c}` | {e} | {w} |" for c, e, w in rows]
    return "\n".join(head + body)


def exercises_table():
    rows = ["| assignment | chapter | what you write |", "|---|---|---|"]
    rows += [f"| {_exercise(a)} | {_chapter(a)} | {a.writes} |" for a in ASSIGNMENTS]
    return "\n".join(rows)


def browser_table():
    rows = [
        '<table class="table" id="lite-exercises">',
        "<thead><tr><th>exercise</th><th>in the browser</th></tr></thead>",
        "<tbody>",
    ]
    for a in ASSIGNMENTS:
        href = LITE.format(name=a.name, notebook=a.notebook)
        rows.append(
            f'<tr><td>{a.name}</td><td><a class="lite-link" href="{href}">'
            "Try it in your browser</a></td></tr>"
        )
    rows += ["</tbody>", "</table>"]
    return "\n".join(rows)


TABLES = {"intro": intro_table, "exercises": exercises_table, "browser": browser_table}


def fill(text):
    """`text` with every course-table block replaced by its table."""
    return BLOCK.sub(lambda m: TABLES[m.group(1)](), text)


def fill_tables(app, docname, source):
    source[0] = fill(source[0])


def pages_with_tables(app, env, added, changed, removed):
    """Re-read, on every build, the few pages that hold a table: their text
    does not change when the map or the order of chapters does."""
    pages = []
    for path in Path(app.srcdir, "book").glob("*.md"):
        if BLOCK.search(path.read_text(encoding="utf-8")):
            pages.append(f"book/{path.stem}")
    return [page for page in pages if page in env.found_docs]


def setup(app):
    app.connect("source-read", fill_tables)
    app.connect("env-get-outdated", pages_with_tables)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
