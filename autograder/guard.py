"""Notice when a student's function calls a library's convolution or pooling.

The kernels must be written in NumPy. While the student's function runs, a
profile hook records any call into PyTorch, SciPy, scikit-image, OpenCV,
TensorFlow or JAX, and NumPy's own `convolve` / `correlate`. The hook only
watches: it does not stop the call, so the comparison still runs, and the
check then fails with a message that says why the part scores zero.

This is a rule for honest students, not a sandbox: code in the same process
can remove the hook. The grading command runs student code in its own
process and compares outputs outside it (see the README).
"""

from __future__ import annotations

import contextlib
import sys
import sysconfig
from pathlib import Path

FORBIDDEN_PACKAGES = ("torch", "scipy", "skimage", "cv2", "tensorflow", "jax")
FORBIDDEN_NUMPY = {"convolve", "correlate", "correlate2"}

_SITE = [Path(sysconfig.get_paths()[k]) for k in ("purelib", "platlib")]
_PREFIXES = tuple(
    str(site / pkg) + sep
    for site in _SITE
    for pkg in FORBIDDEN_PACKAGES
    for sep in ("/", "\\")
)


class ForbiddenCall(AssertionError):
    """The student's function called a library that does the work for it."""


def _c_owner(fn):
    """The module a builtin function or method belongs to, as a dotted name."""
    owner = getattr(fn, "__module__", None)
    if owner:
        return owner
    objclass = getattr(fn, "__objclass__", None)
    if objclass is not None:
        return objclass.__module__
    bound = getattr(fn, "__self__", None)
    if bound is not None:
        return getattr(bound, "__name__", None) or type(bound).__module__
    return ""


def _forbidden_c(fn):
    owner = _c_owner(fn) or ""
    name = getattr(fn, "__name__", "")
    if owner.split(".")[0] in FORBIDDEN_PACKAGES:
        return f"{owner}.{name}"
    if owner.startswith("numpy") and name in FORBIDDEN_NUMPY:
        return f"numpy.{name}"
    return None


def _forbidden_py(code):
    if code.co_filename.startswith(_PREFIXES):
        rel = code.co_filename.split("site-packages", 1)[-1].lstrip("/\\")
        return f"{code.co_name} (in {rel})"
    if "numpy" in code.co_filename and code.co_name in FORBIDDEN_NUMPY:
        return f"numpy.{code.co_name}"
    return None


@contextlib.contextmanager
def watch_library_calls():
    """Yield a list that receives the name of the first forbidden call made."""
    seen = []

    def hook(frame, event, arg):
        if seen:
            return
        if event == "call":
            name = _forbidden_py(frame.f_code)
        elif event == "c_call":
            name = _forbidden_c(arg)
        else:
            return
        if name:
            seen.append(name)

    previous = sys.getprofile()
    sys.setprofile(hook)
    try:
        yield seen
    finally:
        sys.setprofile(previous)
