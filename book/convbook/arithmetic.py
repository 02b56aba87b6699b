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
