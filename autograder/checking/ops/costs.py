"""Assignment 11-costs: what a layer and a training step cost in bytes and time.

Every count is read from PyTorch, not from a formula: the bytes are the
`.nbytes` of the tensors of a real forward pass, the FLOPs what
`FlopCounterMode` counts for it, and a training step's memory the `.nbytes`
of the parameters, their gradients and the state that a real `torch.optim`
optimiser keeps after one step. Everything runs on PyTorch's meta device
(shapes and dtypes, no data), so that a large layer costs nothing to check.
"""

from __future__ import annotations

import numbers

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

from ..registry import InvalidArguments, Mistake, register
from ._refusals import call_refusing

#: The dtypes that the functions accept, by the names that the task gives them.
DTYPES = {
    "float64": torch.float64,
    "float32": torch.float32,
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
}

#: The optimisers of training_memory, as torch.optim builds them.
OPTIMIZERS = {
    "sgd": lambda params: torch.optim.SGD(params, lr=0.01),
    "momentum": lambda params: torch.optim.SGD(params, lr=0.01, momentum=0.9),
    "adam": lambda params: torch.optim.Adam(params, lr=0.001),
}


def torch_dtype(dtype):
    """The torch dtype named by the string `dtype` (one of DTYPES)."""
    if not isinstance(dtype, str) or dtype not in DTYPES:
        known = ", ".join(map(repr, DTYPES))
        raise InvalidArguments(f"dtype must be one of {known}, not {dtype!r}")
    return DTYPES[dtype]


def _whole(value, what):
    """A plain int from an int or a NumPy integer (not a bool)."""
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise InvalidArguments(f"{what} must be an int, not {value!r}")
    return int(value.__index__())


def _shape(shape, what):
    try:
        return tuple(_whole(n, what) for n in shape)
    except TypeError:
        raise InvalidArguments(f"{what} must be a sequence of ints") from None


# --- one convolution's traffic ---------------------------------------------


def _conv_tensors(
    x_shape, out_channels, kernel_size, stride, padding, groups, bias, dtype
):
    """The input, weight, bias (or None) and output of one forward pass, on meta."""
    dt = torch_dtype(dtype)
    x_shape = _shape(x_shape, "x_shape")
    if len(x_shape) != 4:
        raise InvalidArguments(f"x_shape must be (N, C, H, W), not {x_shape}")
    if min(x_shape) < 0:
        raise InvalidArguments(f"x_shape {x_shape} has a negative size")
    conv = call_refusing(
        torch.nn.Conv2d,
        x_shape[1],
        _whole(out_channels, "out_channels"),
        kernel_size,
        stride=stride,
        padding=padding,
        groups=_whole(groups, "groups"),
        bias=bool(bias),
        device="meta",
        dtype=dt,
    )
    x = torch.empty(x_shape, device="meta", dtype=dt)
    with FlopCounterMode(display=False) as counter:
        out = call_refusing(conv, x)
    return (x, conv.weight, conv.bias, out), int(counter.get_total_flops())


def _nbytes(tensors):
    return sum(int(t.nbytes) for t in tensors if t is not None)


def _with(args, **changes):
    return {**args, **changes}


CONV2D_BYTES = [
    Mistake(
        "bits_for_bytes",
        "this counts bits, not bytes: a float32 value is 4 bytes (32 bits)",
        lambda a: 8 * conv2d_bytes(**a),
    ),
    Mistake(
        "bias_forgotten",
        "the bias is forgotten: with bias=True the layer also reads its "
        "out_channels biases",
        lambda a: _with(a, bias=False) if a["bias"] else None,
    ),
    Mistake(
        "groups_ignored",
        "groups is ignored: the weight has shape "
        "(out_channels, C_in // groups, KH, KW)",
        lambda a: _ignoring_groups(a, conv2d_bytes),
    ),
    Mistake(
        "output_forgotten",
        "the output is forgotten: a forward pass writes its output too",
        lambda a: _without_output(a),
    ),
    Mistake(
        "batch_forgotten",
        "the batch is forgotten: the input and the output hold N images, the "
        "weights are read once",
        lambda a: _batch_of_one(a),
    ),
]


