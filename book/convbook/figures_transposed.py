"""Figures of the chapters on transposed convolution and on backpropagation."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

COLORS = plt.get_cmap("tab10").colors


def plot_scatter_copies(ax, x, w, stride):
    """Stacked bars: the copy of the kernel that each input adds to the output.

    Inputs:
    - x: 1-D input, w: 1-D kernel, stride: the step between copies
    Returns:
    - the output (the sum of the copies), of length (len(x) - 1) * stride + len(w)
    """
    n_out = (len(x) - 1) * stride + len(w)
    pos, neg = np.zeros(n_out), np.zeros(n_out)
    for i, xi in enumerate(x):
        copy = np.zeros(n_out)
        copy[i * stride : i * stride + len(w)] = xi * np.asarray(w)
        bottom = np.where(copy >= 0, pos, neg)
        ax.bar(
            np.arange(n_out),
            copy,
            bottom=bottom,
            color=COLORS[i],
            edgecolor="black",
            label=f"x[{i}] = {xi:g} times w, from output {i * stride}",
        )
        pos += np.maximum(copy, 0)
        neg += np.minimum(copy, 0)
    total = pos + neg
    ax.plot(
        np.arange(n_out),
        total,
        "k_",
        markersize=22,
        markeredgewidth=2.5,
        label="output: the sum",
    )
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.set_xticks(np.arange(n_out))
    ax.set_xlabel("output position")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    return total


def show_map(ax, image, title, vmin=None, vmax=None):
    """An image with its values written in each cell."""
    ax.imshow(image, cmap="viridis", vmin=vmin, vmax=vmax)
    for (i, j), v in np.ndenumerate(image):
        ax.text(
            j,
            i,
            f"{v:g}",
            ha="center",
            va="center",
            fontsize=9,
            color="white" if v < (vmin + vmax) / 2 else "black",
        )
    ax.set_title(title, fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
