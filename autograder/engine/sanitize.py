"""Markdown from a submission, made safe to show in feedback HTML.

A student's Markdown cell is rendered into the feedback page, which the
student (and the instructor) open in a browser. Markdown allows raw HTML,
so without care a submission could put a `<script>`, an `onerror=` handler
or a full-page `position:fixed` overlay (a fake "14 / 14") into it. Every
Markdown cell of an autograded notebook is rendered here, cleaned with
bleach to an allow-list of tags and attributes (no scripts, no event
handlers, no style or class attributes, links to http, https and mailto
only), and handed to nbgrader's feedback template as one HTML block that
its Markdown renderer passes through unchanged.
"""

from __future__ import annotations

import bleach
from nbconvert.filters.markdown_mistune import markdown2html_mistune
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl",
    "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd",
    "li", "ol", "p", "pre", "s", "span", "strong", "sub", "sup", "table",
    "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ATTRIBUTES = {
    "a": ["href", "title"],
    "img": ["src", "alt", "title", "width", "height"],
    "td": ["align", "colspan", "rowspan"],
    "th": ["align", "colspan", "rowspan"],
    "ol": ["start"],
}
PROTOCOLS = {"http", "https", "mailto"}


def safe_html(markdown):
    """The Markdown rendered to HTML, cleaned: one line, inside one <div>."""
    html = bleach.clean(
        markdown2html_mistune(markdown),
        tags=TAGS,
        attributes=ATTRIBUTES,
        protocols=PROTOCOLS,
        strip=True,
        strip_comments=True,
    )
    # No blank line may end the HTML block: newlines become character
    # references, which a browser shows as newlines inside <pre>.
    return '<div class="student-markdown">' + html.replace("\n", "&#10;") + "</div>"


class SanitizeMarkdown(Preprocessor):
    """Replace every Markdown cell's source by its cleaned HTML."""

    enabled = Bool(True, help="on unless switched off").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "markdown":
            cell.source = safe_html(cell.source)
            cell.pop("attachments", None)
        return cell, resources
