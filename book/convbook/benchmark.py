"""Timing the famous networks: images per second, peak memory, achieved FLOP/s.

The command-line benchmark ``benchmarks/gpu_networks.py`` and the book's chapter use
the same functions, so the small CPU measurement in the book is the GPU benchmark's
code at a smaller size.

One measurement runs one network in one *mode* (``inference``: a forward pass under
``torch.no_grad``; ``train``: forward, cross-entropy, backward and an SGD step with
momentum) with one *configuration* of speed-ups (``CONFIGS``), after warm-up
iterations, and times ``iters`` more with the device synchronised before and after.

FLOPs: the forward pass is counted by ``FlopCounterMode`` (2 FLOPs per
multiply-accumulate of the convolutions and linear layers). A training step is taken
as 3 forward passes (the backward pass computes a gradient for the input and one for
the weights of each layer, each costing about one forward pass). We do not use
FlopCounterMode's backward count: it ignores ``groups`` in the backward pass of a
convolution and so counts a depthwise convolution's backward tens of times too high.
"""

from __future__ import annotations

import gc
import platform
import time
from contextlib import nullcontext

import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from convbook.networks import NETWORKS

# Dense (no 2:4 sparsity) peak TFLOP/s from NVIDIA's data sheets, by precision.
# "tf32" is what cuDNN uses for float32 convolutions by default on these GPUs
# (torch.backends.cudnn.allow_tf32 is True unless switched off).
PEAK_TFLOPS = {
    "H100 SXM": {"fp32": 66.9, "tf32": 494.7, "bf16": 989.4},
    "H100 PCIe": {"fp32": 51.2, "tf32": 378.0, "bf16": 756.5},
    "H200 SXM": {"fp32": 66.9, "tf32": 494.7, "bf16": 989.4},
    "A100": {"fp32": 19.5, "tf32": 156.0, "bf16": 312.0},
}

# Each configuration: (channels_last memory format, bf16 autocast, torch.compile).
CONFIGS = {
    "fp32 eager": (False, False, False),
    "channels_last": (True, False, False),
    "bf16": (False, True, False),
    "bf16 + channels_last": (True, True, False),
    "compile": (False, False, True),
    "compile + bf16 + channels_last": (True, True, True),
}

MODES = ("inference", "train")
TRAIN_FLOPS_PER_FORWARD = 3


def device_kind(name: str) -> str | None:
    """The row of PEAK_TFLOPS for a device name from torch.cuda.get_device_name."""
    name = name.upper()
    if "H100" in name:
        if "PCIE" in name:
            return "H100 PCIe"
        return "H100 SXM" if ("SXM" in name or "HBM3" in name) else None
    if "H200" in name and "NVL" not in name:
        return "H200 SXM"
    if "A100" in name:
        return "A100"
    return None


def peak_precision(config: str, device: str) -> str:
    """Which peak a configuration is measured against: 'bf16', 'tf32' or 'fp32'."""
    if CONFIGS[config][1]:
        return "bf16"
    if device == "cuda" and torch.backends.cudnn.allow_tf32:
        return "tf32"  # nearly all the FLOPs are convolutions, run in TF32
    return "fp32"


def forward_flops(network: str, batch_size: int, image_size: int, classes: int) -> int:
    """FLOPs of one forward pass of a batch, counted on the meta device (no compute)."""
    with torch.device("meta"):
        model = NETWORKS[network](num_classes=classes).eval()
        x = torch.zeros(batch_size, 3, image_size, image_size)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(x)
    return counter.get_total_flops()


def _sync(device):
    if device == "cuda":
        torch.cuda.synchronize()


def make_step(model, mode, config, x, y, backend="inductor"):
    """A function that runs one inference or training iteration of ``model``.

    ``backend`` is torch.compile's backend for the compiled configurations.
    """
    channels_last, bf16, compiled = CONFIGS[config]
    # In place for the weights: a model reused across configurations is reset.
    layout = torch.channels_last if channels_last else torch.contiguous_format
    model = model.to(memory_format=layout)
    x = x.contiguous(memory_format=layout)
    forward = torch.compile(model, backend=backend) if compiled else model
    autocast = torch.autocast(x.device.type, dtype=torch.bfloat16) if bf16 else None

    def infer():
        with torch.no_grad(), autocast or nullcontext():
            return forward(x)

    model.train(mode == "train")
    if mode == "inference":
        return infer
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)

    def train():
        optimizer.zero_grad(set_to_none=True)
        with autocast or nullcontext():
            loss = F.cross_entropy(forward(x), y)
        loss.backward()
        optimizer.step()
        return loss

    return train


def time_step(step, device, warmup: int, iters: int) -> tuple[float, float]:
    """(seconds of the warm-up, seconds per timed iteration), synchronised."""
    _sync(device)
    start = time.perf_counter()
    for _ in range(warmup):
        step()
    _sync(device)
    warm = time.perf_counter() - start
    if device == "cuda":
        begin, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(True)
        begin.record()
        for _ in range(iters):
            step()
        end.record()
        torch.cuda.synchronize()
        return warm, begin.elapsed_time(end) / 1000 / iters
    start = time.perf_counter()
    for _ in range(iters):
        step()
    return warm, (time.perf_counter() - start) / iters


