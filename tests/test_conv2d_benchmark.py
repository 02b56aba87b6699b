"""The CPU benchmark of the NumPy references (smoke tests: no timing is asserted)."""

import importlib.util
import json
import sys

import numpy as np
import pytest

from conftest import run
from helpers import ROOT

SCRIPT = ROOT / "benchmarks" / "conv2d_numpy_vs_torch.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("conv2d_bench", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_quick_run_prints_ratios(tmp_path):
    """Does --quick time all three groups on one thread and record the load?"""
    out = tmp_path / "bench.json"
    proc = run([sys.executable, str(SCRIPT), "--quick", "--out", str(out)])
    assert "geometric mean of the ratios (NumPy / PyTorch)" in proc.stdout
    assert "1 thread" in proc.stdout
    result = json.loads(out.read_text())
    assert {r["group"] for r in result["shapes"]} == {"forward", "backward", "pooling"}
    for r in result["shapes"]:
        assert r["ratio"] == r["numpy_s"] / r["torch_s"] > 0
        assert r["bound"]["what"]
    for group, s in result["groups"].items():
        ratios = [r["ratio"] for r in result["shapes"] if r["group"] == group]
        assert s["worst_ratio"] == max(ratios)
        assert min(ratios) <= s["geomean_ratio"] <= max(ratios)
    assert len(result["load_before"]) == len(result["load_after"]) == 3
    table = out.with_suffix(".md").read_text()
    assert "load average" in table and table.count("| case |") == 3


def test_full_run_covers_the_issue_layers(bench):
    """Are AlexNet conv1, VGG at 56 and 28, ResNet's strided 3x3, a 1x1 and a
    depthwise 3x3 in the recorded run, forward and backward, with both poolings?"""
    layers = {(c.weight, c.stride, c.groups, c.x[2]) for c in bench.CONVS}
    assert ((64, 3, 11, 11), 4, 1, 224) in layers
    assert ((256, 256, 3, 3), 1, 1, 56) in layers
    assert ((512, 512, 3, 3), 1, 1, 28) in layers
    assert ((128, 64, 3, 3), 2, 1, 56) in layers
    assert ((64, 256, 1, 1), 1, 1, 56) in layers
    assert any(w[1] == 1 and g == w[0] > 1 for w, _, g, _ in layers)
    assert {p.kind for p in bench.POOLS} == {"max", "avg"}


def test_a_wrong_reference_is_refused_before_timing(bench):
    """Does the benchmark refuse to time a NumPy side that disagrees with PyTorch?"""
    refs = bench.load_references()
    conv2d = refs["conv2d"]
    refs["conv2d"] = lambda *a, **k: conv2d(*a, **k) * 1.01
    cases = bench.conv_cases(bench.QUICK_CONVS[:1], refs, np.random.default_rng(0))
    with pytest.raises(AssertionError):
        bench.check_cases(cases)


def test_summary_against_targets(bench):
    """Is a group's target met only when its geomean and worst ratio both are?"""
    rows = [
        {"group": "forward", "name": "a", "ratio": 0.5},
        {"group": "forward", "name": "b", "ratio": 1.3},
        {"group": "pooling", "name": "c", "ratio": 1.4},
    ]
    summary = bench.summarise(rows)
    assert summary["forward"]["geomean_ratio"] == pytest.approx((0.5 * 1.3) ** 0.5)
    assert summary["forward"]["worst"] == "b"
    assert not summary["forward"]["target_met"]  # geomean 0.81, but 1.3 > 1.2
    assert summary["pooling"]["target_met"]
    assert "backward" not in summary


def test_readme_shows_the_recorded_results():
    """Does the README show every row of the recorded results, as recorded?"""
    results = ROOT / "benchmarks" / "results" / "conv2d_cpu.md"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    readme_rows = {line.strip() for line in readme.splitlines()}
    rows = [line for line in results.read_text().splitlines() if line.startswith("| ")]
    assert len(rows) > 3
    assert [row for row in rows if row not in readme_rows] == []
    summaries = [
        ln for ln in results.read_text().splitlines() if "Geometric mean" in ln
    ]
    assert all(summary in readme for summary in summaries)


def test_floors_are_the_bounds_against_pytorch(bench):
    """Is the floor PyTorch's layer rate over the bound's, with the patch matrix's
    copies added on that route, and no floor on Winograd's route?"""
    conv = {"group": "forward", "weight": (64, 3, 11, 11), "stride": 4, "groups": 1}
    conv["torch_s"] = 0.010
    conv["bound"] = {
        "numpy_sgemm_gflops": 100.0,
        "torch_layer_gflops": 110.0,
        "numpy_layer_gflops": 70.0,
        "patch_copy_s": 0.004,
    }
    assert bench.bound_text(conv).endswith("floor 1.10, 1.50 with the patch matrix")
    wino = {**conv, "weight": (8, 8, 3, 3), "stride": 1, "padding": 1}
    wino["bound"] = {k: v for k, v in conv["bound"].items() if k != "patch_copy_s"}
    assert bench.bound_text(wino).endswith("Winograd: fewer products")
    depthwise = {**wino, "weight": (8, 1, 3, 3), "groups": 8, "group": "backward"}
    depthwise["bound"] = {
        "numpy_madd_gflops": 8.0,
        "torch_layer_gflops": 12.0,
        "numpy_layer_gflops": 6.0,
    }
    assert bench.bound_text(depthwise).endswith("floor 1.50")


def test_depthwise_floor_runs_the_routes_passes(bench):
    """Does the depthwise floor time the passes on the layer's own shape, forward
    and backward, and report the layer's rate at that time?"""
    row = {
        "group": "forward",
        "x": (1, 4, 6, 6),
        "weight": (4, 1, 3, 3),
        "stride": 1,
        "padding": 1,
        "groups": 4,
        "gflop": 2 * 4 * 9 * 36 / 1e9,
        "torch_s": 1e-3,
        "numpy_s": 1e-3,
    }
    for group in ("forward", "backward"):
        b = bench.depthwise_bound({**row, "group": group}, np.random.default_rng(0))
        rate = row["gflop"] / b["numpy_floor_s"]
        assert b["numpy_madd_gflops"] == pytest.approx(rate)
        assert "4 channels x 48 values" in b["what"]
