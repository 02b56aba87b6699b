"""PyTorch references and random calls that check the fairness corpus directly.

CASES[assignment](rng) yields (function name, reference, args, kwargs); the
reference takes NumPy arguments and returns NumPy results (or raises where
PyTorch refuses the arguments). `agree` compares a corpus function with it.
"""

from __future__ import annotations

import copy

import numpy as np
import torch
import torch.nn.functional as F

from autograder.manifest import ASSIGNMENTS

REFUSED = (RuntimeError, ValueError, TypeError, IndexError, NotImplementedError)


def _t(value):
    return (
        torch.from_numpy(np.ascontiguousarray(value))
        if isinstance(value, np.ndarray)
        else value
    )


def _n(value):
    if isinstance(value, torch.Tensor):
        return value.detach().numpy()
    if isinstance(value, (tuple, list)):
        return tuple(_n(v) for v in value)
    return value


def torch_op(fn):
    """A reference that calls fn with tensors for arrays."""

    def reference(*args, **kwargs):
        args = [_t(a) for a in args]
        kwargs = {k: _t(v) for k, v in kwargs.items()}
        return _n(fn(*args, **kwargs))

    reference.__name__ = getattr(fn, "__name__", "reference")
    return reference


def _tolerance(dtype):
    return (1e-4, 1e-5) if dtype == np.float32 else (1e-9, 1e-10)


def _same(got, want):
    """None if got equals want (PyTorch's result), else what differs."""
    if isinstance(want, tuple):
        if not isinstance(got, (tuple, list)) or len(got) != len(want):
            return f"expected {len(want)} results, got {type(got).__name__}"
        for i, (g, w) in enumerate(zip(got, want)):
            problem = _same(g, w)
            if problem:
                return f"result {i}: {problem}"
        return None
    if isinstance(want, str):
        return None if isinstance(got, str) and got == want else f"expected {want!r}"
    if isinstance(want, float):
        arr = np.asarray(got)
        if arr.shape != () or arr.dtype.kind not in "iuf" or isinstance(got, bool):
            return f"expected the number {want}, got {got!r}"
        return (
            None
            if np.isclose(float(arr), want, rtol=1e-9, atol=0)
            else (f"expected {want}, got {got!r}")
        )
    if isinstance(want, (int, np.integer)) and not isinstance(want, bool):
        arr = np.asarray(got)
        if arr.shape != () or arr.dtype.kind not in "iu":
            return f"expected the int {want}, got {got!r}"
        return None if int(arr) == int(want) else f"expected {want}, got {got!r}"
    want = np.asarray(want)
    if not isinstance(got, np.ndarray):
        return f"expected an array, got {type(got).__name__}"
    if got.shape != want.shape:
        return f"shape {got.shape}, expected {want.shape}"
    if got.dtype != want.dtype:
        return f"dtype {got.dtype}, expected {want.dtype}"
    if want.dtype.kind in "iu":
        return None if np.array_equal(got, want) else "wrong integer values"
    rtol, atol = _tolerance(want.dtype)
    if not np.allclose(got, want, rtol=rtol, atol=atol, equal_nan=True):
        return f"max error {np.max(np.abs(got - want))}"
    return None


def agree(student, reference, args, kwargs):
    """None if student(*args, **kwargs) does what PyTorch does, else the problem."""
    try:
        want = reference(*copy.deepcopy(args), **copy.deepcopy(kwargs))
    except REFUSED as err:
        try:
            got = student(*copy.deepcopy(args), **copy.deepcopy(kwargs))
        except ValueError:
            return None
        except Exception as other:  # noqa: BLE001 - reported, not hidden
            return f"PyTorch refuses ({err}); raised {type(other).__name__}: {other}"
        return f"PyTorch refuses ({err}); returned {got!r:.80}"
    try:
        got = student(*copy.deepcopy(args), **copy.deepcopy(kwargs))
    except Exception as err:  # noqa: BLE001 - reported, not hidden
        return f"raised {type(err).__name__}: {err}"
    return _same(got, want)


# --- 02-output-size ---------------------------------------------------------


def ref_conv_output_size(input_size, kernel_size, stride=1, padding=0, dilation=1):
    x = torch.zeros(1, 1, input_size, dtype=torch.float64)
    w = torch.zeros(1, 1, kernel_size, dtype=torch.float64)
    return int(
        F.conv1d(x, w, stride=stride, padding=padding, dilation=dilation).shape[-1]
    )


def cases_01(rng):
    for size, k, s, p, d in [
        (7, 3, 1, 0, 1),
        (7, 3, 2, 0, 1),
        (32, 6, 2, 0, 1),
        (7, 3, 2, 2, 1),
        (16, 3, 2, 1, 3),
        (10, 4, 1, "same", 1),
        (10, 4, 1, "same", 3),
        (10, 4, 3, "valid", 2),
        (2, 3, 1, 0, 1),
        (10, 3, 2, "same", 1),
        (5, 5, 1, 0, 1),
        (1, 4, 1, "same", 1),
        (3, 3, 4, 1, 1),
    ]:
        yield "conv_output_size", ref_conv_output_size, (size, k, s, p, d), {}
    conv1d = torch_op(F.conv1d)
    for shape, wshape, kw in [
        ((2, 3, 10), (4, 3, 3), {}),
        ((2, 3, 11), (4, 3, 3), {"stride": 3, "padding": 2}),
        ((2, 3, 15), (4, 3, 3), {"stride": 2, "padding": 1, "dilation": 3}),
        ((2, 4, 9), (6, 2, 3), {"groups": 2, "stride": 2}),
        ((2, 4, 9), (4, 1, 3), {"groups": 4, "padding": 1}),
        ((3, 10), (4, 3, 4), {"padding": "same", "dilation": 2}),
        ((2, 3, 10), (4, 3, 4), {"padding": "valid"}),
        ((2, 3, 10), (4, 3, 4), {"stride": (2,), "padding": (1,), "dilation": (2,)}),
        ((2, 3, 10), (4, 3, 4), {"stride": 2, "padding": "same"}),
        ((2, 3, 2), (4, 3, 4), {}),
        ((2, 3, 10), (4, 2, 4), {}),
        ((2, 6, 10), (4, 2, 4), {"groups": 3}),
    ]:
        x, w = rng.normal(size=shape), rng.normal(size=wshape)
        yield "conv1d", conv1d, (x, w), kw
        b = rng.normal(size=wshape[0])
        yield "conv1d", conv1d, (x.astype(np.float32), w.astype(np.float32)), kw
        yield "conv1d", conv1d, (x, w, b), kw


