"""Layer-by-layer accounting of a network: shapes, parameters, cost, receptive field.

``layer_table(model)`` runs one forward pass with a hook on every leaf module and
returns one row per leaf call; ``summary(model)`` adds the rows up and checks the
multiply-accumulates against PyTorch's own FLOP counter.

Conventions, stated once:

- MACs (multiply-accumulates) are counted for convolutions and linear layers only:
  a convolution makes ``C_in / groups * KH * KW`` of them per output element, a linear
  layer ``in_features`` per output. Bias additions, pooling, BatchNorm and ReLU are
  not counted, which is also what ``torch.utils.flop_counter.FlopCounterMode`` does;
  it counts a MAC as 2 FLOPs, so its total is exactly twice ours.
- The receptive field ``rf`` and jump ``jump`` of a layer's output follow the
  recurrence ``r += (K - 1) * D * j`` and ``j *= S`` from the input (r = j = 1).
  Where a module runs branches side by side and concatenates them (GoogLeNet's
  Inception module), the concatenation gets the largest receptive field of its
  branches: a channel of the output that comes from the widest-reaching branch sees
  that many pixels. After flattening, a linear layer sees the whole input and its
  ``rf`` is None. An adaptive pooling layer is given the kernel and stride it acts
  with when its output size divides its input size (an identity, or a global pool),
  and None otherwise.
- ``bytes`` is the size of the layer's output at float32 (4 bytes per value). A layer
  that works in place (``ReLU(inplace=True)``) writes over its input and adds no new
  memory; its row says ``inplace=True`` (as does Dropout in eval mode, which returns
  its input) and ``summary`` does not count it again.

Models built on the ``meta`` device give the same tables with no computation and no
memory, which is how the book tabulates VGG-16 in a fraction of a second.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from convbook.arithmetic import grow

BYTES_PER_FLOAT32 = 4


def _pair(v):
    return v if isinstance(v, tuple) else (v, v)


def window(module: nn.Module, in_size: int | None = None):
    """(kernel, stride, dilation) of a sliding-window layer along the height axis.

    An adaptive pooling layer needs the input height ``in_size``; None where it has
    no fixed window (the output size does not divide the input size), or where the
    layer is not a convolution or pooling layer at all.
    """
    if isinstance(module, nn.Conv2d | nn.MaxPool2d):
        k, s, d = module.kernel_size, module.stride, module.dilation
        return _pair(k)[0], _pair(s)[0], _pair(d)[0]
    if isinstance(module, nn.AvgPool2d):
        return _pair(module.kernel_size)[0], _pair(module.stride)[0], 1
    if isinstance(module, nn.AdaptiveAvgPool2d | nn.AdaptiveMaxPool2d):
        out = _pair(module.output_size)[0]
        if in_size is None or out is None or in_size % out:
            return None
        stride = in_size // out
        return in_size - (out - 1) * stride, stride, 1
    return None


def _grid_action(module, x, out):
    """How a leaf moves the (r, j) of its input: 'window', 'keep' or 'flat'."""
    if isinstance(module, nn.Linear) or out.dim() < 4 or x.dim() < 4:
        return "flat"
    if isinstance(module, nn.Conv2d | nn.MaxPool2d | nn.AvgPool2d):
        return "window"
    if isinstance(module, nn.AdaptiveAvgPool2d | nn.AdaptiveMaxPool2d):
        return "window"
    return "keep"  # element-wise or per-channel: ReLU, BatchNorm, Dropout


def macs(module: nn.Module, out: torch.Tensor) -> int:
    """Multiply-accumulates of one call of a convolution or linear layer, else 0."""
    if isinstance(module, nn.Conv2d):
        kh, kw = module.kernel_size
        return out.numel() * (module.in_channels // module.groups) * kh * kw
    if isinstance(module, nn.Linear):
        return out.numel() * module.in_features
    return 0


class _Tracker:
    """Forward hooks that record one row per leaf call and follow (r, j) per tensor."""

    def __init__(self, model):
        self.rows, self.state, self.history, self.starts = [], {}, [], []
        self.names = {m: n for n, m in model.named_modules()}
        self.handles = []
        for module in model.modules():
            if next(module.children(), None) is None:
                self.handles.append(module.register_forward_hook(self.leaf))
            else:
                self.handles.append(module.register_forward_pre_hook(self.enter))
                self.handles.append(module.register_forward_hook(self.leave))

    def remember(self, t, rf, jump):
        # Keeping the tensor alive keeps its id from being reused by another.
        self.state[id(t)] = (rf, jump, t)
        self.history.append((rf, jump))

    def leaf(self, module, inputs, out):
        x = inputs[0]
        rf, jump, _ = self.state.get(id(x), (None, None, None))
        action = _grid_action(module, x, out)
        if action == "flat":
            rf = jump = None
        elif action == "window" and rf is not None:
            w = window(module, x.shape[-2])
            rf, jump = (None, None) if w is None else grow(rf, jump, *w)
        self.remember(out, rf, jump)
        params = sum(p.numel() for p in module.parameters())
        row = self.row(module, out, rf, jump, macs(module, out), params)
        self.rows.append(row | {"inplace": out is x})

    def row(self, module, out, rf, jump, macs, params):
        return {
            "name": self.names[module],
            "type": type(module).__name__,
            "shape": tuple(out.shape),
            "params": params,
            "macs": macs,
            "rf": rf,
            "jump": jump,
            "bytes": out.numel() * BYTES_PER_FLOAT32,
            "inplace": False,
        }

    def enter(self, module, inputs):
        self.starts.append(len(self.history))

    def leave(self, module, inputs, out):
        inner = [s for s in self.history[self.starts.pop() :] if s[0] is not None]
        if isinstance(out, torch.Tensor) and id(out) not in self.state:
            # A result that no leaf returned, e.g. the concatenation of the branches
            # of an Inception module: it takes the largest receptive field inside,
            # and gets a row of its own, for it is new memory.
            rf, jump = max(inner, default=(None, None))
            self.remember(out, rf, jump)
            self.rows.append(self.row(module, out, rf, jump, macs=0, params=0))

    def remove(self):
        for h in self.handles:
            h.remove()


def _input_like(model, input_size):
    param = next(model.parameters(), None)
    device = param.device if param is not None else "cpu"
    return torch.zeros(input_size, device=device)


def layer_table(model: nn.Module, input_size=(1, 3, 224, 224)) -> list[dict]:
    """One row per leaf-module call of a forward pass, in the order they run.

    A module whose output no leaf returned (an Inception module concatenating its
    branches) adds a row too, after its leaves, with 0 params and 0 MACs: its
    output is new memory, and its receptive field that of its widest branch.

    Inputs:
    - model: a network; run in eval mode (BatchNorm and Dropout), then put back
    - input_size: (N, C, H, W) of the zero input it is run on

    Returns:
    - a list of dicts with keys name, type, shape (of the output), params, macs,
      rf and jump (of the output, along the main path; None after flattening),
      bytes (the output at float32) and inplace
    """
    x = _input_like(model, input_size)
    tracker = _Tracker(model)
    tracker.remember(x, 1, 1)
    try:
        _run_eval(model, x)
    finally:
        tracker.remove()
    return tracker.rows


def _run_eval(model, x):
    """One forward pass in eval mode without autograd; the mode is restored."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            return model(x)
    finally:
        model.train(was_training)


