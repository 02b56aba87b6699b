"""Figures of the chapter on padding."""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.patches import Rectangle

WINDOW_COLORS = plt.get_cmap("tab10").colors


def _cell(ax, x, y, text, face, edge="black", color="black"):
    ax.add_patch(Rectangle((x, y), 1, 1, facecolor=face, edgecolor=edge))
    ax.text(x + 0.5, y + 0.5, text, ha="center", va="center", fontsize=8, color=color)


def draw_padded_windows(ax, W, K, S, left, right, dilation=1):
    """Draw an input of length W padded by `left` and `right` zeros, and the windows.

    Input cells are grey and numbered, padding cells white with a grey 0; each
    window is a row of coloured taps under the cells it reads.
    Returns:
    - the number of windows
    """
    n = left + W + right
    for i in range(n):
        pad = i < left or i >= left + W
        _cell(ax, i, 0, "0" if pad else str(i - left), "white" if pad else "#d9d9d9",
              edge="grey" if pad else "black", color="grey" if pad else "black")
    span = dilation * (K - 1) + 1
    starts = range(0, n - span + 1, S)
    for row, s in enumerate(starts, start=1):
        color = WINDOW_COLORS[(row - 1) % len(WINDOW_COLORS)]
        for t in range(K):
            ax.add_patch(Rectangle((s + t * dilation, -row), 1, 1, facecolor=color,
                                   edgecolor="black", alpha=0.6))
    ax.set_xlim(-0.2, n + 0.2)
    ax.set_ylim(-len(starts) - 0.2, 1.2)
    ax.set_aspect("equal")
    ax.axis("off")
    return len(starts)


def show_padded(ax, padded, pad, crop, title, corner="top-left", **imshow_kw):
    """Show the `crop` x `crop` top-left (or top-right) corner of a padded image.

    `padded` is an image padded by `pad` on every side; the shown region includes
    that padding, and a dashed line marks where the original image begins.
    """
    n = pad + crop
    if corner == "top-left":
        region = padded[:n, :n]
        extent = (-pad - 0.5, crop - 0.5, crop - 0.5, -pad - 0.5)
    else:
        region = padded[:n, -n:]
        extent = (-crop - 0.5, pad - 0.5, crop - 0.5, -pad - 0.5)
    ax.imshow(region, extent=extent, **imshow_kw)
    if pad:
        x0 = -0.5 if corner == "top-left" else -crop - 0.5
        ax.add_patch(Rectangle((x0, -0.5), crop + 1, crop + 1, fill=False,
                               edgecolor="yellow", ls="--", lw=1.5))
    ax.set_title(title, fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
