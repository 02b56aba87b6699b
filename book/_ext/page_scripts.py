"""Load each script once per page.

sphinx-thebe registers its inline configuration script each time the
environment is read, and Jupyter Book reads it twice, so every page declared
`const THEBE_JS_URL` twice, a JavaScript error in the browser.
"""


def drop_duplicate_scripts(app, pagename, templatename, context, doctree):
    seen, kept = set(), []
    for script in context["script_files"]:
        attributes = getattr(script, "attributes", {})
        # An inline script's filename is None or "", depending on who added it.
        filename = getattr(script, "filename", script) or ""
        key = (str(filename), tuple(sorted(attributes.items())))
        if key not in seen:
            seen.add(key)
            kept.append(script)
    context["script_files"][:] = kept


def setup(app):
    # Last, after every other extension has added its scripts.
    app.connect("html-page-context", drop_duplicate_scripts, priority=999)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