def _ignoring_groups(args, reference):
    if _whole(args["groups"], "groups") == 1:
        return None
    tensors, _ = _conv_tensors(**args)
    x, weight, bias, out = tensors
    dense = weight.shape[0] * x.shape[1] * weight.shape[2] * weight.shape[3]
    extra = (dense - weight.numel()) * weight.element_size()
    if reference is conv2d_bytes:
        return conv2d_bytes(**args) + extra
    _, flops = _conv_tensors(**args)
    return flops * x.shape[1] // weight.shape[1] / (conv2d_bytes(**args) + extra)


def _without_output(args):
    tensors, _ = _conv_tensors(**args)
    return _nbytes(tensors[:3])


def _batch_of_one(args):
    n = _shape(args["x_shape"], "x_shape")[0]
    if n == 1:
        return None
    return conv2d_bytes(**_with(args, x_shape=(1, *tuple(args["x_shape"])[1:])))


@register("conv2d_bytes", diagnoses=CONV2D_BYTES)
def conv2d_bytes(
    x_shape,
    out_channels,
    kernel_size,
    stride=1,
    padding=0,
    groups=1,
    bias=True,
    dtype="float32",
):
    """Bytes that one forward pass of a Conv2d layer reads and writes: the
    .nbytes of its input, weight, bias and output, each counted once."""
    tensors, _ = _conv_tensors(
        x_shape, out_channels, kernel_size, stride, padding, groups, bias, dtype
    )
    return _nbytes(tensors)


ARITHMETIC_INTENSITY = [
    Mistake(
        "flops_as_macs",
        "this counts MACs, not FLOPs: one multiply-accumulate is two FLOPs",
        lambda a: arithmetic_intensity(**a) / 2,
    ),
    Mistake(
        "bits_for_bytes",
        "this divides by bits, not bytes: a float32 value is 4 bytes (32 bits)",
        lambda a: arithmetic_intensity(**a) / 8,
    ),
    Mistake(
        "bias_forgotten",
        "the bias is forgotten in the bytes: with bias=True the layer also reads "
        "its out_channels biases",
        lambda a: _intensity_without_bias(a),
    ),
    Mistake(
        "groups_ignored",
        "groups is ignored: each output value sums over C_in // groups input "
        "channels only, and the weight is (out_channels, C_in // groups, KH, KW)",
        lambda a: _ignoring_groups(a, arithmetic_intensity),
    ),
]


def _intensity_without_bias(args):
    if not args["bias"]:
        return None
    _, flops = _conv_tensors(**args)
    return flops / conv2d_bytes(**_with(args, bias=False))


@register("arithmetic_intensity", diagnoses=ARITHMETIC_INTENSITY)
def arithmetic_intensity(
    x_shape,
    out_channels,
    kernel_size,
    stride=1,
    padding=0,
    groups=1,
    bias=True,
    dtype="float32",
):
    """FLOPs per byte of one forward pass of a Conv2d layer: FlopCounterMode's
    FLOPs (two per multiply-accumulate, no bias additions) over conv2d_bytes."""
    tensors, flops = _conv_tensors(
        x_shape, out_channels, kernel_size, stride, padding, groups, bias, dtype
    )
    return flops / _nbytes(tensors)


# --- the roofline -----------------------------------------------------------


def _number(value, name):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise InvalidArguments(f"{name} must be a number, not {value!r}")
    return float(value)


def _times(flops, nbytes, peak_flops, bandwidth):
    """(compute time, memory time) in seconds, the arguments checked."""
    flops, nbytes = _number(flops, "flops"), _number(nbytes, "nbytes")
    peak_flops = _number(peak_flops, "peak_flops")
    bandwidth = _number(bandwidth, "bandwidth")
    if not min(flops, nbytes) >= 0:
        raise InvalidArguments("flops and nbytes must not be negative")
    if not min(peak_flops, bandwidth) > 0:
        raise InvalidArguments("peak_flops and bandwidth must be positive")
    return flops / peak_flops, nbytes / bandwidth


def _label(compute, memory):
    return "memory" if memory > compute else "compute"


def _roofline_variant(time, label):
    def make(args):
        compute, memory = _times(**args)
        return time(compute, memory), label(compute, memory)

    return make


ROOFLINE = [
    Mistake(
        "min_for_max",
        "min and max are swapped: the layer takes at least the LONGER of its "
        "compute time and its memory time",
        _roofline_variant(min, _label),
    ),
    Mistake(
        "times_added",
        "the two times are added: on the roofline, computing and moving data "
        "overlap, so the bound is the longer of the two, not their sum",
        _roofline_variant(lambda c, m: c + m, _label),
    ),
    Mistake(
        "bound_swapped",
        "the bound is named the wrong way round: a layer is memory-bound when "
        "moving its bytes takes longer than its FLOPs",
        _roofline_variant(max, lambda c, m: "compute" if m > c else "memory"),
    ),
]


