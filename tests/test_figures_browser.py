"""The animations and the explorers of the arithmetic chapters, in a real browser.

The animations (convbook/animation.py, book/_static/conv-anim.js) must play, pause
and scrub; the explorers (book/_static/conv-explorers.js and conv-formulas.js),
driven through their controls as a reader would, must give PyTorch's answer for
every setting tried, valid or not. Also: labelled controls that a keyboard can
operate, phone and desktop widths, dark mode, reduced motion, and the weight of
every chapter page. Last, without a browser: every frame an animation draws is the
window that PyTorch reads, and for a transposed convolution, the cells that
F.conv_transpose2d writes from one input and the sums it gives (also checked on the
page itself, frame by frame).
"""

from __future__ import annotations

import functools
import itertools
import json
import random
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from browser import chromium, serving
from convbook.animation import (
    CELL,
    field_animation,
    kernel_animation,
    transposed_animation,
)
from convbook.arithmetic import full_padding, same_padding
from test_site import DESKTOP, PAGES, PHONE, _QuietHandler, open_page

# How many animations each chapter shows.
ANIMATED = {
    "book/output-size": 3,
    "book/padding": 2,
    "book/pooling": 1,
    "book/receptive-field": 1,
    "book/transposed-conv": 2,
}
WIDTHS = {"desktop": DESKTOP, "phone": PHONE}
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
# The limit of the issue: no chapter page, with everything it loads, over 5 MB.
MAX_PAGE_BYTES = 5_000_000
SHOWN = (
    "[...f.querySelectorAll('g[data-frame]')].filter(g => g.style.display !== 'none')"
)


@pytest.fixture(scope="module")
def site(built_book):
    handler = functools.partial(_QuietHandler, directory=str(built_book))
    with serving(handler) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture
def opened(browser, site):
    """opened(doc, width, **context options) -> (page, errors); all closed after."""
    contexts = []

    def open_(doc, width="desktop", clock=False, **options):
        context = browser.new_context(viewport=WIDTHS[width], **options)
        contexts.append(context)
        if clock:
            context.clock.install()
        page, errors, failed = open_page(context, f"{site}/{doc}.html")
        errors += failed
        return page, errors

    yield open_
    for context in contexts:
        context.close()


def frames(page):
    """[{count, current, playing, shown: [frame numbers shown], status}] per figure."""
    return page.eval_on_selector_all(
        "figure.conv-anim",
        f"""figs => figs.map(f => ({{
            count: Number(f.dataset.frames),
            current: Number(f.dataset.current),
            playing: f.dataset.playing === "true",
            shown: {SHOWN}.map(g => Number(g.dataset.frame)),
            statusShown: f.querySelector('.conv-anim-status').textContent,
            status: {SHOWN}.filter(g => g.dataset.status !== undefined)
                .map(g => g.dataset.status),
            controlsHidden: f.querySelector('.conv-anim-controls').hidden,
        }}))""",
    )


def assert_consistent(figure):
    """One frame shown in every panel, the one the figure says, with its status."""
    assert set(figure["shown"]) == {figure["current"]}
    assert figure["status"] == [figure["statusShown"]]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("doc", ANIMATED)
def test_animations_play_pause_and_scrub(opened, doc, width):
    """Does every animation of the chapter start playing, advance, pause on its
    button, and step frame by frame with its scrubber (mouse and keyboard), with one
    frame shown at a time and no JavaScript error?"""
    page, errors = opened(doc, width, clock=True)
    start = frames(page)
    assert len(start) == ANIMATED[doc]
    for figure in start:
        assert figure["count"] > 1 and not figure["controlsHidden"]
        assert figure["playing"]
        assert_consistent(figure)
    # Stop the page's clock (timers then fire only when told), then let 2.5 s pass:
    # three more frames at 800 ms.
    page.clock.pause_at(page.evaluate("Date.now()") + 1_000)
    before = [f["current"] for f in frames(page)]
    page.clock.run_for(2_500)
    for figure, was in zip(frames(page), before):
        assert figure["current"] == (was + 3) % figure["count"]
        assert_consistent(figure)
    figures = page.locator("figure.conv-anim")
    for n, figure in enumerate(frames(page)):
        fig = figures.nth(n)
        fig.locator(".conv-anim-play").click()
        held = frames(page)[n]
        assert not held["playing"]
        assert fig.locator(".conv-anim-play").inner_text() == "Play"
        page.clock.run_for(2_000)
        assert frames(page)[n]["current"] == held["current"]
        scrub = fig.locator(".conv-anim-scrub")
        scrub.focus()
        for key, expected in [
            ("End", figure["count"] - 1),
            ("Home", 0),
            ("ArrowRight", 1),
            ("ArrowRight", 2),
            ("ArrowLeft", 1),
        ]:
            page.keyboard.press(key)
            now = frames(page)[n]
            assert now["current"] == expected, key
            assert_consistent(now)
        # Dragging the scrubber (a mouse) while playing pauses it at that frame.
        fig.locator(".conv-anim-play").press("Enter")
        assert frames(page)[n]["playing"]
        scrub.fill(str(figure["count"] - 1))
        now = frames(page)[n]
        assert not now["playing"] and now["current"] == figure["count"] - 1
        assert_consistent(now)
        fig.locator(".conv-anim-play").press("Space")
        page.clock.run_for(900)
        assert frames(page)[n]["current"] == 0  # it wraps round
    assert errors == []


