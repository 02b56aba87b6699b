"""Tables and figures of the chapter that counts the five networks and runs them."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import (
    FuncFormatter,
    LogLocator,
    MaxNLocator,
    NullFormatter,
)

from convbook.benchmark import speedups, targets

NETWORK_COLORS = {
    "AlexNet": "#4e79a7",
    "VGG-16": "#e15759",
    "GoogLeNet": "#59a14f",
    "MobileNet v1": "#f28e2b",
    "Xception": "#b07aa1",
}


SPATIAL = ("Conv2d", "MaxPool2d", "AvgPool2d")


def _fmt(value, column):
    if value is None:
        return "–"
    if column == "shape":
        return "×".join(str(v) for v in value[1:])  # without the batch axis
    if column == "macs":
        return f"{value / 1e6:,.1f}"
    if column == "bytes":
        return f"{value / 2**10:,.0f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


TABLE_HEADERS = {
    "name": "layer",
    "type": "type",
    "shape": "output C×H×W",
    "params": "parameters",
    "macs": "MACs (millions)",
    "rf": "receptive field",
    "jump": "jump",
    "bytes": "output (KiB, fp32)",
}


def markdown_table(rows, columns=tuple(TABLE_HEADERS)) -> str:
    """A Markdown table of ``layer_table`` or ``block_table`` rows."""
    lines = ["| " + " | ".join(TABLE_HEADERS[c] for c in columns) + " |"]
    lines.append(
        "|" + "|".join(":--" if c in ("name", "type") else "--:" for c in columns) + "|"
    )
    for row in rows:
        lines.append("| " + " | ".join(_fmt(row[c], c) for c in columns) + " |")
    return "\n".join(lines)


def _split(rows, key):
    """(convolutions' share, linear layers' share) of a key over the rows."""
    conv = sum(r[key] for r in rows if r["type"] != "Linear")
    return conv, sum(r[key] for r in rows if r["type"] == "Linear")


def plot_totals(summaries: dict, axes) -> None:
    """Bars of parameters and MACs (split convolutional / linear) and memory."""
    names = list(summaries)
    x = np.arange(len(names))
    for ax, key, scale, label in [
        (axes[0], "params", 1e6, "parameters (millions)"),
        (axes[1], "macs", 1e9, "MACs per image (billions)"),
    ]:
        conv, lin = np.array([_split(summaries[n]["rows"], key) for n in names]).T
        ax.bar(x, conv / scale, color="#76b7b2", label="convolutions")
        ax.bar(x, lin / scale, bottom=conv / scale, color="#b07aa1", label="linear")
        ax.set_ylabel(label)
    memory = [summaries[n]["activation_bytes"] / 2**20 for n in names]
    axes[2].bar(x, memory, color=[NETWORK_COLORS.get(n, "grey") for n in names])
    axes[2].set_ylabel("all layer outputs (MiB per image, fp32)")
    for ax in axes:
        ax.set_xticks(x, names, rotation=20)
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend()


def plot_params_vs_macs(summaries: dict, ax) -> None:
    """Each network as a point: parameters against MACs, both on log scales."""
    for name, s in summaries.items():
        ax.scatter(
            s["params"] / 1e6,
            s["macs"] / 1e9,
            s=80,
            color=NETWORK_COLORS.get(name, "grey"),
        )
        ax.annotate(
            name,
            (s["params"] / 1e6, s["macs"] / 1e9),
            textcoords="offset points",
            xytext=(8, -4),
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("parameters (millions)")
    ax.set_ylabel("MACs per 224×224 image (billions)")
    ax.grid(alpha=0.3, which="both")


def plot_receptive_fields(tables: dict, ax, image_size: int = 224) -> None:
    """Receptive field against the share of the network's MACs done so far."""
    for name, rows in tables.items():
        macs = np.cumsum([r["macs"] for r in rows]) / sum(r["macs"] for r in rows)
        rf = [r["rf"] if r["type"] in SPATIAL else None for r in rows]
        keep = [i for i, v in enumerate(rf) if v is not None]
        widest = np.maximum.accumulate([rf[i] for i in keep])  # through branches
        ax.step(
            100 * macs[keep],
            widest,
            where="post",
            label=name,
            color=NETWORK_COLORS.get(name, "grey"),
        )
    ax.axhline(image_size, color="black", lw=0.8, ls="--")
    ax.text(1, image_size * 1.03, f"image: {image_size} pixels", fontsize=9)
    ax.set_xlabel("share of the network's MACs done (%)")
    ax.set_ylabel("receptive field (pixels)")
    ax.legend()
    ax.grid(alpha=0.3)


