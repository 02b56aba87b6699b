"""Layer tables: MACs against FlopCounterMode, receptive fields by hand and measured."""

import pytest
import torch
from torch import nn

from convbook.analysis import (
    block_table,
    count_flops,
    gradient_receptive_field,
    layer_table,
    summary,
)
from convbook.networks import (
    INCEPTION_TABLE,
    NETWORKS,
    VGG16,
    AlexNet,
    GoogLeNet,
    MobileNetV1,
    count_parameters,
)


@pytest.fixture(autouse=True)
def one_thread():
    """One CPU thread: far faster than two when other processes share the cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def on_meta(cls, **kwargs):
    with torch.device("meta"):
        return cls(**kwargs)


@pytest.fixture(scope="module")
def summaries():
    return {name: summary(on_meta(cls)) for name, cls in NETWORKS.items()}


def first(v):
    return v if isinstance(v, int) else v[0]


def by_hand(layers):
    """The receptive field after each conv or max-pool of a list of layers."""
    rf, jump, out = 1, 1, []
    for layer in layers:
        if isinstance(layer, nn.Conv2d | nn.MaxPool2d):
            k, s = first(layer.kernel_size), first(layer.stride)
            rf, jump = rf + (k - 1) * jump, jump * s
            out.append((type(layer).__name__, rf))
    return out


def table_rfs(rows, prefix):
    spatial = ("Conv2d", "MaxPool2d")
    return [
        (r["type"], r["rf"])
        for r in rows
        if r["name"].startswith(prefix) and r["type"] in spatial
    ]


@pytest.mark.parametrize("name", list(NETWORKS))
def test_macs_are_half_the_flops(summaries, name):
    """Do the per-layer MACs add up to FlopCounterMode's FLOPs / 2, at 224x224?"""
    s = summaries[name]
    assert 2 * sum(r["macs"] for r in s["rows"]) == s["flops"]
    assert s["flops"] == count_flops(on_meta(NETWORKS[name]))


@pytest.mark.parametrize("name", list(NETWORKS))
def test_parameters_add_up(summaries, name):
    """Do the rows' parameters add up to the network's parameter count?"""
    s = summaries[name]
    assert sum(r["params"] for r in s["rows"]) == s["params"]
    assert s["params"] == count_parameters(on_meta(NETWORKS[name]))


def test_published_macs(summaries):
    """Are the totals the usual figures: VGG-16 15.47 G, MobileNet 569 M MACs?"""
    assert round(summaries["VGG-16"]["macs"] / 1e9, 2) == 15.47
    assert round(summaries["MobileNet v1"]["macs"] / 1e6) == 569  # paper, Table 8
    assert round(summaries["GoogLeNet"]["macs"] / 1e9, 2) == 1.50


def test_meta_and_cpu_tables_agree():
    """Does a real CPU forward pass give the same table as the meta device?"""
    torch.manual_seed(0)
    for name, cls in NETWORKS.items():
        size = (2, 3, 64, 64)
        cpu = layer_table(cls(num_classes=10), size)
        assert cpu == layer_table(on_meta(cls, num_classes=10), size), name


def test_alexnet_receptive_fields_by_hand(summaries):
    """Does the table follow r += (K-1) j, j *= S through AlexNet's features?"""
    rows = summaries["AlexNet"]["rows"]
    assert table_rfs(rows, "features") == by_hand(AlexNet().features)
    conv5 = [r for r in rows if r["type"] == "Conv2d"][-1]
    assert (conv5["rf"], conv5["jump"]) == (163, 16)
    assert summaries["AlexNet"]["final_rf"] == 195  # after the last max-pool


def test_vgg16_receptive_fields_by_hand(summaries):
    """Is VGG-16's conv5_3 receptive field 196, and 212 after the last pool?"""
    rows = summaries["VGG-16"]["rows"]
    expected = by_hand(on_meta(VGG16).features)
    assert table_rfs(rows, "features") == expected
    assert expected[-2] == ("Conv2d", 196)
    assert expected[-1] == ("MaxPool2d", 212)
    assert summaries["VGG-16"]["final_rf"] == 212


def test_other_final_receptive_fields(summaries):
    """Are GoogLeNet's and MobileNet's final receptive fields 379 and 315?"""
    assert summaries["GoogLeNet"]["final_rf"] == 379
    assert summaries["MobileNet v1"]["final_rf"] == 315