@register("roofline", diagnoses=ROOFLINE)
def roofline(flops, nbytes, peak_flops, bandwidth):
    """(seconds, bound): the roofline's lower bound on a layer's time and
    whether computing ("compute") or moving data ("memory") sets it."""
    compute, memory = _times(flops, nbytes, peak_flops, bandwidth)
    return max(compute, memory), _label(compute, memory)


# --- a training step's memory ----------------------------------------------


def _trained(param_shapes, optimizer, dtype):
    """Parameters (with gradients) and the optimiser, after one step, on meta."""
    dt = torch_dtype(dtype)
    if not isinstance(optimizer, str) or optimizer not in OPTIMIZERS:
        known = ", ".join(map(repr, OPTIMIZERS))
        raise InvalidArguments(f"optimizer must be one of {known}, not {optimizer!r}")
    try:
        shapes = [_shape(s, "a parameter shape") for s in param_shapes]
    except TypeError:
        raise InvalidArguments("param_shapes must be a list of shapes") from None
    if any(n < 0 for s in shapes for n in s):
        raise InvalidArguments("a parameter shape has a negative size")
    params = [
        torch.nn.Parameter(torch.empty(s, device="meta", dtype=dt)) for s in shapes
    ]
    for p in params:
        p.grad = torch.empty_like(p)
    opt = OPTIMIZERS[optimizer](params) if params else None
    if opt is not None:
        opt.step()
    return params, opt


def _state_bytes(opt, keys=None):
    if opt is None:
        return 0
    return sum(
        int(value.nbytes)
        for state in opt.state.values()
        for key, value in state.items()
        if torch.is_tensor(value) and (keys is None or key in keys)
    )


def _memory(args, grads=True, keys=None):
    params, opt = _trained(**args)
    weights = sum(int(p.nbytes) for p in params)
    return weights * (2 if grads else 1) + _state_bytes(opt, keys)


def _for(optimizer, make):
    return lambda a: make(a) if a["optimizer"] == optimizer else None


TRAINING_MEMORY = [
    Mistake(
        "bits_for_bytes",
        "this counts bits, not bytes: a float32 value is 4 bytes (32 bits)",
        lambda a: 8 * training_memory(**a),
    ),
    Mistake(
        "gradients_forgotten",
        "the gradients are forgotten: backward gives every parameter a .grad "
        "as large as the parameter",
        lambda a: _memory(a, grads=False),
    ),
    Mistake(
        "momentum_buffer_forgotten",
        "the momentum buffer is forgotten: SGD with momentum keeps one buffer "
        "as large as each parameter",
        _for("momentum", lambda a: _memory(a, keys=())),
    ),
    Mistake(
        "state_for_plain_sgd",
        "plain SGD (no momentum) keeps no state: it updates each parameter "
        "from its gradient alone",
        _for("sgd", lambda a: _memory(_with(a, optimizer="momentum"))),
    ),
    Mistake(
        "adam_one_moment",
        "Adam's two moments are counted once: it keeps exp_avg AND exp_avg_sq, "
        "each as large as the parameter",
        _for("adam", lambda a: _memory(a, keys=("exp_avg", "step"))),
    ),
    Mistake(
        "adam_step_forgotten",
        "Adam's step counter is forgotten: it keeps one float32 `step` (4 bytes) "
        "per parameter tensor",
        _for("adam", lambda a: _memory(a, keys=("exp_avg", "exp_avg_sq"))),
    ),
    Mistake(
        "adam_step_per_value",
        "Adam's step counter is one float32 (4 bytes) per parameter TENSOR, "
        "not per value",
        _for("adam", lambda a: _step_per_value(a)),
    ),
]


def _step_per_value(args):
    params, _ = _trained(**args)
    values = sum(p.numel() for p in params)
    return _memory(args, keys=("exp_avg", "exp_avg_sq")) + 4 * values


@register("training_memory", diagnoses=TRAINING_MEMORY)
def training_memory(param_shapes, optimizer, dtype="float32"):
    """Bytes that one training step keeps for its parameters: the .nbytes of
    the weights, their gradients and the optimiser's state after one step."""
    return _memory(
        {"param_shapes": param_shapes, "optimizer": optimizer, "dtype": dtype}
    )