def plot_digits(summaries: dict, axes) -> None:
    """Final test accuracy against parameters, and test accuracy per epoch.

    ``summaries`` maps a label such as ``("separable", 0.5)`` to
    ``digits.summarise``'s dict. Left: the mean over seeds with a bar of one
    standard deviation each way. Right: the mean curve over seeds, shaded one
    standard deviation each way.
    """
    colors = {"standard": "#4e79a7", "separable": "#f28e2b"}
    for (kind, width), s in summaries.items():
        label = f"{kind}, width {width}"
        axes[0].errorbar(
            s["params"],
            100 * s["mean"],
            yerr=100 * s["sd"],
            fmt="o" if width == 1 else "s",
            color=colors[kind],
            capsize=4,
            markersize=5 + 3 * width,
        )
        axes[0].annotate(
            label,
            (s["params"], 100 * s["mean"]),
            textcoords="offset points",
            xytext=(8, -12),
            fontsize=9,
        )
        curves = 100 * np.array(s["curves"])
        mean, sd = curves.mean(axis=0), curves.std(axis=0, ddof=1)
        epochs = np.arange(1, len(mean) + 1)
        style = "-" if width == 1 else "--"
        axes[1].plot(epochs, mean, style, color=colors[kind], label=label)
        axes[1].fill_between(
            epochs, mean - sd, mean + sd, color=colors[kind], alpha=0.15
        )
    axes[0].set_xscale("log")
    axes[0].margins(x=0.3, y=0.15)
    axes[1].xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[1].set_ylim(bottom=max(0, axes[1].get_ylim()[0]))
    axes[0].set_xlabel("parameters")
    axes[0].set_ylabel("final test accuracy (%)")
    axes[1].set_xlabel("epoch")
    axes[1].set_ylabel("test accuracy (%)")
    axes[1].legend(fontsize=9, loc="lower right")
    for ax in axes:
        ax.grid(alpha=0.3)


CPU_HEADERS = (
    "network",
    "parameters",
    "forward pass (s)",
    "its memory (MiB)",
    "training step (s)",
    "its memory (MiB)",
    "GFLOP/s (forward, step)",
)


