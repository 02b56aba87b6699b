"""Time the course's NumPy references against PyTorch on the CPU, layer by layer.

Three groups, each on the shapes of real layers:

- forward: the reference `conv2d` of the conv2d assignment against
  torch.nn.functional.conv2d;
- backward: the reference `conv2d_backward` of the backward assignment (the
  gradients of x, weight and bias from the output's gradient) against
  torch.autograd.grad on a graph built once, outside the timing, on the same
  shapes as the forward group;
- pooling: the references `max_pool2d` and `avg_pool2d` of the pooling
  assignment against their torch.nn.functional namesakes.

The NumPy side is loaded from the solution notebooks (the assignments are found
through autograder/manifest.py), so the benchmark measures exactly what students
are compared with. Both sides run on one thread (OPENBLAS_NUM_THREADS,
OMP_NUM_THREADS and MKL_NUM_THREADS are 1 before NumPy loads: the script starts
itself again with them if needed; torch.set_num_threads(1)), in float32, side by
side in one run: every repetition times every case with both libraries, in
alternating order, and the report gives medians, their ratio (NumPy time over
PyTorch time), and per group the geometric mean and the worst ratio. For every
case it also measures what bounds it: for a convolution, the rate (GFLOP/s) of
one OpenBLAS sgemm of the layer's im2col shape (on the forward patch-matrix
route, of the block of output rows that the reference multiplies at a time)
against the rate PyTorch reaches on the whole layer; for a depthwise layer, the
rate of its multiply-add passes alone, without the copies around them; for
pooling, the rate of a plain copy of the input.

    python benchmarks/conv2d_numpy_vs_torch.py             # full run, a few minutes
    python benchmarks/conv2d_numpy_vs_torch.py --quick     # smoke test, tiny layers

The full run writes benchmarks/results/conv2d_cpu.json and a Markdown table
beside it, conv2d_cpu.md (--out to change), which the book's conv2d chapter
reads. The 1-minute load average is recorded before and after the run: ratios
measured on a loaded machine are noisier than on an idle one, so the results
file says which it was. OpenBLAS picks its kernels for the processor; where
OPENBLAS_CORETYPE is set it forces older ones, so unset it, with
OPENBLAS_L2_SIZE, in the benchmark's own command:
`env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/...`.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "conv2d_cpu.json"
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
# glibc's allocator, by default, hands large freed blocks back to the system and
# maps fresh pages for the next one: a layer's output then pays for faulting in
# and zeroing its pages on some calls and not others, depending on what was
# freed before. Measured here, PyTorch's depthwise layer took 4 to 29 ms from
# one call to the next that way, and 4 ms on every call with these settings,
# which keep freed memory for reuse (blocks up to 32 MiB come from the heap,
# and the heap is not trimmed). Both libraries run in this process, so both
# get the same allocator.
ALLOCATOR = {
    "MALLOC_MMAP_THRESHOLD_": "33554432",
    "MALLOC_TRIM_THRESHOLD_": "4294967296",
}
GROUPS = ("forward", "backward", "pooling")
# The targets: geometric mean and worst ratio (NumPy / PyTorch) per group.
TARGETS = {
    "forward": {"geomean": 1.0, "worst": 1.2},
    "backward": {"geomean": 1.2, "worst": None},
    "pooling": {"geomean": 1.5, "worst": 1.5},
}
LOADED = 1.0  # a 1-minute load average above this (one thread) is a loaded machine


@dataclass(frozen=True)
class Conv:
    """One convolutional layer: x (N, C, H, W), weight (C_out, C_in/groups, KH, KW)."""

    name: str
    x: tuple
    weight: tuple
    stride: int = 1
    padding: int = 0
    groups: int = 1


@dataclass(frozen=True)
class Pool:
    """One pooling layer: kind 'max' or 'avg', x (N, C, H, W), square window."""

    name: str
    kind: str
    x: tuple
    kernel: int
    stride: int
    padding: int = 0


CONVS = [
    Conv("AlexNet conv1", (8, 3, 224, 224), (64, 3, 11, 11), 4, 2),
    Conv("VGG-16 conv3 (56x56)", (4, 256, 56, 56), (256, 256, 3, 3), 1, 1),
    Conv("VGG-16 conv4 (28x28)", (4, 512, 28, 28), (512, 512, 3, 3), 1, 1),
    Conv("ResNet 3x3 64->128 /2", (4, 64, 56, 56), (128, 64, 3, 3), 2, 1),
    Conv("1x1 256->64 (56x56)", (4, 256, 56, 56), (64, 256, 1, 1)),
    Conv("depthwise 3x3 (56x56)", (4, 256, 56, 56), (256, 1, 3, 3), 1, 1, 256),
]
POOLS = [
    Pool("VGG max 2x2 /2", "max", (4, 256, 56, 56), 2, 2),
    Pool("ResNet max 3x3 /2", "max", (8, 64, 112, 112), 3, 2, 1),
    Pool("avg 2x2 /2", "avg", (4, 256, 56, 56), 2, 2),
    Pool("avg 3x3 /1", "avg", (4, 256, 28, 28), 3, 1, 1),
]
QUICK_CONVS = [
    Conv("tiny strided", (2, 3, 32, 32), (8, 3, 5, 5), 2, 2),
    Conv("tiny 3x3", (1, 16, 12, 12), (16, 16, 3, 3), 1, 1),
    Conv("tiny depthwise", (1, 8, 12, 12), (8, 1, 3, 3), 1, 1, 8),
]
QUICK_POOLS = [
    Pool("tiny max", "max", (1, 4, 12, 12), 2, 2),
    Pool("tiny avg", "avg", (1, 4, 13, 13), 3, 2, 1),
]


def ensure_one_thread():
    """Start this script again with one BLAS / OpenMP thread and the allocator's
    settings (ALLOCATOR), if not already so."""
    wanted = {**dict.fromkeys(THREAD_VARIABLES, "1"), **ALLOCATOR}
    if all(os.environ.get(name) == value for name, value in wanted.items()):
        return
    env = {**os.environ, **wanted}
    os.execve(sys.executable, [sys.executable, *sys.argv], env)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--quick", action="store_true", help="smoke test: tiny layers, 1 repetition"
    )
    p.add_argument("--repeats", type=int, default=None, help="timed repetitions")
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help=f"results file (default {DEFAULT_OUT.relative_to(ROOT)}; "
        "none with --quick); the Markdown table goes beside it (.md)",
    )
    p.add_argument(
        "--tables-only",
        action="store_true",
        help="time nothing: write the Markdown tables again from the results file",
    )
    return p.parse_args(argv)


def load_references():
    """The reference solutions' conv2d, conv2d_backward, max_pool2d, avg_pool2d."""
    sys.path.insert(0, str(ROOT / "tests"))
    sys.path.insert(0, str(ROOT))
    from autograder.manifest import ASSIGNMENTS
    from helpers import load_solutions

    by_ops = {a.ops: a for a in ASSIGNMENTS}
    found = {}
    # The notebooks' own cells may print a small timing: keep them quiet.
    with contextlib.redirect_stdout(io.StringIO()):
        for ops, names in [
            ("conv2d", ["conv2d"]),
            ("backward", ["conv2d_backward"]),
            ("pooling", ["max_pool2d", "avg_pool2d"]),
        ]:
            namespace = load_solutions(by_ops[ops].name, by_ops[ops].notebook)
            found.update({name: namespace[name] for name in names})
    return found