@pytest.mark.parametrize("doc", ANIMATED)
def test_reduced_motion_starts_paused(opened, doc):
    """For a reader who asks for reduced motion, does every animation wait, paused
    on its first frame, until Play is pressed?"""
    page, errors = opened(doc, "phone", clock=True, reduced_motion="reduce")
    page.clock.pause_at(page.evaluate("Date.now()") + 1_000)
    page.clock.run_for(5_000)
    for figure in frames(page):
        assert not figure["playing"] and figure["current"] == 0
        assert_consistent(figure)
    page.locator(".conv-anim-play").first.click()
    page.clock.run_for(900)
    assert frames(page)[0]["current"] == 1
    assert errors == []


@pytest.mark.parametrize("doc", ANIMATED)
def test_animations_fit_a_phone(opened, doc):
    """At a phone's width, does every drawing fit inside the text column, and the
    page not scroll sideways?"""
    page, errors = opened(doc, "phone", reduced_motion="reduce")
    overflow = page.eval_on_selector_all(
        "figure.conv-anim svg, .conv-explorer",
        """els => els.map(e => e.getBoundingClientRect())
            .filter(r => r.left < 0 || r.right > innerWidth).length""",
    )
    assert overflow == 0
    assert page.evaluate("document.documentElement.scrollWidth - innerWidth") <= 1
    assert errors == []


# ---- the output-size explorer against PyTorch ----------------------------------

FIELDS = ("input", "kernel", "stride", "padding", "dilation")


def torch_output_size(W, K, S, P, D):
    """PyTorch's output length, or None where PyTorch refuses the setting."""
    try:
        x, w = torch.zeros(1, 1, W), torch.zeros(1, 1, K)
        return F.conv1d(x, w, stride=S, padding=P, dilation=D).shape[-1]
    except (RuntimeError, TypeError, ValueError):
        return None


def output_size_cases():
    """(setting, the refusal it must get or None): >= 200 settings, a third invalid."""
    rng = random.Random(17)
    valid = [
        (W, K, S, P, D)
        for W, K, S, P, D in itertools.product(
            range(1, 26), range(1, 8), range(1, 5), range(0, 4), range(1, 4)
        )
        if W + 2 * P >= D * (K - 1) + 1
    ]
    cases = [(c, None) for c in rng.sample(valid, 120)]
    cases += [
        ((W, K, 1, "same", D), None)
        for W, K, D in rng.sample(
            list(itertools.product(range(1, 20), range(1, 8), range(1, 4))), 30
        )
    ]
    cases += [
        ((W, K, 1, "valid", D), None)
        for W, K, D in [(7, 3, 1), (8, 4, 2), (5, 5, 1), (30, 2, 3), (9, 1, 1)]
    ]
    too_large = [
        (W, K, S, P, D)
        for W, K, S, P, D in itertools.product(
            range(1, 8), range(2, 8), range(1, 4), range(0, 3), range(1, 4)
        )
        if W + 2 * P < D * (K - 1) + 1
    ]
    cases += [(c, "kernel-too-large") for c in rng.sample(too_large, 40)]
    cases += [
        ((2, 3, 1, "valid", 1), "kernel-too-large"),
        ((4, 3, 1, "valid", 2), "kernel-too-large"),
    ]
    cases += [
        ((W, K, S, "same", D), "same-strided")
        for W, K, S, D in [
            (10, 3, 2, 1),
            (5, 4, 3, 1),
            (7, 1, 2, 2),
            (12, 5, 4, 3),
            (1, 2, 2, 1),
        ]
    ]
    small = [
        (0, 3, 1, 0, 1),
        (0, 1, 1, 2, 1),
        (5, 0, 1, 0, 1),
        (5, 3, 0, 0, 1),
        (5, 3, 1, -1, 1),
        (5, 3, 1, 0, 0),
        (9, 3, -2, 1, 1),
        (6, -1, 1, 0, 1),
    ]
    cases += [(c, "too-small") for c in small]
    cases += [
        (c, "not-whole")
        for c in [
            (7.5, 3, 1, 0, 1),
            (7, 2.5, 1, 0, 1),
            (7, 3, 1.5, 0, 1),
            (7, 3, 1, 0.5, 1),
            (7, 3, 1, 0, 1.5),
        ]
    ]
    return cases


