"""Figures of the receptive-field chapter: the cone of influence of a 1-D stack."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

CONE_COLOR = plt.get_cmap("tab10")(0)
IDLE_COLOR = "#cfcfcf"


def layer_lengths(n_in, layers):
    """Lengths of the 1-D signal after each layer (no padding).

    Inputs:
    - n_in: length of the input
    - layers: list of (K, S, D) tuples
    Returns:
    - list of L + 1 lengths, the input's first
    """
    lengths = [n_in]
    for K, S, D in layers:
        lengths.append((lengths[-1] - D * (K - 1) - 1) // S + 1)
    return lengths


def cone(lengths, layers, top_index):
    """Indices, per layer, of the nodes that can influence one node of the top layer.

    Returns a list of L + 1 sets, the input's first.
    """
    sets = [set() for _ in lengths]
    sets[-1] = {top_index}
    for level in range(len(layers), 0, -1):
        K, S, D = layers[level - 1]
        sets[level - 1] = {i * S + k * D for i in sets[level] for k in range(K)}
    return sets


def field_of(lengths, layers):
    """Number of inputs spanned by the cone of the first node of the last layer."""
    inputs = cone(lengths, layers, 0)[0]
    return max(inputs) - min(inputs) + 1


def node_positions(lengths, layers):
    """x position of every node: the centre of its receptive field in the input."""
    positions = [np.arange(lengths[0], dtype=float)]
    r, j = 1, 1
    for (K, S, D), n in zip(layers, lengths[1:]):
        r, j = r + (K - 1) * D * j, j * S
        positions.append(np.arange(n) * j + (r - 1) / 2)
    return positions


def draw_cone(ax, layers, names, n_in, top_index=None):
    """Draw a 1-D stack of layers and the cone of influence of one top node.

    Nodes and edges that can influence the chosen top node are coloured; the
    others are grey. The receptive field after each layer is written on the right.
    """
    lengths = layer_lengths(n_in, layers)
    top_index = lengths[-1] // 2 if top_index is None else top_index
    sets = cone(lengths, layers, top_index)
    xs = node_positions(lengths, layers)
    for level, (K, S, D) in enumerate(layers, start=1):
        for i in range(lengths[level]):
            for k in range(K):
                src = i * S + k * D
                hot = i in sets[level]
                ax.plot(
                    [xs[level - 1][src], xs[level][i]],
                    [level - 1, level],
                    color=CONE_COLOR if hot else IDLE_COLOR,
                    lw=1.4 if hot else 0.6,
                    zorder=2 if hot else 1,
                )
    for level, n in enumerate(lengths):
        hot = np.isin(np.arange(n), list(sets[level]))
        ax.scatter(
            xs[level],
            np.full(n, level),
            s=60,
            zorder=3,
            c=[CONE_COLOR if h else IDLE_COLOR for h in hot],
            edgecolor="k",
        )
        label = names[level]
        if level > 0:
            label += f"  (r = {field_of(lengths[: level + 1], layers[:level])})"
        ax.text(xs[0][-1] + 1.5, level, label, va="center", fontsize=10)
    lo, hi = min(sets[0]), max(sets[0])
    ax.annotate(
        "",
        xy=(lo - 0.4, -0.55),
        xytext=(hi + 0.4, -0.55),
        arrowprops={"arrowstyle": "<->", "color": CONE_COLOR},
    )
    ax.text(
        (lo + hi) / 2,
        -0.95,
        f"receptive field: {hi - lo + 1} inputs",
        ha="center",
        va="center",
        fontsize=10,
        color=CONE_COLOR,
    )
    ax.set_xlim(-1, xs[0][-1] + 10)
    ax.set_ylim(-1.3, len(layers) + 0.5)
    ax.axis("off")
    return hi - lo + 1
