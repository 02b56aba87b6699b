"""Assignment 09-layer-table: a network's layer table from its layers' specs.

A layer is a dict: its "type" ("conv", "maxpool", "avgpool", "batchnorm",
"relu", "linear") and the keyword arguments of its torch.nn module (LAYERS).
The references build those modules on PyTorch's meta device (shapes, no
arithmetic): the output shape from a forward pass, the parameters from
numel, the MACs from FlopCounterMode (FLOPs / 2; pooling, batch
normalization and ReLU count 0), the receptive field and jump from the
gradient experiment of the book (one output unit back-propagated through
1-D copies of the layers' windows along the height, with all-one weights).
A linear layer flattens its input first: its window is the whole map (a
kernel of the map's height, stride 1).
"""

from __future__ import annotations

import functools
import math
import operator

import torch
from torch.utils.flop_counter import FlopCounterMode

from ..registry import InvalidArguments, Mistake, register
from ._refusals import call_refusing

# type -> (required keys, optional keys with their defaults). A pooling
# layer's stride defaults to its kernel_size, as in torch.nn.MaxPool2d.
LAYERS = {
    "conv": (
        ("out_channels", "kernel_size"),
        {"stride": 1, "padding": 0, "dilation": 1, "groups": 1, "bias": True},
    ),
    "maxpool": (
        ("kernel_size",),
        {"stride": None, "padding": 0, "dilation": 1, "ceil_mode": False},
    ),
    "avgpool": (("kernel_size",), {"stride": None, "padding": 0, "ceil_mode": False}),
    "batchnorm": ((), {}),
    "relu": ((), {}),
    "linear": (("out_features",), {"bias": True}),
}
FLAGS = ("bias", "ceil_mode")  # the keys that hold bools, not ints


def _value(key, value):
    if key in FLAGS:
        return bool(value)
    try:
        return operator.index(value)
    except TypeError:
        raise InvalidArguments(f"{key}={value!r} is not an int") from None


def spec(layer):
    """(type, every keyword with its default filled in) of a layer dict."""
    if not isinstance(layer, dict) or layer.get("type") not in LAYERS:
        raise InvalidArguments(f"not a layer: {layer!r}")
    required, optional = LAYERS[layer["type"]]
    unknown = set(layer) - {"type", *required, *optional}
    missing = set(required) - set(layer)
    if unknown or missing:
        raise InvalidArguments(f"{layer!r}: unknown {unknown}, missing {missing}")
    kw = {**optional, **{k: v for k, v in layer.items() if k != "type"}}
    kw = {k: v if v is None else _value(k, v) for k, v in kw.items()}
    if "stride" in kw and kw["stride"] is None:
        kw["stride"] = kw["kernel_size"]
    return layer["type"], kw


def _shape(in_shape):
    try:
        c, h, w = (operator.index(n) for n in in_shape)
    except (TypeError, ValueError):
        raise InvalidArguments(f"in_shape {in_shape!r} is not (C, H, W)") from None
    if min(c, h, w) < 1:
        raise InvalidArguments(f"in_shape {in_shape!r} is not positive")
    return c, h, w


def module(in_shape, layer):
    """The torch.nn module of a layer that takes inputs of shape in_shape."""
    kind, kw = spec(layer)
    c, h, w = _shape(in_shape)
    nn = torch.nn
    make = {
        "conv": lambda: nn.Conv2d(c, **kw),
        "maxpool": lambda: nn.MaxPool2d(**kw),
        "avgpool": lambda: nn.AvgPool2d(**kw),
        "batchnorm": lambda: nn.BatchNorm2d(c).eval(),
        "relu": lambda: nn.ReLU(),
        "linear": lambda: nn.Sequential(  # out: a (F, 1, 1) map
            nn.Flatten(),
            nn.Linear(c * h * w, kw["out_features"], kw["bias"]),
            nn.Unflatten(1, (kw["out_features"], 1, 1)),
        ),
    }[kind]
    with torch.device("meta"):
        return call_refusing(make)


def _run(in_shape, layer):
    """(output shape (C, H, W), parameters, MACs) of one layer, by PyTorch."""
    kind, kw = spec(layer)
    return _measure(_shape(in_shape), kind, tuple(sorted(kw.items())))


@functools.lru_cache(maxsize=4096)
def _measure(shape, kind, items):
    """_run's work, kept: diagnosing a wrong table meets each layer many times."""
    m = module(shape, {"type": kind, **dict(items)})
    x = torch.empty(1, *shape, device="meta")
    with FlopCounterMode(display=False) as counter:
        y = call_refusing(m, x)
    out = tuple(map(int, y.shape[1:]))
    if min(out) < 1:
        raise InvalidArguments(f"{kind} {dict(items)} gives an empty output {out}")
    params = sum(p.numel() for p in m.parameters())
    return out, int(params), int(counter.get_total_flops()) // 2


