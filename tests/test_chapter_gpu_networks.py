"""The numbers stated by the GPU-networks chapter, recomputed independently."""

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from convbook.cpu_run import measure_all
from convbook.digits import DigitsCNN, summarise
from convbook.networks import (
    INCEPTION_TABLE,
    NETWORKS,
    GoogLeNet,
    count_parameters,
)

CHAPTER = "gpu-networks"
KEYS = {
    "AlexNet": "alexnet",
    "VGG-16": "vgg",
    "GoogLeNet": "googlenet",
    "MobileNet v1": "mobilenet",
    "Xception": "xception",
}


@pytest.fixture(scope="module")
def values(glued):
    """The chapter's glued values, as text without string quotes."""
    return {k: v.strip("'") for k, v in glued(CHAPTER).items()}


def number(text):
    return float(text.replace(",", ""))


def on_meta(cls, **kwargs):
    with torch.device("meta"):
        return cls(**kwargs)


def forward_macs(model, size=224):
    """MACs of one forward pass, from PyTorch's FLOP counter."""
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model.eval()(torch.zeros(1, 3, size, size, device="meta"))
    return counter.get_total_flops() // 2


def linear_params(model):
    return sum(
        p.numel()
        for m in model.modules()
        if isinstance(m, nn.Linear)
        for p in m.parameters()
    )


def by_hand(layers, rf=1, jump=1):
    """(rf, jump) after a list of (kernel, stride) layers."""
    for k, s in layers:
        rf, jump = rf + (k - 1) * jump, jump * s
    return rf, jump


@pytest.mark.parametrize("name", list(NETWORKS))
def test_parameters_and_macs(values, name):
    """Are each network's parameters, MACs and linear share stated right?"""
    model = on_meta(NETWORKS[name])
    key = KEYS[name]
    assert number(values[f"{key}_params"]) == count_parameters(model)
    macs = forward_macs(model)
    assert values[f"{key}_gmacs"] == f"{macs / 1e9:.2f}"
    share = 100 * linear_params(model) / count_parameters(model)
    assert values[f"{key}_linear_params_pct"] == f"{share:.0f}"


def test_published_counts(values):
    """Are the five parameter counts the published figures, and GoogLeNet's 5x5 one
    larger by 16 weights per filter of the 5x5 branches?"""
    assert [number(values[f"{k}_params"]) for k in KEYS.values()] == [
        61_100_840,
        138_357_544,
        6_624_904,
        4_231_976,
        22_855_952,
    ]
    extra = sum(16 * r[4] * r[5] for r in INCEPTION_TABLE.values())
    assert number(values["googlenet_paper_params"]) == 6_624_904 + extra
    assert number(values["googlenet_paper_params"]) == count_parameters(
        on_meta(GoogLeNet, kernel5=5)
    )
    assert number(values["q_kernel5_extra"]) == extra


def test_ratios(values):
    """Are VGG-16's ratios to MobileNet and AlexNet stated right?"""
    macs = {n: forward_macs(on_meta(c)) for n, c in NETWORKS.items()}
    vgg = macs["VGG-16"]
    assert values["vgg_over_mobilenet_macs"] == f"{vgg / macs['MobileNet v1']:.0f}"
    assert values["vgg_over_alexnet_macs"] == f"{vgg / macs['AlexNet']:.0f}"
    assert int(values["vgg_over_mobilenet_macs"]) == 27


def test_vgg_layers(values):
    """Is conv1_2's cost 224*224*64*64*9 MACs and its output 12.25 MiB?"""
    assert values["vgg_conv_mmacs"] == f"{224 * 224 * 64 * 64 * 9 / 1e6:,.0f}"
    assert float(values["vgg_first_out_mib"]) == 64 * 224 * 224 * 4 / 2**20
    assert number(values["q_fc6_params"]) == 512 * 7 * 7 * 4096 + 4096
    assert int(values["vgg_depth"]) == 16 and int(values["googlenet_depth"]) == 22


def test_alexnet_layers(values):
    """Are AlexNet's conv2 MACs (27x27x192 outputs of 64x5x5) and fc6 stated right?"""
    assert values["alexnet_conv2_mmacs"] == f"{27 * 27 * 192 * 64 * 25 / 1e6:.0f}"
    assert number(values["alexnet_fc6_params"]) == 256 * 6 * 6 * 4096 + 4096


