"""Every graded cell of output-size, conv2d, conv-vs-linear and receptive-field traces
to the task text, one feature each.

The docstring that opens a graded test cell names the features it exercises,
each with the sentence of the task that asks for it (helpers.cell_docstring).
These tests hold the list below to those docstrings, find each quoted sentence
in what students read (the released notebook's text, or the docstrings of its
solution cells), and run every check of every cell, hidden ones included,
through a recorder: the arguments of each call show which features it really
uses, and a cell may use only the features it names.
"""

import ast

import nbformat
import numpy as np
import pytest

from autograder.checking import reference
from autograder.checking.check import bind
from helpers import _MARKERS, EXERCISES, SOLUTIONS, cell_docstring, grade_id

NOTEBOOKS = {
    "02-output-size": "output-size.ipynb",
    "03-conv2d": "conv2d.ipynb",
    "01-conv-vs-linear": "conv-vs-linear.ipynb",
    "08-receptive-field": "receptive-field.ipynb",
}

# Per graded cell, the features it exercises on top of the basic case.
FEATURES = {
    "02-output-size": {
        "conv_output_size_stride": {"basic", "stride"},
        "conv_output_size_padding": {"padding", "valid", "same_padding"},
        "conv_output_size_dilation": {"dilation"},
        "conv_output_size_invalid": {"invalid_args"},
        "conv1d_basic": {"basic", "bias"},
        "conv1d_stride": {"stride"},
        "conv1d_padding": {"padding"},
        "conv1d_dilation": {"dilation"},
        "conv1d_groups": {"groups"},
        "conv1d_forms": {"same_padding", "no_batch", "float32", "invalid_args"},
    },
    "03-conv2d": {
        "conv2d_naive_basic": {"basic", "bias"},
        "conv2d_naive_stride": {"stride"},
        "conv2d_naive_padding": {"padding"},
        "conv2d_naive_dilation": {"dilation"},
        "conv2d_naive_groups": {"groups"},
        "conv2d_naive_forms": {
            "same_padding",
            "no_batch",
            "empty_batch",
            "float32",
            "invalid_args",
        },
        "conv2d_basic": {"basic", "bias", "realistic_size"},
        "conv2d_stride": {"stride", "realistic_size"},
        "conv2d_padding": {"padding", "realistic_size"},
        "conv2d_dilation": {"dilation", "realistic_size"},
        "conv2d_groups": {"groups", "realistic_size"},
        "conv2d_same": {"same_padding", "realistic_size"},
        "conv2d_forms": {
            "no_batch",
            "empty_batch",
            "float32",
            "invalid_args",
            "realistic_size",
        },
    },
    "01-conv-vs-linear": {
        "conv2d_as_matrix_single_channel": {"basic"},
        "conv2d_as_matrix_channels": {"channels"},
        "conv2d_as_matrix_stride": {"stride"},
        "conv2d_as_matrix_padding": {"padding"},
        "conv2d_as_matrix_forms": {"same_padding", "float32"},
        "conv2d_as_matrix_invalid": {"invalid_args"},
    },
    "08-receptive-field": {
        "receptive_field_stride1": {"basic"},
        "receptive_field_strides": {"stride"},
        "receptive_field_dilation": {"dilation"},
        "receptive_field_forms": {"layer_forms", "empty_stack"},
        "count_parameters_basic": {"basic", "no_bias"},
        "count_parameters_groups": {"groups", "invalid_args"},
        "count_macs_basic": {"basic"},
        "count_macs_groups": {"groups", "invalid_args"},
    },
}

# Features that no argument shows: the plain case, 'valid' (no padding at
# all), and the size of a layer.
UNSEEN = {"basic", "valid", "realistic_size"}


def _graded(nb):
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]


def _words(text):
    return " ".join(text.split())


def _student_text(assignment):
    """What students read: the released markdown and the solution cells' docstrings."""
    nb = nbformat.read(EXERCISES / assignment / NOTEBOOKS[assignment], as_version=4)
    texts = [c.source for c in nb.cells if c.cell_type == "markdown"]
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get(
            "solution"
        ):
            for node in ast.walk(ast.parse(cell.source)):
                if isinstance(node, (ast.FunctionDef, ast.Module)):
                    texts.append(ast.get_docstring(node) or "")
    return _words("\n".join(texts))


# --- what a call's arguments exercise -------------------------------------------


def _off(value, neutral):
    """Whether an int-or-tuple argument differs from its neutral value."""
    return any(v != neutral for v in np.atleast_1d(value))


def _padding(value):
    if isinstance(value, str):
        return {"same_padding"} if value == "same" else set()
    return {"padding"} if _off(value, 0) else set()


