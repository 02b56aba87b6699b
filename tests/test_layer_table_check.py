"""Layer-table references and diagnoses (09-layer-table), through `check`."""

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from autograder import check
from autograder.checking.check import CheckFailed
from autograder.checking.reference import REFERENCES
from autograder.checking.registry import InvalidArguments
from helpers import load_solutions
from layer_table_students import MISTAKES, student_functions

A, NB = "09-layer-table", "layer-table.ipynb"


def conv(c_out, k, **kw):
    return {"type": "conv", "out_channels": c_out, "kernel_size": k, **kw}


def pool(kind, k, **kw):
    return {"type": kind, "kernel_size": k, **kw}


BN, RELU = {"type": "batchnorm"}, {"type": "relu"}
STEM = [conv(64, 7, stride=2, padding=3, bias=False), BN, RELU]
STEM.append(pool("maxpool", 3, stride=2, padding=1))
# One network where every known mistake changes the table.
MIXED = [
    conv(8, 5, stride=2, padding=2, dilation=2),
    BN,
    pool("maxpool", 2, stride=2, padding=1, ceil_mode=True),  # drops a window
    conv(16, 3, groups=4),
    RELU,
    pool("avgpool", 2, ceil_mode=True),  # keeps one
    {"type": "linear", "out_features": 10},
]
MIXED_SHAPE = (4, 36, 30)


@pytest.fixture(scope="module")
def sol():
    return load_solutions(A, NB)


def torch_module(c, h, w, layer):
    """The layer as a torch.nn module, built here without the ops module."""
    kw = {k: v for k, v in layer.items() if k != "type"}
    kind = layer["type"]
    if kind == "conv":
        return nn.Conv2d(c, **kw)
    if kind == "linear":
        return nn.Sequential(nn.Flatten(), nn.Linear(c * h * w, **kw))
    return {
        "maxpool": nn.MaxPool2d,
        "avgpool": nn.AvgPool2d,
        "batchnorm": lambda: nn.BatchNorm2d(c),
        "relu": nn.ReLU,
    }[kind](**kw)


