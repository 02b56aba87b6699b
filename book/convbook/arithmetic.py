"""Worked arithmetic for the text: an expression, shown and evaluated from one source.

An answer that shows its sum (``(5 − 1)·2 + 1·(3 − 1) + 1 − 2·1 = 9``) states two
things, the terms and the result; typed by hand, they can disagree. ``worked`` takes
the expression as Python, evaluates it, and returns the text to glue, so that the
terms shown are the terms computed.
"""

from __future__ import annotations

import ast
import operator

_OPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.FloorDiv: operator.floordiv,
    ast.Pow: operator.pow,
}
_SHOWN = {"*": "·", "-": "−", "//": " div ", "**": "^"}


def evaluate(expr: str) -> int:
    """The value of an integer expression of + - * // ** and parentheses."""

    def walk(node):
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and type(node.value) is int:
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](walk(node.left), walk(node.right))
        raise ValueError(f"not integer arithmetic: {ast.unparse(node)}")

    return walk(ast.parse(expr, mode="eval"))


def shown(expr: str) -> str:
    """``expr`` as the text shows it: · for *, a minus sign for -, no spaces round ·."""
    text = expr.replace("**", "^").replace("*", "·").replace(" · ", "·")
    return text.replace("-", "−")


def worked(expr: str) -> tuple[str, int]:
    """(the text "expr = value", value) for an integer expression."""
    value = evaluate(expr)
    return f"{shown(expr)} = {value}", value


# The arithmetic of a sliding window along one axis, in the book's notation: input
# length W, kernel size K, stride S, padding P (per side), dilation D. The animations
# take every number they show from here; book/_static/conv-formulas.js is the same
# arithmetic for the in-page explorers, and the browser tests check both against
# PyTorch.


def kernel_span(K: int, D: int = 1) -> int:
    """How many inputs one window covers: D(K - 1) + 1."""
    return D * (K - 1) + 1


def conv_output_size(W: int, K: int, S: int = 1, P: int = 0, D: int = 1) -> int:
    """Output length of a convolution (or pooling) along one axis."""
    return (W + 2 * P - kernel_span(K, D)) // S + 1


def same_padding(K: int, D: int = 1) -> tuple[int, int]:
    """(left, right) padding of PyTorch's padding='same' (extra zero on the right)."""
    total = D * (K - 1)
    return total // 2, total - total // 2


def full_padding(K: int, D: int = 1) -> int:
    """Padding per side that computes every window overlapping the input."""
    return D * (K - 1)


def window_starts(W: int, K: int, S: int = 1, pads=(0, 0), D: int = 1) -> list[int]:
    """Where each window starts, counted on the padded input (pads = (left, right))."""
    last = W + pads[0] + pads[1] - kernel_span(K, D)
    return list(range(0, last + 1, S))


def grow(rf: int, jump: int, K: int, S: int, D: int = 1) -> tuple[int, int]:
    """One step of the receptive-field recurrence: (r, j) after a window layer."""
    return rf + (K - 1) * D * jump, jump * S


def receptive_fields(layers) -> list[tuple[int, int]]:
    """(r_l, j_l), l = 0, ..., L, of a stack of (K, S, D) layers; r_0 = j_0 = 1."""
    fields = [(1, 1)]
    for K, S, D in layers:
        fields.append(grow(*fields[-1], K, S, D))
    return fields
