"""The notebook behind each chapter page: an executed .ipynb to download, and a
Colab button that can open it.

Chapters are MyST markdown notebooks (.md). For those, the theme offers an
.ipynb download, a copy of the notebook that MyST-NB writes to
`_build/jupyter_execute`, and links the Colab button to the .md file in the
repository.

- With `execute_notebooks: cache`, MyST-NB writes that notebook without the
  outputs it took from the cache, so the download would be an unexecuted
  chapter. The outputs are merged back from the execution cache here.
- Colab opens only .ipynb files from GitHub. Once the site is published to a
  branch of the repository (.github/workflows/pages.yml pushes `_build/html` to
  `gh-pages`), the executed notebook is on GitHub at `_sources/<page>.ipynb`, and
  the Colab button points there. `colab_pages_branch` in _config.yml names the branch.

Exercise pages are .ipynb files already and keep the theme's buttons.
"""

from pathlib import Path

import nbformat
from jupyter_cache import get_cache
from sphinx_book_theme.header_buttons import get_repo_parts


def add_outputs(app, notebook_path):
    """Merge the cached outputs into the notebook at notebook_path, if cached."""
    cache_path = app.env.mystnb_config.execution_cache_path or (
        Path(app.outdir).parent / ".jupyter_cache"
    )
    if not Path(cache_path).is_dir():
        return
    notebook = nbformat.read(notebook_path, as_version=4)
    try:
        _, merged = get_cache(cache_path).merge_match_into_notebook(notebook)
    except KeyError:  # not executed through the cache
        return
    nbformat.write(merged, notebook_path)


def chapter_notebook(app, pagename, templatename, context, doctree):
    # The theme sets ipynb_source only for markdown notebooks, after copying
    # the notebook into _sources.
    if not context.get("ipynb_source"):
        return
    add_outputs(app, Path(app.outdir) / "_sources" / context["ipynb_source"])

    colab = app.config.html_theme_options.get("launch_buttons", {}).get("colab_url")
    _, org, repo, _ = get_repo_parts(context)
    if not colab or org is None:
        return
    url = (
        f"{colab.rstrip('/')}/github/{org}/{repo}/blob/"
        f"{app.config.colab_pages_branch}/_sources/{context['ipynb_source']}"
    )
    for group in context.get("header_buttons", []):
        for button in group.get("buttons", []):
            if button.get("text") == "Colab":
                button["url"] = url


def setup(app):
    app.add_config_value("colab_pages_branch", "gh-pages", "html")
    # After the theme has made its launch buttons (priority 501).
    app.connect("html-page-context", chapter_notebook, priority=502)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
