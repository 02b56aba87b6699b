"""PyTorch's OpInfo samples for conv1d, conv2d and conv_transpose2d, run against
the solutions.

PyTorch tests `torch.nn.functional.conv1d` and `conv2d` on the inputs that its
OpInfo database generates (`sample_inputs`): batched and unbatched inputs,
stride, padding ('valid', 'same', ints and tuples), dilation, groups, with and
without bias. Every one of those samples goes here through `autograder.check`,
the comparison that grading uses (PyTorch in float64, the grader's tolerance
for the input's dtype), against the reference solutions of 02-output-size
(`conv1d`), 03-conv2d (`conv2d_naive` and `conv2d`) and 07-transposed-conv
(`conv_transpose2d`: batched and unbatched, int and pair strides, paddings,
output paddings and dilations, groups, with and without bias).

The samples are generated on the CPU for every dtype that the OpInfo lists
there (bfloat16, complex128, complex64, float16, float32, float64, int64), and
those whose dtype is not float32 or float64 are skipped: the assignments ask
for real float32 and float64 inputs only (half precision, complex numbers and
integers are not part of their contract). That skips 50 of conv1d's 70
samples (5 dtypes of 10) and 150 of conv2d's 210 (5 dtypes of 30), and runs
the other 20 and 60, each conv2d sample through both functions; conv_transpose2d
has 84 (7 dtypes of 12), 60 skipped and 24 run.
"""

import numpy as np
import pytest
import torch

# torch.testing._internal imports expecttest, pinned in requirements.txt.
from torch.testing._internal.common_methods_invocations import op_db

from autograder import check
from helpers import load_solutions

RUN = {torch.float32, torch.float64}
FUNCTIONS = {
    "nn.functional.conv1d": [("02-output-size", "output-size.ipynb", "conv1d")],
    "nn.functional.conv2d": [
        ("03-conv2d", "conv2d.ipynb", "conv2d_naive"),
        ("03-conv2d", "conv2d.ipynb", "conv2d"),
    ],
    "nn.functional.conv_transpose2d": [
        ("07-transposed-conv", "transposed-conv.ipynb", "conv_transpose2d"),
    ],
}
# (samples run, samples skipped) per OpInfo, as the module docstring says.
COUNTS = {
    "nn.functional.conv1d": (20, 50),
    "nn.functional.conv2d": (60, 150),
    "nn.functional.conv_transpose2d": (24, 60),
}


def _opinfo(name):
    (op,) = [op for op in op_db if op.name == name and not op.variant_test_name]
    return op


def _numpy(value):
    return value.numpy() if isinstance(value, torch.Tensor) else value


def samples(name):
    """(run, skipped): the OpInfo's CPU samples, split by dtype."""
    op = _opinfo(name)
    run, skipped = [], []
    for dtype in sorted(op.supported_dtypes("cpu"), key=str):
        for sample in op.sample_inputs("cpu", dtype):
            (run if dtype in RUN else skipped).append(sample)
    return run, skipped


@pytest.fixture(scope="module", params=sorted(FUNCTIONS))
def opinfo_samples(request):
    return request.param, samples(request.param)


def test_skipped_samples_are_the_documented_ones(opinfo_samples):
    """Are only the non-float32/float64 samples skipped, as many as documented?"""
    name, (run, skipped) = opinfo_samples
    assert (len(run), len(skipped)) == COUNTS[name]
    assert {s.input.dtype for s in run} == RUN
    assert not {s.input.dtype for s in skipped} & RUN


def test_every_sample_matches_pytorch(opinfo_samples):
    """Does every float32/float64 OpInfo sample pass `check` for each solution?"""
    name, (run, _) = opinfo_samples
    failures = []
    for assignment, notebook, function in FUNCTIONS[name]:
        fn = load_solutions(assignment, notebook)[function]
        for sample in run:
            x = _numpy(sample.input)
            args = [_numpy(a) for a in sample.args]
            kwargs = {k: _numpy(v) for k, v in sample.kwargs.items()}
            assert x.dtype in (np.float32, np.float64)
            try:
                check(fn, function, x, *args, **kwargs)
            except AssertionError as err:
                failures.append(f"{function}: {err}")
    assert not failures, "\n".join(failures)
