"""Time the course's NumPy conv2d against torch.nn.functional.conv2d on the CPU.

The NumPy side is the reference solution of assignment 03-conv2d, loaded from
solutions/03-conv2d/conv2d.ipynb, so the benchmark measures exactly what students
compare against. Both sides run on one thread (OPENBLAS_NUM_THREADS,
OMP_NUM_THREADS and MKL_NUM_THREADS are 1 before NumPy loads: the script starts
itself again with them if needed; torch.set_num_threads(1)), in float32, side by
side in one run: every repetition times each layer with both libraries, in
alternating order, and the report gives medians, their ratio (NumPy time over
PyTorch time) and the geometric mean of the ratios.

    python benchmarks/conv2d_numpy_vs_torch.py             # full run, about a minute
    python benchmarks/conv2d_numpy_vs_torch.py --quick     # smoke test, tiny layers

The full run writes benchmarks/results/conv2d_cpu.json (--out to change), which
the book's conv2d chapter shows. OpenBLAS picks its kernels for the processor;
where OPENBLAS_CORETYPE is set (some machines set it for older OpenBLAS builds)
it forces older ones, so unset it, with OPENBLAS_L2_SIZE, in the benchmark's own
command: `env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/...`.
The report names the kernel that OpenBLAS runs. Ratios are only comparable when
measured in one run on a quiet machine; the script prints the load average.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "conv2d_cpu.json"
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

# name, x shape (N, C, H, W), weight shape (C_out, C_in, KH, KW), stride, padding
LAYERS = [
    ("AlexNet conv1", (8, 3, 224, 224), (64, 3, 11, 11), 4, 2),
    ("VGG-16 conv3 (56x56)", (4, 256, 56, 56), (256, 256, 3, 3), 1, 1),
    ("VGG-16 conv4 (28x28)", (4, 512, 28, 28), (512, 512, 3, 3), 1, 1),
]
QUICK_LAYERS = [
    ("tiny strided", (2, 3, 32, 32), (8, 3, 5, 5), 2, 2),
    ("tiny 3x3", (1, 16, 12, 12), (16, 16, 3, 3), 1, 1),
]


def ensure_one_thread():
    """Start this script again with one BLAS / OpenMP thread, if not already so."""
    if all(os.environ.get(name) == "1" for name in THREAD_VARIABLES):
        return
    env = {**os.environ, **dict.fromkeys(THREAD_VARIABLES, "1")}
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
        "none with --quick)",
    )
    return p.parse_args(argv)


def load_reference_conv2d():
    """The vectorised conv2d of the assignment's reference solution."""
    sys.path.insert(0, str(ROOT / "tests"))
    from helpers import load_solutions

    # The notebook's own cells print a small timing of their own: keep it quiet.
    with contextlib.redirect_stdout(io.StringIO()):
        return load_solutions("03-conv2d", "conv2d.ipynb")["conv2d"]


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


def make_layer(rng, x_shape, w_shape):
    import numpy as np

    x = rng.standard_normal(x_shape, dtype=np.float32)
    # He-style scale keeps the outputs of order one, like a trained layer's.
    scale = (2.0 / math.prod(w_shape[1:])) ** 0.5
    w = (rng.standard_normal(w_shape, dtype=np.float32) * scale).astype(np.float32)
    b = rng.standard_normal(w_shape[0], dtype=np.float32)
    return x, w, b


def time_layers(layers, conv2d, repeats, warmup):
    """Median wall and CPU times of both libraries for every layer.

    Each repetition runs every layer once with each library, alternating which
    goes first (an even number of repetitions gives each library the first
    place equally often), so that both see the same state of the machine.
    """
    import numpy as np
    import torch
    import torch.nn.functional as F

    rng = np.random.default_rng(0)
    cases = []
    for name, x_shape, w_shape, stride, padding in layers:
        x, w, b = make_layer(rng, x_shape, w_shape)
        # Each library reads its own copy, so neither warms the other's cache.
        xt, wt, bt = (torch.from_numpy(a.copy()) for a in (x, w, b))
        runs = {
            "numpy": lambda x=x, w=w, b=b, s=stride, p=padding: conv2d(x, w, b, s, p),
            "torch": lambda x=xt, w=wt, b=bt, s=stride, p=padding: F.conv2d(
                x, w, b, s, p
            ),
        }
        with torch.no_grad():
            expected = runs["torch"]().numpy()
        got = runs["numpy"]()
        assert got.dtype == np.float32 and got.shape == expected.shape, name
        assert np.allclose(got, expected, rtol=1e-3, atol=1e-3), name
        cases.append((name, x_shape, w_shape, stride, padding, runs))

    samples = {(c[0], lib): {"wall": [], "cpu": []} for c in cases for lib in "nt"}
    with torch.no_grad():
        for rep in range(warmup + repeats):
            for name, *_, runs in cases:
                order = ["numpy", "torch"] if rep % 2 == 0 else ["torch", "numpy"]
                for lib in order:
                    wall, cpu = time.perf_counter(), time.thread_time()
                    runs[lib]()
                    cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
                    if rep >= warmup:
                        samples[name, lib[0]]["wall"].append(wall)
                        samples[name, lib[0]]["cpu"].append(cpu)

    results = []
    for name, x_shape, w_shape, stride, padding, _ in cases:
        row = {
            "name": name,
            "x": list(x_shape),
            "weight": list(w_shape),
            "stride": stride,
            "padding": padding,
            "gflop": 2
            * math.prod(w_shape)
            * _output_positions(x_shape, w_shape, stride, padding)
            / 1e9,
        }
        for lib, key in (("n", "numpy"), ("t", "torch")):
            wall, cpu = samples[name, lib]["wall"], samples[name, lib]["cpu"]
            row[f"{key}_s"] = statistics.median(wall)
            row[f"{key}_cpu_s"] = statistics.median(cpu)
            row[f"{key}_quartiles_s"] = _quartiles(wall)
        row["ratio"] = row["numpy_s"] / row["torch_s"]
        row["cpu_ratio"] = row["numpy_cpu_s"] / row["torch_cpu_s"]
        results.append(row)
    return results


