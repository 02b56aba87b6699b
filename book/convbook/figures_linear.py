"""Figures of the chapter on convolution versus linear layers."""

from __future__ import annotations

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import Rectangle

TAP_COLORS = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f",
]


def tap_cmap(n_taps):
    """White for 0, then one colour per kernel tap 1..n_taps."""
    colors = ["#ffffff"] + [TAP_COLORS[i % len(TAP_COLORS)] for i in range(n_taps)]
    return ListedColormap(colors)


def _grid(ax, n_rows, n_cols, color="#cccccc", lw=0.5):
    ax.set_xticks(np.arange(-0.5, n_cols, 1), minor=True)
    ax.set_yticks(np.arange(-0.5, n_rows, 1), minor=True)
    ax.grid(which="minor", color=color, lw=lw)
    ax.tick_params(which="minor", length=0)


def draw_tap_matrix(ax, taps, labels="abcdefghi", text=True):
    """Draw a matrix whose entries are kernel-tap numbers (0 for a structural zero).

    Inputs:
    - taps: integer array of shape (rows, cols), 0 where the matrix is zero and
      t in 1..T where it holds the kernel's t-th weight
    """
    n_taps = int(taps.max())
    ax.imshow(taps, cmap=tap_cmap(n_taps), vmin=-0.5, vmax=n_taps + 0.5)
    _grid(ax, *taps.shape)
    if text:
        for r, c in zip(*np.nonzero(taps)):
            ax.text(c, r, labels[taps[r, c] - 1], ha="center", va="center",
                    fontsize=7, color="white")


def draw_kernel(ax, kh, kw, labels="abcdefghi"):
    """Draw a kh x kw kernel with its taps coloured as in draw_tap_matrix."""
    taps = np.arange(1, kh * kw + 1).reshape(kh, kw)
    draw_tap_matrix(ax, taps, labels)
    ax.set_xticks([])
    ax.set_yticks([])


def draw_blocks(ax, taps, n_blocks_r, n_blocks_c):
    """Draw a multi-channel conv matrix and outline its channel blocks."""
    ax.imshow(taps, cmap=tap_cmap(int(taps.max())), vmin=-0.5,
              vmax=taps.max() + 0.5, interpolation="nearest")
    rows, cols = taps.shape
    bh, bw = rows // n_blocks_r, cols // n_blocks_c
    for i in range(n_blocks_r):
        for j in range(n_blocks_c):
            ax.add_patch(Rectangle((j * bw - 0.5, i * bh - 0.5), bw, bh, fill=False,
                                   edgecolor="black", lw=1))
    ax.set_xticks([(j + 0.5) * bw - 0.5 for j in range(n_blocks_c)],
                  [f"input channel {j}" for j in range(n_blocks_c)])
    ax.set_yticks([(i + 0.5) * bh - 0.5 for i in range(n_blocks_r)],
                  [f"output\nchannel {i}" for i in range(n_blocks_r)])
    ax.tick_params(length=0)
