"""The numbers stated by the famous-networks chapter, recomputed independently."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from convbook.networks import VGG16, AlexNet, GoogLeNet

CHAPTER = "famous-networks"
PUBLISHED = {"alex": 61_100_840, "vgg": 138_357_544, "goog": 6_624_904}


def value(glued, name):
    """A glued value as text, without the quotes that strings carry."""
    return glued(CHAPTER)[name].strip("'")


def number(glued, name):
    return int(value(glued, name).replace(",", ""))


def field(modules):
    """Receptive field after a chain of conv/pool modules, by the recurrence."""
    r, j = 1, 1
    for m in modules:
        if isinstance(m, nn.Conv2d | nn.MaxPool2d):
            k = m.kernel_size if isinstance(m.kernel_size, int) else m.kernel_size[0]
            s = m.stride if isinstance(m.stride, int) else m.stride[0]
            d = m.dilation if isinstance(m.dilation, int) else m.dilation[0]
            r, j = r + (k - 1) * d * j, j * s
    return r


@pytest.fixture(scope="module")
def nets():
    with torch.device("meta"):
        return {"alex": AlexNet(), "vgg": VGG16(), "goog": GoogLeNet()}


@pytest.mark.parametrize("key", ["alex", "vgg", "goog"])
def test_published_counts(glued, nets, key):
    """Are the glued parameter counts the published ones, and the modules' own?"""
    counted = sum(p.numel() for p in nets[key].parameters())
    assert number(glued, f"{key}_params") == counted == PUBLISHED[key]


@pytest.mark.parametrize("key", ["alex", "vgg"])
def test_final_receptive_fields(glued, nets, key):
    """Do the last pools of AlexNet and VGG-16 see the glued number of pixels?"""
    assert int(value(glued, f"{key}_rf")) == field(nets[key].features.children())
    assert int(value(glued, f"{key}_measured")) == int(value(glued, f"{key}_rf"))


def test_alexnet_first_layer(glued, nets):
    """Does an 11×11 stride-4 kernel give 55 with padding 2, 54 at 224 and 55 at 227?"""
    conv1 = nets["alex"].features[0]
    x = torch.empty(1, 3, 224, 224, device="meta")
    assert int(value(glued, "alex_conv1_out")) == conv1(x).shape[-1] == 55
    bare = nn.Conv2d(3, 64, 11, stride=4, device="meta")
    assert int(value(glued, "alex_conv1_224")) == bare(x).shape[-1]
    x227 = torch.empty(1, 3, 227, 227, device="meta")
    assert int(value(glued, "alex_conv1_227")) == bare(x227).shape[-1]


def test_alexnet_dense_layers(glued, nets):
    """Has AlexNet three linear layers, fc6 with 256·6·6·4096 + 4096 parameters?"""
    linears = [m for m in nets["alex"].modules() if isinstance(m, nn.Linear)]
    assert int(value(glued, "alex_n_fc")) == len(linears) == 3
    assert int(value(glued, "alex_hidden")) == linears[0].out_features == 4096
    fc6 = sum(p.numel() for p in linears[0].parameters())
    assert number(glued, "alex_fc6") == fc6 == number(glued, "q3_alex")
    share = sum(p.numel() for m in linears for p in m.parameters()) / PUBLISHED["alex"]
    assert value(glued, "alex_fc_share") == f"{100 * share:.0f}%"


def test_vgg_numbers(glued, nets):
    """Are VGG-16's fc14 and its share, and 3×(3×3) vs 7×7 on 512 channels right?"""
    linears = [m for m in nets["vgg"].modules() if isinstance(m, nn.Linear)]
    fc14 = sum(p.numel() for p in linears[0].parameters())
    assert number(glued, "vgg_fc14") == fc14
    assert value(glued, "vgg_fc14_share") == f"{100 * fc14 / PUBLISHED['vgg']:.0f}%"
    assert number(glued, "vgg_three") == 3 * 9 * 512 * 512
    assert number(glued, "vgg_seven") == 49 * 512 * 512
    assert value(glued, "vgg_depths") == "2, 2, 3, 3, 3"


def test_inception_concatenation(glued):
    """Does module 3a output its four branches side by side along channels?"""
    module = GoogLeNet().inception3a.eval()
    x = torch.randn(1, 192, 5, 5)
    with torch.no_grad():
        out = module(x)
        parts = [getattr(module, f"branch{i}")(x) for i in range(1, 5)]
    assert torch.equal(out, torch.cat(parts, dim=1))
    assert int(value(glued, "inc3a_out")) == out.shape[1] == 256
    assert int(value(glued, "q2_out")) == 192 + 208 + 48 + 64


def test_inception_reductions(glued):
    """Do the 1×1 reductions of module 3a cut its 3×3 and 5×5 weights as glued?"""
    reduced = 192 * 96 + 96 * 128 * 9 + 192 * 16 + 16 * 32 * 25
    direct = 192 * 128 * 9 + 192 * 32 * 25
    assert (number(glued, "inc_reduced"), number(glued, "inc_direct")) == (
        reduced,
        direct,
    )


def test_googlenet_depth_and_head(glued, nets):
    """Is GoogLeNet 22 weight layers deep with one 1024→1000 linear layer?"""
    assert int(value(glued, "goog_depth")) == 22
    linears = [m for m in nets["goog"].modules() if isinstance(m, nn.Linear)]
    assert len(linears) == 1
    assert number(glued, "goog_fc") == 1024 * 1000 + 1000


def test_first_pool_question(glued):
    """Is AlexNet's first pool 27 wide with a field of 19?"""
    assert int(value(glued, "q1_pool1")) == (55 - 3) // 2 + 1
    assert int(value(glued, "q1_pool1_rf")) == 11 + 2 * 4


def test_alexnet_2012_and_2014(glued, nets):
    """Are the single-stream widths the built network's, and the two-GPU network of
    2012 (96-256-384-384-256 filters, conv2, conv4 and conv5 in two groups) counted
    by hand as the published 60,965,224 parameters?"""
    convs = [m for m in nets["alex"].modules() if isinstance(m, nn.Conv2d)]
    assert value(glued, "alex_widths") == ", ".join(str(c.out_channels) for c in convs)
    assert value(glued, "alex_widths_2012") == "96, 256, 384, 384, 256"
    by_hand = (
        (96 * 3 * 11 * 11 + 96)
        + (256 * 48 * 5 * 5 + 256)
        + (384 * 256 * 3 * 3 + 384)
        + (384 * 192 * 3 * 3 + 384)
        + (256 * 192 * 3 * 3 + 256)
        + (256 * 6 * 6 * 4096 + 4096)
        + (4096 * 4096 + 4096)
        + (4096 * 1000 + 1000)
    )
    assert number(glued, "alex_params_2012") == by_hand == 60_965_224