def window(in_shape, layer):
    """(kernel_size, stride, dilation) of a layer along the height."""
    kind, kw = spec(layer)
    if kind == "linear":
        return _shape(in_shape)[1], 1, 1  # the whole map, once
    if kind in ("batchnorm", "relu"):
        return 1, 1, 1
    return kw["kernel_size"], kw["stride"], kw.get("dilation", 1)


def fields(windows):
    """(rf, jump) after each window (kernel_size, stride, dilation), measured:
    which inputs the first two units of each layer's output reach."""
    length = 2  # enough input for two output units of the last layer
    for k, s, d in reversed(windows):
        length = (length - 1) * s + d * (k - 1) + 1
    x = torch.zeros(1, 1, length, dtype=torch.float64, requires_grad=True)
    y, found = x, []
    for k, s, d in windows:
        ones = torch.ones(1, 1, k, dtype=torch.float64)  # no path cancels
        y = torch.nn.functional.conv1d(y, ones, stride=s, dilation=d)
        first, second = (
            torch.nonzero(torch.autograd.grad(y[0, 0, u], x, retain_graph=True)[0])
            for u in (0, 1)
        )
        rf = int(first[-1, -1] - first[0, -1]) + 1
        found.append((rf, int(second[0, -1] - first[0, -1])))
    return found


# --- the mistakes ------------------------------------------------------------


def _with(**changes):
    """A mistake that uses other keyword values for some layers: changes maps a
    key to f(kind, kw) -> the wrong value, or None where it changes nothing."""

    def make(args):
        kind, kw = spec(args["layer"])
        wrong = dict(args["layer"])
        for key, f in changes.items():
            value = f(kind, kw)
            if value is not None and value != kw.get(key):
                wrong[key] = value
        return {**args, "layer": wrong} if wrong != args["layer"] else None

    return make


def _is_pool(kind):
    return kind in ("maxpool", "avgpool")


def _stride_one(layer):
    """The layer as read with a pooling stride that defaults to 1."""
    if _is_pool(layer["type"]) and "stride" not in layer:
        return {**layer, "stride": 1}
    return layer


# Mistakes in reading the layers' defaults, which every column then uses.
MISREAD = {"pool_stride_one": _stride_one}


def _last_window_kept(args):
    """ceil_mode's rounding up, without dropping a window that starts in the
    right padding."""
    kind, kw = spec(args["layer"])
    if not (_is_pool(kind) and kw["ceil_mode"]):
        return None
    c, h, w = _shape(args["in_shape"])
    span = kw.get("dilation", 1) * (kw["kernel_size"] - 1) + 1
    s, p = kw["stride"], kw["padding"]
    return (c, *(math.ceil((n + 2 * p - span) / s) + 1 for n in (h, w)))


LAYER_SHAPE = [
    Mistake(
        "padding_ignored",
        "the padding is ignored: the layer sees H + 2P rows, "
        "so H_out = (H + 2P - D(K - 1) - 1) // S + 1",
        _with(padding=lambda kind, kw: 0 if kw.get("padding") else None),
    ),
    Mistake(
        "dilation_ignored",
        "the dilation is ignored: a dilated window spans D(K - 1) + 1 rows",
        _with(dilation=lambda kind, kw: 1 if kw.get("dilation", 1) > 1 else None),
    ),
    Mistake(
        "pool_stride_one",
        "a pooling layer's stride defaults to its kernel_size, as in "
        "torch.nn.MaxPool2d, not to 1",
        lambda a: (
            {**a, "layer": _stride_one(a["layer"])}
            if _stride_one(a["layer"]) != a["layer"]
            else None
        ),
    ),
    Mistake(
        "ceil_mode_ignored",
        "ceil_mode=True rounds the number of windows up, not down",
        _with(ceil_mode=lambda kind, kw: False if kw.get("ceil_mode") else None),
    ),
    Mistake(
        "ceil_mode_window_in_padding",
        "with ceil_mode=True, a last window that would start in the right padding "
        "is dropped",
        _last_window_kept,
    ),
]


@register("layer_shape", diagnoses=LAYER_SHAPE)
def layer_shape(in_shape, layer):
    """The output shape (C, H, W) of one layer on an input of shape in_shape."""
    return _run(in_shape, layer)[0]


