"""Notice when a student's function calls a library's convolution or pooling.

The kernels must be written in NumPy. This module holds the one list of
what that rules out (FORBIDDEN_PACKAGES, FORBIDDEN_NUMPY) and the one message
for a forbidden call (`forbidden_text`). The grader hands both to the
sandboxed process (`sandbox_config`), which serves the packages as stubs that
refuse every use; in the notebook, while the student's function runs, a
profile hook records any call into one of them. The hook only watches: it
does not stop the call, so the comparison still runs, and the check then
fails with the same message that grading gives.

This is a rule for honest students, not a sandbox: code in the same process
can remove the hook. The grading command runs student code in its own
process and compares outputs outside it (see the README).
"""

from __future__ import annotations

import contextlib
import sys
import sysconfig
from pathlib import Path

#: Libraries that compute convolutions or pooling (top-level package names).
FORBIDDEN_PACKAGES = (
    "torch",
    "torchvision",
    "scipy",
    "skimage",
    "cv2",
    "tensorflow",
    "keras",
    "jax",
    "jaxlib",
    "sklearn",
    "numba",
    "cupy",
    "autograd",
    "theano",
    "mxnet",
    "paddle",
)
#: NumPy's own convolutions (np.convolve, np.correlate and their C core).
FORBIDDEN_NUMPY = ("convolve", "correlate", "correlate2")
WHY = "the kernels must be written in NumPy, so this part scores zero"
#: The message for a forbidden call; {} is the package (or numpy.<function>).
TEMPLATE = "uses {}: " + WHY

_SITE = [Path(sysconfig.get_paths()[k]) for k in ("purelib", "platlib")]
_PREFIXES = tuple(
    str(site / pkg) + sep
    for site in _SITE
    for pkg in FORBIDDEN_PACKAGES
    for sep in ("/", "\\")
)


class ForbiddenCall(AssertionError):
    """The student's function called a library that does the work for it."""


def forbidden_text(name):
    """What a check says after the call when `name` (a package) was used."""
    return TEMPLATE.format(name)


def sandbox_config():
    """The list and the message, as plain data for the sandboxed process."""
    return {
        "packages": list(FORBIDDEN_PACKAGES),
        "numpy": list(FORBIDDEN_NUMPY),
        "template": TEMPLATE,
    }


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
    if not isinstance(owner, str) or not isinstance(name, str):
        return None
    if owner.split(".")[0] in FORBIDDEN_PACKAGES:
        return owner.split(".")[0]
    if owner.startswith("numpy") and name in FORBIDDEN_NUMPY:
        return f"numpy.{name}"
    return None


def _forbidden_py(code):
    if code.co_filename.startswith(_PREFIXES):
        rel = code.co_filename.split("site-packages", 1)[-1].lstrip("/\\")
        return rel.replace("\\", "/").split("/")[0]
    if "numpy" in code.co_filename and code.co_name in FORBIDDEN_NUMPY:
        return f"numpy.{code.co_name}"
    return None


@contextlib.contextmanager
def watch_library_calls():
    """Yield a list that receives the first forbidden package (or numpy.<fn>) used."""
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