def _conv(a):
    x, w = np.asarray(a["x"]), np.asarray(a["weight"])
    used = _padding(a["padding"])
    used |= {name for name in ("stride", "dilation") if _off(a[name], 1)}
    used |= {"groups"} if a["groups"] != 1 else set()
    used |= {"bias"} if a["bias"] is not None else set()
    used |= {"no_batch"} if x.ndim < w.ndim else set()
    used |= {"empty_batch"} if x.ndim == w.ndim and x.shape[0] == 0 else set()
    return used | ({"float32"} if x.dtype == np.float32 else set())


def _output_size(a):
    used = _padding(a["padding"])
    return used | {name for name in ("stride", "dilation") if a[name] != 1}


def _as_matrix(a):
    w = np.asarray(a["weight"])
    used = _padding(a["padding"]) | ({"stride"} if _off(a["stride"], 1) else set())
    used |= {"channels"} if w.shape[0] > 1 or w.shape[1] > 1 else set()
    return used | ({"float32"} if w.dtype == np.float32 else set())


def _receptive_field(a):
    from autograder.checking.ops.receptive_field import layer_geometry

    used = set() if a["layers"] else {"empty_stack"}
    for layer in a["layers"]:
        _, s, d = layer_geometry(layer)
        used |= {"stride"} if s != 1 else set()
        used |= {"dilation"} if d != 1 else set()
        if isinstance(layer, dict) and set(layer) - {"kernel_size", "stride"} - {
            "dilation"
        }:
            used.add("layer_forms")
    return used


def _counts(a):
    used = {"groups"} if a["groups"] != 1 else set()
    return used | ({"no_bias"} if a.get("bias", True) is False else set())


EXERCISED = {
    "conv_output_size": _output_size,
    "conv1d": _conv,
    "conv2d_naive": _conv,
    "conv2d": _conv,
    "conv2d_as_matrix": _as_matrix,
    "receptive_field": _receptive_field,
    "count_parameters": _counts,
    "count_macs": _counts,
}


def recorded_calls(assignment):
    """{grade_id: [(op, bound arguments)]} for every check, hidden ones included."""
    nb = nbformat.read(SOLUTIONS / assignment / NOTEBOOKS[assignment], as_version=4)
    namespace, calls = {}, {}
    for cell in nb.cells:
        if cell.cell_type != "code" or grade_id(cell) == "timing":
            continue
        gid = grade_id(cell)
        if cell.metadata["nbgrader"].get("grade"):
            calls[gid] = []
            namespace["check"] = lambda fn, op, *args, _to=calls[gid], **kw: _to.append(
                (op, bind(op, args, kw))
            )
        exec(_MARKERS.sub("", cell.source), namespace)
    return calls


def exercised(op, args):
    """The features that one call uses: invalid_args alone if PyTorch refuses it."""
    try:
        reference.REFERENCES[op](**args)
    except reference.InvalidArguments:
        return {"invalid_args"}
    return EXERCISED[op](args)


@pytest.mark.parametrize("assignment", sorted(NOTEBOOKS))
def test_each_cell_lists_its_features(assignment):
    """Does each graded cell's docstring list, after its summary, its features?"""
    nb = nbformat.read(SOLUTIONS / assignment / NOTEBOOKS[assignment], as_version=4)
    found = {}
    for cell in _graded(nb):
        summary, features, other = cell_docstring(cell)
        assert summary.strip() and not summary.startswith("feature "), grade_id(cell)
        assert not other, (grade_id(cell), other)
        found[grade_id(cell)] = set(features)
    assert found == FEATURES[assignment]


@pytest.mark.parametrize("assignment", sorted(NOTEBOOKS))
def test_each_feature_quotes_the_task(assignment):
    """Is every quoted sentence in the released notebook's text or docstrings?"""
    text = _student_text(assignment)
    nb = nbformat.read(SOLUTIONS / assignment / NOTEBOOKS[assignment], as_version=4)
    missing = [
        (grade_id(cell), name, quote)
        for cell in _graded(nb)
        for name, quote in cell_docstring(cell)[1].items()
        if _words(quote) not in text
    ]
    assert not missing


@pytest.mark.parametrize("assignment", sorted(NOTEBOOKS))
def test_checks_use_only_the_listed_features(assignment):
    """Does every check (hidden ones too) use only the features its cell lists?"""
    for gid, calls in recorded_calls(assignment).items():
        declared = FEATURES[assignment][gid]
        used = set().union(*(exercised(op, args) for op, args in calls))
        assert used <= declared, (gid, used - declared)
        assert declared - UNSEEN <= used, (gid, declared - UNSEEN - used)


def test_no_empty_batch_or_list_where_the_text_does_not_say_so():
    """Are empty batches graded only in 02, whose text allows them, and no lists?"""
    for assignment in NOTEBOOKS:
        for gid, calls in recorded_calls(assignment).items():
            for op, args in calls:
                assert not any(
                    isinstance(v, list) for k, v in args.items() if k != "layers"
                )
                if "empty_batch" in exercised(op, args):
                    assert assignment == "03-conv2d", gid