def torch_answer(setting):
    W, K, S, P, D = setting
    if isinstance(W, float) or isinstance(K, float):
        return None  # no tensor has a fractional length
    return torch_output_size(W, K, S, P, D)


def same_split_is_pytorchs(W, K, D, pads):
    """Does padding W values by `pads` (left, right), then convolving without
    padding, give what PyTorch's padding='same' gives?"""
    x = torch.randn(1, 1, W, dtype=torch.float64)
    w = torch.randn(1, 1, K, dtype=torch.float64)
    same = F.conv1d(x, w, padding="same", dilation=D)
    return torch.equal(F.conv1d(F.pad(x, pads), w, dilation=D), same)


def set_field(page, root, name, value, shown):
    """Type `value` into the control named `name`, if it does not show it already."""
    if shown.get(name) != value:
        root.locator(f"[data-field={name}]").fill(value)
        shown[name] = value


def drive_output_size(page, root, setting, shown):
    """Set the explorer's controls to `setting`; what it then shows."""
    W, K, S, P, D = setting
    mode = P if P in ("same", "valid") else "number"
    if shown.get("mode") != mode:
        root.locator("[data-field=mode]").select_option(mode)
        shown["mode"] = mode
    for name, value in zip(("input", "kernel", "stride", "dilation"), (W, K, S, D)):
        set_field(page, root, name, str(value), shown)
    if mode == "number":
        set_field(page, root, "padding", str(P), shown)
    return root.locator("output.conv-explorer-result").evaluate(
        """o => ({size: o.dataset.size, error: o.dataset.error, text: o.textContent,
                 pads: o.dataset.pads,
                 rows: o.closest('form').querySelectorAll(
                    '.conv-explorer-drawing svg text').length,
                 drawn: !!o.closest('form')
                    .querySelector('.conv-explorer-drawing svg')})"""
    )


def test_output_size_cases_cover_the_issue():
    """Do the explorer's cases number at least 200, with the refusals the issue names
    (kernel larger than the padded input) among them, each one refused by PyTorch
    and each valid one accepted?"""
    cases = output_size_cases()
    assert len(cases) >= 200
    assert sum(reason == "kernel-too-large" for _, reason in cases) >= 30
    for setting, reason in cases:
        assert (torch_answer(setting) is None) == (reason is not None), setting


def test_output_size_explorer_agrees_with_pytorch(opened):
    """Driven through its controls, does the output-size explorer show PyTorch's
    output length for every valid setting (and draw that many windows, with the
    padding where PyTorch puts it), and a clear message, never NaN, for every
    setting that PyTorch refuses?"""
    page, errors = opened("book/output-size")
    root = page.locator("div.conv-explorer[data-explorer=output-size]")
    shown = {
        "input": "7",
        "kernel": "3",
        "stride": "1",
        "padding": "0",
        "dilation": "1",
        "mode": "number",
    }
    wrong = []
    for setting, reason in output_size_cases():
        got = drive_output_size(page, root, setting, shown)
        expected = torch_answer(setting)
        assert not any(bad in got["text"] for bad in ("NaN", "undefined", "Infinity"))
        if expected is not None:
            ok = (
                got["size"] == str(expected)
                and got["error"] == ""
                and got["text"].startswith(f"Output size: {expected}.")
            )
            if got["drawn"]:
                ok = ok and got["rows"] == expected
            W, K, _, P, D = setting
            pads = tuple(int(p) for p in got["pads"].split(","))
            if P == "same":  # the page shows where the zeros go: as PyTorch does?
                ok = ok and same_split_is_pytorchs(W, K, D, pads)
            else:
                ok = ok and pads == ((0, 0) if P == "valid" else (P, P))
        else:
            ok = got["size"] == "" and got["error"] == reason and len(got["text"]) > 20
        if not ok:
            wrong.append((setting, expected, got))
    assert wrong == []
    assert errors == []


