"""The built site in a real browser (Debian's Chromium driven by Playwright).

Every page of the table of contents is opened once at a desktop width and once
at a phone width; what the tests need is recorded on the way, and a full-page
screenshot of each is saved under _build/screenshots/ (CI keeps them).
"""

from __future__ import annotations

import functools
import html.parser
import http.server
import re
import shutil
import urllib.request
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest
import yaml
from PIL import Image

from browser import chromium, serving
from helpers import EXERCISES, ROOT, SOLUTIONS
from leaks import MARKERS, secret_lines

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
# TeX that MathJax would have replaced, had it typeset the page.
RAW_TEX = ("$$", "\\frac", "\\lfloor", "\\sum", "\\begin{", "\\text{", "\\times")
# Markdown that the page shows as typed instead of rendering it: a table's rule row
# (`|---|:--:|`, or the dashes turned into an em dash by smart quotes) and **bold**.
RAW_MARKDOWN = {
    "table rule": re.compile(r"\|\s*:?(-{3,}|[\u2013\u2014]+):?\s*\|"),
    "bold": re.compile(r"\*\*[^*\s](?:[^*\n]*[^*\s])?\*\*"),
}


def _pages():
    """Every page in the table of contents, as a docname (book/output-size)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())

    def files(entries):
        for entry in entries:
            yield entry["file"]
            yield from files(entry.get("sections", []))

    return [toc["root"]] + [f for part in toc["parts"] for f in files(part["chapters"])]


def _source(page):
    for suffix in (".md", ".ipynb"):
        if (ROOT / page).with_suffix(suffix).exists():
            return (ROOT / page).with_suffix(suffix)
    raise FileNotFoundError(page)


PAGES = _pages()
EXERCISE_PAGES = [p for p in PAGES if p.startswith("exercises/")]
# Pages that are notebooks (MyST markdown with a kernel, or .ipynb): they promise
# a notebook download and launch buttons.
NOTEBOOK_PAGES = EXERCISE_PAGES + [
    p for p in PAGES if "kernelspec:" in _source(p).read_text().split("\n---", 1)[0]
]


def _slug(page):
    return page.replace("/", "-")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site(built_book):
    """The built site served over HTTP on a free local port."""
    with serving(functools.partial(_QuietHandler, directory=str(built_book))) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def screenshots(built_book):
    folder = built_book.parent / "screenshots"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    return folder


def wait_for_mathjax(page):
    page.wait_for_function(
        "() => !window.MathJax || (MathJax.startup && MathJax.startup.promise"
        " && (MathJax.startup.promise.then(() => window.__mj = true), window.__mj))",
        timeout=30_000,
    )


def open_page(context, url):
    """Load a page, recording JavaScript errors and failed requests; await MathJax."""
    page = context.new_page()
    errors, failed = [], []
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    page.on(
        "console", lambda m: m.type == "error" and errors.append(f"console: {m.text}")
    )
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.on(
        "response", lambda r: r.status >= 400 and failed.append(f"{r.status} {r.url}")
    )
    page.goto(url, wait_until="load")
    wait_for_mathjax(page)
    return page, errors, failed


# What a test needs from a loaded page, collected in one pass.
COLLECT = """() => {
  const article = document.querySelector('article');
  const prose = article.cloneNode(true);
  prose.querySelectorAll("pre, code, .highlight, .cell_output")
      .forEach(e => e.remove());
  // What a reader sees as text, outputs included, without code.
  const visible = article.cloneNode(true);
  visible.querySelectorAll("pre, code, .highlight").forEach(e => e.remove());
  const links = (sel) => [...document.querySelectorAll(sel)].map(
      a => ({text: a.innerText.trim(), href: a.href}));
  return {
    title: document.title,
    external: performance.getEntriesByType('resource').map(e => e.name)
        .filter(u => !u.startsWith(location.origin)),
    broken_images: [...document.images]
        .filter(i => !i.complete || i.naturalWidth == 0).map(i => i.src),
    figures: document.querySelectorAll('figure img').length,
    math: document.querySelectorAll('mjx-container').length,
    prose: prose.innerText,
    visible: visible.innerText,
    text: document.body.innerText,
    links: [...document.querySelectorAll('a[href]')].map(a => a.href)
        .filter(h => h.startsWith(location.origin)),
    downloads: links('.dropdown-download-buttons a'),
    neighbours: links('.prev-next-area a'),
    chapter_links: links('article a[href]').filter(
        a => /(previous|next) chapter/i.test(a.text)),
    launch: links('.dropdown-launch-buttons a'),
    outputs: document.querySelectorAll('.cell_output').length,
    wide_math: [...document.querySelectorAll(
        'div.math mjx-container[display="true"], span.math')]
      .filter(m => {  // the typeset formula, not MathJax's hidden copy, is wider
        const shown = m.querySelector('mjx-math');
        return shown && shown.getBoundingClientRect().width > m.clientWidth + 1;
      })
      .map(m => {
        const style = getComputedStyle(m);
        m.scrollLeft = m.scrollWidth;
        const end = m.scrollLeft + m.clientWidth >= m.scrollWidth - 1;
        m.scrollLeft = 0;
        return {math: m.textContent.slice(0, 40), overflow: style.overflowX, end,
                cue: style.backgroundAttachment.includes('local')};
      }),
    overflow: document.documentElement.scrollWidth - window.innerWidth,
  };
}"""


@pytest.fixture(scope="module")
def visits(browser, site, screenshots):
    """{page: {"desktop": record, "phone": record}} for every page of the book."""
    found = {}
    for name, viewport in [("desktop", DESKTOP), ("phone", PHONE)]:
        context = browser.new_context(viewport=viewport)
        for doc in PAGES:
            page, errors, failed = open_page(context, f"{site}/{doc}.html")
            record = page.evaluate(COLLECT)
            record.update(errors=errors, failed=failed)
            page.screenshot(
                path=screenshots / f"{_slug(doc)}-{name}.png", full_page=True
            )
            page.close()
            found.setdefault(doc, {})[name] = record
        context.close()
    return found


@pytest.fixture(scope="module")
def secrets():
    lines = set()
    for source in sorted(SOLUTIONS.glob("*/*.ipynb")):
        lines |= secret_lines(source, EXERCISES / source.relative_to(SOLUTIONS))
    return lines


@pytest.mark.parametrize("doc", PAGES)
def test_page_loads_cleanly(visits, doc):
    """Does the page load with no JavaScript error, no failed request, nothing fetched
    from elsewhere, and every image shown, at desktop and phone widths?"""
    for record in visits[doc].values():
        assert record["title"]
        assert record["errors"] == []
        assert record["failed"] == []
        assert record["external"] == []
        assert record["broken_images"] == []


@pytest.mark.parametrize("doc", PAGES)
def test_math_is_typeset(visits, doc):
    """Is the page's math typeset by MathJax, with no raw TeX left in its prose?"""
    record = visits[doc]["desktop"]
    left = [tex for tex in RAW_TEX if tex in record["prose"]]
    assert left == []
    if "$" in _source(doc).read_text():
        assert record["math"] > 0


