"""The GPU benchmark: it refuses without CUDA; a tiny CPU smoke test runs its code."""

import json

import pytest
import torch

from conftest import run
from convbook.benchmark import (
    CONFIGS,
    device_kind,
    forward_flops,
    measure,
    peak_precision,
    speedups,
    targets,
)
from helpers import ROOT

SCRIPT = ROOT / "benchmarks" / "gpu_networks.py"


def benchmark(*args):
    """Run the benchmark script with the virtual environment's Python."""
    return run(["python", str(SCRIPT), *args], check=False)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_refuses_without_cuda(tmp_path):
    """Does the default (GPU) run stop with a non-zero status and say why?"""
    proc = benchmark("--out", str(tmp_path / "r.json"))
    assert proc.returncode != 0
    assert "no CUDA device" in proc.stderr
    assert not (tmp_path / "r.json").exists()


def test_cpu_run_needs_an_out_path():
    """Does a CPU run refuse to write to the GPU results file?"""
    proc = benchmark("--device", "cpu", "--tiny")
    assert proc.returncode != 0
    assert "--out" in proc.stderr


def test_tiny_cpu_smoke(tmp_path):
    """Does --device cpu --tiny write one sound record per mode and configuration?"""
    out = tmp_path / "smoke.json"
    configs = ["fp32 eager", "compile + bf16 + channels_last"]
    proc = benchmark(
        "--device",
        "cpu",
        "--tiny",
        "--networks",
        "MobileNet v1",
        "--image-size",
        "32",
        "--configs",
        *configs,
        "--out",
        str(out),
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["tiny"] and result["environment"]["device"] == "cpu"
    assert result["environment"]["torch"] == torch.__version__
    records = result["records"]
    assert [(r["mode"], r["config"]) for r in records] == [
        (m, c) for m in ("inference", "train") for c in configs
    ]
    fwd = forward_flops("MobileNet v1", 2, 32, 10)
    for r in records:
        assert r["images_per_s"] > 0 and r["seconds_per_iter"] > 0
        assert r["flops_per_iter"] == fwd * (3 if r["mode"] == "train" else 1)
        assert r["fraction_of_peak"] is None  # no known peak for a CPU
        assert r["peak_memory_bytes"] is None
    assert len(result["speedups"]) == 2


@pytest.fixture(autouse=True)
def one_thread():
    """One CPU thread: far faster than two when other processes share the cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_measure_every_network_on_cpu():
    """Does a training step of each network run through measure() on the CPU?"""
    for network in ["AlexNet", "VGG-16", "GoogLeNet"]:
        r = measure(
            network,
            "train",
            "channels_last",
            2,
            image_size=64,
            classes=10,
            device="cpu",
            warmup=0,
            iters=1,
        )
        assert "error" not in r and r["images_per_s"] > 0, r


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("NVIDIA H100 80GB HBM3", "H100 SXM"),
        ("NVIDIA H100 PCIe", "H100 PCIe"),
        ("NVIDIA H200", "H200 SXM"),
        ("NVIDIA H100 NVL", None),
        ("NVIDIA A100-SXM4-80GB", "A100"),
        ("NVIDIA GeForce RTX 4090", None),
    ],
)
def test_device_kind(name, kind):
    """Is each device name matched to its row of peaks, and unknown ones to None?"""
    assert device_kind(name) == kind


def test_peak_precision():
    """Is bf16 autocast measured against the bf16 peak, fp32 on CUDA against TF32?"""
    assert peak_precision("bf16 + channels_last", "cuda") == "bf16"
    assert peak_precision("compile", "cpu") == "fp32"
    expected = "tf32" if torch.backends.cudnn.allow_tf32 else "fp32"
    assert peak_precision("fp32 eager", "cuda") == expected
    assert set(CONFIGS) >= {"fp32 eager", "channels_last", "bf16", "compile"}


def test_speedups_and_targets():
    """Are speedups taken against fp32 eager at the same batch size?"""

    def rec(network, config, batch, ips, frac=None, precision="tf32"):
        return dict(
            network=network,
            mode="train",
            config=config,
            batch_size=batch,
            images_per_s=ips,
            fraction_of_peak=frac,
            peak_precision=precision,
        )

    records = [
        rec("VGG-16", "fp32 eager", 32, 100.0, 0.1),
        rec("VGG-16", "bf16", 32, 300.0, 0.4, "bf16"),
        rec("VGG-16", "fp32 eager", 64, 150.0, 0.1),
        rec("VGG-16", "bf16", 64, 200.0, 0.3, "bf16"),
        {
            "network": "VGG-16",
            "mode": "train",
            "config": "compile",
            "batch_size": 64,
            "error": "out of memory",
        },
    ]
    rows = {r["batch_size"]: r for r in speedups(records)}
    assert rows[32]["fastest"] == "bf16" and rows[32]["speedup_over_fp32_eager"] == 3
    assert rows[64]["speedup_over_fp32_eager"] == pytest.approx(4 / 3)
    t = targets(records)
    assert t["train_speedup"] == {"VGG-16": 3.0} and t["all_at_least_2x"]
    assert t["vgg16_train_bf16_fraction"] == 0.4 and t["vgg16_at_least_35_percent"]


def test_results_page_rendering():
    """Does a results file render as a summary naming its device, and as a figure?"""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from convbook.figures_gpu import gpu_summary_markdown, plot_throughput

    def rec(network, mode, config, ips, frac, precision):
        return dict(
            network=network,
            mode=mode,
            config=config,
            batch_size=8,
            images_per_s=ips,
            fraction_of_peak=frac,
            peak_memory_bytes=2**30,
            peak_precision=precision,
            run_started="2026-01-01 00:00:00",
        )

    records = [
        rec("VGG-16", mode, config, ips, frac, prec)
        for mode in ("inference", "train")
        for config, ips, frac, prec in [
            ("fp32 eager", 10.0, 0.1, "tf32"),
            ("bf16", 30.0, 0.3, "bf16"),
        ]
    ]
    result = {
        "environment": {"device_name": "Test GPU", "torch": "x", "cuda": "y"},
        "records": records,
    }
    text = gpu_summary_markdown(result)
    assert "**Test GPU**" in text and "2026-01-01" in text
    assert "| VGG-16 | train | 8 | bf16 | 30 | 3.00 | 1.0 | 30.0% (bf16) |" in text
    fig, axes = plt.subplots(1, 2)
    plot_throughput(records, axes, title="Test GPU: ")
    assert axes[1].get_title() == "Test GPU: train"
    assert len(axes[0].patches) == 2  # one bar per configuration
    plt.close(fig)


def test_append_merges_by_setting():
    """Does --append keep the old file's other settings, replace the same ones, and
    refuse results from another device?"""
    import importlib.util

    spec = importlib.util.spec_from_file_location("gpu_networks", SCRIPT)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)

    def rec(network, batch, ips):
        return dict(
            network=network,
            mode="train",
            config="bf16",
            batch_size=batch,
            image_size=224,
            images_per_s=ips,
        )

    env = {"device_name": "GPU A"}
    old = {
        "environment": env,
        "records": [rec("VGG-16", 32, 1.0), rec("AlexNet", 32, 2.0)],
    }
    merged = script.merge(old, env, [rec("VGG-16", 32, 5.0)])
    assert sorted((r["network"], r["images_per_s"]) for r in merged) == [
        ("AlexNet", 2.0),
        ("VGG-16", 5.0),
    ]
    with pytest.raises(SystemExit):
        script.merge(old, {"device_name": "GPU B"}, [])
