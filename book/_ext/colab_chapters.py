"""Point the Colab button of a chapter page at a notebook that Colab can open.

Chapters are MyST markdown notebooks (.md). The theme's Colab button links the
file in the repository, and Colab opens only .ipynb files from GitHub. The
build writes each chapter's executed notebook to `_sources/<page>.ipynb` (the
page's .ipynb download), so once the site is published to a branch of the
repository (`ghp-import` pushes `_build/html` to `gh-pages`), Colab can open it
from there. `colab_pages_branch` in _config.yml names that branch. Exercise
pages are .ipynb files already and keep the theme's link.
"""

from sphinx_book_theme.header_buttons import get_repo_parts


def chapter_colab_link(app, pagename, templatename, context, doctree):
    # The theme sets ipynb_source only for markdown notebooks.
    if not context.get("ipynb_source"):
        return
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
    app.connect("html-page-context", chapter_colab_link, priority=502)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