def test_output_size_explorer_by_keyboard(opened):
    """Has every control of the output-size explorer a label, and can a reader
    reach each one with Tab and change the setting from the keyboard alone?"""
    page, errors = opened("book/output-size", "phone")
    root = page.locator("div.conv-explorer[data-explorer=output-size]")
    labels = root.locator("input, select").evaluate_all(
        "els => els.map(e => [...e.labels].map(l => l.innerText.trim()).join(' '))"
    )
    assert len(labels) == 6 and all(labels)
    root.locator("[data-field=input]").focus()
    reached = []
    for _ in range(5):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.dataset.field"))
    assert reached == ["kernel", "stride", "mode", "padding", "dilation"]
    result = root.locator("output.conv-explorer-result")
    before = int(result.get_attribute("data-size"))
    page.keyboard.press("Shift+Tab")  # back to the padding
    page.keyboard.press("ArrowUp")
    assert int(result.get_attribute("data-size")) == before + 2
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("ArrowDown")  # 'valid': the padding control is disabled
    assert root.locator("[data-field=padding]").is_disabled()
    assert int(result.get_attribute("data-size")) == before
    assert errors == []


# ---- the receptive-field explorer against PyTorch ------------------------------


def torch_fields(layers, length=400):
    """(r_l, j_l) after each layer, measured with autograd on a 1-D stack of
    convolutions of ones, or the index (from 1) of the first layer PyTorch refuses.

    r_l: how many inputs reach the first output of layer l; j_l: how far the second
    output's first input is from the first output's.
    """
    x = torch.ones(1, 1, length, dtype=torch.float64, requires_grad=True)
    fields, y = [], x
    for n, (K, S, D) in enumerate(layers, start=1):
        try:
            y = F.conv1d(
                y, torch.ones(1, 1, K, dtype=torch.float64), stride=S, dilation=D
            )
        except RuntimeError:
            return fields, n
        assert y.shape[-1] >= 2, "the test's input is too short for this stack"
        seen = []
        for i in (0, 1):
            (g,) = torch.autograd.grad(y[0, 0, i], x, retain_graph=True)
            seen.append(torch.nonzero(g[0, 0]).flatten().tolist())
        fields.append((seen[0][-1] - seen[0][0] + 1, seen[1][0] - seen[0][0]))
    return fields, None


def rf_cases():
    """>= 200 stacks of (K, S, D) layers, some with a value PyTorch refuses."""
    rng = random.Random(6)
    stacks = []
    for _ in range(190):
        depth = rng.randint(1, 4)
        stacks.append(
            [
                (rng.randint(1, 4), rng.randint(1, 3), rng.randint(1, 2))
                for _ in range(depth)
            ]
        )
    for _ in range(20):
        stack = [
            (rng.randint(1, 4), rng.randint(1, 3), rng.randint(1, 2))
            for _ in range(rng.randint(1, 4))
        ]
        bad = rng.randrange(len(stack))
        layer = list(stack[bad])
        layer[rng.randrange(3)] = 0
        stack[bad] = tuple(layer)
        stacks.append(stack)
    return stacks


def drive_stack(root, stack):
    """Make the explorer's table hold `stack` (adding or removing rows through its
    buttons, typing the values); what each row and the summary then show."""
    rows = root.locator("tbody tr")
    while rows.count() - 1 < len(stack):
        root.locator("button.conv-explorer-add").click()
    while rows.count() - 1 > len(stack):
        rows.nth(rows.count() - 1).locator("button.conv-explorer-remove").click()
    for n, layer in enumerate(stack, start=1):
        for name, value in zip(("kernel", "stride", "dilation"), layer):
            field = rows.nth(n).locator(f"[data-field={name}]")
            if field.input_value() != str(value):
                field.fill(str(value))
    return root.evaluate(
        """r => ({
            rows: [...r.querySelectorAll('tbody tr')].slice(1).map(tr => [
                tr.querySelector('td.rf').textContent,
                tr.querySelector('td.jump').textContent]),
            error: r.querySelector('output.conv-explorer-result').dataset.error,
            layer: r.querySelector('output.conv-explorer-result').dataset.layer,
            text: r.querySelector('output.conv-explorer-result').textContent})"""
    )


def test_rf_cases_cover_refusals():
    """Are there at least 200 stacks, with refused ones among them?"""
    cases = rf_cases()
    assert len(cases) >= 200
    assert sum(torch_fields(s)[1] is not None for s in cases) >= 15


