"""In IPython, a failed check shows its message, not the autograder's frames.

A CheckFailed (or ForbiddenCall) is raised by `check` itself, after the
student's function returned: the traceback's frames would all be the test
cell's and the autograder's, and the message says everything. So IPython
shows the test cell's line and the message alone (about 40 lines less per
failed part under `nbgrader validate`). Any other exception (one
the student's code raised inside check) keeps the student's frames; the
autograder's own frames in between are marked `__tracebackhide__`.
"""

from __future__ import annotations

import types


def _without_autograder_frames(tb):
    """The traceback with the frames of this package's modules (and IPython's
    own, which runs the cell) left out."""
    import IPython

    import autograder

    packages = (autograder.__path__[0], IPython.__path__[0])
    frames = []
    while tb is not None:
        if not tb.tb_frame.f_code.co_filename.startswith(packages):
            frames.append(tb)
        tb = tb.tb_next
    new = None
    for t in reversed(frames):
        new = types.TracebackType(new, t.tb_frame, t.tb_lasti, t.tb_lineno)
    return new


def _show(shell, etype, value, tb, tb_offset=None):
    """The test cell's line (Python's plain layout: no lines of context around
    it) and the message, which says the rest."""
    tb = _without_autograder_frames(tb)
    try:
        stb = _plain(shell).structured_traceback(etype, value, tb)
    except Exception:  # noqa: BLE001 - another IPython: its own layout
        stb = shell.InteractiveTB.structured_traceback(etype, value, tb)
    shell._showtraceback(etype, value, stb)
    return stb


def _plain(shell):
    """IPython's traceback formatter in Python's plain layout, in the shell's
    colours (IPython 9 names them a theme, IPython 8 a colour scheme)."""
    from IPython.core.ultratb import FormattedTB

    colours = str(getattr(shell, "colors", "nocolor"))
    try:
        return FormattedTB(mode="Plain", theme_name=colours.lower())
    except TypeError:
        return FormattedTB(mode="Plain", color_scheme=colours)


def install():
    """Register the handler in the running IPython, if there is one."""
    try:
        from IPython import get_ipython
    except ImportError:  # Pyodide without IPython, or a plain Python
        return
    shell = get_ipython()
    if shell is None or not hasattr(shell, "set_custom_exc"):
        return
    from .check import CheckFailed
    from .guard import ForbiddenCall

    shell.set_custom_exc((CheckFailed, ForbiddenCall), _show)
