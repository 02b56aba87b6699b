"""Arithmetic that the chapters show next to a computed result.

An answer like "$11 + (3 - 1) \\cdot 4$ = 19" types its terms by hand and glues its
result; the build checks the result, but nothing checks that the typed terms give it.
These tests evaluate every such sum in the chapters' sources and compare it with the
value glued after it, and evaluate the worked sums that chapters glue whole
(``convbook.arithmetic.worked``).
"""

from __future__ import annotations

import math
import re

import pytest

from helpers import ROOT

CHAPTERS = sorted((ROOT / "book").glob("*.md"))
# "$ ... $ = {glue:text}`key`", the math possibly broken over lines.
TYPED = re.compile(r"\$([^$]+)\$\s*=\s*\{glue:text\}`([^`]+)`")
TEX = [
    (r"\cdot", "*"),
    (r"\times", "*"),
    (r"\,", " "),
    (r"\lfloor", " floor("),
    (r"\rfloor", ") "),
    (r"\lceil", " ceil("),
    (r"\rceil", ") "),
    ("^", "**"),
]
ARITHMETIC = re.compile(r"[\d\s+\-*/().]|floor|ceil")
# A glued worked sum: "(5 − 1)·2 + 1·(3 − 1) + 1 − 2·1 = 9".
WORKED = re.compile(r"^([\d\s()·−+^]+) = (−?[\d,]+)$")


def as_python(tex):
    """The Python form of a TeX sum of numbers, or None if it has any symbol."""
    expr = tex.rsplit("=", 1)[-1]
    for old, new in TEX:
        expr = expr.replace(old, new)
    if ARITHMETIC.sub("", expr).strip():
        return None  # a letter or a command: a formula, not a sum of numbers
    return re.sub(r"([\d)])\s*\(", r"\1 * (", expr)  # 2 (9 + 1): a product


def value(python):
    return eval(python, {"__builtins__": {}, "floor": math.floor, "ceil": math.ceil})


def agrees(computed, glued_text):
    """Does the exact value agree with the glued text, to the text's precision?"""
    text = glued_text.strip("'\"").replace(",", "").rstrip("%")
    decimals = len(text.split(".")[1]) if "." in text else 0
    return abs(computed - float(text)) <= 0.5 * 10**-decimals + 1e-12


def typed_sums(source):
    """(tex, python, glue key) for each typed sum that a glued value follows."""
    found = []
    for match in TYPED.finditer(source):
        python = as_python(match[1])
        if python is not None:
            found.append((match[1], python, match[2]))
    return found


def test_sums_are_recognised():
    """Are sums of numbers read, and formulas with symbols left alone?"""
    text = (
        r"$11 + (3 - 1) \cdot 4$ = {glue:text}`a` and $D(K-1)+1$ = {glue:text}`b`;"
        " $2\\,(9 \\cdot 128^2 + 128)$ =\n {glue:text}`c`, "
        r"$\lfloor (55 - 3)/2 \rfloor + 1$ = {glue:text}`d`"
    )
    found = {key: value(python) for _, python, key in typed_sums(text)}
    assert found == {"a": 19, "c": 2 * (9 * 128**2 + 128), "d": 27}
    assert agrees(1 / 256 + 1 / 25, "'0.0439'") and not agrees(8, "9")


def test_typed_sums_give_the_glued_results(glued):
    """Does every sum of numbers typed in a chapter evaluate to the result glued
    after it?"""
    checked, wrong = 0, []
    for path in CHAPTERS:
        sums = typed_sums(path.read_text())
        if not sums:
            continue
        values = glued(path.stem)
        for tex, python, key in sums:
            checked += 1
            if not agrees(value(python), values[key]):
                wrong.append((path.stem, tex, value(python), values[key]))
    assert wrong == []
    assert checked >= 10


@pytest.mark.parametrize("chapter", ["receptive-field"])
def test_worked_sums_are_right(glued, chapter):
    """Does every worked sum that a chapter glues whole evaluate to its result?"""
    worked = [v.strip("'") for v in glued(chapter).values()]
    worked = [WORKED.match(v) for v in worked if WORKED.match(v)]
    assert worked
    for match in worked:
        lhs = match[1].replace("·", "*").replace("−", "-").replace("^", "**")
        assert value(lhs) == int(match[2].replace(",", "").replace("−", "-"))