def test_receptive_field_explorer_agrees_with_pytorch(opened):
    """Driven through its controls, does the receptive-field explorer give, for each
    layer of each stack, the receptive field and jump that PyTorch's gradients show,
    and for a layer that PyTorch refuses, a message naming that layer?"""
    page, errors = opened("book/receptive-field")
    root = page.locator("div.conv-explorer[data-explorer=receptive-field]")
    wrong = []
    for stack in rf_cases():
        fields, refused = torch_fields(stack)
        got = drive_stack(root, stack)
        expected = [[str(r), str(j)] for r, j in fields]
        expected += [["—", "—"]] * (len(stack) - len(fields))
        assert "NaN" not in got["text"]
        ok = got["rows"] == expected
        if refused is None:
            ok = ok and got["error"] == "" and str(fields[-1][0]) in got["text"]
        else:
            ok = ok and got["error"] == "too-small" and got["layer"] == str(refused)
            ok = ok and got["text"].startswith(f"Layer {refused}:")
        if not ok:
            wrong.append((stack, fields, refused, got))
    assert wrong == []
    assert errors == []


def test_receptive_field_explorer_by_keyboard(opened):
    """Has every control of the receptive-field explorer a label, and can a reader
    add a layer, edit it and remove it from the keyboard alone?"""
    page, errors = opened("book/receptive-field", "phone")
    root = page.locator("div.conv-explorer[data-explorer=receptive-field]")
    names = root.locator("input, button").evaluate_all(
        "els => els.map(e => e.getAttribute('aria-label') || e.innerText.trim())"
    )
    assert all(names) and "Layer 1 kernel size" in names and "Remove layer 1" in names
    rows = root.locator("tbody tr")
    before = rows.count()
    root.locator("button.conv-explorer-add").focus()
    page.keyboard.press("Enter")
    assert rows.count() == before + 1
    # Focus moved to the new layer's kernel size: type a 5 there.
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == (
        f"Layer {before} kernel size"
    )
    page.keyboard.press("Control+a")
    page.keyboard.type("5")
    stack = [
        tuple(
            int(rows.nth(n).locator(f"[data-field={name}]").input_value())
            for name in ("kernel", "stride", "dilation")
        )
        for n in range(1, before + 1)
    ]
    assert stack[-1] == (5, 1, 1)
    last = rows.nth(before)
    assert last.locator("td.rf").inner_text() == str(torch_fields(stack)[0][-1][0])
    last.locator("button.conv-explorer-remove").focus()
    page.keyboard.press("Enter")
    assert rows.count() == before
    assert errors == []


# ---- dark mode and page weight -------------------------------------------------