CASES = {"02-output-size": cases_01}


# --- 03-conv2d --------------------------------------------------------------

CONV2D_CALLS = [
    ((2, 3, 6, 7), (4, 3, 3, 2), {}),
    ((2, 3, 9, 8), (2, 3, 3, 3), {"stride": (2, 1)}),
    ((2, 3, 5, 6), (2, 3, 3, 3), {"stride": 2, "padding": (2, 1)}),
    ((1, 2, 9, 9), (2, 2, 3, 3), {"padding": 1, "dilation": (3, 1)}),
    ((2, 4, 6, 6), (6, 2, 3, 3), {"groups": 2, "stride": 2, "padding": 1}),
    ((2, 4, 6, 6), (4, 1, 3, 3), {"groups": 4}),
    ((3, 8, 7), (4, 3, 4, 3), {"padding": "same", "dilation": (1, 2)}),
    ((2, 3, 8, 7), (4, 3, 4, 3), {"stride": (2,), "padding": (1,), "dilation": [2, 1]}),
    ((0, 3, 8, 7), (4, 3, 4, 3), {"padding": "valid"}),
    ((2, 3, 8, 7), (4, 3, 4, 3), {"stride": 2, "padding": "same"}),
    ((2, 3, 2, 7), (4, 3, 4, 3), {}),
    ((2, 6, 5, 5), (4, 2, 3, 3), {"groups": 3}),
    ((2, 3, 5, 5), (4, 3, 3, 3), {"stride": 0}),
    ((2, 3, 5, 5), (4, 3, 3, 3), {"padding": -1}),
]


def conv2d_cases(rng, names, calls=CONV2D_CALLS):
    conv2d = torch_op(F.conv2d)
    for shape, wshape, kw in calls:
        x, w = rng.normal(size=shape), rng.normal(size=wshape)
        b = rng.normal(size=wshape[0])
        for name in names:
            yield name, conv2d, (x, w), kw
            yield name, conv2d, (x, w, b), kw
            yield name, conv2d, (x.astype(np.float32), w.astype(np.float32)), kw


def cases_02(rng):
    yield from conv2d_cases(rng, ["conv2d_naive", "conv2d"])
    conv2d = torch_op(F.conv2d)
    x, w = rng.normal(size=(4, 16, 20, 20)), rng.normal(size=(32, 16, 3, 3))
    yield "conv2d", conv2d, (x, w, rng.normal(size=32)), {"padding": 1}


CASES["03-conv2d"] = cases_02


# --- 04-padding -------------------------------------------------------------


def cases_03(rng):
    pad = torch_op(F.pad)
    calls = [
        ((1, 1, 5), (2, 1), {}),
        ((2, 3, 5), (0, 3), {"value": -1.5}),
        ((1, 1, 3, 4), (1, 2, 0, 1), {}),
        ((1, 1, 3, 4), (-1, 2, 0, -2), {}),
        ((3, 4), (1, 1), {}),
        ((2, 2, 3, 4), (1, 1, 1, 1, 1, 1), {"value": 2.0}),
        ((2, 3, 4), (-4, 1), {}),
        ((2, 3, 4), (-5, 1), {}),
        ((2, 3, 4), (1, 2, 3), {}),
        ((2, 3), (1, 1, 1, 1, 1, 1), {}),
        ((5,), (2, 3), {}),
        ((2, 3, 4), (1, 1), {"mode": "mirror"}),
    ]
    for mode in ["reflect", "replicate", "circular"]:
        calls += [
            ((1, 1, 5), (2, 1), {"mode": mode}),
            ((2, 3, 4, 5), (1, 3, 2, 0), {"mode": mode}),
            ((3, 6), (4, 4), {"mode": mode}),
            ((3, 4), (4, 4), {"mode": mode}),
            ((2, 3, 4, 5), (5, 0, 0, 0), {"mode": mode}),
            ((2, 3, 4, 5), (0, 0, 4, 0), {"mode": mode}),
            ((2, 3, 4, 5), (0, 0, 5, 0), {"mode": mode}),
            ((1, 2, 3, 4, 5), (1, 1, 1, 2, 2, 1), {"mode": mode}),
            ((2, 3, 4, 5), (1, 1), {"mode": mode}),
            ((5,), (1, 1), {"mode": mode}),
            ((0, 3, 5), (1, 2), {"mode": mode}),
            # PyTorch's circular mode pads an empty channel axis, where the
            # task text asks for a ValueError: left out of the corpus check.
            *([((2, 0, 5), (1, 2), {"mode": mode})] if mode != "circular" else []),
            ((2, 3, 5), (1, 2), {"mode": mode, "value": 1.0}),
            ((2, 3, 5), (1, 2), {"mode": mode, "value": 0.0}),
        ]
    calls += [  # circular crops: negative pads
        ((1, 1, 5), (-1, 2), {"mode": "circular"}),
        ((1, 1, 5), (2, -1), {"mode": "circular"}),
        ((1, 1, 5), (-2, -1), {"mode": "circular"}),
        ((1, 1, 5), (3, -2), {"mode": "circular"}),
        ((2, 3, 4, 5), (-1, 2, 3, -1), {"mode": "circular"}),
        ((2, 3, 4, 5), (-2, -2, 0, -3), {"mode": "circular"}),
    ]
    for shape, pads, kw in calls:
        x = rng.normal(size=shape)
        yield "pad", pad, (x, pads), kw
        yield "pad", pad, (x.astype(np.float32), pads), kw


