"""Accessibility of the built site: axe-core in a real browser, on every page.

axe-core (Deque's rules engine, from npm, pinned in tests/node/package.json and
installed by .ci/node-tools) is injected by Playwright into every page of the
table of contents, at a desktop and a phone width, and checks WCAG 2.0 and 2.1,
levels A and AA. Every rule runs on the light theme; the colour-contrast rule
runs again on the dark theme. A violation whose impact is serious or critical
fails the page.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
from pathlib import Path

import pytest

from browser import chromium, serving
from helpers import ROOT
from test_site import DESKTOP, PAGES, PHONE, _QuietHandler, open_page

NODE = ROOT / "tests" / "node"
AXE = NODE / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FAILING = ("serious", "critical")
WIDTHS = {"desktop": DESKTOP, "phone": PHONE}
# Each scan: (theme, width, the rules it runs: None for every WCAG A/AA rule).
SCANS = [(theme, width) for theme in ("light", "dark") for width in WIDTHS]
CONTRAST_ONLY = {"dark"}

RUN_AXE = """([tags, rules]) => axe.run(document, rules
    ? {runOnly: {type: 'rule', values: rules}}
    : {runOnly: {type: 'tag', values: tags}})
  .then(r => r.violations.map(v => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)})))"""

FIGURE_ALTS = """() => [...document.querySelectorAll('article figure img')]
    .map(i => i.getAttribute('alt'))"""


def axe_source():
    """axe-core's script; skips (fails under CI) when it has not been installed."""
    if not AXE.is_file():
        if os.environ.get("CI"):
            pytest.fail("axe-core is missing: .ci/node-tools should have installed it")
        pytest.skip("axe-core is not installed (bash .ci/node-tools)")
    return AXE.read_text(encoding="utf-8")


def failing(violations):
    """The violations that fail a page: serious or critical ones."""
    return [v for v in violations if v["impact"] in FAILING]


def scan(context, url, script, rules=None):
    """axe's violations on the page at `url`, once it has loaded."""
    page, errors, _ = open_page(context, url)
    try:
        page.add_script_tag(content=script)
        return (
            page.evaluate(RUN_AXE, [WCAG_AA, rules]),
            page.evaluate(FIGURE_ALTS),
            page.evaluate("document.documentElement.dataset.theme"),
        )
    finally:
        page.close()


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def reports(built_book, browser):
    """{(theme, width): {page: (violations, figure alt texts, data-theme)}}."""
    script = axe_source()
    handler = functools.partial(_QuietHandler, directory=str(built_book))
    found = {}
    with serving(handler) as site:
        for theme, width in SCANS:
            context = browser.new_context(
                viewport=WIDTHS[width], color_scheme=theme, reduced_motion="reduce"
            )
            rules = ["color-contrast"] if theme in CONTRAST_ONLY else None
            found[theme, width] = {
                doc: scan(context, f"{site}/{doc}.html", script, rules) for doc in PAGES
            }
            context.close()
    return found


def test_axe_is_the_pinned_version():
    """Is the axe-core that the tests inject the version that package.json pins?"""
    axe_source()
    pinned = json.loads((NODE / "package.json").read_text())["dependencies"]
    installed = json.loads((AXE.parent / "package.json").read_text())["version"]
    assert installed == pinned["axe-core"]


def test_axe_finds_what_it_should(browser):
    """Does the check fail a page with a nameless button, an image without alt
    text and grey text on white, on either theme (so that a clean site means
    something)?"""
    script = axe_source()
    bad = (
        "<!doctype html><html lang='en'><head><title>t</title></head><body><main>"
        "<button><svg width='9' height='9'></svg></button>"
        "<img src='data:image/gif;base64,R0lGODlhAQABAAAAACw='>"
        "<p style='color:#bbb;background:#fff'>faint text</p></main></body></html>"
    )
    for theme in ("light", "dark"):
        context = browser.new_context(color_scheme=theme)
        page = context.new_page()
        page.set_content(bad)
        page.add_script_tag(content=script)
        found = {v["id"] for v in failing(page.evaluate(RUN_AXE, [WCAG_AA, None]))}
        assert {"button-name", "image-alt", "color-contrast"} <= found
        context.close()


@pytest.mark.parametrize("doc", PAGES)
def test_no_serious_wcag_violation(reports, doc):
    """Does the page pass axe-core's WCAG 2.1 A and AA rules with no serious or
    critical violation, at desktop and phone widths, and its colour contrast on the
    dark theme too?"""
    found = {
        f"{theme} {width}": failing(report[doc][0])
        for (theme, width), report in reports.items()
    }
    assert found == {key: [] for key in found}


def test_dark_scans_ran_on_the_dark_theme(reports):
    """Did the dark-theme scans see the theme's dark colours (data-theme="dark")?"""
    for (theme, _), report in reports.items():
        assert {entry[2] for entry in report.values()} == {theme}


def describes(alt):
    """Whether an image's alt text says something: words, not a file name."""
    words = (alt or "").split()
    return len(words) >= 4 and not any(
        Path(w).suffix in (".png", ".svg", ".jpg") or "_images/" in w for w in words
    )


def test_describes_rejects_file_names():
    """Does the alt-text check reject what myst-nb writes by default (the image's
    path) and an empty or one-word alt, and accept a description?"""
    assert not describes("../_images/ab12.png")
    assert not describes("")
    assert not describes(None)
    assert not describes("figure")
    assert describes("Bar chart of the parameters of three layers, log scale")


@pytest.mark.parametrize("doc", PAGES)
def test_figures_say_what_they_show(reports, doc):
    """Does every figure's image have alt text that describes it, rather than none
    or the image's file name?"""
    alts = reports["light", "desktop"][doc][1]
    assert [a for a in alts if not describes(a)] == []


def extension():
    """The site's Sphinx extension book/_ext/accessible_theme.py, as a module."""
    path = ROOT / "book" / "_ext" / "accessible_theme.py"
    spec = importlib.util.spec_from_file_location("accessible_theme", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sidebar_toggles_are_named_after_their_entry():
    """Does a sidebar toggle (a <summary> holding only an icon) get the name of the
    entry whose sections it opens, and a toggle with text keep its own?"""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(
        '<ul><li><a href="e.html">Exercises</a><details><summary><span '
        'role="presentation"><i></i></span></summary><ul></ul></details></li>'
        "<li><details><summary><p>Practice</p></summary></details></li></ul>",
        "html.parser",
    )
    named, texted = extension()._name_toggles(soup).select("summary")
    assert named["aria-label"] == "Sections of Exercises"
    assert "aria-label" not in texted.attrs


def test_page_body_fixes():
    """Do the citations become list items of their list, and the hidden-code toggles
    lose the name that contradicted their text?"""
    context = {
        "body": '<div role="list" class="citation-list"><div class="citation" '
        'id="id7" role="doc-biblioentry"><p>A.</p></div></div>'
        '<details><summary aria-label="Toggle hidden content"><p>Show code cell '
        "source</p></summary></details>"
    }
    extension().fix_body(None, "p", "page.html", context, None)
    assert '<div class="citation" id="id7" role="listitem">' in context["body"]
    assert "doc-biblioentry" not in context["body"]
    assert "<summary><p>Show code cell source</p>" in context["body"]
