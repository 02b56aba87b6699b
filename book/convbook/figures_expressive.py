"""Figures of the expressiveness chapter: kernels drawn as annotated grids."""

from __future__ import annotations

import numpy as np


def draw_kernel(ax, kernel, title, vmax=None, fmt="{:.2f}"):
    """Draw a 2-D kernel as a diverging heat map with its values written in.

    The colour scale is symmetric around zero so that signs read at a glance.
    """
    k = np.asarray(kernel, dtype=float)
    vmax = np.abs(k).max() if vmax is None else vmax
    ax.imshow(k, cmap="RdBu_r", vmin=-vmax, vmax=vmax)
    fontsize = 9 if k.shape[0] <= 3 else 8
    for (i, j), v in np.ndenumerate(k):
        ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=fontsize)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=10)


def draw_operator(ax, symbol):
    """An empty axis holding one operator symbol between two kernels."""
    ax.text(0.5, 0.5, symbol, ha="center", va="center", fontsize=18)
    ax.axis("off")
