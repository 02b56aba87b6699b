"""Animations and explorers for the arithmetic chapters, drawn as SVG at build time.

An animation is a ``<figure class="conv-anim">`` whose SVG panels hold one group per
frame (``<g data-frame="i">``); ``book/_static/conv-anim.js`` shows one frame at a time
and adds play/pause and a frame scrubber. Without JavaScript (the PDF) the first frame
shows. Every number an animation shows comes from ``convbook.arithmetic``.

A transposed convolution's animation has one frame per input value: the copy of the
kernel that it scatters into the output, and the sums so far; its numbers come from
``convbook.transposed``.

An explorer is an empty ``<div class="conv-explorer">`` with its starting values;
``book/_static/conv-explorers.js`` builds its controls in the reader's browser.
"""

from __future__ import annotations

from html import escape

import numpy as np
from IPython.display import HTML

from convbook.arithmetic import (
    conv_output_size,
    kernel_span,
    receptive_fields,
    window_starts,
)
from convbook.figures_receptive import cone, layer_lengths, node_positions
from convbook.transposed import conv_transpose2d, conv_transpose_output_size

CELL = 30  # one input value, in the SVG's own units (pixels at full size)
INPUT = "#9ecae1"
PAD = "#ffffff"
WINDOW = "#08519c"
OUTPUT = "#c7e9c0"
CURRENT = "#238b45"
IDLE = "#bdbdbd"
INK = "#222222"
CROPPED = "#595959"  # numbers that padding crops away: grey, 7:1 on white
INTERVAL_MS = 800


def _attrs(**attrs) -> str:
    return "".join(
        f' {k.rstrip("_").replace("_", "-")}="{escape(str(v))}"'
        for k, v in attrs.items()
    )


def _rect(x, y, fill, stroke=INK, **extra) -> str:
    return (
        f"<rect{_attrs(x=x, y=y, width=CELL, height=CELL, fill=fill, stroke=stroke)}"
        f"{_attrs(**extra)}/>"
    )


def _text(x, y, text, size=14, **extra) -> str:
    attrs = {"text_anchor": "middle", "dominant_baseline": "central", "fill": INK}
    return (
        f"<text{_attrs(x=x, y=y, font_size=size, **{**attrs, **extra})}>"
        f"{escape(str(text))}</text>"
    )


def _frame(i, body, status=None) -> str:
    hidden = "" if i == 0 else ' style="display:none"'
    data = "" if status is None else _attrs(data_status=status)
    return f'<g data-frame="{i}"{data}{hidden}>{"".join(body)}</g>'


def _svg(width, height, label, body) -> str:
    return (
        f'<svg class="conv-anim-svg" viewBox="0 0 {width} {height}"'
        f"{_attrs(width=width, height=height, role='img', aria_label=label)}>"
        f'<rect width="{width}" height="{height}" fill="#fff"/>{"".join(body)}</svg>'
    )


def _panel(label, svg) -> str:
    return (
        f'<div class="conv-anim-panel"><div class="conv-anim-label">{escape(label)}'
        f"</div>{svg}</div>"
    )


def _figure(panels, statuses, caption, **data) -> str:
    n = len(statuses)
    data = {f"data_{k}": v for k, v in data.items()}
    return (
        f'<figure class="conv-anim"'
        f"{_attrs(data_frames=n, data_interval=INTERVAL_MS, **data)}>"
        f'<div class="conv-anim-panels">{"".join(panels)}</div>'
        f'<p class="conv-anim-status">{escape(statuses[0])}</p>'
        '<div class="conv-anim-controls" hidden>'
        '<button type="button" class="conv-anim-play">'
        "Play</button>"
        '<label class="conv-anim-scrub-label">Frame '
        f'<input type="range" class="conv-anim-scrub" min="0" max="{n - 1}" '
        'step="1" value="0"></label>'
        f'<span class="conv-anim-count">1 / {n}</span></div>'
        f"<figcaption>{escape(caption)}</figcaption></figure>"
    )


def _span(a, b) -> str:
    return f"{a}" if a == b else f"{a}–{b}"