CASES["04-padding"] = cases_03


# --- 05-pooling -------------------------------------------------------------


def _pool_calls(dims):
    """(shape, args, kwargs) for max pooling in 1 or 2 dimensions."""
    if dims == 2:
        return [
            ((1, 1, 4, 4), (2,), {}),
            ((2, 3, 6, 7), ((2, 3),), {}),
            ((2, 3, 5, 6), ((2, 3), 1, (1, 0)), {}),
            ((2, 3, 9, 9), (3, 2, 1, (2, 3)), {}),
            ((1, 1, 5, 5), (2,), {"ceil_mode": True}),
            ((1, 1, 5, 5), (2, 2, 1), {"ceil_mode": True}),
            ((2, 3, 8, 7), (3, 2, 1, 1, True), {}),
            ((2, 3, 7, 8), (3, 3, 0, 1, True), {}),
            ((1, 1, 2, 2), (3, 2), {"ceil_mode": True, "padding": 1}),
            ((3, 6, 6), (2,), {}),
            ((0, 3, 6, 6), (2,), {}),
            ((2, 3, 6, 6), (3,), {"padding": 2}),
            ((2, 3, 6, 6), (7,), {}),
            ((2, 0, 6, 6), (2,), {}),
            ((2, 3, 6, 6), (3,), {"stride": 0}),
        ]
    return [
        ((1, 1, 7), (2,), {}),
        ((1, 1, 7), (3,), {"stride": 2, "padding": 1}),
        ((1, 1, 7), (2,), {"stride": 2, "dilation": 2, "ceil_mode": True}),
        ((1, 7), ((3,), (1,)), {}),
        ((2, 3, 10), (3, 2, 1, 2, True), {}),
        ((2, 3, 10), (4, 3, 2, 1, True), {}),
        ((2, 3, 10), (3,), {"padding": 2}),
    ]


def cases_04(rng):
    pools = {
        "max_pool2d": torch_op(F.max_pool2d),
        "max_pool1d": torch_op(F.max_pool1d),
        "avg_pool2d": torch_op(F.avg_pool2d),
        "avg_pool1d": torch_op(F.avg_pool1d),
    }
    for dims in (2, 1):
        name = f"max_pool{dims}d"
        for shape, args, kw in _pool_calls(dims):
            x = rng.normal(size=shape)
            for xx in (x, x.astype(np.float32)):
                yield name, pools[name], (xx, *args), kw
                yield name, pools[name], (xx, *args), {**kw, "return_indices": True}
    # windows of padding only (dilation skips the input): -inf, as in PyTorch;
    # where their indices point is left unchecked
    for shape, args in [((2, 1, 1), (2, 1, 1, 2)), ((1, 1, 3), (2, 2, 1, 4, True))]:
        x = rng.normal(size=shape)
        yield "max_pool1d", pools["max_pool1d"], (x, *args), {}
    for shape, args in [
        ((2, 1, 1, 3), (2, 1, 1, 2)),
        ((1, 2, 3, 4), (2, 2, 1, 4, True)),
    ]:
        x = rng.normal(size=shape)
        yield "max_pool2d", pools["max_pool2d"], (x, *args), {}
    avg2 = [
        ((1, 1, 4, 4), (2,), {}),
        ((2, 3, 6, 7), ((2, 3),), {}),
        ((1, 1, 4, 4), (3, 1, 1), {}),
        ((1, 1, 4, 4), (3, 1, 1), {"count_include_pad": False}),
        ((2, 3, 5, 6), ((2, 3), 2, (1, 0)), {}),
        ((1, 1, 6, 6), (3, 2, 1, True), {}),
        ((1, 1, 6, 6), (3, 2, 1, True, False), {}),
        ((1, 1, 5, 5), (2, 2, 1, True), {}),
        ((2, 3, 7, 8), (3, (2, 3), 1, True, False), {}),
        ((2, 3, 6, 6), (3, 1, 1), {"divisor_override": 4}),
        ((2, 3, 7, 6), (3, 2, 1, True), {"divisor_override": 2}),
        ((2, 3, 6, 6), (3, 1, 1), {"divisor_override": -2}),
        ((3, 6, 6), (2,), {}),
        ((2, 3, 6, 6), (2,), {"padding": 2}),
        ((2, 3, 6, 6), (7,), {}),
    ]
    for shape, args, kw in avg2:
        x = rng.normal(size=shape)
        yield "avg_pool2d", pools["avg_pool2d"], (x, *args), kw
        yield "avg_pool2d", pools["avg_pool2d"], (x.astype(np.float32), *args), kw
    avg1 = [
        ((1, 1, 7), (2,), {}),
        ((1, 1, 7), (3, 2, 1), {}),
        ((1, 1, 7), (3, 2, 1, True, False), {}),
        ((1, 1, 8), (3, 2, 1, True, True), {}),
        ((1, 7), ((3,), (1,)), {}),
        ((2, 3, 7), (3,), {"padding": 2}),
    ]
    for shape, args, kw in avg1:
        x = rng.normal(size=shape)
        yield "avg_pool1d", pools["avg_pool1d"], (x, *args), kw
        yield "avg_pool1d", pools["avg_pool1d"], (x.astype(np.float32), *args), kw
    gap = torch_op(lambda x: F.adaptive_avg_pool2d(x, 1))
    conv = torch_op(F.avg_pool2d)
    for shape in [(1, 3, 2, 2), (2, 4, 5, 3), (4, 5, 3)]:
        x = rng.normal(size=shape)
        yield "global_avg_pool2d", gap, (x,), {}
        yield "global_avg_pool2d", gap, (x.astype(np.float32),), {}
    for shape, k in [((1, 2, 4, 4), 2), ((2, 3, 6, 9), (2, 3)), ((2, 3, 7, 5), 2)]:
        x = rng.normal(size=shape)
        yield "avg_pool2d_as_conv", conv, (x, k), {}
        yield "avg_pool2d_as_conv", conv, (x[0].astype(np.float32), k), {}
    yield "avg_pool2d_as_conv", conv, (rng.normal(size=(1, 2, 3, 3)), 4), {}


