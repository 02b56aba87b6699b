"""Stage the files that the in-browser JupyterLite site (under lite/) serves.

jupyterlite-sphinx builds a JupyterLite site at the end of the HTML build from
the folder named by `jupyterlite_content_dir`. This extension fills that folder
first, with one folder per assignment holding:

- the student notebook from exercises/ (never solutions/);
- the part of the `autograder` package that works without PyTorch, with the
  stored PyTorch answers for that assignment's visible checks only, so that
  `from autograder import check` in the notebook finds it next to itself.

It also drops the web font that jupyterlite-sphinx adds to every page (from
Google's servers, for a button style the book does not use): the site loads
nothing from elsewhere.
"""

import shutil
from pathlib import Path

from autograder import offline


def stage(root, exercises):
    """Fill `root` with the assignments' folders, from the student notebooks in
    `exercises` and the `autograder` package (see offline.stage); their names."""
    if root.exists():
        shutil.rmtree(root)
    names = []
    for folder in sorted(exercises.iterdir()):
        if not folder.is_dir() or folder.name.startswith("."):
            continue
        target = root / folder.name
        target.mkdir(parents=True)
        for notebook in folder.glob("*.ipynb"):
            shutil.copy2(notebook, target / notebook.name)
        offline.stage(target / "autograder", folder.name)
        names.append(folder.name)
    return names


def stage_contents(app):
    if app.builder.format != "html":
        return
    srcdir = Path(app.srcdir)
    root = srcdir / app.config.jupyterlite_content_dir
    stage(root, srcdir / "exercises")


def _external(entry):
    name = getattr(entry, "filename", None) or entry[0]
    return str(name).startswith(("http://", "https://"))


def drop_web_fonts(app):
    app.registry.css_files[:] = [e for e in app.registry.css_files if not _external(e)]
    css = getattr(app.builder, "_css_files", None)
    if css is not None:
        css[:] = [e for e in css if not _external(e)]


def setup(app):
    app.connect("builder-inited", stage_contents)
    app.connect("builder-inited", drop_web_fonts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