def _output_positions(x_shape, w_shape, stride, padding):
    n, _, h, w = x_shape
    kh, kw = w_shape[2:]
    h_out = (h + 2 * padding - kh) // stride + 1
    w_out = (w + 2 * padding - kw) // stride + 1
    return n * h_out * w_out


def _quartiles(values):
    if len(values) < 2:
        return [values[0], values[0]]
    q = statistics.quantiles(values, n=4)
    return [q[0], q[2]]


def geometric_mean(values):
    return math.exp(sum(math.log(v) for v in values) / len(values))


def report(results, meta):
    print(meta["machine"])
    print(f"load average before the run: {meta['load_before']}")
    print(f"{meta['repeats']} timed repetitions after {meta['warmup']} warm-up\n")
    head = (
        f"{'layer':22s} {'input':>16s} {'weight':>16s} {'GFLOP':>6s} "
        f"{'NumPy ms':>9s} {'torch ms':>9s} {'ratio':>6s} {'cpu ratio':>9s}"
    )
    print(head)
    print("-" * len(head))
    for r in results:
        print(
            f"{r['name']:22s} {'x'.join(map(str, r['x'])):>16s} "
            f"{'x'.join(map(str, r['weight'])):>16s} {r['gflop']:6.2f} "
            f"{r['numpy_s'] * 1e3:9.1f} {r['torch_s'] * 1e3:9.1f} "
            f"{r['ratio']:6.2f} {r['cpu_ratio']:9.2f}"
        )
    print(
        f"\ngeometric mean of the ratios (NumPy / PyTorch): "
        f"{meta['geomean_ratio']:.2f} (wall), {meta['geomean_cpu_ratio']:.2f} (CPU)"
    )
    print(f"load average after the run: {meta['load_after']}")


def main(argv=None):
    args = parse_args(argv)
    ensure_one_thread()
    import numpy as np
    import torch

    torch.set_num_threads(1)
    layers = QUICK_LAYERS if args.quick else LAYERS
    repeats = args.repeats or (1 if args.quick else 16)
    warmup = 0 if args.quick else 2
    coretype = os.environ.get("OPENBLAS_CORETYPE")
    if coretype:
        print(
            f"note: OPENBLAS_CORETYPE={coretype} forces OpenBLAS's kernels; see the "
            "docstring to unset it for this command",
            file=sys.stderr,
        )
    conv2d = load_reference_conv2d()
    load_before = [round(v, 2) for v in os.getloadavg()]
    results = time_layers(layers, conv2d, repeats, warmup)
    meta = {
        "machine": (
            f"{cpu_name()} ({os.cpu_count()} cores); NumPy {np.__version__} with "
            f"{blas_description()}; PyTorch {torch.__version__} "
            f"({torch.get_num_threads()} thread)"
        ),
        "load_before": load_before,
        "load_after": [round(v, 2) for v in os.getloadavg()],
        "repeats": repeats,
        "warmup": warmup,
        "openblas_coretype": coretype,
        "geomean_ratio": geometric_mean([r["ratio"] for r in results]),
        "geomean_cpu_ratio": geometric_mean([r["cpu_ratio"] for r in results]),
    }
    report(results, meta)
    out = args.out if (args.out or args.quick) else DEFAULT_OUT
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps({**meta, "shapes": results}, indent=2) + "\n")
        print(f"results written to {out}")


if __name__ == "__main__":
    main()
