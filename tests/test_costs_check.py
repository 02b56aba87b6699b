"""Bytes, FLOPs per byte, roofline and training memory: references and diagnoses."""

import nbformat
import numpy as np
import pytest
import test_jupyterlite as lite
import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from autograder import check
from autograder.checking.ops.costs import DTYPES
from autograder.checking.reference import REFERENCES
from autograder.manifest import ASSIGNMENTS
from helpers import EXERCISES, SOLUTIONS, load_solutions, solution_sources

# The assignment whose ops module is costs.py, whatever its folder is called.
COSTS = next(a for a in ASSIGNMENTS if a.ops == "costs")
A, NB = COSTS.name, COSTS.notebook
# (x_shape, out_channels, kernel_size, stride, padding, groups, bias)
LAYERS = [
    ((1, 3, 224, 224), 64, 7, 2, 3, 1, True),
    ((8, 64, 56, 56), 64, 3, 1, 1, 1, False),
    ((2, 16, 9, 12), 32, (1, 5), (2, 1), 0, 1, True),
    ((2, 128, 14, 14), 128, 3, 1, 1, 128, True),
    ((3, 64, 28, 28), 128, 3, 2, (1, 0), 4, False),
    ((0, 3, 8, 8), 4, 3, 1, 0, 1, True),
    ((5, 6, 7, 7), 9, (3, 2), 1, 1, 3, True),
]


@pytest.fixture(scope="module")
def sol():
    return load_solutions(A, NB)


def failure(student, op, *args, **kwargs):
    with pytest.raises(AssertionError) as info:
        check(student, op, *args, **kwargs)
    return str(info.value)


def real_forward(x_shape, c_out, k, stride, padding, groups, bias, dtype):
    """Tensors of a real forward pass on the CPU, and its FLOPs."""
    dt = DTYPES[dtype]
    layer = torch.nn.Conv2d(
        x_shape[1], c_out, k, stride, padding, groups=groups, bias=bias, dtype=dt
    )
    x = torch.zeros(x_shape, dtype=dt)
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        out = F.conv2d(x, layer.weight, layer.bias, stride, padding, groups=groups)
    tensors = [x, layer.weight, out] + ([layer.bias] if bias else [])
    return sum(t.nbytes for t in tensors), counter.get_total_flops()


@pytest.mark.parametrize("dtype", ["float32", "float64", "bfloat16"])
@pytest.mark.parametrize("layer", LAYERS)
def test_meta_reference_equals_a_real_forward_pass(layer, dtype):
    """Do the meta-device references count what a real CPU forward pass holds?"""
    nbytes, flops = real_forward(*layer, dtype)
    assert REFERENCES["conv2d_bytes"](*layer, dtype=dtype) == nbytes
    assert REFERENCES["arithmetic_intensity"](*layer, dtype=dtype) == flops / nbytes


@pytest.mark.parametrize("name", ["sgd", "momentum", "adam"])
def test_training_memory_is_a_real_optimiser_step(name):
    """Does training_memory count what torch.optim keeps after a real step?"""
    model = torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3), torch.nn.BatchNorm2d(8), torch.nn.Linear(6, 2)
    )
    make = {
        "sgd": lambda p: torch.optim.SGD(p, lr=0.01),
        "momentum": lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9),
        "adam": lambda p: torch.optim.Adam(p),
    }[name]
    opt = make(model.parameters())
    model(torch.randn(2, 3, 8, 8)).sum().backward()
    opt.step()
    held = [p for p in model.parameters()] + [p.grad for p in model.parameters()]
    held += [v for s in opt.state.values() for v in s.values() if torch.is_tensor(v)]
    shapes = [tuple(p.shape) for p in model.parameters()]
    assert REFERENCES["training_memory"](shapes, name) == sum(t.nbytes for t in held)


def test_adam_keeps_a_float32_step_per_tensor():
    """Is the task's statement about Adam's step counter what PyTorch does?"""
    memory = REFERENCES["training_memory"]
    for dtype, dt in DTYPES.items():
        size = dt.itemsize
        # one value: weight, gradient, two moments, and 4 bytes of step
        assert memory([()], "adam", dtype) == 4 * size + 4
        assert memory([(), (2, 3)], "adam", dtype) == 4 * size * 7 + 2 * 4
    assert memory([(0, 3)], "adam") == 4
    assert memory([(0, 3), ()], "adam", "float16") == 4 + 4 + 4 * 2


@pytest.mark.parametrize("layer", LAYERS)
def test_solution_passes(sol, layer):
    """Do the reference solutions match PyTorch on layers of every kind?"""
    for dtype in DTYPES:
        check(sol["conv2d_bytes"], "conv2d_bytes", *layer, dtype)
        check(sol["arithmetic_intensity"], "arithmetic_intensity", *layer, dtype)


