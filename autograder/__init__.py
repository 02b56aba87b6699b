"""Autograder for the course on convolutional layers.

`check(student_fn, op, *args, **kwargs)` compares a student's NumPy function
with its PyTorch reference (float64, CPU) and explains any difference.
"""

from .check import check

__all__ = ["check"]