def _counts_with(fix_params=None, fix_macs=None):
    """A mistake in one of the two counts: f(in_shape, kind, kw, right value)
    -> the wrong value, or None where it changes nothing."""

    def make(args):
        kind, kw = spec(args["layer"])
        params, macs = layer_counts(**args)
        wrong = (
            fix_params(args["in_shape"], kind, kw, params) if fix_params else None,
            fix_macs(args["in_shape"], kind, kw, macs) if fix_macs else None,
        )
        if wrong == (None, None):
            return None
        return (
            params if wrong[0] is None else wrong[0],
            macs if wrong[1] is None else wrong[1],
        )

    return make


def _groups_one(args):
    return layer_counts(args["in_shape"], {**args["layer"], "groups": 1})


def _out_positions(in_shape, layer):
    _, h, w = layer_shape(in_shape, layer)
    return h * w


def _one_position(args):
    kind, kw = spec(args["layer"])
    if kind != "conv":
        return None
    params, macs = layer_counts(**args)
    return params, macs // _out_positions(args["in_shape"], args["layer"])


LAYER_COUNTS = [
    Mistake(
        "bias_forgotten",
        "the bias is forgotten: a layer with bias=True has one bias per output "
        "channel (or feature)",
        _with(bias=lambda kind, kw: False if kw.get("bias") else None),
    ),
    Mistake(
        "groups_ignored",
        "groups is ignored: each filter sees only C_in / groups input channels, "
        "in its weights and in its MACs",
        lambda a: _groups_one(a) if spec(a["layer"])[1].get("groups", 1) > 1 else None,
    ),
    Mistake(
        "groups_ignored_in_parameters",
        "groups is ignored in the parameters: the weight is "
        "(C_out, C_in / groups, K, K)",
        lambda a: (
            (_groups_one(a)[0], layer_counts(**a)[1])
            if spec(a["layer"])[1].get("groups", 1) > 1
            else None
        ),
    ),
    Mistake(
        "groups_ignored_in_macs",
        "groups is ignored in the MACs: each output value sums over "
        "C_in / groups channels only",
        lambda a: (
            (layer_counts(**a)[0], _groups_one(a)[1])
            if spec(a["layer"])[1].get("groups", 1) > 1
            else None
        ),
    ),
    Mistake(
        "batchnorm_running_stats",
        "the running mean and variance are counted: they are buffers, not "
        "parameters; BatchNorm2d learns 2C values (a scale and a shift)",
        _counts_with(
            fix_params=lambda s, kind, kw, n: 2 * n if kind == "batchnorm" else None
        ),
    ),
    Mistake(
        "macs_one_position",
        "the MACs are those of one output position: multiply by H_out * W_out",
        _one_position,
    ),
    Mistake(
        "macs_one_channel",
        "the MACs are those of one output channel: multiply by C_out",
        _counts_with(
            fix_macs=lambda s, kind, kw, n: (
                n // kw["out_channels"]
                if kind == "conv" and kw["out_channels"] > 1
                else None
            )
        ),
    ),
    Mistake(
        "counts_flops",
        "this counts FLOPs, not MACs: one multiply-accumulate is two FLOPs",
        _counts_with(fix_macs=lambda s, kind, kw, n: 2 * n if n else None),
    ),
    Mistake(
        "flatten_forgotten",
        "the linear layer's inputs are all C * H * W values of the flattened map, "
        "not its C channels",
        lambda a: (
            layer_counts((_shape(a["in_shape"])[0], 1, 1), a["layer"])
            if spec(a["layer"])[0] == "linear" and _shape(a["in_shape"])[1:] != (1, 1)
            else None
        ),
    ),
]


@register("layer_counts", diagnoses=LAYER_COUNTS)
def layer_counts(in_shape, layer):
    """(parameters, MACs) of one layer on one input of shape in_shape."""
    return _run(in_shape, layer)[1:]


# --- the table ---------------------------------------------------------------


def chain(in_shape, layers, shape_of, counts_of, field_of):
    """The table as a student builds it, from per-layer functions: rows
    (C, H, W, params, MACs, rf, jump) and the total (params, MACs)."""
    rows, shape, windows = [], _shape(in_shape), []
    for layer in layers:
        windows.append(window(shape, layer))
        params, macs = counts_of(shape, layer)
        rf, jump = field_of(windows)
        shape = shape_of(shape, layer)
        rows.append((*shape, params, macs, rf, jump))
    total = (sum(r[3] for r in rows), sum(r[4] for r in rows))
    return tuple(rows), total


