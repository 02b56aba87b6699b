"""Receptive field, parameter and MAC references and diagnoses, through `check`."""

import pytest

from autograder import check
from autograder.checking.reference import REFERENCES
from helpers import load_solutions

STACK = [(3, 2), {"kernel_size": 3, "dilation": 2}, (2, 2), (3, 1, 3)]


@pytest.fixture(scope="module")
def sol():
    return load_solutions("08-receptive-field", "receptive-field.ipynb")


def failure(student, op, *args, **kwargs):
    with pytest.raises(AssertionError) as info:
        check(student, op, *args, **kwargs)
    return str(info.value)


def test_measured_receptive_fields():
    """Does the gradient experiment find the receptive fields the book states?"""
    rf = REFERENCES["receptive_field"]
    assert rf([]) == (1, 1)
    assert rf([(3,), (3,)]) == (5, 1)
    assert rf([(3, 1, 2)]) == (5, 1)
    alexnet = [(11, 4), (3, 2), (5,), (3, 2), (3,), (3,), (3,), (3, 2)]
    assert rf(alexnet) == (195, 32)
    vgg16 = []
    for convs in (2, 2, 3, 3, 3):
        vgg16 += [(3,)] * convs + [(2, 2)]
    assert rf(vgg16) == (212, 32)


def test_solutions_pass(sol):
    """Do the reference solutions match PyTorch?"""
    check(sol["receptive_field"], "receptive_field", STACK)
    check(sol["count_parameters"], "count_parameters", 64, 128, (3, 1), 2, False)
    check(sol["count_macs"], "count_macs", 64, 128, 3, (28, 14), 4)


def recurrence(layers, jump_first=False, use_jump=True, dilation=True):
    """A student's receptive field: rf += D(K-1)J, with the chosen mistakes."""
    rf, jump = 1, 1
    for layer in layers:
        if isinstance(layer, dict):
            k, s, d = (
                layer["kernel_size"],
                layer.get("stride", 1),
                layer.get("dilation", 1),
            )
        else:
            k, s, d = (*layer, 1, 1)[:3]
        if jump_first:
            jump *= s
        rf += (d if dilation else 1) * (k - 1) * (jump if use_jump else 1)
        if not jump_first:
            jump *= s
    return rf, jump


@pytest.mark.parametrize(
    "mistake, message",
    [
        ({"use_jump": False}, "the jump is forgotten"),
        ({"jump_first": True}, "the jump includes the layer's own stride"),
        ({"dilation": False}, "the dilation is ignored"),
    ],
)
def test_receptive_field_mistakes(mistake, message):
    """Is each wrong recurrence named?"""
    msg = failure(
        lambda layers: recurrence(layers, **mistake), "receptive_field", STACK
    )
    assert f"likely mistake: {message}" in msg


@pytest.mark.parametrize(
    "student, args, message",
    [
        (
            lambda ci, co, k, g=1, b=True: co * ci // g * k * k,
            (8, 4, 3),
            "the bias is forgotten",
        ),
        (
            lambda ci, co, k, g=1, b=True: co * ci // g * k * k + co,
            (8, 4, 3, 1, False),
            "the bias is counted",
        ),
        (
            lambda ci, co, k, g=1, b=True: co * ci * k * k + co,
            (8, 4, 3, 2),
            "groups is ignored",
        ),
        (
            lambda ci, co, k, g=1, b=True: co * ci * k + co,
            (8, 4, 3),
            "an int kernel_size K",
        ),
    ],
)
def test_count_parameters_mistakes(student, args, message):
    """Are a forgotten or extra bias, ignored groups and a 1-D kernel named?"""
    msg = failure(student, "count_parameters", *args)
    assert f"likely mistake: {message}" in msg


@pytest.mark.parametrize(
    "student, message",
    [
        (lambda ci, co, k, o, g=1: co * ci * k * k * o * o, "groups is ignored"),
        (
            lambda ci, co, k, o, g=1: 2 * co * ci // g * k * k * o * o,
            "this counts FLOPs",
        ),
        (lambda ci, co, k, o, g=1: co * ci // g * k * o, "an int kernel_size K"),
    ],
)
def test_count_macs_mistakes(student, message):
    """Are ignored groups, FLOPs for MACs and 1-D sizes named?"""
    msg = failure(student, "count_macs", 8, 4, 3, 5, 2)
    assert f"likely mistake: {message}" in msg


def test_refusals(sol):
    """Must groups that do not divide the channels raise ValueError?"""
    check(sol["count_parameters"], "count_parameters", 6, 4, 3, 4)
    check(sol["count_macs"], "count_macs", 6, 4, 3, 5, 4)
    msg = failure(lambda *a: 0, "count_macs", 6, 4, 3, 5, 4)
    assert "so a ValueError is expected" in msg