CASES["05-pooling"] = cases_04


# --- 01-conv-vs-linear ------------------------------------------------------


def ref_conv2d_as_matrix(weight, input_shape, stride=1, padding=0):
    n = int(np.prod(input_shape))
    basis = torch.eye(n, dtype=torch.float64).reshape(n, *input_shape)
    w = torch.from_numpy(weight).double()
    cols = F.conv2d(basis, w, stride=stride, padding=padding).reshape(n, -1)
    return cols.T.numpy().astype(weight.dtype)


def cases_05(rng):
    calls = [
        ((1, 1, 3, 3), (1, 5, 5), {}),
        ((1, 1, 3, 2), (1, 4, 6), {}),
        ((2, 3, 3, 3), (3, 5, 5), {}),
        ((4, 1, 2, 3), (1, 4, 5), {}),
        ((1, 2, 1, 1), (2, 3, 4), {}),
        ((2, 3, 3, 3), (3, 5, 5), {"stride": 2}),
        ((2, 3, 3, 3), (3, 5, 5), {"padding": 1}),
        ((2, 3, 3, 3), (3, 6, 7), {"stride": 2, "padding": 1}),
        ((2, 3, 2, 3), (3, 6, 7), {"stride": (2, 1), "padding": (1, 0)}),
        ((2, 3, 2, 3), (3, 6, 7), {"padding": "same"}),
        ((2, 3, 4, 4), (3, 5, 6), {"padding": "same"}),
        ((2, 3, 2, 3), (3, 4, 4), {"stride": 1, "padding": "valid"}),
        ((2, 3, 3, 3), (2, 5, 5), {}),
        ((2, 3, 3, 3), (3, 2, 5), {}),
        ((2, 3, 3, 3), (3, 5, 5), {"stride": 2, "padding": "same"}),
        ((2, 3, 3, 3), (3, 1, 5), {"padding": 1}),
    ]
    for wshape, shape, kw in calls:
        w = rng.normal(size=wshape)
        yield "conv2d_as_matrix", ref_conv2d_as_matrix, (w, shape), kw
        w32 = w.astype(np.float32)
        yield "conv2d_as_matrix", ref_conv2d_as_matrix, (w32, shape), kw


CASES["01-conv-vs-linear"] = cases_05


# --- 08-receptive-field -----------------------------------------------------


def _spec(layer):
    if isinstance(layer, dict):
        return layer["kernel_size"], layer.get("stride", 1), layer.get("dilation", 1)
    return tuple(layer) + (1,) * (3 - len(layer))


def ref_receptive_field(layers):
    """The gradient experiment: which inputs reach two neighbouring outputs."""
    specs = [_spec(layer) for layer in layers]
    length = 4  # long enough for four output units
    for k, s, d in reversed(specs):
        length = (length - 1) * s + d * (k - 1) + 1
    x = torch.zeros(1, 1, length, dtype=torch.float64, requires_grad=True)
    y = x
    for k, s, d in specs:
        w = torch.ones(1, 1, k, dtype=torch.float64)
        y = F.conv1d(y, w, stride=s, dilation=d)
    reached = []
    for unit in (0, 1):
        (grad,) = torch.autograd.grad(y[0, 0, unit], x, retain_graph=True)
        reached.append(torch.nonzero(grad[0, 0]).flatten().tolist())
    rf = reached[0][-1] - reached[0][0] + 1
    return rf, reached[1][0] - reached[0][0]


def ref_count_parameters(c_in, c_out, kernel_size, groups=1, bias=True):
    layer = torch.nn.Conv2d(c_in, c_out, kernel_size, groups=groups, bias=bias)
    return sum(p.numel() for p in layer.parameters())


def ref_count_macs(c_in, c_out, kernel_size, output_size, groups=1):
    from torch.utils.flop_counter import FlopCounterMode

    layer = torch.nn.Conv2d(c_in, c_out, kernel_size, groups=groups, bias=False)
    kh, kw = layer.kernel_size
    ho, wo = output_size if isinstance(output_size, tuple) else (output_size,) * 2
    x = torch.zeros(1, c_in, ho + kh - 1, wo + kw - 1)
    with FlopCounterMode(display=False) as counter:
        layer(x)
    return counter.get_total_flops() // 2