def test_solution_passes_roofline_and_memory(sol):
    """Do roofline and training_memory's solutions match the references?"""
    for args in [(7, 3, 2, 1), (200, 100, 20, 10), (0, 0, 1.0, 1.0), (1e15, 1, 1, 1)]:
        check(sol["roofline"], "roofline", *args)
    for name in ("sgd", "momentum", "adam"):
        for dtype in DTYPES:
            check(sol["training_memory"], "training_memory", [(3, 4), ()], name, dtype)


def test_odd_but_valid_inputs(sol):
    """NumPy integers, lists for tuples, NumPy numbers in the roofline, no params."""
    i = np.int64
    check(sol["conv2d_bytes"], "conv2d_bytes", [i(2), i(3), i(9), i(9)], i(4), [3, 2])
    check(sol["arithmetic_intensity"], "arithmetic_intensity", (2, 4, 5, 5), 4, i(3))
    check(sol["roofline"], "roofline", np.float32(3e9), i(10**6), 1e12, np.int32(10))
    check(sol["training_memory"], "training_memory", [[i(3), i(4)], []], "adam")
    check(sol["training_memory"], "training_memory", [], "momentum", "bfloat16")


def test_results_of_any_real_type_pass():
    """Is a float result accepted as a NumPy float, an int, or a 0-d array?"""
    ref = REFERENCES["roofline"]
    for wrap in (float, np.float64, np.float32, lambda v: np.array(v)):
        check(
            lambda *a, w=wrap: (w(ref(*a)[0]), ref(*a)[1]), "roofline", 200, 100, 20, 10
        )
    check(lambda *a: (10, "compute"), "roofline", 200, 100, 20, 10)


@pytest.mark.parametrize(
    "got, words",
    [
        (("10.0", "compute"), "expected a number"),
        ((True, "compute"), "expected a number"),
        ((10.0, b"compute"), "expected the str 'compute'"),
        ((10.0, "Compute"), "expected 'compute', got 'Compute'"),
        ((10.000001, "compute"), "expected 10.0, got 10.000001"),
    ],
)
def test_wrong_types_are_named(got, words):
    """Does a wrong float or str say what was expected and what came?"""
    msg = failure(lambda *a: got, "roofline", 200, 100, 20, 10)
    assert words in msg


@pytest.mark.parametrize(
    "dtype", ["half", "float", "int8", "Float32", np.float32, "torch.float32"]
)
def test_unknown_dtypes_are_refused(sol, dtype):
    """Does the reference refuse every dtype the task does not name (ValueError)?"""
    with pytest.raises(ValueError):
        REFERENCES["conv2d_bytes"]((1, 3, 8, 8), 4, 3, dtype=dtype)
    with pytest.raises(ValueError):
        REFERENCES["training_memory"]([(3,)], "sgd", dtype)


def test_a_student_who_accepts_an_unknown_dtype_fails(sol):
    """Is a student who maps 'half' to 2 bytes told that PyTorch refuses it?"""

    def lenient(*args, dtype="float32", **kw):
        return sol["conv2d_bytes"](*args, **kw, dtype="float16")

    msg = failure(lenient, "conv2d_bytes", (1, 3, 8, 8), 4, 3, dtype="half")
    assert "ValueError" in msg or "refuse" in msg


