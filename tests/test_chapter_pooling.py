"""The numbers stated in the chapter on pooling.

Each quantity is recomputed here, independently of the page: pooling by NumPy
block reshapes, filtering by scipy.ndimage, parameter counts from torch.nn, and
multiply-accumulates from PyTorch's flop counter.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage as ndi
import skimage.color
import skimage.data
import torch
from skimage.feature import peak_local_max
from torch.utils.flop_counter import FlopCounterMode

CHAPTER = "pooling"
NAMES = [
    "camera",
    "coins",
    "moon",
    "text",
    "page",
    "brick",
    "grass",
    "gravel",
    "astronaut",
    "coffee",
    "chelsea",
    "rocket",
    "clock",
    "immunohistochemistry",
]


def number(text):
    """A glued value's text ('0.39' or 14 or '3,211,264') as a float."""
    return float(text.strip("'\"").replace(",", ""))


def blocks(x, k):
    """(H/k, W/k, k*k) view of the k x k blocks of x (H, W divisible by k)."""
    H, W = x.shape
    return x.reshape(H // k, k, W // k, k).swapaxes(1, 2).reshape(H // k, W // k, -1)


@pytest.fixture(scope="module")
def values(glued):
    return glued(CHAPTER)


def test_small_example(values):
    """Are the 2x2 max and mean of the 4x4 example's corner windows as stated?"""
    x = np.array([[1.0, 3, 2, 0], [4, 2, 1, 1], [0, 1, 5, 2], [2, 2, 3, 6]])
    b = blocks(x, 2)
    assert number(values["ex_max_00"]) == b[0, 0].max()
    assert number(values["ex_mean_00"]) == b[0, 0].mean()
    assert number(values["ex_max_11"]) == b[1, 1].max()
    assert number(values["ex_mean_11"]) == b[1, 1].mean()


def edge_map(img, dy, dx, size=160):
    """ReLU of the Sobel x response of the shifted crop, zero padding."""
    crop = img[dy : dy + size, dx : dx + size]
    sobel = np.array([[1.0, 0, -1], [2, 0, -2], [1, 0, -1]])
    return np.maximum(ndi.correlate(crop, sobel, mode="constant"), 0)


def grey_crop(name, n=168):
    img = getattr(skimage.data, name)()
    img = skimage.color.rgb2gray(img) if img.ndim == 3 else img / 255.0
    top, left = (img.shape[0] - n) // 2, (img.shape[1] - n) // 2
    return img[top : top + n, left : left + n]


def test_translation_tolerance(values):
    """Do 1-pixel shifts change max-pooled edge maps less, by the stated amounts?"""
    pools = {
        "none": lambda f: f,
        "sub2": lambda f: f[::2, ::2],
        "mean2": lambda f: blocks(f, 2).mean(-1),
        "max2": lambda f: blocks(f, 2).max(-1),
        "max4": lambda f: blocks(f, 4).max(-1),
    }
    changes = {k: [] for k in pools}
    for name in NAMES:
        img = grey_crop(name)
        f0 = edge_map(img, 0, 0)
        for dy, dx in [(0, 1), (1, 0), (1, 1)]:
            f1 = edge_map(img, dy, dx)
            for k, pool in pools.items():
                a, b = pool(f0), pool(f1)
                changes[k].append(np.linalg.norm(b - a) / np.linalg.norm(a))
    assert number(values["n_images"]) == len(NAMES)
    assert number(values["n_meas"]) == len(changes["none"])
    for k, v in changes.items():
        assert number(values[f"chg_{k}"]) == pytest.approx(np.mean(v), abs=0.006)
    ratio2 = np.array(changes["max2"]) / np.array(changes["none"])
    ratio4 = np.array(changes["max4"]) / np.array(changes["none"])
    assert number(values["ratio_max2"]) == pytest.approx(ratio2.mean(), abs=0.006)
    assert number(values["ratio_max4"]) == pytest.approx(ratio4.mean(), abs=0.006)
    assert number(values["frac_max2_better"]) == round(100 * (ratio2 < 1).mean())
    # A sane range: pooling helps, but does not make the map invariant.
    assert 0.05 < number(values["chg_max4"]) < number(values["chg_max2"]) < 1


def test_shift_curve(values):
    """Does the 4x4 max-pooled change grow from 1 to 4 pixels, as stated?"""

    def mean_change(shift, k):
        out = []
        for name in NAMES:
            img = grey_crop(name)
            f0, f1 = edge_map(img, 0, 0), edge_map(img, 0, shift)
            if k > 1:
                f0, f1 = blocks(f0, k).max(-1), blocks(f1, k).max(-1)
            a, b = f0, f1
            out.append(np.linalg.norm(b - a) / np.linalg.norm(a))
        return np.mean(out)

    for s in (1, 4):
        assert number(values[f"curve_max4_{s}"]) == pytest.approx(
            mean_change(s, 4), abs=0.006
        )
        assert number(values[f"curve_none_{s}"]) == pytest.approx(
            mean_change(s, 1), abs=0.006
        )


def test_unchanged_outputs_count_only_live_ones(values):
    """Is the share of 2x2 max-pooled outputs unchanged by a one-pixel shift taken
    over the outputs that are non-zero in either map (not the ones zero in both)?"""
    same, dead = [], []
    for name in NAMES:
        img = grey_crop(name)
        p0 = blocks(edge_map(img, 0, 0), 2).max(-1)
        p1 = blocks(edge_map(img, 0, 1), 2).max(-1)
        live = (p0 != 0) | (p1 != 0)
        same.append(((p0 == p1) & live).sum() / live.sum())
        dead.append(1 - live.mean())
    assert number(values["frac_unchanged"]) == pytest.approx(100 * np.mean(same), abs=1)
    assert number(values["frac_dead"]) == pytest.approx(100 * np.mean(dead), abs=1)
    assert np.mean(dead) > 0.05  # enough zeros that counting them would mislead


def test_shift_curves_beyond_the_window(values):
    """From a shift as wide as its window on, does each pooled map change the stated
    share of the unpooled change: 2x2 almost as much, 4x4 clearly less?"""

    def curve(k):
        out = []
        for shift in range(1, 9):
            per_image = []
            for name in NAMES:
                img = grey_crop(name)
                f0, f1 = edge_map(img, 0, 0), edge_map(img, 0, shift)
                if k > 1:
                    f0, f1 = blocks(f0, k).max(-1), blocks(f1, k).max(-1)
                per_image.append(np.linalg.norm(f1 - f0) / np.linalg.norm(f0))
            out.append(np.mean(per_image))
        return np.array(out)

    none = curve(1)
    for k, start in ((2, 2), (4, 4)):
        ratio = 100 * (curve(k) / none)[start - 1 :]
        assert number(values[f"beyond_{k}_lo"]) == pytest.approx(ratio.min(), abs=1)
        assert number(values[f"beyond_{k}_hi"]) == pytest.approx(ratio.max(), abs=1)
    assert number(values["beyond_2_lo"]) > number(values["beyond_4_hi"])


def test_counterexample(values):
    """Is max(a + b) = 1 but max(a) + max(b) = 2, and max(-a) = 0, not -1?"""
    a = np.array([[1.0, 0], [0, 0]])
    b = np.array([[0.0, 0], [0, 1]])
    assert number(values["cx_sum"]) == (a + b).max() == 1
    assert number(values["cx_parts"]) == a.max() + b.max() == 2
    assert number(values["cx_neg"]) == (-a).max() == 0
    assert number(values["cx_negmax"]) == -a.max() == -1
    assert values["box_shape"].strip("'") == "(3, 1, 2, 2)"
    assert values["box_weight"].strip("'") == "1/4"


def test_zone_plate_aliasing(values):
    """Do sampling, mean and max pooling leave the stated std in the fine rings?"""
    N, S = 160, 4
    yy, xx = np.mgrid[0:N, 0:N] - N / 2
    rings = 0.5 + 0.5 * np.cos(np.pi * (xx**2 + yy**2) / (2 * N))
    fine = np.hypot(xx, yy)[S // 2 :: S, S // 2 :: S] > 1.2 * N / S
    outs = {
        "sample": rings[::S, ::S],
        "mean": blocks(rings, S).mean(-1),
        "max": blocks(rings, S).max(-1),
    }
    for how, out in outs.items():
        assert number(values[f"zp_std_{how}"]) == pytest.approx(
            out[fine].std(), abs=0.0006
        )
        assert number(values[f"zp_mean_{how}"]) == pytest.approx(
            out[fine].mean(), abs=0.006
        )
    assert number(values["zp_std_gauss"]) < number(values["zp_std_mean"])


def test_stars_kept(values):
    """Do 29%/29%/100% of the Hubble crop's bright points survive as stated?"""
    sky = skimage.color.rgb2gray(skimage.data.hubble_deep_field())[300:556, 300:556]
    stars = peak_local_max(sky, min_distance=3, threshold_abs=0.5)
    assert number(values["n_stars"]) == len(stars)
    outs = {
        "sample": sky[::4, ::4],
        "mean": blocks(sky, 4).mean(-1),
        "max": blocks(sky, 4).max(-1),
    }
    for how, out in outs.items():
        kept = np.mean([out[r // 4, c // 4] > 0.5 for r, c in stars])
        assert number(values[f"kept_{how}"]) == round(100 * kept)


def test_doubling_channels(values):
    """Are the VGG-stage activations, MACs and parameters as stated?"""

    def conv_stats(H, C):
        conv = torch.nn.Conv2d(C, C, 3, padding=1, device="meta")
        with FlopCounterMode(display=False) as counter:
            out = conv(torch.empty(1, C, H, H, device="meta"))
        return (
            out.numel(),
            counter.get_total_flops() // 2,
            sum(p.numel() for p in conv.parameters()),
        )

    act0, mac0, par0 = conv_stats(224, 64)
    act3, _, par3 = conv_stats(28, 512)
    act4c, mac4c, _ = conv_stats(14, 64)
    assert number(values["dbl_gmac"]) == round(mac0 / 1e9, 2)
    assert number(values["dbl_act0"]) == act0
    assert number(values["dbl_act3"]) == act3
    assert number(values["dbl_params0"]) == par0
    assert number(values["dbl_params3"]) == par3
    assert number(values["cst_act4"]) == act4c
    assert number(values["cst_gmac4"]) == round(mac4c / 1e9, 3)


def test_global_average_pooling(values):
    """Are the flatten and GAP classifier counts those of nn.Linear?"""

    def count(m):
        return sum(p.numel() for p in m.parameters())

    flat, gap = (
        count(torch.nn.Linear(7 * 7 * 512, 1000)),
        count(torch.nn.Linear(512, 1000)),
    )
    assert number(values["flat_params"]) == flat
    assert number(values["gap_params"]) == gap
    assert number(values["gap_ratio"]) == round(flat / gap)
    assert number(values["vgg_fc1"]) == count(torch.nn.Linear(25088, 4096))


def test_check_your_understanding(values):
    """Are the answers (AlexNet pooling size, kernel shape, head sizes) right?"""
    out = torch.nn.MaxPool2d(3, 2)(torch.zeros(1, 1, 55, 55))
    assert number(values["q1_out"]) == out.shape[-1]
    assert values["q2_shape"].strip("'") == "(16, 1, 3, 3)"
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert number(values["q3_gap"]) == count(torch.nn.Linear(2048, 1000))
    assert number(values["q3_flat"]) == count(torch.nn.Linear(2048 * 49, 1000))
