"""The ResNet chapter and convbook.resnet: published counts, the blocks' behaviour
and the glued numbers, recomputed independently of the page."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from convbook.resnet import BasicBlock, Bottleneck, resnet18, resnet50, stack

CHAPTER = "resnet"
PUBLISHED = {"r18": 11_689_512, "r50": 25_557_032}


@pytest.fixture(scope="module")
def values(glued):
    return {k: v.strip("'\"") for k, v in glued(CHAPTER).items()}


def number(text):
    return float(text.replace(",", "").rstrip("%"))


def by_formula(depths, bottleneck):
    """ResNet parameters from the paper's table, counted by hand (1000 classes)."""

    def bn(c):
        return 2 * c  # scale and shift

    total = 3 * 64 * 49 + bn(64)  # stem
    c_in = 64
    for stage, (width, n) in enumerate(zip((64, 128, 256, 512), depths)):
        c_out = 4 * width if bottleneck else width
        for j in range(n):
            if bottleneck:
                total += c_in * width + bn(width) + 9 * width * width + bn(width)
                total += width * c_out + bn(c_out)
            else:
                total += 9 * c_in * width + bn(width) + 9 * width * width + bn(width)
            if j == 0 and (stage > 0 or c_in != c_out):
                total += c_in * c_out + bn(c_out)  # projection shortcut
            c_in = c_out
    return total + c_in * 1000 + 1000


@pytest.mark.parametrize(
    "key, make, depths, bottleneck",
    [("r18", resnet18, (2, 2, 2, 2), False), ("r50", resnet50, (3, 4, 6, 3), True)],
)
def test_published_counts(values, key, make, depths, bottleneck):
    """Are the glued counts the modules' own, the paper's tables' and the published?"""
    with torch.device("meta"):
        counted = sum(p.numel() for p in make().parameters())
    assert counted == by_formula(depths, bottleneck) == PUBLISHED[key]
    assert number(values[f"{key}_params"]) == counted


def test_networks_run_on_a_small_image():
    """Do both networks classify a real (small) batch, in train and eval mode?"""
    torch.manual_seed(0)
    for make in (resnet18, resnet50):
        net = make(num_classes=7)
        x = torch.randn(2, 3, 64, 64)
        assert net(x).shape == (2, 7)
        net.eval()
        with torch.no_grad():
            assert torch.isfinite(net(x)).all()


def test_zero_residual_block_is_the_identity_on_nonnegative_input():
    """With its last BatchNorm's scale at 0, is a block relu(x), i.e. x for x >= 0?"""
    for block in (BasicBlock(8, 8), Bottleneck(32, 8)):
        nn.init.zeros_(block.residual[-1][1].weight)
        x = torch.rand(2, block.residual[0][0].in_channels, 5, 5)
        assert torch.equal(block(x), x)


def test_projection_only_where_shapes_change():
    """Do blocks that change stride or width, and only those, project the shortcut?"""
    assert isinstance(BasicBlock(64, 64).shortcut, nn.Identity)
    assert isinstance(BasicBlock(64, 128, stride=2).shortcut, nn.Sequential)
    assert isinstance(Bottleneck(64, 64).shortcut, nn.Sequential)  # 64 -> 256
    assert isinstance(Bottleneck(256, 64).shortcut, nn.Identity)


def test_stack_sizes():
    """Does stack(n) have 2n + 1 convolutions and keep the map's size?"""
    net = stack(5, width=4)
    assert sum(isinstance(m, nn.Conv2d) for m in net.modules()) == 11
    assert net(torch.randn(1, 3, 6, 6)).shape == (1, 4, 6, 6)


def test_gradient_ratio_numbers(values):
    """Is the deep plain stack's glued ratio far above the residual one's?"""
    assert int(values["g_layers"]) == 2 * 32 + 1
    plain, res = number(values["g_plain"]), number(values["g_res"])
    assert plain > 100 * res


def test_batchnorm_numbers(values):
    """Do the glued running statistics follow the momentum rule from the batch's?"""
    mu, run = number(values["bn_mu0"]), number(values["bn_run0"])
    assert run == pytest.approx(0.1 * mu, abs=0.01)
    n, var = number(values["bn_n"]), number(values["bn_var0"])
    assert number(values["bn_runvar0"]) == pytest.approx(
        0.9 + 0.1 * var * n / (n - 1), abs=0.01
    )
    assert number(values["bn_left"]) == pytest.approx(100 * 0.9**100, abs=5e-5)
    assert number(values["q2_mean"]) == pytest.approx(0.1 * 5 * 0.9 + 0.1 * 5)


def test_answers(values):
    """Are the answers' weight counts those of the layers they describe?"""
    block = resnet50().stages[1][0]
    convs = [m for m in block.residual.modules() if isinstance(m, nn.Conv2d)]
    assert values["q1_text"].endswith(f"= {sum(m.weight.numel() for m in convs)}")
    proj = resnet18().stages[1][0].shortcut[0]
    assert number(values["q3_params"]) == proj.weight.numel() == 64 * 128