def _luminance(rgb):
    channels = [int(v) / 255 for v in rgb.strip("rgba()").split(",")[:3]]
    linear = [
        c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels
    ]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a, b):
    hi, lo = sorted([_luminance(a), _luminance(b)], reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize(
    "doc", ["book/output-size", "book/receptive-field", "book/transposed-conv"]
)
def test_dark_mode(opened, doc, built_book):
    """On the dark theme, are the drawings on white, and the animations' text and the
    explorers' controls legible against the dark page?"""
    page, errors = opened(doc, "desktop", color_scheme="dark", reduced_motion="reduce")
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    colours = page.evaluate(
        """() => {
            const bg = getComputedStyle(document.body).backgroundColor;
            // The colour behind an element: its own, or the nearest ancestor's.
            const behind = (e) => {
                for (; e; e = e.parentElement) {
                    const c = getComputedStyle(e).backgroundColor;
                    if (c !== 'rgba(0, 0, 0, 0)') return c;
                }
                return bg;
            };
            const pick = (sel) => [...document.querySelectorAll(sel)].map(
                e => [getComputedStyle(e).color, behind(e)]);
            return {bg, status: behind(document.querySelector('.conv-explorer-result')),
                    text: pick('.conv-anim-status, .conv-anim-label, '
                                   + '.conv-explorer-result, .conv-explorer label, '
                                   + '.conv-explorer input, .conv-explorer select, '
                                   + '.conv-explorer button, .conv-explorer th'),
                    paper: [...document.querySelectorAll(
                        'figure.conv-anim svg > rect:first-child, '
                        + '.conv-explorer-drawing svg > rect:first-child')]
                        .map(r => r.getAttribute('fill'))};
        }"""
    )
    assert _luminance(colours["bg"]) < 0.05
    # The explorer sits on the dark page itself, not in a light box of its own.
    assert _luminance(colours["status"]) < 0.05
    assert len(colours["text"]) > 5
    assert [c for c in colours["text"] if _contrast(*c) < 4.5] == []
    assert colours["paper"] and set(colours["paper"]) == {"#fff"}
    shots = built_book.parent / "screenshots"
    shots.mkdir(exist_ok=True)
    page.screenshot(
        path=shots / f"{doc.replace('/', '-')}-figures-dark.png", full_page=True
    )
    assert errors == []


CHAPTERS = [p for p in PAGES if p.startswith("book/")]


def test_no_chapter_page_over_the_limit(opened, built_book):
    """Does every chapter page, with all it loads (animations, scripts, styles,
    fonts, images), weigh less than 5 MB? The weights are written to
    _build/page-weights.json for the README."""
    weights = {}
    for doc in CHAPTERS:
        page, errors = opened(doc, "desktop", reduced_motion="reduce")
        page.wait_for_load_state("networkidle")
        weights[doc] = page.evaluate(
            """() => performance.getEntriesByType('navigation')
                .concat(performance.getEntriesByType('resource'))
                .reduce((sum, e) => sum + e.decodedBodySize, 0)"""
        )
        page.close()
        assert errors == []
    (built_book.parent / "page-weights.json").write_text(
        json.dumps(weights, indent=1) + "\n"
    )
    assert set(ANIMATED) <= set(weights)
    assert all(w > 100_000 for w in weights.values())  # the sizes were read
    assert {d: w for d, w in weights.items() if w > MAX_PAGE_BYTES} == {}


# ---- the animations' frames, as drawn at build time ----------------------------

FRAME = re.compile(r'<g data-frame="(\d+)"[^>]*>(.*?)</g>', re.S)
RECT = re.compile(r'<rect x="(\d+)" y="(\d+)"')
TEXT = re.compile(r"<text[^>]*>([^<]*)</text>")


def drawn_frames(svg):
    """{frame: (cells as (row, column), texts)} of one SVG panel of an animation."""
    return {
        int(n): (
            {(int(y) // CELL, int(x) // CELL) for x, y in RECT.findall(body)},
            TEXT.findall(body),
        )
        for n, body in FRAME.findall(svg)
    }


def torch_windows(W, K, S, pads, D):
    """{(oy, ox): cells of the padded input that reach that output}, by autograd."""
    before, after = pads
    x = torch.ones(1, 1, W + before + after, W + before + after, requires_grad=True)
    y = F.conv2d(x, torch.ones(1, 1, K, K), stride=S, dilation=D)
    windows = {}
    for oy, ox in itertools.product(range(y.shape[2]), range(y.shape[3])):
        (g,) = torch.autograd.grad(y[0, 0, oy, ox], x, retain_graph=True)
        windows[oy, ox] = {tuple(p) for p in torch.nonzero(g[0, 0]).tolist()}
    return windows


# The settings the chapters animate: (W, K, S, pads, D).
ANIMATIONS = [
    (5, 3, 1, (0, 0), 1),
    (5, 3, 2, (1, 1), 1),
    (7, 3, 1, (0, 0), 2),
    (5, 3, 1, same_padding(3), 1),
    (5, 3, 1, (full_padding(3),) * 2, 1),
    (4, 2, 2, (0, 0), 1),
    (6, 4, 1, same_padding(4), 1),
]


@pytest.mark.parametrize("setting", ANIMATIONS)
def test_animation_frames_are_pytorchs_windows(setting):
    """Does each frame of a kernel animation cover exactly the input cells that
    PyTorch's conv2d reads for that output, one frame per output, in order?"""
    W, K, S, pads, D = setting
    html = kernel_animation(W, K, S, pads, D).data
    svgs = html.split("<svg")[1:]
    frames_in, frames_out = drawn_frames(svgs[0]), drawn_frames(svgs[1])
    windows = torch_windows(W, K, S, pads, D)
    side = int(len(windows) ** 0.5)
    assert sorted(frames_in) == list(range(len(windows)))
    for n, (oy, ox) in enumerate(sorted(windows)):
        assert frames_in[n][0] == windows[oy, ox], (n, oy, ox)
        assert frames_out[n][0] == {(oy, ox)}
    assert f"output {side}×{side}" in html


def test_pooling_animation_shows_pytorchs_maxima():
    """Does the pooling animation write, by its last frame, every output that
    F.max_pool2d gives, and name each window's maximum in its status?"""
    x = [[1, 3, 2, 0], [4, 2, 1, 1], [0, 1, 5, 2], [2, 2, 3, 6]]
    html = kernel_animation(4, 2, S=2, values=x, reduce=("max", max)).data
    pooled = F.max_pool2d(torch.tensor(x, dtype=torch.float64)[None], 2)[0]
    last = drawn_frames(html.split("<svg")[2])[3][1]
    assert last == [f"{v:g}" for v in pooled.flatten().tolist()]
    statuses = re.findall(r'data-status="([^"]*)"', html)
    for status, value in zip(statuses, pooled.flatten().tolist(), strict=True):
        assert status.endswith(f"= {value:g}.")


def test_field_animation_marks_pytorchs_receptive_fields():
    """Does each frame of the receptive-field animation mark as many inputs as
    PyTorch's gradients say the first neuron of that layer sees?"""
    layers = [(3, 1, 1), (3, 2, 1), (2, 2, 1), (3, 1, 1)]
    names = ["input", "conv", "conv", "pool", "conv"]
    html = field_animation(layers, names, n_in=23).data
    fields, refused = torch_fields(layers, length=23)
    assert refused is None
    marks = [int(m) for m in re.findall(r"<text[^>]*>r = (\d+)</text>", html)]
    assert marks == [1] + [r for r, _ in fields]


# ---- the transposed convolution: one input's copy of the kernel per frame -------

TAG = re.compile(r"<(rect|text)([^>]*)>(?:([^<]*)</text>)?")
ATTR = re.compile(r'([\w-]+)="([^"]*)"')


def scattered(x, w, S, P, D):
    """Per input cell, in reading order, what PyTorch says its frame must show on
    the uncropped output grid (P cells wider on each side than F.conv_transpose2d's
    output): {"inside": cells that F.conv_transpose2d(padding=P) writes from that
    input, moved by P; "cropped": the other cells that padding=0 writes; "sums":
    {cell: the output so far, as text} over every cell written so far}."""
    x = torch.tensor(x, dtype=torch.float64)
    w = torch.tensor(w, dtype=torch.float64)
    ones = torch.ones_like(w)[None, None]

    def ct(v, k, pad):
        return F.conv_transpose2d(v[None, None], k, stride=S, padding=pad, dilation=D)

    frames, done, touched = [], torch.zeros_like(x), set()
    for i, j in itertools.product(range(x.shape[0]), range(x.shape[1])):
        one = torch.zeros_like(x)
        one[i, j] = 1
        inside = {(r + P, c + P) for r, c in torch.nonzero(ct(one, ones, P)[0, 0])}
        every = {tuple(p) for p in torch.nonzero(ct(one, ones, 0)[0, 0]).tolist()}
        inside = {(int(r), int(c)) for r, c in inside}
        touched |= every
        done[i, j] = x[i, j]
        full = ct(done, w[None, None], 0)[0, 0]
        assert torch.equal(
            full[P : full.shape[0] - P, P : full.shape[1] - P],
            ct(done, w[None, None], P)[0, 0],
        )
        sums = {(r, c): f"{full[r, c].item() + 0:g}" for r, c in touched}
        frames.append({"inside": inside, "cropped": every - inside, "sums": sums})
    return frames


def shown_cells(tags):
    """{"inside", "cropped", "sums"} from an output frame's (tag, attrs, text) list:
    solid cells, dashed cells, and the number written in each cell."""
    got = {"inside": set(), "cropped": set(), "sums": {}}
    for tag, attrs, text in tags:
        if tag == "rect":
            cell = (int(attrs["y"]) // CELL, int(attrs["x"]) // CELL)
            dashed = attrs.get("stroke-dasharray", "none") != "none"
            got["cropped" if dashed else "inside"].add(cell)
        else:
            cell = (int(float(attrs["y"]) // CELL), int(float(attrs["x"]) // CELL))
            got["sums"][cell] = text
    return got


def parsed(body):
    return [(t, dict(ATTR.findall(a)), text) for t, a, text in TAG.findall(body)]


# (x, w, stride, padding, dilation): the chapter's two, then odd but valid ones:
# gaps (kernel smaller than the stride), dilation, rectangles, a wide crop,
# NumPy integers and negative values.
TRANSPOSED = [
    ([[1, 2, -1], [2, 1, 1], [-1, 1, 2]], [[1, 2, 1], [2, 1, 2], [1, 2, 1]], 2, 0, 1),
    (
        [[1, 2, -1], [2, 1, 1], [-1, 1, 2]],
        [[1, 1, 1, 1], [1, 2, 2, 1], [1, 2, 2, 1], [1, 1, 1, 1]],
        2,
        1,
        1,
    ),
    ([[3, -2], [1, 4]], [[1, -1], [2, 1]], 3, 0, 1),
    ([[1, 2, 3]], [[1, 0, 2], [-1, 3, 1]], 2, 0, 2),
    (
        [[2, 1], [-1, 3], [5, 0]],
        [[1, 2, 3], [4, 5, 6], [7, 8, 9]],
        np.int64(2),
        np.int64(2),
        1,
    ),
    ([[0, 1], [1, 0]], [[7]], 2, 0, 1),
]


@pytest.mark.parametrize("setting", TRANSPOSED)
def test_transposed_frames_are_pytorchs_scatter(setting):
    """Does each frame of a transposed-convolution animation, one per input cell in
    reading order, light exactly the output cells that F.conv_transpose2d writes
    from that input (dashed where padding crops them), and write the sums that
    F.conv_transpose2d gives for the inputs scattered so far?"""
    x, w, S, P, D = setting
    html = transposed_animation(x, w, S, P, D).data
    svgs = html.split("<svg")[1:]
    assert len(svgs) == 3
    out = {int(n): parsed(body) for n, body in FRAME.findall(svgs[2])}
    cells_in = drawn_frames(svgs[0])
    expected = scattered(x, w, S, P, D)
    assert sorted(out) == list(range(len(expected)))
    width = len(x[0])
    for n, frame in enumerate(expected):
        assert shown_cells(out[n]) == frame, n
        assert cells_in[n][0] == {divmod(n, width)}
    ref = F.conv_transpose2d(
        torch.tensor(x, dtype=torch.float64)[None, None],
        torch.tensor(w, dtype=torch.float64)[None, None],
        stride=S,
        padding=P,
        dilation=D,
    )[0, 0]
    assert f"output {ref.shape[0]}×{ref.shape[1]}" in html


TRANSPOSED_FIGURES = """figs => figs.map(f => {
    const svgs = f.querySelectorAll('svg');
    // The numbers drawn outside the frames: the input's and the kernel's.
    const grid = (svg) => {
        const cells = [...svg.querySelectorAll(':scope > text')];
        const rows = {};
        for (const t of cells) {
            const r = Math.floor(Number(t.getAttribute('y')) / CELL);
            (rows[r] = rows[r] || []).push(Number(t.textContent));
        }
        return Object.keys(rows).sort((a, b) => a - b).map(r => rows[r]);
    };
    return {stride: Number(f.dataset.stride), padding: Number(f.dataset.padding),
            dilation: Number(f.dataset.dilation), x: grid(svgs[0]),
            w: grid(svgs[1])};
})"""

SHOWN_OUTPUT = """f => {
    const svg = f.querySelectorAll('svg')[2];
    const g = [...svg.querySelectorAll('g[data-frame]')]
        .filter(g => g.style.display !== 'none');
    return g.map(g => [...g.querySelectorAll('rect, text')].map(e => [
        e.tagName,
        Object.fromEntries([...e.attributes].map(a => [a.name, a.value])),
        e.tagName === 'text' ? e.textContent : null]));
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", WIDTHS)
def test_transposed_animation_in_the_browser(opened, width, scheme):
    """On the chapter's page, scrubbed to each frame in turn, does every
    transposed-convolution animation show exactly the cells and sums that PyTorch
    gives for the input and kernel the page draws, at both widths, light and dark,
    with no JavaScript error?"""
    page, errors = opened(
        "book/transposed-conv", width, color_scheme=scheme, reduced_motion="reduce"
    )
    figures = page.locator('figure.conv-anim[data-kind="transposed"]')
    settings = figures.evaluate_all(TRANSPOSED_FIGURES.replace("CELL", str(CELL)))
    assert len(settings) == 2
    assert [s["padding"] for s in settings] == [0, 1]
    for n, s in enumerate(settings):
        expected = scattered(s["x"], s["w"], s["stride"], s["padding"], s["dilation"])
        fig = figures.nth(n)
        assert fig.get_attribute("data-playing") == "false"
        for frame, want in enumerate(expected):
            fig.locator(".conv-anim-scrub").fill(str(frame))
            shown = fig.evaluate(SHOWN_OUTPUT)
            assert len(shown) == 1, frame
            tags = [(tag, attrs, text) for tag, attrs, text in shown[0]]
            assert shown_cells(tags) == want, (n, frame)
        assert fig.locator(".conv-anim-count").inner_text() == (
            f"{len(expected)} / {len(expected)}"
        )
    assert errors == []