def test_receptive_fields(values):
    """Do the stated receptive fields follow r += (K-1) j, j *= S by hand?"""
    alex = [(11, 4), (3, 2), (5, 1), (3, 2), (3, 1), (3, 1), (3, 1)]
    assert int(values["alexnet_conv5_rf"]) == by_hand(alex)[0] == 163
    assert int(values["alexnet_rf"]) == by_hand(alex + [(3, 2)])[0] == 195
    assert (int(values["q_pool1_rf"]), int(values["q_pool1_jump"])) == by_hand(alex[:2])
    vgg = []
    for convs in (2, 2, 3, 3, 3):
        vgg += [(3, 1)] * convs + [(2, 2)]
    assert (
        (int(values["vgg_conv5_3_rf"]), int(values["vgg_conv5_3_jump"]))
        == by_hand(vgg[:-1])
        == (196, 16)
    )
    assert (int(values["vgg_rf"]), int(values["vgg_pool5_jump"])) == by_hand(vgg)
    mobile = [(3, 2)] + [(3, s) for s in (1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1)]
    assert int(values["mobilenet_rf"]) == by_hand(mobile)[0] == 315
    # The corner's field starts before the image by the padding the layers add.
    start, jump = 0, 1
    for _, s in mobile:
        start, jump = start - jump, jump * s  # padding 1 everywhere
    assert values["mob_corner_field"] == f"{start + 315}×{start + 315}" == "158×158"
    assert values["mob_centre_field"] == "224×224"
    # GoogLeNet along a 3x3 branch: stem, pools, and one 3x3 per module.
    stem = [(7, 2), (3, 2), (1, 1), (3, 1), (3, 2)]
    google = stem + [(3, 1)] * 2 + [(3, 2)] + [(3, 1)] * 5 + [(2, 2)] + [(3, 1)] * 2
    assert int(values["googlenet_rf"]) == by_hand(google)[0] == 379


def test_xception(values):
    """Are Xception's receptive field (by hand), its cost at 299x299, its depthwise
    share of the MACs and its comparisons with VGG-16 and GoogLeNet stated right?"""
    # Along the separable branch: two 3x3 convolutions (stride 2, 1), then per entry
    # block two separable 3x3 and a 3x3/2 pool, 8 x 3 separable 3x3 in the middle,
    # an exit block like the entry ones, and two more separable 3x3.
    block = [(3, 1), (3, 1), (3, 2)]
    path = [(3, 2), (3, 1)] + block * 3 + [(3, 1)] * 24 + block + [(3, 1)] * 2
    assert int(values["xception_rf"]) == by_hand(path)[0] == 1083
    assert int(values["xception_convs"]) == 36 and int(values["xception_middle"]) == 8
    model = on_meta(NETWORKS["Xception"])
    assert values["xception_299_gmacs"] == f"{forward_macs(model, 299) / 1e9:.2f}"
    total = forward_macs(model)
    dw = 0
    for m in model.modules():
        if isinstance(m, nn.Conv2d) and m.groups > 1:
            dw += forward_macs_of(model, m)
    assert values["xception_dw_macs_pct"] == f"{100 * dw / total:.1f}"
    vgg = on_meta(NETWORKS["VGG-16"])
    ratio = count_parameters(vgg) / count_parameters(model)
    assert values["vgg_over_xception_params"] == f"{ratio:.0f}"
    google = forward_macs(on_meta(NETWORKS["GoogLeNet"]))
    assert values["xception_over_googlenet_macs"] == f"{total / google:.1f}"


def forward_macs_of(model, layer, size=224):
    """MACs of one layer in a 224x224 forward pass: output elements x kernel taps."""
    seen = []
    handle = layer.register_forward_hook(lambda m, i, o: seen.append(o.shape))
    try:
        forward_macs(model, size)
    finally:
        handle.remove()
    (shape,) = seen
    per_output = layer.weight[0].numel()  # c_in / groups * KH * KW
    return shape.numel() * per_output


