"""Print the single-page build to PDF with Debian's Chromium.

Usage: python .ci/print_pdf.py SITE_FOLDER PAGE OUT.pdf
The folder is served over HTTP on a local port (MathJax loads its parts on
demand, which a file:// page cannot).
"""

import functools
import http.server
import shutil
import sys
import threading
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run"]
# Wait until MathJax has typeset every formula.
MATHJAX_DONE = (
    "() => !window.MathJax || (MathJax.startup && MathJax.startup.promise"
    " && (MathJax.startup.promise.then(() => window.__mj = true), window.__mj))"
)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def main(folder, page_name, out_path):
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    page_url = f"http://127.0.0.1:{server.server_address[1]}/{page_name}"
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    start = time.perf_counter()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=ARGS)
        page = browser.new_page()
        page.goto(page_url, wait_until="load")
        page.wait_for_function(MATHJAX_DONE, timeout=120_000)
        page.emulate_media(media="print")
        page.pdf(
            path=str(out),
            format="A4",
            print_background=True,
            margin={"top": "15mm", "bottom": "15mm", "left": "12mm", "right": "12mm"},
            display_header_footer=True,
            header_template="<span></span>",
            footer_template=(
                '<div style="font-size:8px;width:100%;text-align:center">'
                '<span class="pageNumber"></span> / <span class="totalPages"></span>'
                "</div>"
            ),
        )
        browser.close()
    server.shutdown()
    size = out.stat().st_size / 1e6
    print(f"{out}: {size:.1f} MB in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main(*sys.argv[1:])