def kernel_animation(W, K, S=1, pads=(0, 0), D=1, caption="", values=None, reduce=None):
    """A K×K kernel sliding over a W×W input: one frame per output position.

    Inputs:
    - W, K, S, D: input size, kernel size, stride, dilation (the same on both axes)
    - pads: (before, after) padding, the same on both axes
    - values: optional W×W numbers to write in the input (a pooling example)
    - reduce: with values, (name, function) giving each output from its window
    Returns:
    - an HTML object: the figure, its panels, controls and caption
    """
    before, after = pads
    Wp = W + before + after
    starts = window_starts(W, K, S, pads, D)
    if before == after:
        assert len(starts) == conv_output_size(W, K, S, before, D)
    n_out = len(starts)
    taps = [a * D for a in range(K)]

    def padded(r, c):
        return not (before <= r < before + W and before <= c < before + W)

    def value(r, c):
        return values[r - before][c - before]

    grid = []
    for r in range(Wp):
        for c in range(Wp):
            pad = padded(r, c)
            grid.append(
                _rect(
                    c * CELL,
                    r * CELL,
                    PAD if pad else INPUT,
                    IDLE if pad else INK,
                    stroke_dasharray="4 3" if pad else "none",
                )
            )
            if values is not None and not pad:
                grid.append(_text((c + 0.5) * CELL, (r + 0.5) * CELL, value(r, c)))
    out_grid = [
        _rect(c * CELL, r * CELL, OUTPUT) for r in range(n_out) for c in range(n_out)
    ]
    in_frames, out_frames, statuses = [], [], []
    for i, (oy, ox) in enumerate(
        (oy, ox) for oy in range(n_out) for ox in range(n_out)
    ):
        sy, sx = starts[oy], starts[ox]
        cells = [(sy + a, sx + b) for a in taps for b in taps]
        window = [
            _rect(c * CELL, r * CELL, WINDOW, WINDOW, fill_opacity=0.45, stroke_width=2)
            for r, c in cells
        ]
        status = (
            f"Output ({oy}, {ox}): rows {_span(sy, sy + taps[-1])}, columns "
            f"{_span(sx, sx + taps[-1])} of the "
            + ("padded input." if before or after else "input.")
        )
        out = [_rect(ox * CELL, oy * CELL, CURRENT, INK, stroke_width=2)]
        if reduce is not None:
            name, fn = reduce
            seen = [value(r, c) for r, c in cells if not padded(r, c)]
            result = fn(seen)
            status += f" {name}({', '.join(map(str, seen))}) = {result}."
            for j in range(i + 1):
                qy, qx = divmod(j, n_out)
                got = fn(
                    [value(starts[qy] + a, starts[qx] + b) for a in taps for b in taps]
                )
                colour = "#fff" if j == i else INK
                out.append(
                    _text((qx + 0.5) * CELL, (qy + 0.5) * CELL, got, fill=colour)
                )
        in_frames.append(_frame(i, window, status))
        out_frames.append(_frame(i, out))
        statuses.append(status)
    size = Wp * CELL
    pad_text = (
        (
            f", padding {before}"
            if before == after
            else f", padding {before} before and {after} after"
        )
        if before or after
        else ""
    )
    setting = (
        f"kernel {K}×{K}"
        + (f", stride {S}" if S > 1 else "")
        + (f", dilation {D}" if D > 1 else "")
    )
    in_label = f"input {W}×{W}{pad_text}; {setting}"
    out_label = f"output {n_out}×{n_out}"
    panels = [
        _panel(in_label, _svg(size, size, in_label, grid + in_frames)),
        _panel(
            out_label,
            _svg(n_out * CELL, n_out * CELL, out_label, out_grid + out_frames),
        ),
    ]
    assert kernel_span(K, D) == taps[-1] + 1
    return HTML(_figure(panels, statuses, caption))


