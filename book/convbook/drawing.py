"""Drawing helpers for the chapters: the plumbing behind their figures."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

INPUT_COLOR = "#d9d9d9"
PAD_COLOR = "#ffffff"
WINDOW_COLORS = plt.get_cmap("tab10").colors


def _cell(ax, x, y, text, face, edge="black", alpha=1.0):
    ax.add_patch(Rectangle((x, y), 1, 1, facecolor=face, edgecolor=edge, alpha=alpha))
    ax.text(x + 0.5, y + 0.5, text, ha="center", va="center", fontsize=9)


def draw_windows(ax, x, kernel_size, stride=1, padding=0, dilation=1, outputs=None):
    """Draw a 1-D input, the windows a kernel visits, and the outputs.

    The input (grey, padding white) is the top row; each window is a row of
    coloured taps beneath it, and the output it produces sits at the right.
    """
    xp = np.concatenate([np.zeros(padding), np.asarray(x, float), np.zeros(padding)])
    span = dilation * (kernel_size - 1) + 1
    starts = range(0, len(xp) - span + 1, stride)
    for i, v in enumerate(xp):
        is_pad = i < padding or i >= len(xp) - padding
        _cell(ax, i, 0, f"{v:g}", PAD_COLOR if is_pad else INPUT_COLOR,
              edge="grey" if is_pad else "black")
    for row, start in enumerate(starts, start=1):
        color = WINDOW_COLORS[(row - 1) % len(WINDOW_COLORS)]
        for t in range(kernel_size):
            _cell(ax, start + t * dilation, -row, "", color, alpha=0.6)
        if outputs is not None:
            ax.text(len(xp) + 0.8, -row + 0.5, f"y[{row - 1}] = {outputs[row - 1]:g}",
                    va="center", fontsize=9)
    ax.set_xlim(-0.2, len(xp) + 4.5)
    ax.set_ylim(-len(starts) - 0.2, 1.2)
    ax.set_aspect("equal")
    ax.axis("off")
    return len(starts)
