"""Feedback pages that teach: each failed part opens with what went wrong.

`TeachFailedParts` (an nbconvert preprocessor that the feedback command adds)
puts a short block at the top of each failed test cell's outputs: the likely
mistake in a line or two, then what was expected and what came, then a link
to the book section that explains the part (sections.py). The full message
stays below it.

`localise` then finishes each page: MathJax is served from a copy next to
the page (so the math renders offline: nbgrader's template loads MathJax 2
from a CDN), the page gets a viewport for phones, and long lines wrap instead
of running off the right edge.
"""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool, Unicode

from ..checking.check import AMBIGUOUS_LINE, MISTAKE_PREFIX

MAX_MESSAGE = 20_000  # characters of a failure message read (it is the grader's)
BLOCK_CLASS = "autograder-diagnosis"
MATHJAX_FOLDER = "mathjax"
# MathJax 3's combined component and the fonts it loads (see book/_ext).
MATHJAX_PARTS = ["tex-chtml.js", "output/chtml"]

CDN_MATHJAX = re.compile(
    r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", re.DOTALL
)
LOCAL_MATHJAX = f"""<script>
window.MathJax = {{
  tex: {{inlineMath: [["$", "$"], ["\\\\(", "\\\\)"]], processEscapes: true}},
  options: {{enableMenu: false, enableAssistiveMml: false}},
  chtml: {{fontURL: "{MATHJAX_FOLDER}/output/chtml/fonts/woff-v2"}}
}};
</script>
<script src="{MATHJAX_FOLDER}/tex-chtml.js" defer></script>"""
PAGE_CSS = """<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
/* Long lines wrap: nothing runs off the right edge, at any width. */
div.output_area pre, div.input_area pre, .autograder-diagnosis {
  white-space: pre-wrap; overflow-wrap: anywhere;
}
div.output_subarea { max-width: 100%; overflow-x: visible; }
/* A formula wider than the column scrolls sideways in its own box. */
mjx-container[display="true"] { display: block; max-width: 100%; overflow-x: auto; }
div.output_area img, div.output_area svg { max-width: 100%; height: auto; }
.autograder-diagnosis {
  font-family: inherit; border-left: 4px solid #d2413a; background: #fdf3f2;
  padding: 0.5em 0.8em; margin: 0.3em 0 0.6em; font-size: 15px; line-height: 1.45;
}
.autograder-diagnosis p { margin: 0 0 0.35em; }
.autograder-diagnosis .got { font-family: monospace; font-size: 13px; }
@media (max-width: 600px) {
  div.prompt { display: none; }
  div.input, div.output_area { display: block; }
  .container, div#notebook-container { padding-left: 4px; padding-right: 4px; }
  div.panel-body { padding: 2px; }
  mjx-container:not([display="true"]) {
    display: inline-block; max-width: 100%; overflow-x: auto; vertical-align: middle;
  }
}
</style>"""


def failure_parts(evalue):
    """(diagnoses, other lines) of a failed check's message (check.Verdict's
    layout: the call, the likely mistakes, then expected and got)."""
    lines = str(evalue)[:MAX_MESSAGE].split("\n")
    mistakes = [x[len(MISTAKE_PREFIX) :] for x in lines if x.startswith(MISTAKE_PREFIX)]
    rest = [
        x.strip()
        for x in lines[1:]
        if x.startswith("  ") and not x.startswith(MISTAKE_PREFIX)
        if x.strip() and x != AMBIGUOUS_LINE
    ]
    return mistakes, rest


def diagnosis_html(grade_id, error, section_url=None, section_title=None):
    """The block that opens a failed part."""
    name = str(error.get("ename", ""))
    value = str(error.get("evalue", ""))[:MAX_MESSAGE]
    if name == "CheckFailed":
        mistakes, rest = failure_parts(value)
    else:
        mistakes, rest = [], [f"{name}: {value.split(chr(10))[0]}"]
    parts = [f'<div class="{BLOCK_CLASS}">']
    if mistakes:
        label = "Likely mistake" if len(mistakes) == 1 else "Likely mistake (one of)"
        shown = "</p><p>or: ".join(html.escape(m) for m in mistakes)
        parts.append(f"<p><strong>{label}:</strong> {shown}</p>")
    elif name == "CheckFailed":
        parts.append("<p><strong>The output differs from PyTorch's.</strong></p>")
    if rest:
        got = "<br>".join(html.escape(x) for x in rest[:3])
        parts.append(f'<p class="got">{got}</p>')
    if section_url:
        title = html.escape(section_title or "the book")
        parts.append(
            f'<p>Read again: <a href="{html.escape(section_url)}">{title}</a></p>'
        )
    parts.append("</div>")
    return "".join(parts)


class TeachFailedParts(Preprocessor):
    """Open each failed test cell's outputs with its diagnosis block."""

    enabled = Bool(True)  # nbconvert's preprocessors are off unless enabled
    book_url = Unicode("", help="the book's address, for links to sections").tag(
        config=True
    )

    def preprocess_cell(self, cell, resources, index):
        from .sections import section_for

        nbg = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type != "code" or not nbg.get("grade") or nbg.get("solution"):
            return cell, resources
        errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
        if not errors:
            return cell, resources
        gid = str(nbg.get("grade_id", ""))
        section = section_for(gid)
        url = section.url(self.book_url) if section and self.book_url else None
        block = diagnosis_html(gid, errors[0], url, section and section.title)
        import nbformat

        out = nbformat.v4.new_output("display_data", data={"text/html": block})
        cell.outputs = [out, *cell.outputs]
        return cell, resources


def localise(page):
    """Serve MathJax from a copy next to `page`, and make it fit any width."""
    import mathjax

    page = Path(page)
    text = page.read_text(encoding="utf-8")
    text = CDN_MATHJAX.sub(lambda _: LOCAL_MATHJAX, text, count=1)
    text = text.replace("</head>", PAGE_CSS + "\n</head>", 1)
    page.write_text(text, encoding="utf-8")
    source = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
    target = page.parent / MATHJAX_FOLDER
    for part in MATHJAX_PARTS:
        src, dst = source / part, target / part
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)


def localise_all(feedback_dir, assignment, students=None):
    """localise() every feedback page of `assignment`; the pages."""
    pages = []
    for folder in sorted(Path(feedback_dir).glob(f"*/{assignment}")):
        if students and folder.parent.name not in students:
            continue
        for page in sorted(folder.glob("*.html")):
            localise(page)
            pages.append(page)
    return pages