def _recurrence(jump_rule="before", dilation=True):
    """rf = 1 + sum of D(K - 1) * J, with J or D taken wrongly: jump_rule
    "before" (right), "after" (the layer's own stride included) or "never"
    (the jump never multiplied by a stride)."""

    def field(windows):
        rf, jump = 1, 1
        for k, s, d in windows:
            after = jump if jump_rule == "never" else jump * s
            used = {"before": jump, "after": after, "never": 1}[jump_rule]
            rf += (d if dilation else 1) * (k - 1) * used
            jump = after
        return rf, jump

    return field


def _table_variant(shape_of=None, counts_of=None, field_of=None):
    def make(args):
        right = chain(args["in_shape"], args["layers"], *RIGHT)
        wrong = chain(
            args["in_shape"],
            args["layers"],
            shape_of or RIGHT[0],
            counts_of or RIGHT[1],
            field_of or RIGHT[2],
        )
        return wrong if wrong != right else None

    return make


def _per_layer(op, mistake):
    """op's right answer, or what `mistake` gives where it applies."""

    def fn(in_shape, layer):
        args = {"in_shape": in_shape, "layer": layer}
        try:
            wrong = mistake.make(args)
        except Exception:  # noqa: BLE001 - not this layer's mistake
            wrong = None
        if isinstance(wrong, dict):
            return REFS[op](**wrong)
        return REFS[op](**args) if wrong is None else wrong

    return fn


def _counts_on(shape_of):
    """layer_counts of a student whose convolutions' MACs use shape_of's
    output size: MACs = (MACs per output position) * H_out * W_out."""

    def fn(in_shape, layer):
        params, macs = layer_counts(in_shape, layer)
        if spec(layer)[0] != "conv":
            return params, macs
        _, h, w = layer_shape(in_shape, layer)
        _, wrong_h, wrong_w = shape_of(in_shape, layer)
        return params, macs // (h * w) * (wrong_h * wrong_w)

    return fn


def _misread(change):
    """The table of a student who reads every layer through `change`."""

    def make(args):
        layers = [change(layer) for layer in args["layers"]]
        if layers == list(args["layers"]):
            return None
        return chain(args["in_shape"], layers, *RIGHT)

    return make


REFS = {"layer_shape": layer_shape, "layer_counts": layer_counts}
RIGHT = (layer_shape, layer_counts, _recurrence())

LAYER_TABLE = [
    Mistake(
        "jump_not_multiplied",
        "the jump is never multiplied by the strides: after a layer of stride S "
        "neighbouring outputs are S times further apart in the input",
        _table_variant(field_of=_recurrence(jump_rule="never")),
    ),
    Mistake(
        "jump_includes_own_stride",
        "a layer's window is D(K - 1) + 1 positions of ITS input: it adds "
        "D(K - 1) times the jump BEFORE it, not after its own stride",
        _table_variant(field_of=_recurrence(jump_rule="after")),
    ),
    Mistake(
        "dilation_ignored_in_field",
        "the dilation is ignored in the receptive field: a dilated window spans "
        "D(K - 1) + 1 positions",
        _table_variant(field_of=_recurrence(dilation=False)),
    ),
    *(
        Mistake(
            m.key,
            m.message,
            _misread(MISREAD[m.key])
            if m.key in MISREAD
            else _table_variant(
                shape_of=_per_layer("layer_shape", m),
                counts_of=_counts_on(_per_layer("layer_shape", m)),
            ),
        )
        for m in LAYER_SHAPE
    ),
    *(
        Mistake(
            m.key,
            m.message,
            _table_variant(counts_of=_per_layer("layer_counts", m)),
        )
        for m in LAYER_COUNTS
    ),
]


@register("layer_table", diagnoses=LAYER_TABLE)
def layer_table(in_shape, layers):
    """(rows, total) of a stack of layers on one input of shape in_shape.

    rows holds (C, H, W, params, MACs, rf, jump) per layer; total the
    (params, MACs) of the whole stack, counted on the stack as one
    torch.nn.Sequential.
    """
    layers = list(layers)
    rows, shape, windows = [], _shape(in_shape), []
    for layer in layers:
        windows.append(window(shape, layer))
        shape, params, macs = _run(shape, layer)
        rows.append((*shape, params, macs))
    rows = [(*row, *field) for row, field in zip(rows, fields(windows))]
    return tuple(rows), _total(in_shape, layers)


def _total(in_shape, layers):
    shape, modules = _shape(in_shape), []
    for layer in layers:
        modules.append(module(shape, layer))
        shape = _run(shape, layer)[0]
    net = torch.nn.Sequential(*modules)
    x = torch.empty(1, *_shape(in_shape), device="meta")
    with FlopCounterMode(display=False) as counter:
        call_refusing(net, x)
    params = sum(p.numel() for p in net.parameters())
    return int(params), int(counter.get_total_flops()) // 2
