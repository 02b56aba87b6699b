"""Benchmark AlexNet, VGG-16, GoogLeNet, MobileNet v1 and Xception on a CUDA GPU.

For every network, mode (inference, training step), batch size and configuration
(fp32 eager, channels_last, bf16 autocast, torch.compile and combinations), all in
one run so that the ratios are measured side by side, it records images/s, peak
memory, and achieved FLOP/s as a fraction of the device's dense peak. Results go to
benchmarks/results/gpu_networks.json (``--out`` to change).

    python benchmarks/gpu_networks.py                    # the full run, on a GPU
    python benchmarks/gpu_networks.py --networks VGG-16 --batch-sizes 128
    python benchmarks/gpu_networks.py --device cpu --tiny --out /tmp/smoke.json

Without CUDA it stops with an error, unless ``--device cpu`` asks for a CPU run;
``--tiny`` (small batch and input, one iteration) checks the code paths, and its
numbers say nothing about any GPU. The functions live in ``convbook.benchmark``,
which the book's chapter also uses.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

from convbook.benchmark import (
    CONFIGS,
    MODES,
    environment,
    measure,
    speedups,
    targets,
)
from convbook.networks import NETWORKS

SETTING_KEYS = ("network", "mode", "config", "batch_size", "image_size")
DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "gpu_networks.json"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    p.add_argument(
        "--tiny",
        action="store_true",
        help="smoke test: batch 2, 64x64 inputs, 10 classes, 1 iteration",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help=f"results file (default {DEFAULT_OUT}; required with --device cpu)",
    )
    p.add_argument("--networks", nargs="+", choices=list(NETWORKS), default=None)
    p.add_argument("--configs", nargs="+", choices=list(CONFIGS), default=None)
    p.add_argument("--modes", nargs="+", choices=MODES, default=None)
    p.add_argument("--batch-sizes", nargs="+", type=int, default=None)
    p.add_argument("--image-size", type=int, default=None)
    p.add_argument(
        "--warmup",
        type=int,
        default=None,
        help="untimed iterations first (default 5; 1 with --tiny)",
    )
    p.add_argument(
        "--iters",
        type=int,
        default=None,
        help="timed iterations (default 20; 1 with --tiny)",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        help="CPU threads for a CPU run (default: torch's; 1 with --tiny, which is "
        "robust when other processes share the cores)",
    )
    p.add_argument(
        "--append",
        action="store_true",
        help="merge into an existing results file from the same device (to run the "
        "networks in separate calls); records of the same setting are replaced",
    )
    p.add_argument(
        "--compile-backend",
        default=None,
        help="torch.compile backend (default inductor; eager with --tiny)",
    )
    return p.parse_args(argv)


def settings(args):
    """The run's settings: the defaults of a full run or of --tiny, then the flags."""
    full = dict(
        batch_sizes=[32, 128],
        image_size=224,
        classes=1000,
        warmup=5,
        iters=20,
        backend="inductor",
        threads=None,
    )
    tiny = dict(batch_sizes=[2], image_size=64, classes=10, warmup=1, iters=1)
    tiny |= dict(backend="eager", threads=1)
    s = tiny if args.tiny else full
    for key, flag in [
        ("batch_sizes", args.batch_sizes),
        ("image_size", args.image_size),
        ("warmup", args.warmup),
        ("iters", args.iters),
        ("backend", args.compile_backend),
        ("threads", args.threads),
    ]:
        if flag is not None:
            s[key] = flag
    s["networks"] = args.networks or list(NETWORKS)
    s["configs"] = args.configs or list(CONFIGS)
    s["modes"] = args.modes or list(MODES)
    return s


def print_record(r):
    if "error" in r:
        print(
            f"{r['network']:13} {r['mode']:9} {r['config']:31} "
            f"N={r['batch_size']:<4} {r['error']}",
            flush=True,
        )
        return
    frac = r["fraction_of_peak"]
    frac = "" if frac is None else f"{100 * frac:5.1f}% of {r['peak_precision']} peak"
    mem = r["peak_memory_bytes"]
    mem = "" if mem is None else f"{mem / 2**30:6.2f} GiB"
    print(
        f"{r['network']:13} {r['mode']:9} {r['config']:31} N={r['batch_size']:<4} "
        f"{r['images_per_s']:9.1f} img/s {r['achieved_tflops']:8.2f} TFLOP/s "
        f"{mem} {frac}",
        flush=True,
    )


def main(argv=None):
    args = parse_args(argv)
    if args.device == "cuda" and not torch.cuda.is_available():
        sys.exit(
            "error: no CUDA device is available, so there is nothing to "
            "benchmark. This script measures GPUs; for a smoke test of its code "
            "on the CPU run it with --device cpu --tiny --out PATH."
        )
    if args.device == "cpu" and args.out is None:
        sys.exit(
            "error: a CPU run needs --out PATH; the default results file is "
            "for GPU measurements only."
        )
    s = settings(args)
    if args.device == "cpu" and s["threads"]:
        torch.set_num_threads(s["threads"])
    if args.device == "cuda":
        # Let cuDNN pick the fastest algorithm for each (fixed) shape, in every
        # configuration alike, fp32 eager included.
        torch.backends.cudnn.benchmark = True
    env = environment(args.device)
    env["cudnn_benchmark"] = torch.backends.cudnn.benchmark
    print(f"{env['device_name']}, torch {env['torch']}, CUDA {env['cuda']}", flush=True)
    options = dict(
        image_size=s["image_size"],
        classes=s["classes"],
        device=args.device,
        warmup=s["warmup"],
        iters=s["iters"],
        peaks=env["peak_tflops"],
        backend=s["backend"],
    )
    records, start = [], time.time()
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    out = args.out or DEFAULT_OUT
    old = json.loads(out.read_text()) if args.append and out.exists() else None
    if old is not None:
        merge(old, env, [])  # refuses now, not after the first measurement
    for network in s["networks"]:
        for batch_size in s["batch_sizes"]:
            for mode in s["modes"]:
                for config in s["configs"]:
                    r = measure(network, mode, config, batch_size, **options)
                    r["run_started"] = stamp
                    print_record(r)
                    records.append(r)
                    # Written after every measurement: a run cut short keeps its part.
                    write(out, old, env, s, args.tiny, time.time() - start, records)
    print(f"wrote {out}")


def write(out, old, env, s, tiny, seconds, records):
    """The results file: this run's records, merged into ``old`` if appending."""
    if old is not None:
        records = merge(old, env, records)
    result = {
        "environment": env,
        "settings": s,
        "tiny": tiny,
        "wall_seconds": seconds,
        "records": records,
        "speedups": speedups(records),
        "targets": targets(records),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")


def merge(old, env, records):
    """The old file's records with this run's replacing those of the same setting."""
    if old["environment"].get("device_name") != env["device_name"]:
        sys.exit(
            f"error: {old['environment'].get('device_name')} made the existing "
            f"results, this is {env['device_name']}; not appending."
        )
    new = {setting(r) for r in records}
    return [r for r in old["records"] if setting(r) not in new] + records


def setting(record):
    return tuple(record[k] for k in SETTING_KEYS)


if __name__ == "__main__":
    main()