def cases_06(rng):
    conv = {"type": "conv", "kernel_size": 3, "padding": 1}
    pool = {"type": "maxpool", "kernel_size": 2, "stride": 2}
    stacks = [
        [(3,)],
        [(3,), (3,)],
        [(5,), (3,), (1,), (7,)],
        [(3, 2), (3, 1)],
        [(3,), (3,), (2, 2), (3,), (3,), (2, 2)],
        [(11, 4), (3, 2), (5,), (3, 2)],
        [(3, 1, 2)],
        [(3, 1, 1), (3, 1, 2), (3, 1, 4)],
        [(3, 2, 1), (3, 1, 3)],
        [conv, conv, pool, conv],
        [{"kernel_size": 3, "dilation": 2}, (2, 2)],
        [],
        [(1, 3), (4, 2, 2), {"kernel_size": 2, "stride": 3, "dilation": 3}],
    ]
    for stack in stacks:
        yield "receptive_field", ref_receptive_field, (stack,), {}
    for args, kw in [
        ((3, 96, 11), {}),
        ((64, 64, 3), {"bias": False}),
        ((16, 32, (1, 5)), {}),
        ((64, 128, 3), {"groups": 2}),
        ((32, 32, 3), {"groups": 32}),
        ((6, 4, 3), {"groups": 4}),
        ((6, 4, 3), {"groups": 3}),
        ((8, 12, (3, 2)), {"groups": 4, "bias": False}),
    ]:
        yield "count_parameters", ref_count_parameters, args, kw
    for args, kw in [
        ((3, 96, 11, 55), {}),
        ((64, 64, 3, 56), {}),
        ((16, 32, (1, 5), (7, 9)), {}),
        ((64, 128, 3, 28), {"groups": 2}),
        ((32, 32, 3, 112), {"groups": 32}),
        ((6, 4, 3, 5), {"groups": 4}),
        ((8, 12, (3, 2), (4, 6)), {"groups": 4}),
    ]:
        yield "count_macs", ref_count_macs, args, kw


CASES["08-receptive-field"] = cases_06


# --- 10-separable -----------------------------------------------------------


def ref_depthwise(x, weight, bias=None, stride=1, padding=0, dilation=1):
    if weight.ndim != 4 or weight.shape[1] != 1 or weight.shape[0] != x.shape[-3]:
        raise ValueError("the contract asks for a (C, 1, KH, KW) weight")
    groups = x.shape[-3]
    return torch_op(F.conv2d)(x, weight, bias, stride, padding, dilation, groups)


def ref_pointwise(x, weight, bias=None):
    if weight.ndim != 4 or weight.shape[2:] != (1, 1):
        raise ValueError("the contract asks for a 1 x 1 weight")
    return torch_op(F.conv2d)(x, weight, bias)


def ref_separable(x, dw, pw, db=None, pb=None, stride=1, padding=0, dilation=1):
    return ref_pointwise(ref_depthwise(x, dw, db, stride, padding, dilation), pw, pb)


def ref_separable_counts(c_in, c_out, kernel_size, bias=True):
    def count(*args, **kwargs):
        layer = torch.nn.Conv2d(*args, bias=bias, **kwargs)
        return sum(p.numel() for p in layer.parameters())

    standard = count(c_in, c_out, kernel_size)
    separable = count(c_in, c_in, kernel_size, groups=c_in) + count(c_in, c_out, 1)
    return standard, separable


def cases_07(rng):
    for shape, wshape, args, kw in [
        ((2, 3, 6, 7), (3, 1, 3, 3), (), {}),
        ((2, 3, 7, 8), (3, 1, 3, 3), (None, (2, 1), (1, 2)), {}),
        ((2, 3, 9, 9), (3, 1, 3, 3), (None, 2, 1, (3, 1)), {}),
        ((2, 3, 6, 6), (3, 1, 2, 3), (), {"padding": "same", "dilation": (2, 1)}),
        ((3, 6, 6), (3, 1, 2, 3), (), {"padding": "valid"}),
        ((0, 3, 6, 6), (3, 1, 2, 3), (), {"stride": 2}),
        ((2, 3, 6, 6), (3, 2, 3, 3), (), {}),
        ((2, 3, 6, 6), (6, 1, 3, 3), (), {}),
        ((2, 3, 6, 6), (3, 1, 3, 3), (), {"stride": 2, "padding": "same"}),
        ((2, 3, 2, 6), (3, 1, 3, 3), (), {}),
    ]:
        x, w = rng.normal(size=shape), rng.normal(size=wshape)
        b = rng.normal(size=wshape[0])
        yield "depthwise_conv2d", ref_depthwise, (x, w, *args), kw
        if not args:
            yield "depthwise_conv2d", ref_depthwise, (x, w, b), kw
        x32, w32 = x.astype(np.float32), w.astype(np.float32)
        yield "depthwise_conv2d", ref_depthwise, (x32, w32, *args), kw
    for shape, wshape in [
        ((2, 3, 4, 5), (3, 3, 1, 1)),
        ((2, 3, 4, 5), (5, 3, 1, 1)),
        ((3, 4, 5), (5, 3, 1, 1)),
        ((0, 3, 4, 5), (4, 3, 1, 1)),
        ((2, 3, 4, 5), (4, 3, 3, 3)),
        ((2, 3, 4, 5), (4, 2, 1, 1)),
    ]:
        x, w = rng.normal(size=shape), rng.normal(size=wshape)
        yield "pointwise_conv2d", ref_pointwise, (x, w), {}
        yield "pointwise_conv2d", ref_pointwise, (x, w, rng.normal(size=wshape[0])), {}
        x32, w32 = x.astype(np.float32), w.astype(np.float32)
        yield "pointwise_conv2d", ref_pointwise, (x32, w32), {}
    x, dw = rng.normal(size=(2, 3, 8, 8)), rng.normal(size=(3, 1, 3, 3))
    pw, db, pb = rng.normal(size=(5, 3, 1, 1)), rng.normal(size=3), rng.normal(size=5)
    for args, kw in [
        ((x, dw, rng.normal(size=(3, 3, 1, 1))), {}),
        ((x, dw, pw, db, pb), {}),
        ((x, dw, pw), {"stride": 2, "padding": 1, "dilation": 2}),
        ((x[0], dw, pw, db), {"padding": "same"}),
        ((x.astype(np.float32), dw.astype(np.float32), pw.astype(np.float32)), {}),
    ]:
        yield "separable_conv2d", ref_separable, args, kw
    for args in [
        (32, 64, 3),
        (3, 8, (1, 5)),
        (32, 64, 3, False),
        (3, 8, (1, 5), False),
    ]:
        yield "separable_parameter_counts", ref_separable_counts, args, {}


