"""Students of 09-layer-table with one known mistake each, made by editing the
reference solution: the one list that the check and grading tests share.

MISTAKES[part] holds, per mistake, (edits of that part's solution cell, the
features of its own part that it breaks, the mistake's key, the words of its
diagnosis). A mistake in layer_shape or layer_counts also breaks the table,
whose solution builds its rows from them.
"""

from __future__ import annotations

import nbformat

from helpers import SOLUTIONS, edited, solution_sources

A, NB = "09-layer-table", "layer-table.ipynb"
SOURCES = solution_sources(nbformat.read(SOLUTIONS / A / NB, as_version=4))

ROOM = "room = [n + 2 * p - span for n in (h, w)]"
SPAN = "span = d * (k - 1) + 1"
DROP = (
    "        out = [o - 1 if (o - 1) * s >= n + p else o"
    " for o, n in zip(out, (h, w))]\n"
)
CONV_MACS = "return weights + bias, weights * h_out * w_out"
LINEAR_MACS = 'return weights + (kw["out_features"] if kw["bias"] else 0), weights'
FIELD = "rf += d * (k - 1) * jump"

MISTAKES = {
    "layer_shape": [
        (
            [(ROOM, "room = [n - span for n in (h, w)]")],
            {"padding"},
            "padding_ignored",
            "the padding is ignored",
        ),
        (
            [(SPAN, "span = k")],
            {"dilation"},
            "dilation_ignored",
            "the dilation is ignored",
        ),
        (
            [
                (
                    'kw.setdefault("stride", kw["kernel_size"])',
                    'kw.setdefault("stride", 1)',
                )
            ],
            {"pool_stride"},
            "pool_stride_one",
            "a pooling layer's stride defaults to its kernel_size",
        ),
        (
            [('if kw.get("ceil_mode"):', "if False:")],
            {"ceil_mode"},
            "ceil_mode_ignored",
            "ceil_mode=True rounds the number of windows up",
        ),
        (
            [(DROP, "")],
            {"ceil_mode"},
            "ceil_mode_window_in_padding",
            "with ceil_mode=True, a last window that would start in the right",
        ),
    ],
    "layer_counts": [
        (
            [
                ('bias = kw["out_channels"] if kw["bias"] else 0', "bias = 0"),
                ('(kw["out_features"] if kw["bias"] else 0)', "0"),
            ],
            {"bias", "linear"},
            "bias_forgotten",
            "the bias is forgotten",
        ),
        (
            [('(c // kw["groups"])', "c")],
            {"groups"},
            "groups_ignored",
            "groups is ignored",
        ),
        (
            [("return 2 * c, 0", "return 4 * c, 0")],
            {"batchnorm"},
            "batchnorm_running_stats",
            "the running mean and variance are counted",
        ),
        (
            [(CONV_MACS, "return weights + bias, weights")],
            {"conv_counts"},
            "macs_one_position",
            "the MACs are those of one output position",
        ),
        (
            [
                (
                    CONV_MACS,
                    "return weights + bias,"
                    " weights * h_out * w_out // kw['out_channels']",
                )
            ],
            {"conv_counts"},
            "macs_one_channel",
            "the MACs are those of one output channel",
        ),
        (
            [
                (CONV_MACS, "return weights + bias, 2 * weights * h_out * w_out"),
                (LINEAR_MACS, LINEAR_MACS.removesuffix("weights") + "2 * weights"),
            ],
            {"conv_counts", "linear"},
            "counts_flops",
            "this counts FLOPs, not MACs",
        ),
        (
            [
                (
                    'weights = c * h * w * kw["out_features"]',
                    'weights = c * kw["out_features"]',
                )
            ],
            {"linear"},
            "flatten_forgotten",
            "the linear layer's inputs are all C * H * W values",
        ),
    ],
    "layer_table": [
        (
            [("jump *= s", "jump *= 1")],
            {"field"},
            "jump_not_multiplied",
            "the jump is never multiplied by the strides",
        ),
        (
            [(FIELD + "\n        jump *= s", "jump *= s\n        " + FIELD)],
            {"field"},
            "jump_includes_own_stride",
            "a layer's window is D(K - 1) + 1 positions",
        ),
        (
            [(FIELD, "rf += (k - 1) * jump")],
            {"field"},
            "dilation_ignored_in_field",
            "the dilation is ignored in the receptive field",
        ),
    ],
}


def student_source(part, index):
    """The solution cell of `part` with mistake `index` made."""
    edits = MISTAKES[part][index][0]
    return edited(SOURCES[part], *edits)


def student_functions(part, index):
    """The three functions of a student who makes one mistake in `part`."""
    namespace = {}
    for name in ("layer_shape", "layer_counts", "layer_table"):
        source = student_source(part, index) if name == part else SOURCES[name]
        exec(source, namespace)
    return namespace