def field_animation(layers, names, n_in, caption=""):
    """The receptive field of a 1-D stack, one layer more in each frame.

    Frame l follows the first neuron of layer l down to the input and marks the inputs
    it can see; the count drawn is checked against the recurrence.

    Inputs:
    - layers: list of (K, S, D) tuples, input side first
    - names: L + 1 row names, the input's first
    - n_in: length of the input drawn
    Returns:
    - an HTML object, as `kernel_animation`
    """
    lengths = layer_lengths(n_in, layers)
    xs = node_positions(lengths, layers)
    fields = receptive_fields(layers)
    L = len(layers)
    step, row = 22, 64  # between neighbouring inputs, between layers
    left, top = step, 40
    width, height = int(n_in * step + 2 * left), top + L * row + 44

    def at(level, i):
        return left + (xs[level][i] + 0.5) * step, top + (L - level) * row

    base = []
    for level in range(L + 1):
        y = at(level, 0)[1]
        base.append(_text(4, y - 22, names[level], size=17, text_anchor="start"))
        base += [
            f"<circle{_attrs(cx=at(level, i)[0], cy=y, r=7, fill=IDLE)}/>"
            for i in range(lengths[level])
        ]
    frames, statuses = [], []
    for top_level in range(L + 1):
        sets = cone(lengths[: top_level + 1], layers[:top_level], 0)
        body = []
        for level in range(top_level, 0, -1):
            K, S, D = layers[level - 1]
            for i in sets[level]:
                x1, y1 = at(level, i)
                for k in range(K):
                    x0, y0 = at(level - 1, i * S + k * D)
                    body.append(
                        f"<line{_attrs(x1=x0, y1=y0, x2=x1, y2=y1, stroke=WINDOW)}"
                        f"{_attrs(stroke_width=2)}/>"
                    )
        for level in range(top_level + 1):
            fill = CURRENT if level == top_level else WINDOW
            body += [
                f"<circle{_attrs(cx=at(level, i)[0], cy=at(level, i)[1], r=8)}"
                f"{_attrs(fill=fill)}/>"
                for i in sorted(sets[level])
            ]
        seen = sorted(sets[0])
        r, j = fields[top_level]
        assert seen[-1] - seen[0] + 1 == r
        x0, x1 = at(0, seen[0])[0] - 10, at(0, seen[-1])[0] + 10
        y = at(0, 0)[1] + 20
        body.append(
            f"<path{_attrs(d=f'M{x0} {y - 6} V{y} H{x1} V{y - 6}', fill='none')}"
            f"{_attrs(stroke=CURRENT, stroke_width=3)}/>"
        )
        body.append(_text(max((x0 + x1) / 2, 30), y + 14, f"r = {r}", size=17))
        status = (
            f"{names[top_level]}: one neuron sees {r} input"
            f"{'s' if r > 1 else ''}; neighbouring neurons are {j} input"
            f"{'s' if j > 1 else ''} apart (jump {j})."
        )
        frames.append(_frame(top_level, body, status))
        statuses.append(status)
    label = "a 1-D stack of layers, the input at the bottom"
    svg = _svg(width, height, label, base + frames)
    return HTML(_figure([_panel(label, svg)], statuses, caption))


KERNEL = "#fdd0a2"


def _scatter(x, w, S, P, D):
    """conv_transpose2d of one 2-D map by one 2-D kernel (one channel in and out)."""
    return conv_transpose2d(x[None, None], w[None, None], None, S, P, 0, 1, D)[0, 0]


def _values(values, fill, size=14):
    """A grid of cells with a number written in each."""
    body = []
    for (r, c), v in np.ndenumerate(values):
        body.append(_rect(c * CELL, r * CELL, fill))
        body.append(_text((c + 0.5) * CELL, (r + 0.5) * CELL, f"{v:g}", size))
    return body