CASES["10-separable"] = cases_07


# --- 06-backward ------------------------------------------------------------


def ref_conv2d_backward(grad_out, x, weight, stride=1, padding=0, dilation=1, groups=1):
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    wt = torch.tensor(weight, dtype=torch.float64, requires_grad=True)
    bt = torch.zeros(weight.shape[0], dtype=torch.float64, requires_grad=True)
    y = F.conv2d(xt, wt, bt, stride, padding, dilation, groups)
    if tuple(y.shape) != grad_out.shape:
        raise ValueError("grad_out does not have the output's shape")
    y.backward(torch.from_numpy(grad_out.astype(np.float64)))
    return tuple(t.grad.numpy().astype(grad_out.dtype) for t in (xt, wt, bt))


def ref_max_pool2d_backward(grad_out, x, *args, **kwargs):
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    y = F.max_pool2d(xt, *args, **kwargs)
    if tuple(y.shape) != grad_out.shape:
        raise ValueError("grad_out does not have the output's shape")
    y.backward(torch.from_numpy(grad_out.astype(np.float64)))
    return xt.grad.numpy().astype(grad_out.dtype)


def _out_shape(fn, x, *args, **kwargs):
    return tuple(fn(torch.from_numpy(x), *args, **kwargs).shape)


def cases_08(rng):
    for shape, wshape, kw in CONV2D_CALLS:
        x, w = rng.normal(size=shape), rng.normal(size=wshape)
        try:
            out = _out_shape(F.conv2d, x, torch.from_numpy(w), **kw)
        except REFUSED:
            out = (shape[0], wshape[0], 3, 3)[4 - len(shape) :]
        g = rng.normal(size=out)
        yield "conv2d_backward", ref_conv2d_backward, (g, x, w), kw
        f32 = [a.astype(np.float32) for a in (g, x, w)]
        yield "conv2d_backward", ref_conv2d_backward, tuple(f32), kw
    x, w = rng.normal(size=(2, 3, 6, 6)), rng.normal(size=(4, 3, 3, 3))
    g = rng.normal(size=(2, 4, 3, 3))  # not the output's shape (4 x 4)
    yield "conv2d_backward", ref_conv2d_backward, (g, x, w), {}
    for shape, args, kw in _pool_calls(2) + [
        ((2, 3, 9, 8), (3, 1), {}),
        ((2, 3, 9, 8), ((3, 2), (1, 2)), {}),
        ((2, 3, 7, 8), ((4, 2), 2, (2, 1)), {}),
        ((2, 3, 8, 7), (3, 3, 0), {"ceil_mode": True}),
        ((2, 3, 8, 7), ((2, 3),), {"stride": (1,)}),
    ]:
        x = rng.normal(size=shape)
        try:
            out = _out_shape(F.max_pool2d, x, *args, **kw)
        except REFUSED:
            out = x.shape[:-2] + (2, 2)
        g = rng.normal(size=out)
        yield "max_pool2d_backward", ref_max_pool2d_backward, (g, x, *args), kw
        f32 = [a.astype(np.float32) for a in (g, x)]
        yield "max_pool2d_backward", ref_max_pool2d_backward, (*f32, *args), kw


CASES["06-backward"] = cases_08


# --- 07-transposed-conv -----------------------------------------------------

TRANSPOSED_CALLS = [
    ((2, 3, 4, 5), (3, 2, 3, 3), {}),
    ((2, 3, 4, 5), (3, 2, 3, 2), {"stride": 2}),
    ((2, 3, 4, 4), (3, 2, 4, 4), {"stride": 2, "padding": 1}),
    ((1, 2, 3, 4), (2, 3, 3, 3), {"stride": (2, 3), "output_padding": (1, 2)}),
    ((2, 4, 3, 3), (4, 3, 3, 3), {"groups": 2, "stride": 2, "padding": (1, 0)}),
    ((2, 2, 4, 3), (2, 2, 2, 3), {"dilation": (2, 1), "padding": [1, 1]}),
    ((2, 2, 3, 3), (2, 2, 3, 3), {"dilation": 2, "output_padding": 1}),
    ((3, 4, 5), (3, 2, 3, 3), {"stride": 2}),
    ((0, 3, 4, 5), (3, 2, 3, 3), {"stride": 2}),
    ((2, 3, 4, 5), (3, 2, 3, 3), {"stride": 2, "output_padding": 2}),
    ((2, 3, 4, 5), (4, 2, 3, 3), {}),
    ((2, 3, 1, 1), (3, 2, 1, 1), {"padding": 1}),
    ((2, 3, 4, 5), (3, 2, 3, 3), {"stride": np.int64(2), "padding": np.int64(1)}),
]


def cases_09(rng):
    conv_transpose2d = torch_op(F.conv_transpose2d)
    for shape, wshape, kw in TRANSPOSED_CALLS:
        x, w = rng.normal(size=shape), rng.normal(size=wshape)
        groups = kw.get("groups", 1)
        b = rng.normal(size=wshape[1] * groups)
        yield "conv_transpose2d", conv_transpose2d, (x, w), kw
        yield "conv_transpose2d", conv_transpose2d, (x, w, b), kw
        f32 = (x.astype(np.float32), w.astype(np.float32))
        yield "conv_transpose2d", conv_transpose2d, f32, kw


CASES["07-transposed-conv"] = cases_09


# --- 11-costs ----------------------------------------------------------------

COST_DTYPES = {
    "float64": torch.float64,
    "float32": torch.float32,
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
}


def _cost_dtype(dtype):
    if not isinstance(dtype, str) or dtype not in COST_DTYPES:
        raise ValueError(f"dtype {dtype!r}")
    return COST_DTYPES[dtype]


