"""The numbers stated in the chapter on computing a convolution."""

import json
import math

import pytest
import torch
import torch.nn.functional as F

from helpers import ROOT

CHAPTER = "conv2d"


@pytest.fixture(scope="module")
def values(glued):
    return glued(CHAPTER)


def number(text):
    return float(text.strip("'\"").replace(",", ""))


def test_edge_output_shape(values):
    """Does a 2x1 kernel on the 256x256 image give a 255x256 output?"""
    out = F.conv2d(torch.zeros(1, 1, 256, 256), torch.zeros(1, 1, 2, 1))
    assert int(values["img_side"]) == 256
    assert values["edges_shape"].strip("'") == f"{out.shape[-2]} × {out.shape[-1]}"


def test_patch_matrix(values):
    """Is the patch matrix of a 3x3 kernel on 3x12x12 100 x 27, 6.2 times the input?"""
    out = F.conv2d(torch.zeros(1, 3, 12, 12), torch.zeros(8, 3, 3, 3))
    rows, cols = out.shape[-1] * out.shape[-2], 3 * 3 * 3
    assert int(values["cols_rows"]) == rows
    assert int(values["cols_cols"]) == cols
    assert number(values["cols_blowup"]) == round(rows * cols / (3 * 12 * 12), 1)


def test_question_patch_matrix(values):
    """Is the 256-channel 56x56 patch matrix stated with the right size?"""
    out = F.conv2d(torch.zeros(1, 1, 56, 56), torch.zeros(1, 1, 3, 3))
    rows = out.shape[-1] * out.shape[-2]
    assert number(values["q_rows"]) == rows
    assert number(values["q_cols"]) == 256 * 9
    assert number(values["q_blowup"]) == round(rows * 256 * 9 / (256 * 56 * 56), 1)


def test_benchmark_summary(values):
    """Does the page's geometric mean match the committed benchmark results?"""
    path = ROOT / "benchmarks" / "results" / "conv2d_cpu.json"
    if not path.exists():
        assert values["bench_geo"].strip("'") == "not yet measured"
        return
    bench = json.loads(path.read_text())
    for group, key in [("forward", "bench_geo"), ("backward", "bench_geo_bwd")]:
        rows = [r for r in bench["shapes"] if r["group"] == group]
        ratios = [r["numpy_s"] / r["torch_s"] for r in rows]
        geo = math.exp(sum(map(math.log, ratios)) / len(ratios))
        assert number(values[key]) == pytest.approx(geo, abs=0.01)


def test_ladder_speedups(values):
    """Is each stated speed-up the loops' time over the fastest rung's, above 1?"""
    assert values["ladder_fastest"].strip("'") in {
        "sliding windows + einsum",
        "im2col + one GEMM",
        "Winograd F(2x2, 3x3)",
    }
    for key in ("ladder_fwd", "ladder_bwd", "ladder_pool"):
        assert number(values[key]) > 1


def test_winograd_counts(values):
    """Are Winograd F(2x2, 3x3)'s 16 multiplications against 36 stated right?"""
    assert int(values["direct_mults"]) == 2 * 2 * 3 * 3
    assert int(values["wino_mults"]) == 16
    assert number(values["wino_saving"]) == 2.25


def test_worst_layer_and_its_bound(values):
    """Are the slowest forward layer and its bound the results file's?"""
    path = ROOT / "benchmarks" / "results" / "conv2d_cpu.json"
    if not path.exists():
        return
    bench = json.loads(path.read_text())
    rows = [r for r in bench["shapes"] if r["group"] == "forward"]
    worst = max(rows, key=lambda r: r["numpy_s"] / r["torch_s"])
    assert values["bench_worst"].strip("'") == worst["name"]
    bound = worst["bound"]
    ours = bound.get("numpy_sgemm_gflops", bound.get("numpy_madd_gflops"))
    assert number(values["bench_worst_ours"]) == round(ours)
    assert number(values["bench_worst_theirs"]) == round(bound["torch_layer_gflops"])
    holds = "no faster" if ours <= bound["torch_layer_gflops"] else "faster"
    assert values["bench_worst_bound_holds"].strip("'") == holds
