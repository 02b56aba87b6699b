"""PyTorch's own OpInfo samples for pooling and pad, run on the solutions.

`torch.testing._internal.common_methods_invocations.op_db` holds, for every
operator, the sample inputs that PyTorch's test suite runs. For
`nn.functional.{max_pool1d, max_pool2d, avg_pool1d, avg_pool2d, pad}` every
CPU sample in float64 and in float32 is run three ways: the operator itself,
the grader's reference (autograder/checking/ops), and the solution notebooks'
functions through `check`. All must agree.

Samples outside the assignments' stated scope are skipped, and counted in
`test_sample_counts`: of pad's variants, 'replicate_negative' and the
reflect/replicate samples with negative pads (the task asks for negative pads
in modes 'constant' and 'circular' only: 1 reflect, 1 replicate and the 6
replicate_negative samples per dtype), and avg_pool2d's one sample whose
stride is the empty tuple (PyTorch's internal spelling of the default, which
the task writes None). That is 9 of 2,409 samples per dtype; the other 2,400
(1,440 max_pool2d, 864 max_pool1d, 6 avg_pool2d, 9 avg_pool1d and 81 pad
samples) all run, return_indices, divisor_override (a negative one too),
1-tuples and circular crops included.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
import torch

from autograder import check
from autograder.checking import reference
from autograder.checking.compare import mismatch
from helpers import load_solutions

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("expecttest") is None,
    reason="torch.testing's OpInfo database needs the expecttest package",
)

OPS = {
    "nn.functional.max_pool1d": ("05-pooling", "pooling.ipynb", "max_pool1d"),
    "nn.functional.max_pool2d": ("05-pooling", "pooling.ipynb", "max_pool2d"),
    "nn.functional.avg_pool1d": ("05-pooling", "pooling.ipynb", "avg_pool1d"),
    "nn.functional.avg_pool2d": ("05-pooling", "pooling.ipynb", "avg_pool2d"),
    "nn.functional.pad": ("04-padding", "padding.ipynb", "pad"),
}
DTYPES = (torch.float64, torch.float32)
# The pad modes whose negative pads (crops) the task asks for.
NEGATIVE_PADS = {"constant", "circular"}


def _numpy(value):
    if isinstance(value, torch.Tensor):
        return value.numpy()
    if isinstance(value, tuple):
        return tuple(_numpy(v) for v in value)
    return value


def _in_scope(op, variant, args, kwargs):
    """False for the samples that the assignments do not ask for."""
    if op != "nn.functional.pad":
        stride = args[1] if len(args) > 1 else kwargs.get("stride")
        return stride != ()
    if variant == "replicate_negative":
        return False
    mode = args[1] if len(args) > 1 else kwargs.get("mode", "constant")
    return mode in NEGATIVE_PADS or min(args[0]) >= 0


def _samples():
    """(id, op, variant, sample) for every CPU sample of the five operators."""
    from torch.testing._internal.common_methods_invocations import op_db

    found = []
    for info in op_db:
        if info.name not in OPS:
            continue
        for dtype in DTYPES:
            samples = info.sample_inputs("cpu", dtype, requires_grad=False)
            for i, sample in enumerate(samples):
                name = f"{info.name}-{info.variant_test_name}-{dtype}-{i}"
                found.append((name, info, sample))
    return found


SAMPLES = _samples() if importlib.util.find_spec("expecttest") else []


def _call_args(sample):
    return _numpy(sample.input), _numpy(tuple(sample.args)), _numpy(sample.kwargs)


def _scoped():
    kept, skipped = [], []
    for name, info, sample in SAMPLES:
        _, args, kwargs = _call_args(sample)
        scope = _in_scope(info.name, info.variant_test_name, args, kwargs)
        (kept if scope else skipped).append((name, info, sample))
    return kept, skipped


IN_SCOPE, SKIPPED = _scoped()


@pytest.fixture(scope="module")
def solutions():
    return {
        "04-padding": load_solutions("04-padding", "padding.ipynb"),
        "05-pooling": load_solutions("05-pooling", "pooling.ipynb"),
    }


def test_sample_counts():
    """Are the skipped samples exactly the out-of-scope ones counted above?"""
    per_dtype = len(DTYPES)
    assert len(SKIPPED) == (1 + 1 + 6 + 1) * per_dtype
    assert len(IN_SCOPE) == 2400 * per_dtype


def _failures(op, compute):
    """The samples of `op` in scope for which compute(info, sample) raises."""
    failed = []
    for name, info, sample in IN_SCOPE:
        if info.name == op:
            try:
                compute(info, sample)
            except Exception as err:  # noqa: BLE001 - reported below, all of them
                failed.append(f"{name}: {type(err).__name__}: {err}"[:400])
    return failed


@pytest.mark.parametrize("op", sorted(OPS))
def test_reference_equals_the_operator(op):
    """Does the grader's reference compute what PyTorch's operator computes?"""

    def compute(info, sample):
        x, args, kwargs = _call_args(sample)
        expected = info.op(sample.input.double(), *sample.args, **sample.kwargs)
        got = reference.REFERENCES[OPS[op][2]](x, *args, **kwargs)
        lines = mismatch(got, _numpy(expected), np.float64)
        assert lines is None, lines

    assert not _failures(op, compute)


@pytest.mark.parametrize("op", sorted(OPS))
def test_solution_passes_every_sample(op, solutions):
    """Does the solution notebook's function pass `check` on every sample?"""
    assignment, _, fn_name = OPS[op]

    def compute(info, sample):
        x, args, kwargs = _call_args(sample)
        check(solutions[assignment][fn_name], fn_name, x, *args, **kwargs)

    assert not _failures(op, compute)