def _forward(x_shape, out_channels, kernel_size, stride, padding, groups, bias, dtype):
    """A real forward pass on the CPU: its tensors' bytes and its FLOPs."""
    from torch.utils.flop_counter import FlopCounterMode

    dt = _cost_dtype(dtype)
    layer = torch.nn.Conv2d(
        int(x_shape[1]), out_channels, kernel_size, stride, padding,
        groups=groups, bias=bias, dtype=dt,
    )  # fmt: skip
    x = torch.zeros(tuple(int(n) for n in x_shape), dtype=dt)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        y = layer(x)
    held = [x, layer.weight, y] + ([layer.bias] if bias else [])
    return sum(t.nbytes for t in held), counter.get_total_flops()


def ref_conv2d_bytes(x_shape, out_channels, kernel_size, stride=1, padding=0,
                     groups=1, bias=True, dtype="float32"):  # fmt: skip
    return int(_forward(x_shape, out_channels, kernel_size, stride, padding, groups,
                        bias, dtype)[0])  # fmt: skip


def ref_arithmetic_intensity(x_shape, out_channels, kernel_size, stride=1, padding=0,
                             groups=1, bias=True, dtype="float32"):  # fmt: skip
    nbytes, flops = _forward(x_shape, out_channels, kernel_size, stride, padding,
                             groups, bias, dtype)  # fmt: skip
    return flops / nbytes


def ref_roofline(flops, nbytes, peak_flops, bandwidth):
    if not (peak_flops > 0 and bandwidth > 0 and flops >= 0 and nbytes >= 0):
        raise ValueError("rates must be positive, amounts not negative")
    t = torch.tensor([flops / peak_flops, nbytes / bandwidth], dtype=torch.float64)
    return float(t.max()), ("memory" if t[1] > t[0] else "compute")


def ref_training_memory(param_shapes, optimizer, dtype="float32"):
    """A real optimiser step on CPU parameters; everything it keeps, in bytes."""
    dt = _cost_dtype(dtype)
    make = {
        "sgd": lambda p: torch.optim.SGD(p, lr=0.01),
        "momentum": lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9),
        "adam": lambda p: torch.optim.Adam(p),
    }
    if not isinstance(optimizer, str) or optimizer not in make:
        raise ValueError(f"optimizer {optimizer!r}")
    params = [torch.nn.Parameter(torch.zeros(tuple(s), dtype=dt)) for s in param_shapes]
    if not params:
        return 0
    for p in params:
        p.grad = torch.ones_like(p)
    opt = make[optimizer](params)
    opt.step()
    held = params + [p.grad for p in params]
    held += [v for s in opt.state.values() for v in s.values() if torch.is_tensor(v)]
    return int(sum(t.nbytes for t in held))


COST_LAYERS = [
    ((1, 3, 32, 32), 16, 7, 2, 3, 1, True),
    ((4, 8, 10, 10), 8, 3, 1, 1, 1, False),
    ((2, 6, 9, 12), 12, (1, 5), (2, 1), 0, 3, True),
    ((3, 16, 7, 7), 16, 3, 1, 1, 16, True),
    ((2, 8, 6, 6), 4, 3, [2, 1], (1, 0), 4, False),
    ((0, 3, 8, 8), 4, 3, 1, 0, 1, True),
    ((2, np.int64(4), 5, 5), np.int64(4), np.int64(3), 1, 1, 2, True),
    ((1, 6, 8, 8), 4, 3, 1, 0, 4, True),  # groups does not divide: refused
    ((1, 3, 4, 4), 8, 5, 1, 0, 1, True),  # kernel too large: refused
]


def cases_11(rng):
    for layer in COST_LAYERS:
        for dtype in ("float64", "float32", "float16", "bfloat16"):
            yield "conv2d_bytes", ref_conv2d_bytes, (*layer, dtype), {}
            yield "arithmetic_intensity", ref_arithmetic_intensity, (*layer, dtype), {}
    for dtype in ("half", "int8"):
        yield "conv2d_bytes", ref_conv2d_bytes, ((1, 3, 8, 8), 4, 3), {"dtype": dtype}
    for _ in range(20):
        flops, nbytes = (float(v) for v in 10 ** rng.uniform(3, 12, size=2))
        rates = (float(v) for v in 10 ** rng.uniform(10, 15, size=2))
        yield "roofline", ref_roofline, (flops, nbytes, *rates), {}
    for args in [(200, 100, 20, 10), (0, 0, 1e12, 1e9), (0, 4096, 1e12, 1e9),
                 (np.int64(10**9), np.float64(1e6), np.float32(1e12), 10**9),
                 (1, 1, 0, 1), (1, 1, 1, -1), (-1, 1, 1, 1)]:  # fmt: skip
        yield "roofline", ref_roofline, args, {}
    for optimizer in ("sgd", "momentum", "adam"):
        for dtype in ("float64", "float32", "float16", "bfloat16"):
            sizes = rng.integers(1, 12, size=(4, 3))
            shapes = [
                tuple(int(v) for v in row[: i % 4]) for i, row in enumerate(sizes)
            ]
            yield "training_memory", ref_training_memory, (shapes, optimizer, dtype), {}
        yield "training_memory", ref_training_memory, ([], optimizer), {}
        yield "training_memory", ref_training_memory, ([[2, 3], (0, 4)], optimizer), {}
    yield "training_memory", ref_training_memory, ([(3,)], "Adam"), {}
    yield "training_memory", ref_training_memory, ([(3,)], "sgd", "int8"), {}


# Keyed through the manifest, by the assignment's ops module.
CASES[next(a.name for a in ASSIGNMENTS if a.ops == "costs")] = cases_11


# --- 09-layer-table ---------------------------------------------------------