def raw_markdown(text):
    """The pieces of `text` that are Markdown syntax left unrendered."""
    return [m.group() for rule in RAW_MARKDOWN.values() for m in rule.finditer(text)]


@pytest.mark.parametrize("doc", PAGES)
def test_wide_math_scrolls_in_its_box(visits, doc):
    """Does an equation wider than the text column (on a phone or a desktop) scroll
    sideways within its own box to its end, with a shadow on the edge that hides
    more of it, rather than being cut off?"""
    for record in visits[doc].values():
        for math in record["wide_math"]:
            assert math["overflow"] in ("auto", "scroll"), math
            assert math["end"] and math["cue"], math


@pytest.mark.parametrize("doc", PAGES)
def test_previous_and_next_chapter_links_lead_there(visits, doc):
    """Does a link that says "the previous chapter" (or "the next chapter") lead to
    the page before (or after) this one in the book's order?"""
    record = visits[doc]["desktop"]
    neighbours = {
        which: [n["href"] for n in record["neighbours"] if which in n["text"].lower()]
        for which in ("previous", "next")
    }
    for link in record["chapter_links"]:
        which = "previous" if "previous" in link["text"].lower() else "next"
        assert [link["href"].split("#")[0]] == neighbours[which], link


def test_raw_markdown_is_detected():
    """Does the check below catch a table and bold text shown as typed, and only
    those?"""
    assert raw_markdown("| a | b |\n|---|---:|\n| 1 | 2 |") == ["|---|"]
    assert raw_markdown("| a | b | |\u2014|\u2014| | 1 |") == ["|\u2014|"]
    assert raw_markdown("a **strong** claim") == ["**strong**"]
    assert raw_markdown("x ** 2 and y ** 3; a | b | c; 2 * 3 * 4") == []


