"""Feedback pages that teach, made by the real commands and read in Chromium.

Two students of 03-conv2d (whose notebook has math) make one known mistake
each; `python -m autograder feedback` writes their pages, which must open
each failed part with the diagnosis, then expected and got, then a link to
the book, render the math with no network, and fit a phone and a desktop.
"""

from __future__ import annotations

import functools
import http.server
import os
from pathlib import Path

import pytest
from test_conv2d_grading import STUDENTS

from browser import chromium, serving
from grader_support import cli, make_course, put
from helpers import submission

A, NB = "03-conv2d", "conv2d.ipynb"
STUDENT_NAMES = ("flipped", "same_start")
WIDTHS = {"desktop": 1280, "phone": 390}
SHOTS = Path(os.environ.get("REPORT_SHOTS", "/tmp/report-shots"))


@pytest.fixture(scope="module")
def feedback(tmp_path_factory):
    root = make_course(tmp_path_factory.mktemp("feedback"), assignments=[A])
    for student in STUDENT_NAMES:
        put(root, student, submission(A, NB, STUDENTS[student][0]), A, NB)
    proc = cli(root, "grade", A, "--quiet")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    proc = cli(root, "feedback", A, env={**os.environ, "AUTOGRADER_BOOK_URL": "B"})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return root / "feedback"


def page(feedback, student):
    return feedback / student / A / "conv2d.html"


@pytest.mark.parametrize("student", STUDENT_NAMES)
def test_page_needs_no_network_for_math(feedback, student):
    """Does the page load MathJax from its own folder, not from a CDN?"""
    html = page(feedback, student).read_text(encoding="utf-8")
    assert "cdnjs" not in html and "x-mathjax-config" not in html
    assert 'src="mathjax/tex-chtml.js"' in html
    assert (page(feedback, student).parent / "mathjax" / "tex-chtml.js").is_file()


READ = """() => {
  const blocks = [...document.querySelectorAll('.autograder-diagnosis')];
  const clipped = [...document.querySelectorAll('pre, .autograder-diagnosis')]
      .filter(e => e.getClientRects().length && e.scrollWidth > e.clientWidth + 1)
      .map(e => e.innerText.slice(0, 60));
  return {
    blocks: blocks.map(b => ({
      first: b.querySelector('p').innerText,
      paragraphs: [...b.querySelectorAll('p')].map(p => p.className || 'text'),
      links: [...b.querySelectorAll('a')].map(a => a.getAttribute('href')),
      before_error: !!(b.closest('.output') || document.body).querySelector(
          '.output_error, .output_stderr, pre'),
    })),
    math: document.querySelectorAll('mjx-container').length,
    raw_tex: document.body.innerText.includes('$$'),
    overflow: document.documentElement.scrollWidth - window.innerWidth,
    clipped,
    external: performance.getEntriesByType('resource').map(e => e.name)
        .filter(u => !u.startsWith(location.origin)),
  };
}"""


@pytest.fixture(scope="module")
def visits(feedback):
    SHOTS.mkdir(parents=True, exist_ok=True)
    handler = functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(feedback)
    )
    handler.log_message = lambda *a: None
    found = {}
    with serving(handler) as base, chromium() as browser:
        for name, width in WIDTHS.items():
            context = browser.new_context(viewport={"width": width, "height": 900})
            context.route(
                lambda url: not url.startswith(base), lambda route: route.abort()
            )
            for student in STUDENT_NAMES:
                p = context.new_page()
                errors = []
                p.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
                p.on(
                    "console",
                    lambda m, errors=errors: (
                        m.type == "error" and errors.append(m.text)
                    ),
                )
                p.goto(f"{base}/{student}/{A}/conv2d.html", wait_until="load")
                p.wait_for_function(
                    "() => window.MathJax && MathJax.startup"
                    " && MathJax.startup.promise"
                    " && (MathJax.startup.promise.then(() => window.__mj = true),"
                    " window.__mj)",
                    timeout=30_000,
                )
                record = p.evaluate(READ)
                record["errors"] = errors
                p.screenshot(
                    path=SHOTS / f"feedback-{student}-{name}.png", full_page=True
                )
                found[(student, name)] = record
                p.close()
            context.close()
    return found


@pytest.mark.parametrize("width", sorted(WIDTHS))
@pytest.mark.parametrize("student", STUDENT_NAMES)
def test_math_renders_offline_and_nothing_is_clipped(visits, student, width):
    """With every request off the page's own server refused, is the math
    typeset, with no error, and does no line run past the right edge?"""
    record = visits[(student, width)]
    assert record["errors"] == []
    assert record["external"] == []
    assert record["math"] > 0 and not record["raw_tex"]
    assert record["overflow"] <= 0
    assert record["clipped"] == []


@pytest.mark.parametrize("student", STUDENT_NAMES)
def test_failed_part_opens_with_diagnosis_then_got_then_link(visits, student):
    """Does each failed part open with its likely mistake, then expected and got,
    then a link to the book section that explains the part?"""
    record = visits[(student, "phone")]
    assert record["blocks"]
    for block in record["blocks"]:
        assert block["first"].startswith("Likely mistake")
        assert block["paragraphs"][-2:] == ["got", "text"]
        assert block["links"] and block["links"][0].startswith("B/book/conv2d.html#")
