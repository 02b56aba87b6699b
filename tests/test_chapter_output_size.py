"""The numbers stated in the output-size chapter, recomputed from PyTorch's shapes."""

import pytest
import torch
import torch.nn.functional as F

CHAPTER = "output-size"


def torch_length(W, K, S=1, P=0, D=1):
    y = F.conv1d(
        torch.zeros(1, 1, W), torch.zeros(1, 1, K), stride=S, padding=P, dilation=D
    )
    return y.shape[-1]


@pytest.fixture(scope="module")
def values(glued):
    return glued(CHAPTER)


def test_width_seven_examples(values):
    """Does the width-7 input with a 3-tap kernel give 5 outputs at stride 1, 3 at 2?"""
    assert int(values["w7_s1"]) == torch_length(7, 3, 1) == 5
    assert int(values["w7_s2"]) == torch_length(7, 3, 2) == 3


def test_notes_formula_counterexamples(values):
    """Are the notes' formula's wrong answers and the true sizes stated correctly?"""
    assert float(values["notes_frac"]) == (8 - 3) / 2 + 1
    assert int(values["true_frac"]) == torch_length(8, 3, 2)
    assert int(values["notes_pad"]) == 7 + 1 - 3 + 1
    assert int(values["true_pad"]) == torch_length(7, 3, 1, 1)


def test_image_example(values):
    """Does the 32x32x3 image through twelve 6x6 filters at stride 2 give 14x14x12?"""
    layer = torch.nn.Conv2d(3, 12, 6, stride=2)
    out = layer(torch.zeros(1, 3, 32, 32))
    assert int(values["img_side"]) == out.shape[-1] == out.shape[-2]
    assert int(values["img_channels"]) == out.shape[1]
    params = sum(p.numel() for p in layer.parameters())
    assert int(values["img_params"].strip("'").replace(",", "")) == params


def test_grid_size(values):
    """Does the page check the formula on the number of cases it says?"""
    count = sum(
        1
        for W in range(1, 25)
        for K in range(1, 8)
        for S in range(1, 5)
        for P in range(0, 4)
        for D in range(1, 4)
        if W + 2 * P >= D * (K - 1) + 1
    )
    assert int(values["grid_cases"]) == count


def test_questions(values):
    """Are the answers to the check-your-understanding questions right?"""
    assert int(values["q1"]) == torch_length(224, 11, 4, 2)
    assert int(values["q2"]) == torch_length(28, 3, 1, 0, 2)
    assert int(values["q3"]) == torch_length(9, 2, 2)