@pytest.mark.parametrize("doc", PAGES)
def test_markdown_is_rendered(visits, doc):
    """Is the page's Markdown rendered, its outputs included: no table shown as rows
    of pipes, no **bold** shown with its asterisks?"""
    for record in visits[doc].values():
        assert raw_markdown(record["visible"]) == []


@pytest.mark.parametrize("doc", PAGES)
def test_page_fits_a_phone(visits, doc):
    """At a phone's width, does the page fit without scrolling sideways?"""
    assert visits[doc]["phone"]["overflow"] <= 1


class _Ids(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids = set()

    def handle_starttag(self, tag, attrs):
        self.ids.update(v for k, v in attrs if k in ("id", "name") and v)


@functools.cache
def _anchors(path: Path):
    parser = _Ids()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.ids


def test_internal_links_resolve(visits, site, built_book):
    """Does every link from one page of the site to another (or to a file) lead to
    something that exists, down to the #anchor on the target page?"""
    links = {h for v in visits.values() for r in v.values() for h in r["links"]}
    assert len(links) > 100
    broken = []
    for link in sorted(links):
        parts = urlsplit(link)
        path = built_book / unquote(parts.path).lstrip("/")
        if path.is_dir():
            path = path / "index.html"
        if not path.is_file():
            broken.append(link)
        elif parts.fragment and path.suffix == ".html":
            if unquote(parts.fragment) not in _anchors(path):
                broken.append(link)
    assert broken == []


# A term that only one chapter uses, and a chapter that does not use it.
SEARCHES = [
    ("Winograd", "book/conv2d", "book/pooling"),
    ("Xception", "book/separable", "book/padding"),
]


@pytest.mark.parametrize("term, chapter, other", SEARCHES)
def test_search_finds_the_chapter(browser, site, visits, term, chapter, other):
    """Does the site's search, given a term that one chapter uses, list that chapter
    (and not a chapter that never uses the term)?"""
    assert term.lower() in visits[chapter]["desktop"]["text"].lower()
    assert term.lower() not in visits[other]["desktop"]["text"].lower()
    page, errors, _ = open_page(browser, f"{site}/search.html?q={term}")
    try:
        page.wait_for_selector("#search-results ul.search li a", timeout=30_000)
        found = page.eval_on_selector_all(
            "#search-results ul.search li a", "els => els.map(a => a.href)"
        )
        assert errors == []
    finally:
        page.close()
    pages = {urlsplit(h).path.lstrip("/").removesuffix(".html") for h in found}
    assert chapter in pages
    assert other not in pages


def _fetch(url):
    with urllib.request.urlopen(url) as response:
        return response.read()


@pytest.mark.parametrize("doc", NOTEBOOK_PAGES)
def test_notebook_download_and_launch_buttons(visits, doc):
    """Does every chapter and exercise page offer its notebook (.ipynb) for download,
    and launch buttons for Binder and Colab?"""
    record = visits[doc]["desktop"]
    ipynb = [d["href"] for d in record["downloads"] if d["text"] == ".ipynb"]
    assert len(ipynb) == 1
    notebook = nbformat.reads(_fetch(ipynb[0]).decode(), as_version=4)
    if doc in EXERCISE_PAGES:
        # The student notebook itself, as committed.
        assert notebook == nbformat.read((ROOT / doc).with_suffix(".ipynb"), 4)
    else:
        # The chapter, executed.
        assert any(c.get("outputs") for c in notebook.cells if c.cell_type == "code")
    launch = {d["text"]: d["href"] for d in record["launch"]}
    assert {"Binder", "Colab"} <= set(launch)
    assert launch["Colab"].endswith(".ipynb")


@pytest.mark.parametrize("doc", EXERCISE_PAGES)
def test_exercise_page_shows_the_student_notebook_unrun(visits, doc):
    """Does an exercise page show the student's notebook, with its code to write,
    without having run it?"""
    record = visits[doc]["desktop"]
    assert record["outputs"] == 0
    assert "YOUR CODE HERE" in record["text"]
    assert "raise NotImplementedError()" in record["text"]


def test_exercises_index_links_every_exercise(visits, site):
    """Does the exercises page link every exercise page and say how to validate and
    submit?"""
    record = visits["book/exercises"]["desktop"]
    for doc in EXERCISE_PAGES:
        assert f"{site}/{doc}.html" in record["links"]
    assert "nbgrader validate" in record["text"]
    assert "Submitting" in record["text"]


@pytest.mark.parametrize("doc", PAGES)
def test_no_solution_or_hidden_test_on_the_page(visits, secrets, doc):
    """Does the page, as the browser shows it, hold no solution or hidden-test text?"""
    assert len(secrets) > 10
    text = visits[doc]["desktop"]["text"]
    found = [m for m in MARKERS if m in text] + [s for s in secrets if s in text]
    assert found == []


def test_every_glossary_term_is_linked_from_the_text(visits, site, built_book):
    """Does every glossary entry have a link to it from the chapters' text?"""
    entries = {
        a
        for a in _anchors(built_book / "book" / "glossary.html")
        if a.startswith("term-")
    }
    assert len(entries) >= 15
    prefix = f"{site}/book/glossary.html#"
    linked = {
        unquote(h.removeprefix(prefix))
        for doc in PAGES
        if doc != "book/glossary"
        for h in visits[doc]["desktop"]["links"]
        if h.startswith(prefix)
    }
    assert entries - linked == set()


def test_figures_are_opaque(built_book):
    """Are the figures drawn on an opaque background, so that they stay legible on
    the dark theme?"""
    pngs = sorted((built_book / "_images").glob("*.png"))
    assert len(pngs) > 20
    transparent = []
    for png in pngs:
        with Image.open(png) as image:
            alpha = image.convert("RGBA").getchannel("A")
            if alpha.getextrema()[0] < 255:
                transparent.append(png.name)
    assert transparent == []


def test_dark_mode_keeps_figures_legible(browser, site, screenshots):
    """On the dark theme, are the figures shown on white at full brightness?"""
    context = browser.new_context(viewport=DESKTOP, color_scheme="dark")
    page, errors, failed = open_page(context, f"{site}/book/pooling.html")
    try:
        assert page.evaluate("document.documentElement.dataset.theme") == "dark"
        styles = page.eval_on_selector_all(
            "figure img",
            "els => els.map(e => [getComputedStyle(e).backgroundColor,"
            " getComputedStyle(e).filter])",
        )
        assert len(styles) >= 3
        assert set(map(tuple, styles)) == {("rgb(255, 255, 255)", "none")}
        page.screenshot(path=screenshots / "book-pooling-dark.png", full_page=True)
        assert errors == [] and failed == []
    finally:
        page.close()
        context.close()


def test_output_size_chapter_shows_formula_and_figures(visits):
    """Does the output-size chapter show its formula as typeset math and two figures?"""
    record = visits["book/output-size"]["desktop"]
    assert record["math"] > 10
    assert record["figures"] >= 2
    assert "All" in record["text"] and "cases agree" in record["text"]


def test_screenshots_saved(visits, screenshots):
    """Is there a desktop and a phone screenshot of every page, each a real image?"""
    for doc in PAGES:
        for name, viewport in [("desktop", DESKTOP), ("phone", PHONE)]:
            with Image.open(screenshots / f"{_slug(doc)}-{name}.png") as image:
                assert image.width == viewport["width"]
                assert image.height >= viewport["height"]
