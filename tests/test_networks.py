"""The famous networks: published parameter counts, output shapes, smaller inputs."""

import pytest
import torch

from convbook.networks import (
    INCEPTION_TABLE,
    MIN_INPUT_SIZE,
    NETWORKS,
    GoogLeNet,
    MobileNetV1,
    SeparableConv,
    Xception,
    count_parameters,
)

PUBLISHED = {
    "AlexNet": 61_100_840,
    "VGG-16": 138_357_544,
    "GoogLeNet": 6_624_904,
    "MobileNet v1": 4_231_976,
    "Xception": 22_855_952,
}


@pytest.fixture(autouse=True)
def one_thread():
    """One CPU thread: far faster than two when other processes share the cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def models():
    torch.manual_seed(0)
    return {name: cls().eval() for name, cls in NETWORKS.items()}


@pytest.mark.parametrize("name", list(PUBLISHED))
def test_parameter_count(models, name):
    """Does each network have exactly its published number of parameters?"""
    assert count_parameters(models[name]) == PUBLISHED[name]


@pytest.mark.parametrize("name", list(PUBLISHED))
def test_forward_224(models, name):
    """Does a batch of two 224x224 images give (2, 1000) finite logits?"""
    with torch.no_grad():
        y = models[name](torch.randn(2, 3, 224, 224))
    assert y.shape == (2, 1000)
    assert torch.isfinite(y).all()


@pytest.mark.parametrize("name", list(PUBLISHED))
def test_smallest_input(models, name):
    """Does each network run at its documented smallest input, and fail just below?"""
    size = MIN_INPUT_SIZE[name]
    with torch.no_grad():
        assert models[name](torch.randn(2, 3, size, size)).shape == (2, 1000)
        if size > 1:
            with pytest.raises(RuntimeError):
                models[name](torch.randn(1, 3, size - 1, size - 1))


@pytest.mark.parametrize("name", list(PUBLISHED))
def test_small_input_with_few_classes(name):
    """Does a 64x64 input with 10 classes give (3, 10), in training mode too?"""
    model = NETWORKS[name](num_classes=10)
    y = model(torch.randn(3, 3, 64, 64))
    assert y.shape == (3, 10)
    y.sum().backward()
    assert all(p.grad is not None for p in model.parameters())


def test_googlenet_paper_5x5():
    """Does the paper's 5x5 kernel add 16 weights per (reduce, output) channel pair?"""
    extra = sum(16 * row[4] * row[5] for row in INCEPTION_TABLE.values())
    assert count_parameters(GoogLeNet(kernel5=5)) == PUBLISHED["GoogLeNet"] + extra


def test_mobilenet_width_multiplier():
    """Does width 0.5 give the paper's 1.3 million parameters (its Table 6)?"""
    assert round(count_parameters(MobileNetV1(width=0.5)) / 1e6, 1) == 1.3
    small = MobileNetV1(num_classes=7, width=0.25).eval()
    assert small(torch.randn(1, 3, 32, 32)).shape == (1, 7)


def test_xception_structure():
    """Does Xception have the paper's 36 convolutions on its main path, all but the
    first two separable, and the map sizes of a 299x299 input (19 in the middle flow,
    10 at the end)?"""
    model = Xception().eval()
    seps = [m for m in model.modules() if isinstance(m, SeparableConv)]
    plain = [
        m
        for m in model.modules()
        if isinstance(m, torch.nn.Conv2d) and m.kernel_size == (3, 3) and m.groups == 1
    ]
    assert len(plain) == 2 and len(seps) == 34
    assert all(s.depthwise.groups == s.depthwise.in_channels for s in seps)
    with torch.no_grad():
        x = model.entry_flow(torch.randn(1, 3, 299, 299))
        assert x.shape == (1, 728, 19, 19)
        x = model.middle_flow(x)
        assert x.shape == (1, 728, 19, 19)
        assert model.exit_flow(x).shape == (1, 2048, 10, 10)


def test_xception_shortcut_keeps_the_input():
    """Is a middle-flow block the identity plus its residual branch (the in-place
    ReLUs must not change the input that the shortcut adds back)?"""
    torch.manual_seed(0)
    block = Xception().middle_flow[0].eval()
    x = torch.randn(1, 728, 5, 5)
    with torch.no_grad():
        expected = block.residual(x.clone()) + x
        assert torch.allclose(block(x.clone()), expected)
