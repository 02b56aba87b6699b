"""`random_grad_out`, as 06-backward's notebook imports it."""

from ..checking.ops.backward import random_grad_out

__all__ = ["random_grad_out"]