def test_mobilenet_depthwise_share(values):
    """Do MobileNet's depthwise convolutions do the stated share of its MACs?"""
    model = on_meta(NETWORKS["MobileNet v1"])
    dw = 0
    size = 112
    for block in model.blocks:
        conv = block.depthwise[0]
        size = -(-size // conv.stride[0])
        dw += size * size * conv.out_channels * 9
    total = forward_macs(model)
    assert values["mobilenet_dw_macs_pct"] == f"{100 * dw / total:.1f}"


def test_digits(values):
    """Are the digits runs' parameter counts right, with several seeds, enough epochs,
    and a mean and standard deviation for each network?"""
    assert int(values["digits_test"]) == 450 and int(values["digits_train"]) == 1347
    assert int(values["digits_seeds"]) >= 5 and int(values["digits_epochs"]) >= 15
    assert int(values["digits_runs"]) == 4 * int(values["digits_seeds"])
    for kind in ("standard", "separable"):
        for width, tag in ((0.5, 5), (1.0, 10)):
            model = DigitsCNN(separable=kind == "separable", width=width)
            assert number(values[f"digits_{kind}_{tag}_params"]) == count_parameters(
                model
            )
            assert 75 < float(values[f"digits_{kind}_{tag}_acc"]) <= 100
            assert 0 < float(values[f"digits_{kind}_{tag}_sd"]) < 25
    ratio = number(values["digits_standard_10_params"]) / number(
        values["digits_separable_10_params"]
    )
    assert values["digits_param_ratio"] == f"{ratio:.1f}"
    assert float(values["digits_settle"]) < 2 and float(values["digits_train_min"]) > 95


def test_digits_gap_words_follow_the_numbers(values):
    """Does the text call the gap between the two kinds larger than the spread
    between seeds exactly when it is?"""
    for tag in (5, 10):
        gap = abs(
            float(values[f"digits_standard_{tag}_acc"])
            - float(values[f"digits_separable_{tag}_acc"])
        )
        spread = max(
            float(values[f"digits_standard_{tag}_sd"]),
            float(values[f"digits_separable_{tag}_sd"]),
        )
        assert float(values[f"digits_gap_{tag}"]) == pytest.approx(gap, abs=0.11)
        larger = values[f"digits_verdict_{tag}"].startswith("larger")
        if abs(gap - spread) > 0.2:  # away from the rounding of the glued values
            assert larger == (gap > spread)


def test_summarise_seeds():
    """Is a configuration's summary the mean and the sample standard deviation of its
    seeds' final accuracies, with the mean curve?"""
    runs = [
        {
            "params": 7,
            "final_accuracy": a,
            "test_accuracy": [0.5, a],
            "train_accuracy": t,
            "seconds": 1.0,
        }
        for a, t in ((0.9, 1.0), (0.8, 0.99), (1.0, 0.98))
    ]
    s = summarise(runs)
    assert s["mean"] == pytest.approx(0.9) and s["sd"] == pytest.approx(0.1)
    assert s["curve"] == pytest.approx([0.5, 0.9]) and s["train_min"] == 0.98
    assert s["seeds"] == 3 and s["seconds"] == 3.0 and s["params"] == 7


def test_cpu_section(values):
    """Was every network run at 224x224 on one thread, with the FLOP ratio and the
    memory of VGG-16's gradients and momentum computed from the full-size networks?"""
    assert int(values["cpu_threads"]) == 1
    vgg = forward_macs(on_meta(NETWORKS["VGG-16"]))
    mob = forward_macs(on_meta(NETWORKS["MobileNet v1"]))
    assert values["cpu_flops_ratio"] == f"{vgg / mob:.0f}"
    weights = 4 * count_parameters(on_meta(NETWORKS["VGG-16"]))
    assert values["cpu_vgg_weights_mib"] == f"{weights / 2**20:,.0f}"
    assert values["cpu_vgg_two_weights_mib"] == f"{2 * weights / 2**20:,.0f}"
    assert number(values["cpu_vgg_step_mib"]) > number(
        values["cpu_vgg_two_weights_mib"]
    )
    assert float(values["cpu_vgg_step_s"]) > 0 and float(values["cpu_mob_vs_vgg"]) > 0


def test_cpu_run_measures_in_a_fresh_process():
    """Does a full-size measurement report the network's FLOPs and parameters, a
    positive time and the memory that its forward pass added?"""
    (record,) = measure_all([("MobileNet v1", "inference")], iters=1)
    model = on_meta(NETWORKS["MobileNet v1"])
    assert record["params"] == count_parameters(model)
    assert record["flops_per_iter"] == 2 * forward_macs(model)
    assert record["image_size"] == 224 and record["batch_size"] == 1
    assert record["threads"] == 1 and record["seconds_per_iter"] > 0
    # At least the largest layer output, 32 x 112 x 112 floats, was added.
    assert record["peak_added_bytes"] >= 4 * 32 * 112 * 112


def test_intensity(values):
    """Are the MACs per byte of the depthwise layer and VGG's conv3_2 right?"""
    dw = 56 * 56 * 128 * 9 / (4 * (2 * 128 * 56 * 56 + 128 * 9))
    vgg = 56 * 56 * 256 * 256 * 9 / (4 * (2 * 256 * 56 * 56 + 256 * 256 * 9))
    assert values["q_dw_intensity"] == f"{dw:.1f}"
    assert values["q_vgg_intensity"] == f"{vgg:.0f}"