def test_shapes_and_bytes(summaries):
    """Are VGG-16's first and last conv outputs right, and bytes 4 per value?"""
    convs = [r for r in summaries["VGG-16"]["rows"] if r["type"] == "Conv2d"]
    assert convs[0]["shape"] == (1, 64, 224, 224)
    assert convs[-1]["shape"] == (1, 512, 14, 14)
    assert convs[0]["bytes"] == 64 * 224 * 224 * 4
    assert all(r["inplace"] for r in summaries["VGG-16"]["rows"] if r["type"] == "ReLU")


def positive(model):
    """Random positive weights and zero biases, so no gradient cancels."""
    torch.manual_seed(0)
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.uniform_(m.weight, 0.1, 1.0)
            nn.init.zeros_(m.bias)
    return model


class TwoBranches(nn.Module):
    """A 1x1 branch and a 5x5 branch side by side, concatenated like Inception."""

    def __init__(self):
        super().__init__()
        self.small = nn.Conv2d(1, 1, 1)
        self.large = nn.Conv2d(1, 1, 5, padding=2)

    def forward(self, x):
        return torch.cat([self.small(x), self.large(x)], dim=1)


def test_gradient_matches_recurrence():
    """Is the measured receptive field (non-zero input gradient) the table's?"""
    net = positive(
        nn.Sequential(
            nn.Conv2d(1, 2, 3),
            nn.ReLU(),
            nn.AvgPool2d(2),
            nn.Conv2d(2, 2, 3, dilation=2),
            nn.Conv2d(2, 1, 3, stride=2),
        )
    )
    rows = layer_table(net, (1, 1, 48, 48))
    assert [r["rf"] for r in rows] == [3, 3, 4, 12, 16]
    assert gradient_receptive_field(net, (1, 1, 48, 48)) == 16


def test_branches_take_the_largest():
    """Does a concatenation get the largest branch's receptive field, as measured?"""
    net = positive(nn.Sequential(TwoBranches(), nn.Conv2d(2, 1, 3)))
    rows = layer_table(net, (1, 1, 32, 32))
    # small, large, then a row for the concatenation, which no leaf returned
    assert [(r["type"], r["rf"]) for r in rows] == [
        ("Conv2d", 1),
        ("Conv2d", 5),
        ("TwoBranches", 5),
        ("Conv2d", 7),
    ]
    # The measured field of the 5x5 branch's channel, and of the whole output.
    assert gradient_receptive_field(net[0], (1, 1, 32, 32), channel=1) == 5
    assert gradient_receptive_field(net, (1, 1, 32, 32)) == 7


def test_mode_is_restored():
    """Does a model in training mode stay in training mode after a table?"""
    net = nn.Sequential(nn.Conv2d(1, 1, 3), nn.Dropout())
    layer_table(net, (1, 1, 8, 8))
    assert net.training


def test_inception_blocks():
    """Does a GoogLeNet block row have the module's output shape, params and field?"""
    model = on_meta(GoogLeNet)
    blocks = ["conv1", "conv2", "conv3", *INCEPTION_TABLE]
    rows = {r["name"]: r for r in block_table(model, blocks)}
    row = rows["inception3a"]
    assert row["type"] == "Inception" and row["shape"] == (1, 256, 28, 28)
    assert row["params"] == count_parameters(model.inception3a)
    assert (row["rf"], row["jump"]) == (43, 8)  # 27 + (3 - 1) * 8
    # the concatenation is memory of its own, counted once
    assert rows["inception3a"]["bytes"] > 256 * 28 * 28 * 4


def test_blocks_add_up(summaries):
    """Do MobileNet's block rows add up to the network's totals?"""
    model = on_meta(MobileNetV1)
    rows = block_table(model, ["conv1"] + [f"blocks.{i}" for i in range(13)])
    s = summaries["MobileNet v1"]
    assert len(rows) == 1 + 13 + 2  # conv1, 13 blocks, avgpool, fc
    for key, total in [
        ("params", "params"),
        ("macs", "macs"),
        ("bytes", "activation_bytes"),
    ]:
        assert sum(r[key] for r in rows) == s[total]