def transposed_animation(x, w, stride=2, padding=0, dilation=1, caption=""):
    """A transposed convolution, one input value at a time: each frame scatters one
    input's copy of the kernel into the output, and the output shows the sums so far.

    With padding P the output panel draws the uncropped result, P cells wider on each
    side (dashed): the copies land there too, and padding then crops that border.

    Inputs:
    - x: H×W input values; w: KH×KW kernel values (nested lists or arrays)
    - stride, padding, dilation: ints, the same on both axes
    Returns:
    - an HTML object, as `kernel_animation`
    """
    x, w = np.asarray(x, dtype=float), np.asarray(w, dtype=float)
    S, P, D = stride, padding, dilation
    (H, W), (KH, KW) = x.shape, w.shape
    size = [conv_transpose_output_size(n, k, S, P, 0, D) for n, k in ((H, KH), (W, KW))]
    rows, cols = size[0] + 2 * P, size[1] + 2 * P  # before padding crops

    def inside(r, c):
        return P <= r < P + size[0] and P <= c < P + size[1]

    grid = [
        _rect(
            c * CELL,
            r * CELL,
            OUTPUT if inside(r, c) else PAD,
            INK if inside(r, c) else IDLE,
            stroke_dasharray="none" if inside(r, c) else "4 3",
        )
        for r in range(rows)
        for c in range(cols)
    ]
    in_frames, out_frames, statuses = [], [], []
    done, touched = np.zeros_like(x), set()
    for n, (i, j) in enumerate(np.ndindex(H, W)):
        one = np.zeros_like(x)
        one[i, j] = 1
        # Where input (i, j) writes: its one-hot input through a kernel of ones.
        copy = set(zip(*np.nonzero(_scatter(one, np.ones_like(w), S, 0, D))))
        copy = {(int(r), int(c)) for r, c in copy}
        overlap = len(copy & touched)
        touched |= copy
        done[i, j] = x[i, j]
        sums = _scatter(done, w, S, 0, D)
        cropped = sums[P : P + size[0], P : P + size[1]]
        assert np.array_equal(cropped, _scatter(done, w, S, P, D))
        body = [
            _rect(
                c * CELL,
                r * CELL,
                WINDOW,
                WINDOW,
                fill_opacity=0.45 if inside(r, c) else 0.15,
                stroke_width=2,
                stroke_dasharray="none" if inside(r, c) else "4 3",
            )
            for r, c in sorted(copy)
        ]
        body += [
            _text(
                (c + 0.5) * CELL,
                (r + 0.5) * CELL,
                f"{sums[r, c] + 0:g}",
                size=12,
                fill=INK if inside(r, c) else CROPPED,
                font_weight="bold" if (r, c) in copy else "normal",
            )
            for r, c in sorted(touched)
        ]
        out_frames.append(_frame(n, body))
        v = f"{x[i, j]:g}"
        r0, r1 = min(r for r, _ in copy), max(r for r, _ in copy)
        c0, c1 = min(c for _, c in copy), max(c for _, c in copy)
        status = (
            f"Input ({i}, {j}) = {v} adds {v} × the kernel to rows {_span(r0, r1)}, "
            f"columns {_span(c0, c1)} of the "
            + (f"uncropped {rows}×{cols} output. " if P else "output. ")
            + (
                f"{overlap} of its {len(copy)} cells overlap earlier copies and add "
                "to them."
                if overlap
                else "No earlier copy overlaps it."
            )
        )
        lost = sum(not inside(r, c) for r, c in copy)
        if lost:
            status += f" {lost} fall in the border that padding {P} crops."
        in_frames.append(
            _frame(
                n,
                [
                    _rect(j * CELL, i * CELL, CURRENT, INK, stroke_width=2),
                    _text((j + 0.5) * CELL, (i + 0.5) * CELL, v, fill="#fff"),
                ],
                status,
            )
        )
        statuses.append(status)
    assert done.tolist() == x.tolist()
    in_label = f"input {H}×{W}, stride {S}" + (f", dilation {D}" if D > 1 else "")
    k_label = f"kernel {KH}×{KW}"
    out_label = f"output {size[0]}×{size[1]}" + (
        f", cropped from {rows}×{cols} by padding {P} (dashed)" if P else ""
    )
    panels = [
        _panel(
            in_label,
            _svg(W * CELL, H * CELL, in_label, _values(x, INPUT) + in_frames),
        ),
        _panel(k_label, _svg(KW * CELL, KH * CELL, k_label, _values(w, KERNEL))),
        _panel(
            out_label,
            _svg(cols * CELL, rows * CELL, out_label, grid + out_frames),
        ),
    ]
    figure = _figure(
        panels, statuses, caption, stride=S, padding=P, dilation=D, kind="transposed"
    )
    return HTML(figure)


def explorer(kind, **start):
    """The empty container of an in-page explorer, with its starting values.

    kind: "output-size" (start: input, kernel, stride, padding, dilation) or
    "receptive-field" (start: layers, a list of (K, S, D) tuples).
    """
    if "layers" in start:
        start["layers"] = ";".join(
            ",".join(map(str, layer)) for layer in start["layers"]
        )
    data = _attrs(**{f"data_{k}": v for k, v in start.items()})
    return HTML(
        f'<div class="conv-explorer" data-explorer="{escape(kind)}"{data}>'
        '<p class="conv-explorer-fallback">This explorer runs in the browser with '
        "JavaScript.</p></div>"
    )