def conv_bytes(x_shape, c_out, k, stride=1, padding=0, groups=1, bias=True,
               dtype="float32", bits=False, no_bias=False, dense=False,
               no_output=False, one_image=False):  # fmt: skip
    """A student's conv2d_bytes with the chosen mistakes."""
    n, c, h, w = x_shape
    kh, kw = np.broadcast_to(k, 2)
    sh, sw = np.broadcast_to(stride, 2)
    ph, pw = np.broadcast_to(padding, 2)
    ho, wo = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
    n = 1 if one_image else n
    values = n * c * h * w + c_out * (c if dense else c // groups) * kh * kw
    values += c_out if bias and not no_bias else 0
    values += 0 if no_output else n * c_out * ho * wo
    return int(values) * {"float64": 8, "float32": 4}.get(dtype, 2) * (8 if bits else 1)


@pytest.mark.parametrize(
    "mistake, message",
    [
        ({"bits": True}, "this counts bits, not bytes"),
        ({"no_bias": True}, "the bias is forgotten"),
        ({"dense": True}, "groups is ignored"),
        ({"no_output": True}, "the output is forgotten"),
        ({"one_image": True}, "the batch is forgotten"),
    ],
)
def test_conv2d_bytes_mistakes(mistake, message):
    """Is each wrong byte count named?"""
    args = ((4, 8, 10, 10), 16, 3, 1, 1, 2, True)
    msg = failure(lambda *a, **k: conv_bytes(*a, **k, **mistake), "conv2d_bytes", *args)
    assert f"likely mistake: {message}" in msg


@pytest.mark.parametrize(
    "mistake, message",
    [
        ({"macs": True}, "this counts MACs, not FLOPs"),
        ({"bits": True}, "this divides by bits, not bytes"),
        ({"no_bias": True}, "the bias is forgotten in the bytes"),
        ({"dense": True}, "groups is ignored"),
    ],
)
def test_arithmetic_intensity_mistakes(mistake, message):
    """Is each wrong intensity named?"""

    def student(x_shape, c_out, k, stride=1, padding=0, groups=1, bias=True,
                dtype="float32"):  # fmt: skip
        n, c, h, w = x_shape
        ho, wo = (
            (h + 2 * padding - k) // stride + 1,
            (w + 2 * padding - k) // stride + 1,
        )
        dense = mistake.get("dense", False)
        macs = n * c_out * ho * wo * (c if dense else c // groups) * k * k
        flops = macs if mistake.get("macs") else 2 * macs
        nbytes = conv_bytes(
            x_shape, c_out, k, stride, padding, groups, bias, dtype,
            bits=mistake.get("bits", False), no_bias=mistake.get("no_bias", False),
            dense=dense,
        )  # fmt: skip
        return flops / nbytes

    msg = failure(student, "arithmetic_intensity", (4, 8, 10, 10), 16, 3, 1, 1, 2)
    assert f"likely mistake: {message}" in msg


@pytest.mark.parametrize(
    "student, message",
    [
        (lambda f, b, p, w: (min(f / p, b / w), "memory"), "min and max are swapped"),
        (lambda f, b, p, w: (f / p + b / w, "memory"), "the two times are added"),
        (lambda f, b, p, w: (max(f / p, b / w), "compute"), "the bound is named"),
    ],
)
def test_roofline_mistakes(student, message):
    """Is each wrong roofline named (a memory-bound layer)?"""
    msg = failure(student, "roofline", 10**6, 10**6, 10**12, 10**9)
    assert f"likely mistake: {message}" in msg


def memory(shapes, optimizer, dtype="float32", copies=None, grads=True, step=4,
           per_value=False, bits=False):  # fmt: skip
    """A student's training_memory with the chosen mistakes."""
    copies = {"sgd": 0, "momentum": 1, "adam": 2, **(copies or {})}
    values = sum(int(np.prod(s)) for s in shapes)
    nbytes = values * {"float64": 8, "float32": 4}.get(dtype, 2)
    total = (2 if grads else 1) * nbytes + copies[optimizer] * nbytes
    if optimizer == "adam":
        total += step * (values if per_value else len(shapes))
    return total * (8 if bits else 1)


SHAPES = [(16, 3, 3, 3), (16,), (10, 16)]


@pytest.mark.parametrize(
    "optimizer, mistake, message",
    [
        ("momentum", {"bits": True}, "this counts bits, not bytes"),
        ("adam", {"grads": False}, "the gradients are forgotten"),
        ("momentum", {"copies": {"momentum": 0}}, "the momentum buffer is forgotten"),
        ("sgd", {"copies": {"sgd": 1}}, "plain SGD (no momentum) keeps no state"),
        ("adam", {"copies": {"adam": 1}}, "Adam's two moments are counted once"),
        ("adam", {"step": 0}, "Adam's step counter is forgotten"),
        ("adam", {"per_value": True}, "Adam's step counter is one float32"),
    ],
)
def test_training_memory_mistakes(optimizer, mistake, message):
    """Is each wrong training memory named?"""
    msg = failure(
        lambda s, o, d="float32": memory(s, o, d, **mistake),
        "training_memory",
        SHAPES,
        optimizer,
    )
    assert f"likely mistake: {message}" in msg


def test_each_mistake_is_named_only_where_it_applies():
    """Is a right answer never diagnosed, and a wrong one without a known mistake
    given no diagnosis?"""
    msg = failure(lambda *a: 12345, "training_memory", SHAPES, "adam")
    assert "likely mistake" not in msg
    check(lambda s, o, d="float32": memory(s, o, d), "training_memory", SHAPES, "adam")


def test_browser_gives_the_same_verdicts_without_torch():
    """Do a float-and-str mistake and an Adam mistake get the same messages, word
    for word, from the stored answers (the browser) as from PyTorch?"""
    source = solution_sources(nbformat.read(SOLUTIONS / A / NB, as_version=4))
    replace = {
        "roofline": source["roofline"].replace(
            "return max(compute, memory)", "return min(compute, memory)"
        ),
        "training_memory": source["training_memory"].replace('"adam": 2', '"adam": 1'),
    }
    jobs = [lite.job(EXERCISES / A / NB, replace)]
    with_torch = lite.run_notebooks(jobs, torch=True)["results"][0]
    without = lite.run_notebooks(jobs, torch=False)["results"][0]
    assert with_torch == without
    failed = {gid for gid, msg in without.items() if msg}
    assert failed == {
        "roofline_basic",
        "roofline_edges",
        "training_memory_adam",
    }
    text = "\n".join(msg for msg in without.values() if msg)
    assert "likely mistake: min and max are swapped" in text
    assert "likely mistake: Adam's two moments are counted once" in text
