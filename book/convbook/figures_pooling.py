"""Figures of the chapter on pooling."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

BLOCK_COLORS = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759"]


def _number_grid(ax, values, colors=None, bold=None):
    """Draw a matrix of numbers, cell (i, j) filled with colors[i][j] if given."""
    n_rows, n_cols = values.shape
    for i in range(n_rows):
        for j in range(n_cols):
            face = colors[i][j] if colors is not None else "white"
            ax.add_patch(Rectangle((j, n_rows - 1 - i), 1, 1, facecolor=face,
                                   edgecolor="black", alpha=0.55))
            weight = "bold" if bold is not None and bold[i, j] else "normal"
            ax.text(j + 0.5, n_rows - 0.5 - i, f"{values[i, j]:g}", ha="center",
                    va="center", fontsize=11, weight=weight)
    ax.set_xlim(-0.1, n_cols + 0.1)
    ax.set_ylim(-0.1, n_rows + 0.1)
    ax.set_aspect("equal")
    ax.axis("off")


def draw_pool_example(axes, x, y_max, y_mean, K):
    """The input with its K x K windows coloured, then the max and mean outputs.

    Inputs:
    - axes: three axes
    - x: (H, W) array; y_max, y_mean: (H // K, W // K) arrays
    """
    H, W = x.shape
    block = [[BLOCK_COLORS[((i // K) * (W // K) + j // K) % 4] for j in range(W)]
             for i in range(H)]
    is_max = np.zeros_like(x, dtype=bool)
    for bi in range(H // K):
        for bj in range(W // K):
            win = x[bi * K : (bi + 1) * K, bj * K : (bj + 1) * K]
            r, c = np.unravel_index(np.argmax(win), win.shape)
            is_max[bi * K + r, bj * K + c] = True
    out_colors = [[BLOCK_COLORS[(i * (W // K) + j) % 4] for j in range(W // K)]
                  for i in range(H // K)]
    _number_grid(axes[0], x, block, bold=is_max)
    axes[0].set_title(f"input, {K}×{K} windows")
    _number_grid(axes[1], y_max, out_colors)
    axes[1].set_title("max pooling")
    _number_grid(axes[2], y_mean, out_colors)
    axes[2].set_title("mean pooling")


def draw_tolerance(ax, changes, n_images):
    """Box plot of the relative change caused by a 1-pixel shift, per method."""
    names = list(changes)
    ax.boxplot([changes[n] for n in names], showmeans=True)
    ax.set_xticks(range(1, len(names) + 1), names)
    ax.set_ylabel("relative change of the output")
    ax.set_title(f"1-pixel shifts, {n_images} images × 3 directions", fontsize=10)
    ax.grid(axis="y", alpha=0.3)


def draw_shift_curves(ax, shifts, curves):
    """Mean relative change against the size of the shift, one line per method."""
    for (name, values), marker in zip(curves.items(), "osd^v"):
        ax.plot(shifts, values, marker=marker, ms=4, label=name)
    ax.set_xlabel("horizontal shift (pixels)")
    ax.set_ylabel("mean relative change")
    ax.set_xticks(shifts)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)


def draw_image_row(axes, images, titles, vmin=0, vmax=1):
    """Grey-level images side by side, without axes."""
    for ax, img, title in zip(axes, images, titles):
        ax.imshow(img, cmap="gray", vmin=vmin, vmax=vmax, interpolation="nearest")
        ax.set_title(title, fontsize=9)
        ax.axis("off")


def draw_stage_bars(axes, labels, series, ylabels):
    """Grouped bars: for each panel, one group per stage, one bar per series.

    Inputs:
    - axes: one axis per quantity
    - labels: stage names
    - series: {series name: [values of panel 0 per stage, values of panel 1, ...]}
    """
    width = 0.8 / len(series)
    x = np.arange(len(labels))
    for p, ax in enumerate(axes):
        for s, (name, panels) in enumerate(series.items()):
            ax.bar(x + (s - (len(series) - 1) / 2) * width, panels[p], width,
                   label=name, color=BLOCK_COLORS[s])
        ax.set_xticks(x, labels, fontsize=8)
        ax.set_ylabel(ylabels[p])
        ax.set_yscale("log")
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(fontsize=8)


def new_figure(n_cols, width=10, height=3):
    return plt.subplots(1, n_cols, figsize=(width, height), layout="constrained")