def cpu_table_markdown(records: list[dict]) -> str:
    """A Markdown table of ``convbook.cpu_run`` records: one row per network, its
    forward pass and its training step side by side."""
    by = {(r["network"], r["mode"]): r for r in records}
    lines = ["| " + " | ".join(CPU_HEADERS) + " |"]
    lines.append("|:--|" + "--:|" * (len(CPU_HEADERS) - 1))
    for network in dict.fromkeys(r["network"] for r in records):
        fwd, step = by[network, "inference"], by[network, "train"]
        cells = [network, f"{fwd['params']:,}"]
        for r in (fwd, step):
            cells += [
                f"{r['seconds_per_iter']:.2f}",
                f"{r['peak_added_bytes'] / 2**20:,.0f}",
            ]
        cells.append(f"{fwd['gflops_per_s']:.0f}, {step['gflops_per_s']:.0f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot_throughput(records: list[dict], axes, title: str = "") -> None:
    """Images per second of each configuration, per network; one axis per mode.

    ``records`` are ``convbook.benchmark.measure`` results (a GPU results file's, or
    a small CPU run's); at each network the largest batch size measured is shown.
    """
    ok = [r for r in records if "error" not in r]
    networks = list(dict.fromkeys(r["network"] for r in ok))
    configs = list(dict.fromkeys(r["config"] for r in ok))
    width = 0.8 / max(len(configs), 1)
    colors = plt.get_cmap("tab10").colors
    for ax, mode in zip(axes, ("inference", "train")):
        for i, config in enumerate(configs):
            heights = []
            for network in networks:
                mine = [r for r in ok if r["network"] == network and r["mode"] == mode]
                batch = max((r["batch_size"] for r in mine), default=None)
                hit = [
                    r["images_per_s"]
                    for r in mine
                    if r["config"] == config and r["batch_size"] == batch
                ]
                heights.append(hit[0] if hit else np.nan)
            x = np.arange(len(networks)) + (i - (len(configs) - 1) / 2) * width
            ax.bar(x, heights, width, label=config, color=colors[i % 10])
        ax.set_xticks(np.arange(len(networks)), networks, rotation=15)
        ax.set_yscale("log")
        ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_ylabel("images per second")
        ax.set_title(f"{title}{mode}")
        ax.grid(axis="y", alpha=0.3, which="both")
    axes[0].legend(fontsize=8)


def _pct(fraction):
    return "–" if fraction is None else f"{100 * fraction:.1f}%"


def gpu_summary_markdown(result: dict) -> str:
    """A Markdown summary of a benchmark results file: where it was measured, and,
    per network, mode and batch size, the fastest configuration against fp32 eager."""
    env, records = result["environment"], result["records"]
    runs = sorted({r.get("run_started", "") for r in records} - {""})
    when = f" on {', '.join(runs)}" if runs else ""
    lines = [
        f"Measured on **{env['device_name']}**{when}, with PyTorch {env['torch']} and "
        f"CUDA {env['cuda']}. Training FLOPs: {env.get('train_flops', '3 x forward')}."
        " The fraction of peak is taken against the dense peak of the precision "
        "named beside it.",
        "",
        "| network | mode | batch | fastest configuration | images/s "
        "| × fp32 eager | peak memory (GiB) | fraction of peak |",
        "|:--|:--|--:|:--|--:|--:|--:|--:|",
    ]
    by_setting = {
        (r["network"], r["mode"], r["batch_size"], r["config"]): r
        for r in records
        if "error" not in r
    }
    for row in speedups(records):
        best = by_setting[
            row["network"], row["mode"], row["batch_size"], row["fastest"]
        ]
        speedup = row["speedup_over_fp32_eager"]
        memory = best.get("peak_memory_bytes")
        lines.append(
            f"| {row['network']} | {row['mode']} | {row['batch_size']} "
            f"| {row['fastest']} | {row['images_per_s']:,.0f} "
            f"| {'–' if speedup is None else f'{speedup:.2f}'} "
            f"| {'–' if memory is None else f'{memory / 2**30:.1f}'} "
            f"| {_pct(best.get('fraction_of_peak'))} ({best['peak_precision']}) |"
        )
    t = targets(records)
    failed = [r for r in records if "error" in r]
    best = ", ".join(f"{n} {v:.2f}×" for n, v in t["train_speedup"].items())
    vgg = _pct(t["vgg16_train_bf16_fraction"])
    lines += [
        "",
        f"Best training speed-up over fp32 eager, per network: {best}. VGG-16's best "
        f"training step reached {vgg} of the bf16 dense peak.",
    ]
    if failed:
        lines.append(f" {len(failed)} settings failed (e.g. out of memory).")
    return "\n".join(lines)


def plot_cpu_run(records: list[dict], axes) -> None:
    """Seconds and added memory of each network's forward pass and training step,
    from ``convbook.cpu_run`` records; bars side by side, log scales."""
    networks = list(dict.fromkeys(r["network"] for r in records))
    by = {(r["network"], r["mode"]): r for r in records}
    x = np.arange(len(networks))
    modes = {
        "inference": ("forward pass", "#4e79a7"),
        "train": ("training step", "#e15759"),
    }
    for ax, key, scale, label in [
        (axes[0], "seconds_per_iter", 1, "seconds per image"),
        (axes[1], "peak_added_bytes", 2**20, "memory added (MiB)"),
    ]:
        for i, (mode, (name, color)) in enumerate(modes.items()):
            heights = [by[n, mode][key] / scale for n in networks]
            ax.bar(x + (i - 0.5) * 0.4, heights, 0.4, label=name, color=color)
        ax.set_xticks(x, networks, rotation=15)
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.set_ylabel(label)
        ax.grid(axis="y", alpha=0.3, which="both")
    axes[0].legend(fontsize=9)