def _torch_layer(c, h, w, layer):
    kind = layer["type"]
    kw = {
        k: (v if isinstance(v, bool) else int(v))
        for k, v in layer.items()
        if k != "type"
    }
    if kind == "conv":
        return torch.nn.Conv2d(c, **kw)
    if kind == "linear":
        return torch.nn.Sequential(
            torch.nn.Flatten(),
            torch.nn.Linear(c * h * w, **kw),
            torch.nn.Unflatten(1, (kw["out_features"], 1, 1)),
        )
    make = {
        "maxpool": torch.nn.MaxPool2d,
        "avgpool": torch.nn.AvgPool2d,
        "batchnorm": lambda: torch.nn.BatchNorm2d(c),
        "relu": torch.nn.ReLU,
    }[kind]
    return make(**kw)


def _torch_run(in_shape, layer):
    """(shape, params, MACs) of one layer from a CPU forward pass."""
    from torch.utils.flop_counter import FlopCounterMode

    c, h, w = (int(v) for v in in_shape)
    module = _torch_layer(c, h, w, layer).eval()
    with FlopCounterMode(display=False) as counter:
        y = module(torch.zeros(1, c, h, w))
    params = sum(p.numel() for p in module.parameters())
    return tuple(y.shape[1:]), params, counter.get_total_flops() // 2


def ref_layer_shape(in_shape, layer):
    return _torch_run(in_shape, layer)[0]


def ref_layer_counts(in_shape, layer):
    return _torch_run(in_shape, layer)[1:]


def _window(shape, layer):
    kind = layer["type"]
    if kind == "linear":
        return (shape[1], 1, 1)
    if kind in ("batchnorm", "relu"):
        return (1, 1, 1)
    k = int(layer["kernel_size"])
    stride = int(layer.get("stride", 1 if kind == "conv" else k))
    return (k, stride, int(layer.get("dilation", 1)))


def ref_layer_table(in_shape, layers):
    """Rows from forward passes, fields from the gradient experiment."""
    shape, rows, windows = tuple(int(v) for v in in_shape), [], []
    for layer in layers:
        windows.append(_window(shape, layer))
        shape, params, macs = _torch_run(shape, layer)
        rows.append((*shape, params, macs, *ref_receptive_field(windows)))
    return tuple(rows), (sum(r[3] for r in rows), sum(r[4] for r in rows))


def _lt_conv(c_out, k, **kw):
    return {"type": "conv", "out_channels": c_out, "kernel_size": k, **kw}


def _lt_pool(kind, k, **kw):
    return {"type": kind, "kernel_size": k, **kw}


def cases_09_layer_table(rng):
    i = np.int64
    bn, relu = {"type": "batchnorm"}, {"type": "relu"}
    single = [
        ((3, 32, 32), _lt_conv(16, 3)),
        ((3, 224, 224), _lt_conv(64, 7, stride=2, padding=3, bias=False)),
        ((8, 20, 15), _lt_conv(8, 3, padding=2, dilation=2)),
        ((6, 8, 8), _lt_conv(4, 3, groups=4)),  # refused
        ((6, 8, 8), _lt_conv(6, 3, groups=3, stride=3)),
        ((3, 4, 4), _lt_conv(4, 5)),  # refused
        ([i(2), i(9), i(7)], _lt_conv(i(6), i(3), padding=i(1))),
        ((64, 112, 112), _lt_pool("maxpool", 3, stride=2, padding=1)),
        ((16, 28, 28), _lt_pool("avgpool", 2)),
        ((96, 55, 55), _lt_pool("maxpool", 3, stride=2, ceil_mode=True)),
        ((8, 6, 6), _lt_pool("avgpool", 3, stride=2, padding=1, ceil_mode=True)),
        ((2, 5, 7), _lt_pool("maxpool", 2, stride=2, padding=1, ceil_mode=True)),
        ((1, 3, 3), _lt_pool("maxpool", 4, stride=3, ceil_mode=True)),
        ((8, 11, 11), _lt_pool("maxpool", 3, dilation=2)),
        ((3, 8, 8), _lt_pool("maxpool", 2, padding=2)),  # refused
        ((64, 56, 56), bn),
        ((64, 56, 56), relu),
        ((256, 6, 6), {"type": "linear", "out_features": 4096}),
        ((512, 1, 1), {"type": "linear", "out_features": 1000, "bias": False}),
    ]
    for in_shape, layer in single:
        yield "layer_shape", ref_layer_shape, (in_shape, layer), {}
        yield "layer_counts", ref_layer_counts, (in_shape, layer), {}
    for _ in range(20):
        k, s, p = (int(v) for v in rng.integers(1, [5, 4, 3]))
        kind = ("maxpool", "avgpool")[int(rng.integers(0, 2))]
        layer = _lt_pool(kind, k, stride=s, padding=min(p, k // 2), ceil_mode=True)
        size = (2, int(rng.integers(1, 12)), int(rng.integers(1, 12)))
        yield "layer_shape", ref_layer_shape, (size, layer), {}
    stem = [_lt_conv(64, 7, stride=2, padding=3, bias=False), bn, relu]
    stem.append(_lt_pool("maxpool", 3, stride=2, padding=1))
    mixed = [
        _lt_conv(8, 5, stride=2, padding=2, dilation=2),
        bn,
        _lt_pool("maxpool", 2, stride=2, padding=1, ceil_mode=True),
        _lt_conv(16, 3, groups=4),
        relu,
        _lt_pool("avgpool", 2, ceil_mode=True),
        {"type": "linear", "out_features": 10},
    ]
    for in_shape, layers in [
        ((3, 224, 224), stem),
        ((4, 36, 30), mixed),
        ((4, 36, 30), tuple(mixed)),
        ((3, 9, 9), []),
        ([i(2), 12, 10], (_lt_conv(i(4), i(3), stride=i(2)), relu)),
    ]:
        yield "layer_table", ref_layer_table, (in_shape, layers), {}


CASES["09-layer-table"] = cases_09_layer_table
