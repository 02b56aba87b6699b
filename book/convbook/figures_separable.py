"""Figures of the separable-convolution chapter: regular, depthwise and pointwise."""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, Rectangle

CHANNEL_COLORS = plt.get_cmap("Set2").colors
OUT_COLORS = plt.get_cmap("Pastel1").colors
STEP = 0.22  # the diagonal offset between two channels of a stack


def stack(ax, x, y, size, colors, label=None):
    """Channels as squares stacked diagonally, back to front; returns the right edge."""
    n = len(colors)
    for i in reversed(range(n)):
        ax.add_patch(
            Rectangle(
                (x + i * STEP, y + i * STEP),
                size,
                size,
                facecolor=colors[i],
                edgecolor="black",
                lw=0.8,
            )
        )
    if label:
        ax.text(
            x + (size + (n - 1) * STEP) / 2,
            y - 0.35,
            label,
            ha="center",
            va="top",
            fontsize=9,
        )
    return x + size + (n - 1) * STEP


def arrow(ax, x0, x1, y):
    ax.add_patch(
        FancyArrowPatch(
            (x0, y), (x1, y), arrowstyle="-|>", mutation_scale=12, color="0.3"
        )
    )


def kernels(ax, x, y, size, groups, gap=0.25):
    """A column of kernels centred on height y, each a stack of its colours.

    Returns the right edge and the bottom and top of the column.
    """
    pitch = size + gap + STEP * (max(map(len, groups)) - 1)
    top = y + (len(groups) - 1) * pitch / 2
    right = x
    for k, colors in enumerate(groups):
        right = max(right, stack(ax, x, top - k * pitch, size, colors))
    bottom = top - (len(groups) - 1) * pitch
    return right, bottom, top + pitch


def draw_conv_kinds(axes, c_in=4, c_out=3):
    """Three panels: a regular convolution, a depthwise one and a pointwise one.

    Colours follow the channels: a kernel slice has the colour of the input channel
    it reads, and an output channel the colour of the kernel that made it.
    """
    ins = list(CHANNEL_COLORS[:c_in])
    outs = list(OUT_COLORS[:c_out])
    panels = [
        (
            "regular: $C_{out}$ kernels of $K \\times K \\times C_{in}$",
            [ins] * c_out,
            0.5,
            outs,
            "$C_{out}$ channels",
        ),
        (
            "depthwise: $C_{in}$ kernels of $K \\times K \\times 1$",
            [[c] for c in ins],
            0.5,
            ins,
            "$C_{in}$ channels",
        ),
        (
            "pointwise: $C_{out}$ kernels of $1 \\times 1 \\times C_{in}$",
            [ins] * c_out,
            0.2,
            outs,
            "$C_{out}$ channels",
        ),
    ]
    low, high = -0.9, 3.0
    for ax, (title, groups, ksize, out_colors, out_label) in zip(axes, panels):
        right = stack(ax, 0, 0, 2.0, ins, "input, $C_{in}$ channels")
        arrow(ax, right + 0.15, right + 0.75, 1.3)
        kright, bottom, top = kernels(ax, right + 0.9, 1.1, ksize, groups)
        arrow(ax, kright + 0.15, kright + 0.75, 1.3)
        stack(ax, kright + 0.9, 0, 2.0, out_colors, out_label)
        ax.set_title(title, fontsize=10)
        ax.set_xlim(-0.2, kright + 0.9 + 2.0 + STEP * c_in + 0.2)
        low, high = min(low, bottom - 0.2), max(high, top + 0.2)
        ax.set_aspect("equal")
        ax.axis("off")
    for ax in axes:
        ax.set_ylim(low, high)
