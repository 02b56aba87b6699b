"""The built site in a real browser (Debian's Chromium driven by Playwright)."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading

import pytest
import yaml

from helpers import ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chapters():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc["parts"]:
        files += [c["file"] for c in part["chapters"]]
    return files


@pytest.fixture(scope="module")
def site(built_book):
    """The built site served over HTTP on a free local port."""
    handler = functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(built_book)
    )
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing: .ci/browser should have installed it")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def open_page(browser, url):
    """Load a page, record failed requests, and wait for MathJax to finish."""
    page = browser.new_page()
    failed = []
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.goto(url, wait_until="load")
    page.wait_for_function(
        "() => !window.MathJax || (MathJax.startup && MathJax.startup.promise"
        " && (MathJax.startup.promise.then(() => window.__mj = true), window.__mj))",
        timeout=30_000,
    )
    return page, failed


@pytest.mark.parametrize("chapter", _chapters())
def test_page_renders(browser, site, chapter):
    """Does every page load with its math typeset, its images shown, nothing fetched
    from elsewhere, and no raw TeX left?"""
    page, failed = open_page(browser, f"{site}/{chapter}.html")
    try:
        assert failed == []
        assert page.title()
        external = page.evaluate(
            "() => performance.getEntriesByType('resource').map(e => e.name)"
            ".filter(u => !u.startsWith(location.origin))"
        )
        assert external == []
        broken = page.evaluate(
            "() => [...document.images].filter(i => !i.complete || i.naturalWidth == 0)"
            ".map(i => i.src)"
        )
        assert broken == []
        text = page.inner_text("article")
        assert "$$" not in text and "\\frac" not in text and "\\lfloor" not in text
    finally:
        page.close()


def test_output_size_chapter_shows_formula_and_figures(browser, site):
    """Does the output-size chapter show its formula as typeset math and two figures?"""
    page, _ = open_page(browser, f"{site}/book/output-size.html")
    try:
        assert page.locator("mjx-container").count() > 10
        assert page.locator("figure img").count() >= 2
        assert "All" in page.inner_text("article") and "cases agree" in page.inner_text(
            "article"
        )
    finally:
        page.close()