def count_flops(model: nn.Module, input_size=(1, 3, 224, 224)) -> int:
    """FLOPs of one forward pass as counted by PyTorch's FlopCounterMode."""
    with FlopCounterMode(display=False) as counter:
        _run_eval(model, _input_like(model, input_size))
    return counter.get_total_flops()


def final_receptive_field(rows: list[dict]) -> int | None:
    """The largest receptive field of any convolution or (non-adaptive) pooling.

    The receptive field only grows along a path, so this is the receptive field of
    the last such layer on the main path: the features that the head pools over.
    """
    spatial = ("Conv2d", "MaxPool2d", "AvgPool2d")
    rfs = [r["rf"] for r in rows if r["type"] in spatial and r["rf"] is not None]
    return max(rfs, default=None)


def summary(model: nn.Module, input_size=(1, 3, 224, 224)) -> dict:
    """Totals of ``layer_table``, with its MACs checked against FlopCounterMode.

    Returns:
    - a dict with params (all learnable parameters), macs, flops (FlopCounterMode's
      count, 2 * macs), activation_bytes (the outputs of all layers that are not in
      place, at float32), final_rf (``final_receptive_field``) and rows
    """
    rows = layer_table(model, input_size)
    total_macs = sum(r["macs"] for r in rows)
    flops = count_flops(model, input_size)
    if flops != 2 * total_macs:
        msg = f"FlopCounterMode: {flops} FLOPs; the table: {total_macs} MACs"
        raise AssertionError(msg + "; expected FLOPs = 2 * MACs")
    return {
        "params": sum(p.numel() for p in model.parameters()),
        "macs": total_macs,
        "flops": flops,
        "activation_bytes": sum(r["bytes"] for r in rows if not r["inplace"]),
        "final_rf": final_receptive_field(rows),
        "rows": rows,
    }


def gradient_receptive_field(model: nn.Module, input_size, channel: int = 0) -> int:
    """Width of the input region that the centre output pixel depends on, measured.

    Back-propagates from the centre pixel of the output map (which must be 4-D) and
    returns the width of the input columns with a non-zero gradient. With random
    positive weights and inputs no contribution cancels, so for convolution and
    average pooling this equals the receptive field, when it fits in the input.
    (A max-pool passes gradient to one input per window, so it shows less.)
    """
    x = torch.rand(input_size, requires_grad=True)
    out = model(x)
    h, w = out.shape[-2] // 2, out.shape[-1] // 2
    out[0, channel, h, w].backward()
    cols = torch.nonzero(x.grad[0].abs().sum(dim=(0, 1)))
    return int(cols.max() - cols.min() + 1)


def block_table(model: nn.Module, blocks, input_size=(1, 3, 224, 224)) -> list[dict]:
    """``layer_table`` with the rows inside each named block merged into one.

    Inputs:
    - model: the network
    - blocks: names of modules (as in ``model.named_modules()``) to show as one row
      each, e.g. ``["conv1", "inception3a"]``; rows outside them stay as they are
    - input_size: as for ``layer_table``

    Returns:
    - rows with the keys of ``layer_table``'s: params, macs and bytes added up over
      the block (bytes of the outputs not in place), and the type, shape, rf and
      jump of the block's output
    """
    modules = dict(model.named_modules())
    merged = []
    for row in layer_table(model, input_size):
        block = next(
            (b for b in blocks if row["name"] == b or row["name"].startswith(b + ".")),
            None,
        )
        new = row["bytes"] * (not row["inplace"])
        if block is None or not merged or merged[-1]["name"] != block:
            name = block or row["name"]
            merged.append(
                row | {"name": name, "bytes": new, "type": type(modules[name]).__name__}
            )
            continue
        last = merged[-1]
        for key in ("shape", "rf", "jump"):
            last[key] = row[key]
        last["params"] += row["params"]
        last["macs"] += row["macs"]
        last["bytes"] += new
    return merged