def on_cpu(in_shape, layers):
    """Rows (C, H, W, params, MACs) by real float64 forward passes on the CPU."""
    x = torch.rand(1, *in_shape, dtype=torch.float64)
    rows = []
    for layer in layers:
        m = torch_module(*x.shape[1:], layer).double().eval()
        with FlopCounterMode(display=False) as counter:
            x = m(x)
        x = x.reshape(1, -1, 1, 1) if x.dim() == 2 else x
        params = sum(p.numel() for p in m.parameters())
        rows.append((*x.shape[1:], params, counter.get_total_flops() // 2))
    return rows


def random_layer(rng):
    kind = ("conv", "maxpool", "avgpool", "batchnorm", "relu")[rng.integers(0, 5)]
    k, s, d = (int(v) for v in rng.integers(1, [5, 3, 3]))
    if kind == "conv":
        g = int(rng.choice([1, 2]))
        return conv(4 * g, k, stride=s, padding=k // 2, dilation=d, groups=g)
    if kind == "maxpool":
        return pool(kind, k, stride=s, dilation=d, ceil_mode=bool(rng.integers(0, 2)))
    if kind == "avgpool":
        return pool(kind, k, padding=k // 2, ceil_mode=bool(rng.integers(0, 2)))
    return {"type": kind}


def random_network(rng):
    layers = [random_layer(rng) for _ in range(rng.integers(1, 6))]
    return layers + [{"type": "linear", "out_features": int(rng.integers(1, 9))}]


def test_references_agree_with_cpu_forward_passes():
    """Do the meta-device references give the shapes, parameters and MACs of
    real forward passes, on random networks?"""
    rng = np.random.default_rng(0)
    for _ in range(20):
        layers = random_network(rng)
        rows, total = REFERENCES["layer_table"]((4, 23, 19), layers)
        assert [r[:5] for r in rows] == on_cpu((4, 23, 19), layers)
        assert total == (sum(r[3] for r in rows), sum(r[4] for r in rows))


def test_the_books_numbers():
    """Does the table give VGG-16's published parameters, and the receptive
    fields and jumps that the book states?"""
    vgg = []
    for width, convs in [(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)]:
        vgg += [conv(width, 3, padding=1), RELU] * convs + [pool("maxpool", 2)]
    features = len(vgg)
    vgg += [{"type": "linear", "out_features": 4096}, RELU]
    vgg += [{"type": "linear", "out_features": 4096}, RELU]
    vgg += [{"type": "linear", "out_features": 1000}]
    rows, (params, macs) = REFERENCES["layer_table"]((3, 224, 224), vgg)
    assert params == 138_357_544
    assert rows[features - 1][:3] == (512, 7, 7)
    assert rows[features - 1][5:] == (212, 32)  # the book's VGG-16 field
    assert 15.4e9 < macs < 15.6e9
    stem = REFERENCES["layer_table"]((3, 224, 224), STEM)[0]
    assert [r[5:] for r in stem] == [(7, 2), (7, 2), (7, 2), (11, 4)]


def test_linear_is_a_window_over_the_whole_map():
    """Is a linear layer's field that of a kernel as tall as its input?"""
    rows, _ = REFERENCES["layer_table"](
        (2, 8, 8), [conv(2, 3, stride=2), {"type": "linear", "out_features": 3}]
    )
    assert rows[0][5:] == (3, 2)
    assert rows[1][:3] == (3, 1, 1)
    assert rows[1][5:] == (3 + (3 - 1) * 2, 2)


@pytest.mark.parametrize(
    "in_shape, layer",
    [
        ((6, 8, 8), conv(4, 3, groups=4)),
        ((3, 4, 4), conv(4, 5)),
        ((3, 8, 8), pool("maxpool", 2, padding=2)),
        ((3, 8, 8), pool("avgpool", 3, padding=2)),
    ],
)
def test_refusals(sol, in_shape, layer):
    """Are the layers PyTorch refuses refused, and must the student raise?"""
    with pytest.raises(InvalidArguments):
        REFERENCES["layer_shape"](in_shape, layer)
    check(sol["layer_shape"], "layer_shape", in_shape, layer)
    with pytest.raises(CheckFailed, match="so a ValueError is expected"):
        check(lambda s, lay: (1, 1, 1), "layer_shape", in_shape, layer)


def test_solutions_match_on_random_layers(sol):
    """Do the reference solutions match PyTorch on many random layers and
    networks, ceil_mode's dropped last window included?"""
    rng = np.random.default_rng(1)
    for _ in range(40):
        layer = random_layer(rng)
        shape = tuple(int(v) for v in rng.integers([1, 1, 1], [9, 14, 14]))
        shape = (4 * shape[0],) + shape[1:]
        check(sol["layer_shape"], "layer_shape", shape, layer)
        check(sol["layer_counts"], "layer_counts", shape, layer)
    for n in range(1, 12):  # small maps, where ceil_mode's rules bite
        for p in (0, 1):
            layer = pool("maxpool", 2 + p, stride=2, padding=p, ceil_mode=True)
            check(sol["layer_shape"], "layer_shape", (1, n, n + 1), layer)
    for _ in range(8):
        check(sol["layer_table"], "layer_table", (8, 31, 26), random_network(rng))


def test_odd_but_valid_inputs(sol):
    """Are NumPy integers, lists, tuples, an empty network and NumPy results
    accepted, as the task text says?"""
    i = np.int64
    layer = {"type": "conv", "out_channels": i(6), "kernel_size": i(3), "bias": True}
    check(sol["layer_shape"], "layer_shape", [i(2), i(9), i(7)], layer)
    check(sol["layer_counts"], "layer_counts", np.array([2, 9, 7]), layer)
    check(sol["layer_table"], "layer_table", (2, 9, 7), (layer, BN))
    check(sol["layer_table"], "layer_table", (3, 9, 9), [])
    assert REFERENCES["layer_table"]((3, 9, 9), []) == ((), (0, 0))

    def numpy_counts(in_shape, lay):
        return [np.int64(n) for n in sol["layer_counts"](in_shape, lay)]

    check(numpy_counts, "layer_counts", (2, 9, 7), layer)

    def listed_table(in_shape, layers):
        rows, total = sol["layer_table"](in_shape, layers)
        return [[np.int64(v) for v in row] for row in rows], list(total)

    check(listed_table, "layer_table", MIXED_SHAPE, MIXED)


def _failure(fn, op, *args):
    with pytest.raises(CheckFailed) as info:
        check(fn, op, *args)
    return info.value


# Per part, arguments on which each of its mistakes changes the answer.
ARGS = {
    "layer_shape": {
        "padding_ignored": ((3, 16, 16), conv(4, 3, padding=1)),
        "dilation_ignored": ((3, 16, 16), conv(4, 3, dilation=2)),
        "pool_stride_one": ((3, 16, 16), pool("maxpool", 2)),
        "ceil_mode_ignored": (
            (3, 16, 16),
            pool("maxpool", 3, stride=2, ceil_mode=True),
        ),
        "ceil_mode_window_in_padding": (
            (2, 5, 5),
            pool("maxpool", 2, stride=2, padding=1, ceil_mode=True),
        ),
    },
    "layer_counts": {
        "bias_forgotten": ((3, 16, 16), conv(4, 3)),
        "groups_ignored": ((8, 16, 16), conv(4, 3, groups=2)),
        "batchnorm_running_stats": ((8, 16, 16), BN),
        "macs_one_position": ((3, 16, 16), conv(4, 3)),
        "macs_one_channel": ((3, 16, 16), conv(4, 3)),
        "counts_flops": ((3, 16, 16), conv(4, 3)),
        "flatten_forgotten": ((8, 4, 4), {"type": "linear", "out_features": 5}),
    },
}

CASES = [
    (part, i, entry[2], entry[3])
    for part, entries in MISTAKES.items()
    for i, entry in enumerate(entries)
]


@pytest.mark.parametrize(
    "part, index, key, words", CASES, ids=[c[2] + "-" + c[0] for c in CASES]
)
def test_each_mistake_is_diagnosed(part, index, key, words):
    """Is each known mistake named, by key and in words, in its own part and in
    the table that a student builds from it?"""
    student = student_functions(part, index)
    if part != "layer_table":
        err = _failure(student[part], part, *ARGS[part][key])
        assert key in err.mistake_keys, str(err)
        assert f"likely mistake: {words}" in str(err)
    err = _failure(student["layer_table"], "layer_table", MIXED_SHAPE, MIXED)
    assert key in err.mistake_keys, str(err)
    assert f"likely mistake: {words}" in str(err)


def test_the_mixed_network_passes(sol):
    """Does the network used for the diagnoses pass with the solution (so that
    each diagnosis above is the mistake's alone)?"""
    check(sol["layer_table"], "layer_table", MIXED_SHAPE, MIXED)
    check(sol["layer_table"], "layer_table", (3, 224, 224), STEM)


def test_wrong_types_are_reported_not_crashed():
    """Does a table of floats or a missing total fail with a message, not an
    exception of the grader's own?"""
    rows, total = REFERENCES["layer_table"](MIXED_SHAPE, MIXED)
    floats = [tuple(float(v) for v in row) for row in rows]
    err = _failure(lambda s, lay: (floats, total), "layer_table", MIXED_SHAPE, MIXED)
    assert "expected an int, got float" in str(err)
    err = _failure(lambda s, lay: rows, "layer_table", MIXED_SHAPE, MIXED)
    assert "expected a tuple of 2 outputs" in str(err)


@pytest.mark.parametrize(
    "which, key",
    [(0, "groups_ignored_in_parameters"), (1, "groups_ignored_in_macs")],
)
def test_groups_ignored_in_one_count_is_named(sol, which, key):
    """Is groups ignored in the parameters only, or in the MACs only, named
    as such (and not as groups ignored in both)?"""
    layer = conv(8, 3, groups=4)

    def student(in_shape, lay):
        right = list(sol["layer_counts"](in_shape, lay))
        right[which] = sol["layer_counts"](in_shape, {**lay, "groups": 1})[which]
        return tuple(right)

    err = _failure(student, "layer_counts", (8, 10, 10), layer)
    assert err.mistake_keys == (key,), str(err)