def measure(
    network,
    mode,
    config,
    batch_size,
    image_size=224,
    classes=1000,
    device="cuda",
    warmup=5,
    iters=20,
    peaks=None,
    backend="inductor",
    model=None,
) -> dict:
    """Time one (network, mode, configuration, batch size); one result record.

    ``model``, if given, is that network already built (with ``classes`` outputs),
    to be reused across measurements; by default each measurement builds its own.

    Returns:
    - a dict with the settings, seconds per iteration, images_per_s, peak memory
      (CUDA only), FLOPs per iteration, achieved TFLOP/s and, where the device's
      peak is known (``peaks``, a row of PEAK_TFLOPS), the fraction of that peak;
      ``error`` instead of the timings if the run failed (e.g. out of memory)
    """
    record = dict(network=network, mode=mode, config=config)
    record |= dict(batch_size=batch_size, image_size=image_size)
    record |= dict(warmup=warmup, iters=iters)
    torch.manual_seed(0)
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    error = None
    try:
        if model is None:
            model = NETWORKS[network](num_classes=classes)
        model = model.to(device)
        x = torch.randn(batch_size, 3, image_size, image_size, device=device)
        y = torch.randint(0, classes, (batch_size,), device=device)
        step = make_step(model, mode, config, x, y, backend)
        warm, seconds = time_step(step, device, warmup, iters)
    except Exception as err:  # out of memory, a compiler failure: record, go on
        error = f"{type(err).__name__}: {(str(err).splitlines() or [''])[0]}"
    # Outside the except block, so that the traceback no longer holds the tensors.
    model = x = y = step = None
    _free(device, compiled=CONFIGS[config][2])
    if error is not None:
        return {**record, "error": error}
    flops = forward_flops(network, batch_size, image_size, classes)
    flops *= TRAIN_FLOPS_PER_FORWARD if mode == "train" else 1
    precision = peak_precision(config, device)
    peak = peaks[precision] if peaks else None
    tflops = flops / seconds / 1e12
    memory = torch.cuda.max_memory_allocated() if device == "cuda" else None
    return {
        **record,
        "warmup_s": warm,
        "seconds_per_iter": seconds,
        "images_per_s": batch_size / seconds,
        "peak_memory_bytes": memory,
        "flops_per_iter": flops,
        "achieved_tflops": tflops,
        "peak_precision": precision,
        "peak_tflops": peak,
        "fraction_of_peak": tflops / peak if peak else None,
    }


def _free(device, compiled):
    if compiled:
        torch._dynamo.reset()  # forget the compiled graphs of this model
    gc.collect()
    if device == "cuda":
        torch.cuda.empty_cache()


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo on Linux), else its architecture."""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment(device: str) -> dict:
    """The device's name, its row of PEAK_TFLOPS and the library versions."""
    env = {
        "device": device,
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "python": platform.python_version(),
        "cudnn_allow_tf32": torch.backends.cudnn.allow_tf32,
        "matmul_allow_tf32": torch.backends.cuda.matmul.allow_tf32,
        "train_flops": f"{TRAIN_FLOPS_PER_FORWARD} x forward FLOPs (FlopCounterMode)",
    }
    if device == "cuda":
        name = torch.cuda.get_device_name()
        kind = device_kind(name)
        env |= dict(
            device_name=name, device_kind=kind, peak_tflops=PEAK_TFLOPS.get(kind)
        )
        env["cudnn"] = torch.backends.cudnn.version()
    else:
        env |= dict(device_name=cpu_model())
        env |= dict(device_kind=None, peak_tflops=None, threads=torch.get_num_threads())
    return env


def speedups(records: list[dict]) -> list[dict]:
    """For each network, mode and batch size: the fastest configuration's throughput
    over fp32 eager's, side by side from the same run."""
    groups = {}
    for r in records:
        if "error" not in r:
            key = (r["network"], r["mode"], r["batch_size"])
            groups.setdefault(key, {})[r["config"]] = r["images_per_s"]
    rows = []
    for (network, mode, batch), by_config in groups.items():
        best = max(by_config, key=by_config.get)
        base = by_config.get("fp32 eager")
        row = dict(network=network, mode=mode, batch_size=batch, fastest=best)
        row["images_per_s"] = by_config[best]
        row["speedup_over_fp32_eager"] = by_config[best] / base if base else None
        rows.append(row)
    return rows


def targets(records: list[dict]) -> dict:
    """The issue's targets, checked on a run's records (meaningful on an H100).

    Returns:
    - train_speedup: {network: the best training speedup over fp32 eager, at any
      batch size}; all_at_least_2x: whether every network reaches 2x;
      vgg16_train_bf16_fraction: VGG-16's best training fraction of the bf16 peak
      (None without a known peak); vgg16_at_least_35_percent
    """
    best = {}
    for row in speedups(records):
        if row["mode"] == "train" and row["speedup_over_fp32_eager"] is not None:
            network = row["network"]
            best[network] = max(best.get(network, 0), row["speedup_over_fp32_eager"])
    fractions = [
        r.get("fraction_of_peak")
        for r in records
        if r["network"] == "VGG-16"
        and r["mode"] == "train"
        and r.get("peak_precision") == "bf16"
    ]
    fractions = [f for f in fractions if f is not None]
    vgg = max(fractions, default=None)
    return {
        "train_speedup": best,
        "all_at_least_2x": bool(best) and min(best.values()) >= 2,
        "vgg16_train_bf16_fraction": vgg,
        "vgg16_at_least_35_percent": None if vgg is None else vgg >= 0.35,
    }
