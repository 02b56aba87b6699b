"""Accessible names and roles where the theme and docutils leave them out.

Checked by axe-core in tests/test_accessibility.py (WCAG 2.1 A and AA):

- The sidebar's expand/collapse toggles are a <summary> holding only a chevron
  icon, so a screen reader announces a nameless control. Each gets the name of
  the entry whose sections it shows.
- The bibliography: docutils wraps the citations in role="list" but gives each
  citation the deprecated role doc-biblioentry, so the list has no list items.
  Each citation becomes a list item.
- MyST-NB's "Show code cell source" toggles are a <summary> named "Toggle hidden
  content", which is not what they show (WCAG 2.5.3, label in name). The name is
  left out, so that the summary's visible text names it.

The search field and the colour-mode button are fixed in book/_templates/, which
replace the theme's templates of the same names.
"""

import functools
import re

CITATION_ROLE = re.compile(r'(<div class="citation"[^>]*?) role="doc-biblioentry"')
HIDDEN_CELL_TOGGLE = '<summary aria-label="Toggle hidden content">'


def _name_toggles(soup):
    for summary in soup.select("li > details > summary"):
        if summary.get("aria-label") or summary.get_text(strip=True):
            continue
        entry = summary.find_parent("li").find("a", recursive=False)
        title = entry.get_text(" ", strip=True) if entry else "this entry"
        summary["aria-label"] = f"Sections of {title}"
    return soup


def name_sidebar_toggles(app, pagename, templatename, context, doctree):
    generate = context.get("generate_toctree_html")
    if generate is None:
        return

    @functools.wraps(generate)
    def named(*args, **kwargs):
        return _name_toggles(generate(*args, **kwargs))

    context["generate_toctree_html"] = named


def fix_body(app, pagename, templatename, context, doctree):
    body = context.get("body")
    if body:
        body = CITATION_ROLE.sub(r'\1 role="listitem"', body)
        context["body"] = body.replace(HIDDEN_CELL_TOGGLE, "<summary>")


def setup(app):
    # After the theme, which adds generate_toctree_html at the default priority.
    app.connect("html-page-context", name_sidebar_toggles, priority=900)
    app.connect("html-page-context", fix_body, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
