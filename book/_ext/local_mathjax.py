"""Copy MathJax 3 from the installed `django-static-mathjax` package into the site.

Jupyter Book loads MathJax from a CDN by default; a reader offline (or a test
machine with no network) would then see raw TeX. `mathjax_path` in _config.yml
points at `_static/mathjax/tex-chtml.js`, which this extension provides.
"""

import shutil
from pathlib import Path

import mathjax

SOURCE = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
# The component the pages load, and what it loads lazily (fonts, TeX extensions,
# the context menu and accessibility tools).
PARTS = ["tex-chtml.js", "output/chtml", "input/tex", "ui", "a11y", "adaptors", "sre"]


def copy_mathjax(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / "_static" / "mathjax"
    for part in PARTS:
        src, dst = SOURCE / part, target / part
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)


def setup(app):
    app.connect("build-finished", copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
