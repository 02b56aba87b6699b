"""Figures of the chapter on the anatomy of a convolutional layer."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

CHANNEL_NAMES = ("red", "green", "blue")


def _show_slice(ax, k, vmax):
    ax.imshow(k, cmap="RdBu_r", vmin=-vmax, vmax=vmax)
    for (r, c), v in np.ndenumerate(k):
        if v != 0:
            ax.text(c, r, f"{v:.2g}", ha="center", va="center", fontsize=7,
                    color="white" if abs(v) > 0.6 * vmax else "black")
    ax.set_xticks([])
    ax.set_yticks([])


def draw_kernels_and_maps(image, weight, maps, names):
    """One row per kernel: its slice for each input channel, then its feature map.

    Inputs:
    - image: (H, W, 3) array in [0, 1], shown above the rows
    - weight: (C_out, 3, KH, KW) array, the kernels
    - maps: (C_out, OH, OW) array, the feature maps
    - names: C_out strings, one per kernel
    Returns:
    - fig
    """
    n = len(weight)
    fig = plt.figure(figsize=(8, 2.0 * (n + 1.2)), layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[1.2, n])
    ax = top.subplots()
    ax.imshow(image)
    ax.set_title("input image, 3 channels")
    ax.axis("off")
    axes = bottom.subplots(n, 4, gridspec_kw={"width_ratios": [1, 1, 1, 2.2]})
    vmax = np.abs(weight).max()
    for row, (w, fmap, name) in enumerate(zip(weight, maps, names)):
        for c in range(3):
            _show_slice(axes[row, c], w[c], vmax)
            if row == 0:
                axes[row, c].set_title(f"{CHANNEL_NAMES[c]} slice", fontsize=9)
        axes[row, 0].set_ylabel(name, fontsize=9)
        # Clip the few strongest responses so that the typical ones are visible.
        lim = np.percentile(np.abs(fmap), 99.5)
        signed = fmap.min() < 0
        axes[row, 3].imshow(fmap, cmap="RdBu_r" if signed else "gray",
                            vmin=-lim if signed else 0, vmax=lim)
        axes[row, 3].axis("off")
        if row == 0:
            axes[row, 3].set_title("feature map", fontsize=9)
    return fig


def draw_pca_curves(ax, ks, pca, random_runs, pca_relu):
    """Relative reconstruction error against the number of kept channels."""
    random_runs = np.asarray(random_runs)
    ax.fill_between(ks, random_runs.min(0), random_runs.max(0), color="#f28e2b",
                    alpha=0.25, label="random 1×1 conv (range of draws)")
    ax.plot(ks, random_runs.mean(0), "o-", color="#f28e2b", ms=4,
            label="random 1×1 conv (mean)")
    ax.plot(ks, pca_relu, "s-", color="#59a14f", ms=4, label="PCA 1×1 conv, then ReLU")
    ax.plot(ks, pca, "o-", color="#4e79a7", ms=4, label="PCA 1×1 conv")
    ax.set_xlabel("channels kept, k")
    ax.set_ylabel("relative reconstruction error")
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)


def draw_channel_maps(maps, titles, ncols=4):
    """A row of single-channel maps with a diverging colour map."""
    fig, axes = plt.subplots(1, len(maps), figsize=(2.3 * len(maps), 2.6),
                             layout="constrained")
    for ax, m, title in zip(axes, maps, titles):
        lim = np.abs(m).max()
        ax.imshow(m, cmap="RdBu_r", vmin=-lim, vmax=lim)
        ax.set_title(title, fontsize=9)
        ax.axis("off")
    return fig
