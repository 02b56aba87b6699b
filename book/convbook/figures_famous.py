"""Helpers of the famous-networks chapter: readable layer tables, figures, probes.

The per-layer numbers come from ``convbook.analysis``; this module only names the
rows the way the papers do, renders them as Markdown, and draws the figures.
"""

from __future__ import annotations

import numpy as np
from torch import nn


def paper_names(rows):
    """Name the rows that matter as the papers do: conv1.., pool1.., fc6...

    Weight layers (convolutions and linear layers) are numbered together, so that
    AlexNet's linear layers are fc6 to fc8 and VGG-16's fc14 to fc16; pooling layers
    are numbered on their own. Rows of other types (ReLU, Dropout, ...) are dropped.
    """
    named, weights, pools = [], 0, 0
    for row in rows:
        if row["type"] in ("Conv2d", "Linear"):
            weights += 1
            prefix = "conv" if row["type"] == "Conv2d" else "fc"
            named.append(row | {"label": f"{prefix}{weights}"})
        elif row["type"] == "MaxPool2d":
            pools += 1
            named.append(row | {"label": f"pool{pools}"})
    return named


def shape_text(shape):
    """(1, C, H, W) -> 'C×H×W'; (1, F) -> 'F'."""
    return "×".join(str(s) for s in shape[1:])


def markdown_table(rows, label="label"):
    """A Markdown table of layer rows: output shape, parameters, MACs, field."""
    lines = [
        "| layer | output | parameters | MACs | receptive field |",
        "| :-- | --: | --: | --: | --: |",
    ]
    for r in rows:
        rf = "—" if r["rf"] is None else f"{r['rf']}"
        lines.append(
            f"| {r[label]} | {shape_text(r['shape'])} | {r['params']:,} "
            f"| {r['macs']:,} | {rf} |"
        )
    return "\n".join(lines)


def thin_copy(layers, low=0.5, high=1.0):
    """The same windows with one channel, for a gradient probe of the field.

    Convolutions become one-channel convolutions with the same kernel size,
    stride, padding and dilation and positive random weights; max-pools become
    average pools with the same window (a max passes gradient to one input per
    window and would hide part of the field); ReLUs stay (their inputs are
    positive). Anything else is refused.
    """
    out = []
    for m in layers:
        if isinstance(m, nn.Conv2d):
            conv = nn.Conv2d(
                1, 1, m.kernel_size, m.stride, m.padding, m.dilation, bias=False
            )
            nn.init.uniform_(conv.weight, low, high)
            out.append(conv)
        elif isinstance(m, nn.MaxPool2d):
            out.append(
                nn.AvgPool2d(m.kernel_size, m.stride, m.padding, ceil_mode=m.ceil_mode)
            )
        elif isinstance(m, nn.ReLU):
            out.append(nn.ReLU())
        else:
            raise TypeError(f"no thin copy for {type(m).__name__}")
    return nn.Sequential(*out)


def plot_params_per_layer(ax, rows, title):
    """Bars of parameters per weight layer (log scale), convolutions vs linear."""
    weights = [r for r in rows if r["type"] in ("Conv2d", "Linear")]
    colors = ["tab:blue" if r["type"] == "Conv2d" else "tab:orange" for r in weights]
    pos = np.arange(len(weights))
    ax.bar(pos, [r["params"] for r in weights], color=colors)
    ax.set_yscale("log")
    ax.set_xticks(pos, [r["label"] for r in weights], rotation=90, fontsize=8)
    ax.set_ylabel("parameters")
    total = sum(r["params"] for r in weights)
    dense = sum(r["params"] for r in weights if r["type"] == "Linear")
    ax.set_title(f"{title}: {100 * dense / total:.0f}% in linear layers", fontsize=10)
    ax.bar([], [], color="tab:blue", label="convolution")
    ax.bar([], [], color="tab:orange", label="linear")
    ax.legend(loc="upper left", fontsize=8)


def plot_inception_widths(ax, table):
    """Stacked bars: the channels each branch adds to each Inception module's output."""
    names = list(table)
    parts = {
        "1×1": [table[n][1] for n in names],
        "3×3 (after 1×1 reduce)": [table[n][3] for n in names],
        "“5×5” (after 1×1 reduce)": [table[n][5] for n in names],
        "pool, then 1×1": [table[n][6] for n in names],
    }
    bottom = np.zeros(len(names))
    for label, values in parts.items():
        ax.bar(names, values, bottom=bottom, label=label)
        bottom += values
    ax.plot(
        names, [table[n][0] for n in names], "k_", ms=18, mew=2, label="input channels"
    )
    ax.set_xticks(range(len(names)), [n.replace("inception", "") for n in names])
    ax.set_xlabel("Inception module")
    ax.set_ylabel("output channels")
    ax.legend(fontsize=8, loc="upper left")