def blas_description():
    """The BLAS library behind NumPy, its kernel and thread count."""
    from threadpoolctl import threadpool_info

    for info in threadpool_info():
        if info["user_api"] == "blas" and "numpy" in info["filepath"]:
            return (
                f"{info['internal_api']} {info['version']} "
                f"({info.get('architecture')} kernel, {info['num_threads']} thread)"
            )
    return "unknown BLAS"


def cpu_name():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def out_hw(x, kernel_hw, stride, padding):
    return tuple((n + 2 * padding - k) // stride + 1 for n, k in zip(x[2:], kernel_hw))


def conv_gflop(conv):
    """Forward GFLOP of a layer: 2 per multiply-accumulate."""
    h, w = out_hw(conv.x, conv.weight[2:], conv.stride, conv.padding)
    return 2 * math.prod(conv.weight) * conv.x[0] * h * w / 1e9


def conv_cases(convs, refs, rng):
    """(group, name, description, runs, check) for the forward and backward cases."""
    import numpy as np
    import torch
    import torch.nn.functional as F

    cases = []
    for conv in convs:
        x = rng.standard_normal(conv.x, dtype=np.float32)
        # He-style scale keeps the outputs of order one, like a trained layer's.
        scale = (2.0 / math.prod(conv.weight[1:])) ** 0.5
        w = (rng.standard_normal(conv.weight, dtype=np.float32) * scale).astype(
            np.float32
        )
        b = rng.standard_normal(conv.weight[0], dtype=np.float32)
        args = dict(stride=conv.stride, padding=conv.padding, groups=conv.groups)
        # Each library reads its own copy, so neither warms the other's cache.
        xt, wt, bt = (torch.from_numpy(a.copy()) for a in (x, w, b))
        forward = {
            "numpy": lambda x=x, w=w, b=b, a=args: refs["conv2d"](x, w, b, **a),
            "torch": lambda x=xt, w=wt, b=bt, a=args: F.conv2d(x, w, b, **a),
        }
        with torch.no_grad():
            y = F.conv2d(xt, wt, bt, **args)
        g = rng.standard_normal(tuple(y.shape), dtype=np.float32)
        leaves = [t.clone().requires_grad_() for t in (xt, wt, bt)]
        graph = F.conv2d(*leaves, **args)
        gt = torch.from_numpy(g.copy())
        backward = {
            "numpy": lambda g=g, x=x, w=w, a=args: refs["conv2d_backward"](
                g, x, w, **a
            ),
            "torch": lambda y=graph, leaves=leaves, g=gt: torch.autograd.grad(
                y, leaves, g, retain_graph=True
            ),
        }
        desc = {
            "x": list(conv.x),
            "weight": list(conv.weight),
            "stride": conv.stride,
            "padding": conv.padding,
            "groups": conv.groups,
            "gflop": conv_gflop(conv),
        }
        cases.append(("forward", conv.name, desc, forward))
        cases.append(
            ("backward", conv.name, {**desc, "gflop": 2 * desc["gflop"]}, backward)
        )
    return cases


def pool_cases(pools, refs, rng):
    import numpy as np
    import torch
    import torch.nn.functional as F

    cases = []
    for pool in pools:
        x = rng.standard_normal(pool.x, dtype=np.float32)
        xt = torch.from_numpy(x.copy())
        args = (pool.kernel, pool.stride, pool.padding)
        ours, theirs = refs[f"{pool.kind}_pool2d"], getattr(F, f"{pool.kind}_pool2d")
        runs = {
            "numpy": lambda x=x, a=args, f=ours: f(x, *a),
            "torch": lambda x=xt, a=args, f=theirs: f(x, *a),
        }
        desc = {
            "x": list(pool.x),
            "kind": pool.kind,
            "kernel": pool.kernel,
            "stride": pool.stride,
            "padding": pool.padding,
            "mbytes": x.nbytes / 1e6,
        }
        cases.append(("pooling", pool.name, desc, runs))
    return cases


def check_cases(cases):
    """Both libraries agree on every case before anything is timed."""
    import numpy as np
    import torch

    with torch.no_grad():
        for group, name, _, runs in cases:
            if group == "backward":
                theirs = [t.numpy() for t in runs["torch"]()]
            else:
                theirs = [runs["torch"]().numpy()]
            ours = runs["numpy"]()
            ours = list(ours) if group == "backward" else [ours]
            for a, b in zip(ours, theirs):
                assert a.dtype == np.float32 and a.shape == b.shape, (group, name)
                scale = max(1.0, float(np.abs(b).max()))
                assert np.allclose(a, b, rtol=1e-3, atol=1e-3 * scale), (group, name)


def time_cases(cases, repeats, warmup):
    """Median wall and CPU times of both libraries for every case.

    Each repetition runs every case once with each library, alternating which
    goes first (an even number of repetitions gives each library the first
    place equally often), so that both see the same state of the machine.
    """
    import torch

    samples = {(c[0], c[1], lib): ([], []) for c in cases for lib in "nt"}
    for rep in range(warmup + repeats):
        for group, name, _, runs in cases:
            order = ["numpy", "torch"] if rep % 2 == 0 else ["torch", "numpy"]
            for lib in order:
                grad = torch.enable_grad() if group == "backward" else torch.no_grad()
                with grad:
                    wall, cpu = time.perf_counter(), time.thread_time()
                    runs[lib]()
                    cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
                if rep >= warmup:
                    samples[group, name, lib[0]][0].append(wall)
                    samples[group, name, lib[0]][1].append(cpu)
    rows = []
    for group, name, desc, _ in cases:
        row = {"group": group, "name": name, **desc}
        for lib, key in (("n", "numpy"), ("t", "torch")):
            wall, cpu = samples[group, name, lib]
            row[f"{key}_s"] = statistics.median(wall)
            row[f"{key}_cpu_s"] = statistics.median(cpu)
            row[f"{key}_quartiles_s"] = _quartiles(wall)
        row["ratio"] = row["numpy_s"] / row["torch_s"]
        row["cpu_ratio"] = row["numpy_cpu_s"] / row["torch_cpu_s"]
        rows.append(row)
    return rows


def best_of(fn, repeats=5):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def bounds(rows, rng):
    """What bounds each case: OpenBLAS's sgemm rate on the layer's im2col product
    (forward and backward) or NumPy's copy rate of the input (pooling), beside
    the rate that PyTorch reaches on the whole case."""
    import numpy as np

    for row in rows:
        if row["group"] == "pooling":
            x = rng.standard_normal(row["x"], dtype=np.float32)
            out = np.empty_like(x)
            t = best_of(lambda x=x, out=out: np.copyto(out, x))
            row["bound"] = {
                "what": "np.copyto of the input",
                "numpy_copy_gbs": 2 * x.nbytes / t / 1e9,
                "torch_gbs": x.nbytes / row["torch_s"] / 1e9,
                "numpy_gbs": x.nbytes / row["numpy_s"] / 1e9,
            }
            continue
        c_out, c_group, kh, kw = row["weight"]
        groups = row["groups"]
        h, w = out_hw(row["x"], (kh, kw), row["stride"], row["padding"])
        if c_group == 1 and groups == c_out:
            row["bound"] = depthwise_bound(row, rng)
            continue
        m, k, n = c_out // groups, c_group * kh * kw, row["x"][0] * h * w
        patches = row["group"] == "forward" and im2col_route(row)
        if patches:
            # The reference's products: one per block of output rows, about
            # 2**20 values of the patch matrix but at least 768 columns.
            step = max(1, 2**20 // max(1, row["x"][1] * kh * kw * w), -(-768 // w))
            n = -(-h // -(-h // min(step, h))) * w
        a = rng.standard_normal((groups, m, k), dtype=np.float32)
        b = rng.standard_normal((groups, k, n), dtype=np.float32)
        out = np.empty((groups, m, n), dtype=np.float32)
        t = best_of(lambda a=a, b=b, out=out: np.matmul(a, b, out=out), 10)
        row["bound"] = {
            "what": f"np.matmul ({groups} x) {m}x{k} @ {k}x{n}",
            "numpy_sgemm_gflops": 2 * groups * m * k * n / t / 1e9,
            "torch_layer_gflops": row["gflop"] / row["torch_s"],
            "numpy_layer_gflops": row["gflop"] / row["numpy_s"],
        }
        if patches:
            # The route's other unavoidable work: copying the windows into the
            # patch matrix, block by block, for the whole batch.
            row["bound"]["patch_copy_s"] = patch_copy_seconds(row, n // w, rng)
    return rows


def patch_copy_seconds(row, rows, rng):
    """The time the reference spends building its patch matrices for the layer:
    for every image, a padded copy, then the windows of each block of `rows`
    output rows copied into one buffer. Best of a few runs."""
    import numpy as np

    n, c, h, w = row["x"]
    _, _, kh, kw = row["weight"]
    s, pad = row["stride"], row["padding"]
    h_out, w_out = out_hw(row["x"], (kh, kw), s, pad)
    x = rng.standard_normal(row["x"], dtype=np.float32)
    xp = np.zeros((c, h + 2 * pad, w + 2 * pad), dtype=np.float32)
    s_c, s_h, s_w = xp.strides
    windows = np.lib.stride_tricks.as_strided(
        xp,
        shape=(c, kh, kw, h_out, w_out),
        strides=(s_c, s_h, s_w, s_h * s, s_w * s),
        writeable=False,
    )
    block = np.empty((c, kh, kw, rows, w_out), dtype=np.float32)

    def build():
        for i in range(n):
            xp[:, pad : pad + h, pad : pad + w] = x[i]
            for r0 in range(0, h_out, rows):
                r1 = min(h_out, r0 + rows)
                np.copyto(block[..., : r1 - r0, :], windows[..., r0:r1, :])

    return best_of(build, 3)


def winograd_route(row):
    """Does the reference conv2d take Winograd's route (3x3, stride 1, one group)?"""
    _, _, kh, kw = row["weight"]
    return (kh, kw, row["groups"], row["stride"]) == (3, 3, 1, 1)


def im2col_route(row):
    """Does the reference conv2d take the patch matrix's route on this layer
    (not Winograd, not the 1x1 product per image, not the depthwise passes)?"""
    c_out, c_group, kh, kw = row["weight"]
    winograd = winograd_route(row)
    pointwise = (kh, kw, row["padding"], row["stride"]) == (1, 1, 0, 1)
    pointwise = pointwise and row["groups"] == 1
    depthwise = c_group == 1 and row["groups"] == c_out
    return not (winograd or pointwise or depthwise)


def depthwise_bound(row, rng):
    """The floor of the reference's depthwise route: its passes alone.

    The reference lays each padded image out flat and computes the outputs on
    rows as wide as the padded input, so that every tap is one long slice.
    Forward, that is KH * KW multiplies and KH * KW - 1 additions of slices
    per block of channels; backward, per tap, one dot product per channel
    (grad_W) and one multiply and one addition (grad_x). Here those passes run
    alone over the layer's whole batch, without the copies in and out of the
    flat layout: no NumPy code on that route can be faster. Their rate, in the
    layer's FLOPs per second, is the bound."""
    import numpy as np

    n, c, h, w = row["x"]
    _, _, kh, kw = row["weight"]
    assert row["stride"] == 1, "the flat route is the stride-1 depthwise route"
    pad = row["padding"]
    wp = w + 2 * pad
    h_out = h + 2 * pad - kh + 1
    span = h_out * wp
    offsets = [p * wp + q for p in range(kh) for q in range(kw)]
    flat = rng.standard_normal((c, (h + 2 * pad) * wp + kw - 1), dtype=np.float32)
    wc = rng.standard_normal((c, kh * kw, 1), dtype=np.float32)
    backward = row["group"] == "backward"
    block = max(1, (2**17 if backward else 2**18) // span)  # the reference's blocks
    acc = np.empty((min(block, c), span), dtype=np.float32)
    tmp = np.empty_like(acc)
    grad_flat = np.zeros_like(flat)
    grad_w = np.zeros((c, kh * kw), dtype=np.float32)

    def forward():
        for _ in range(n):
            for c0 in range(0, c, block):
                cs = slice(c0, c0 + block)
                a, t = acc[: len(wc[cs])], tmp[: len(wc[cs])]
                np.multiply(flat[cs, :span], wc[cs, 0], out=a)
                for k, o in enumerate(offsets[1:], 1):
                    a += np.multiply(flat[cs, o : o + span], wc[cs, k], out=t)

    def backward_passes():
        for _ in range(n):
            for c0 in range(0, c, block):
                cs = slice(c0, c0 + block)
                g, t = acc[: len(wc[cs])], tmp[: len(wc[cs])]
                for k, o in enumerate(offsets):
                    taps = flat[cs, o : o + span]
                    grad_w[cs, k] += np.matmul(g[:, None], taps[..., None])[:, 0, 0]
                    grad_flat[cs, o : o + span] += np.multiply(g, wc[cs, k], out=t)

    t = best_of(backward_passes if backward else forward, 3)
    what = (
        "per tap: a dot product per channel, np.multiply, np.add"
        if backward
        else "per tap: np.multiply, np.add"
    )
    return {
        "what": f"{what}; {min(block, c)} channels x {span} values a block, alone",
        "numpy_madd_gflops": row["gflop"] / t,
        "numpy_floor_s": t,
        "torch_layer_gflops": row["gflop"] / row["torch_s"],
        "numpy_layer_gflops": row["gflop"] / row["numpy_s"],
    }


def _quartiles(values):
    if len(values) < 2:
        return [values[0], values[0]]
    q = statistics.quantiles(values, n=4)
    return [q[0], q[2]]


def geometric_mean(values):
    return math.exp(sum(math.log(v) for v in values) / len(values))


def summarise(rows):
    """Per group: geometric mean and worst ratio, against the targets."""
    summary = {}
    for group in GROUPS:
        ratios = {r["name"]: r["ratio"] for r in rows if r["group"] == group}
        if not ratios:
            continue
        worst = max(ratios, key=ratios.get)
        geo = geometric_mean(list(ratios.values()))
        target = TARGETS[group]
        met = geo <= target["geomean"] and (
            target["worst"] is None or ratios[worst] <= target["worst"]
        )
        summary[group] = {
            "geomean_ratio": geo,
            "worst": worst,
            "worst_ratio": ratios[worst],
            "target": target,
            "target_met": met,
        }
    return summary


def case_label(row):
    if row["group"] == "pooling":
        k, s, p = row["kernel"], row["stride"], row["padding"]
        return f"{row['kind']} {k}x{k} s{s} p{p}"
    w = "x".join(map(str, row["weight"]))
    extra = f" g{row['groups']}" if row["groups"] > 1 else ""
    return f"{w} s{row['stride']} p{row['padding']}{extra}"


def bound_text(row):
    b = row["bound"]
    if row["group"] == "pooling":
        return (
            f"copy {b['numpy_copy_gbs']:.1f} GB/s; torch reads "
            f"{b['torch_gbs']:.2f}, NumPy {b['numpy_gbs']:.2f} GB/s"
        )
    kind, rate = next(
        (name, b[key])
        for name, key in [
            ("sgemm", "numpy_sgemm_gflops"),
            ("madd", "numpy_madd_gflops"),
        ]
        if key in b
    )
    # The floor: the ratio NumPy would reach if that operation were all it did.
    # Winograd's route does fewer multiplications than the patch matrix's sgemm,
    # so that sgemm is no floor for it.
    floor = (
        "Winograd: fewer products"
        if row["group"] == "forward" and winograd_route(row)
        else f"floor {b['torch_layer_gflops'] / rate:.2f}"
    )
    if "patch_copy_s" in b:
        # The product and the patch matrix's copies, both unavoidable on the route.
        both = b["torch_layer_gflops"] / rate + b["patch_copy_s"] / row["torch_s"]
        floor += f", {both:.2f} with the patch matrix"
    return (
        f"{kind} {rate:.0f}; torch layer "
        f"{b['torch_layer_gflops']:.0f}; NumPy layer {b['numpy_layer_gflops']:.1f}; "
        + floor
    )


def markdown(rows, summary, meta):
    """The results as a Markdown page: the machine, the load, one table per group."""
    lines = [
        "# NumPy references against PyTorch on the CPU",
        "",
        f"Machine: {meta['machine']}.",
        "",
        f"1-minute load average {meta['load_before'][0]} before the run and "
        f"{meta['load_after'][0]} after it, on {meta['cores']} cores: "
        + (
            "**measured on a loaded machine** (other work shared the cores); "
            "ratios are noisier than on an idle machine."
            if meta["loaded"]
            else "an idle machine."
        ),
        "",
        f"Median of {meta['repeats']} interleaved repetitions after "
        f"{meta['warmup']} warm-up, one thread each, float32, with glibc's allocator "
        "keeping freed memory for reuse (MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_"
        ": no call pays for fresh pages). Ratio = NumPy time / "
        "PyTorch time (below 1: NumPy faster). Rates in GFLOP/s (convolutions) "
        "or GB/s (pooling). Bound: the rate of the operation that limits the NumPy "
        "side (sgemm: one OpenBLAS product of the layer's im2col shape, for the "
        "forward patch-matrix route one block of output rows as the reference "
        "builds it; madd: the "
        "multiply-add passes of the depthwise route alone, over the whole layer, "
        "without the copies into and out of its layout; copy: a copy of the "
        "input), beside "
        "the rate of PyTorch's and NumPy's whole layer. Floor: PyTorch's layer "
        "rate over the bound's, the ratio the reference's route would reach if "
        "that operation were all it did (on the patch matrix's route, also with "
        "the time that building the patch matrix takes alone): a floor above 1.2 "
        "puts the 1.2 target out of that route's reach. The bound is the best of a "
        "few runs, the layers' rates come from the medians: under load the bound "
        "is the less disturbed of the two.",
    ]
    for group in GROUPS:
        group_rows = [r for r in rows if r["group"] == group]
        if not group_rows:
            continue
        s = summary[group]
        t = s["target"]
        target = f"geomean ≤ {t['geomean']}" + (
            f", worst ≤ {t['worst']}" if t["worst"] else ""
        )
        lines += [
            "",
            f"## {group}",
            "",
            "| case | input | layer | NumPy (ms) | PyTorch (ms) | ratio | bound |",
            "|---|---|---|---:|---:|---:|---|",
        ]
        for r in group_rows:
            lines.append(
                f"| {r['name']} | {'x'.join(map(str, r['x']))} | {case_label(r)} | "
                f"{r['numpy_s'] * 1e3:.1f} | {r['torch_s'] * 1e3:.1f} | "
                f"{r['ratio']:.2f} | {bound_text(r)} |"
            )
        lines += [
            "",
            f"Geometric mean {s['geomean_ratio']:.2f}, worst {s['worst_ratio']:.2f} "
            f"({s['worst']}); target {target}: "
            + ("**met**." if s["target_met"] else "**not met**."),
        ]
    return "\n".join(lines) + "\n"


def report(rows, summary, meta):
    print(meta["machine"])
    print(f"load average before the run: {meta['load_before']}")
    print(f"{meta['repeats']} timed repetitions after {meta['warmup']} warm-up")
    for group in GROUPS:
        group_rows = [r for r in rows if r["group"] == group]
        if not group_rows:
            continue
        head = (
            f"{group:24s} {'layer':>26s} {'NumPy ms':>9s} {'torch ms':>9s} "
            f"{'ratio':>6s} {'cpu ratio':>9s}  bound"
        )
        print(f"\n{head}\n{'-' * len(head)}")
        for r in group_rows:
            print(
                f"{r['name']:24s} {case_label(r):>26s} {r['numpy_s'] * 1e3:9.1f} "
                f"{r['torch_s'] * 1e3:9.1f} {r['ratio']:6.2f} {r['cpu_ratio']:9.2f}"
                f"  {bound_text(r)}"
            )
        s = summary[group]
        print(
            f"{group}: geometric mean of the ratios (NumPy / PyTorch) "
            f"{s['geomean_ratio']:.2f}, worst {s['worst_ratio']:.2f} ({s['worst']})"
        )
    print(f"\nload average after the run: {meta['load_after']}")


def main(argv=None):
    args = parse_args(argv)
    if args.tables_only:
        out = args.out or DEFAULT_OUT
        recorded = json.loads(out.read_text())
        rows = recorded.pop("shapes")
        out.with_suffix(".md").write_text(markdown(rows, recorded["groups"], recorded))
        print(f"{out.with_suffix('.md')} written again from {out}")
        return
    ensure_one_thread()
    import numpy as np
    import torch

    torch.set_num_threads(1)
    convs, pools = (QUICK_CONVS, QUICK_POOLS) if args.quick else (CONVS, POOLS)
    repeats = args.repeats or (1 if args.quick else 10)
    warmup = 0 if args.quick else 2
    coretype = os.environ.get("OPENBLAS_CORETYPE")
    if coretype:
        print(
            f"note: OPENBLAS_CORETYPE={coretype} forces OpenBLAS's kernels; see the "
            "docstring to unset it for this command",
            file=sys.stderr,
        )
    refs = load_references()
    rng = np.random.default_rng(0)
    cases = conv_cases(convs, refs, rng) + pool_cases(pools, refs, rng)
    check_cases(cases)
    load_before = [round(v, 2) for v in os.getloadavg()]
    rows = bounds(time_cases(cases, repeats, warmup), rng)
    load_after = [round(v, 2) for v in os.getloadavg()]
    summary = summarise(rows)
    meta = {
        "machine": (
            f"{cpu_name()} ({os.cpu_count()} cores); NumPy {np.__version__} with "
            f"{blas_description()}; PyTorch {torch.__version__} "
            f"({torch.get_num_threads()} thread)"
        ),
        "cores": os.cpu_count(),
        "load_before": load_before,
        "load_after": load_after,
        "loaded": max(load_before[0], load_after[0]) > LOADED,
        "repeats": repeats,
        "warmup": warmup,
        "openblas_coretype": coretype,
        "allocator": {name: os.environ.get(name) for name in ALLOCATOR},
        "groups": summary,
        "geomean_ratio": summary["forward"]["geomean_ratio"],
    }
    report(rows, summary, meta)
    out = args.out if (args.out or args.quick) else DEFAULT_OUT
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps({**meta, "shapes": rows}, indent=2) + "\n")
        out.with_suffix(".md").write_text(markdown(rows, summary, meta))
        print(f"results written to {out} and {out.with_suffix('.md')}")


if __name__ == "__main__":
    main()
