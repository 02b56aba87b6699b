"""Autograder for the course on convolutional layers, in three parts:
checking (what notebooks import), engine (grading a class), offline (the
answers for the browser).

`check(student_fn, op, *args, **kwargs)` compares a student's NumPy function
with its PyTorch reference (float64, CPU) and explains any difference.
"""

from .checking.check import check
from .checking.short_errors import install as _install_short_errors

_install_short_errors()

__all__ = ["check"]
