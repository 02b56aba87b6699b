"""One verdict: does the notebook's check say what the grader records, for any value?

The notebook's `check` runs the student's function in its own process; the
grader runs it in the sandbox and receives its output through `wire`. Values
of every kind a student can return are built by one piece of "student" code,
run both ways, and judged: the two must agree, word for word.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autograder import check
from autograder.checking import guard, wire
from autograder.engine.notebook import Step
from autograder.engine.runner import Session
from autograder.engine.sandbox.process import Environment, Limits, detect_isolation
from helpers import ROOT

# The student's code: make(kind, data) turns plain data into an odd value of
# one kind (a view, a subclass, a NumPy scalar, ...). Run here for the
# notebook, and in the sandbox for the grader.
STUDENT = '''
import numpy as np


class Tagged(np.ndarray):
    """An ndarray subclass, as a student might return by accident."""


class Thing:
    def __repr__(self):
        return "Thing()"


def make(kind, data):
    a = np.asarray(data) if kind not in ("as_is", "object", "thing") else data
    if kind == "as_is":
        return data
    if kind == "scalar":
        return a[()] if a.ndim == 0 else a.reshape(-1)[0] if a.size else a
    if kind == "zero_d":
        return np.asarray(a.reshape(-1)[0]) if a.size else a
    if kind == "transposed":
        return a.T
    if kind == "fortran":
        return np.asfortranarray(a)
    if kind == "strided":
        return np.repeat(a, 2, axis=-1)[..., ::2] if a.ndim else a
    if kind == "broadcast":
        return np.broadcast_to(a, (2,) + a.shape)
    if kind == "readonly":
        b = a.copy()
        b.flags.writeable = False
        return b
    if kind == "subclass":
        return a.view(Tagged)
    if kind == "matrix":
        return np.asmatrix(a) if a.ndim == 2 else a
    if kind == "big_endian":
        return a.astype(a.dtype.newbyteorder(">"))
    if kind == "object":
        return np.asarray(data, dtype=object)
    if kind == "tolist":
        return a.tolist()
    if kind == "nested":
        return (a, [a.tolist(), (None, a.shape)])
    if kind == "thing":
        return Thing()
    raise ValueError(kind)
'''
KINDS = [
    "as_is",
    "scalar",
    "zero_d",
    "transposed",
    "fortran",
    "strided",
    "broadcast",
    "readonly",
    "subclass",
    "matrix",
    "big_endian",
    "object",
    "tolist",
    "nested",
    "thing",
]
LOCAL = {"__name__": "__main__"}  # as in a notebook
exec(compile(STUDENT, "<student>", "exec"), LOCAL)

RNG = np.random.default_rng(3)
X = RNG.normal(size=(2, 3, 11))
WEIGHT = RNG.normal(size=(4, 3, 3))
# (op, arguments): one op whose answer is an int, one whose answer is an array.
CALLS = {
    "conv_output_size": (7, 3),
    "conv1d": (X, WEIGHT),
}


# --- what can travel ---------------------------------------------------------

# The machine may be loaded: generating values slowly is not a failure.
SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large]

NUMERIC = (
    hnp.boolean_dtypes()
    | hnp.integer_dtypes(endianness="=")
    | hnp.unsigned_integer_dtypes(endianness="=")
    | hnp.floating_dtypes(endianness="=", sizes=(16, 32, 64))
    | hnp.complex_number_dtypes(endianness="=")
)
ARRAYS = hnp.arrays(NUMERIC, hnp.array_shapes(min_dims=0, max_dims=4, min_side=0))
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**9000), max_value=2**9000)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.complex_numbers(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | ARRAYS
    | ARRAYS.map(lambda a: a[()] if a.ndim == 0 else a)
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=4).map(tuple)
        | st.dictionaries(st.text(max_size=5) | st.integers(), inner, max_size=3)
    ),
    max_leaves=12,
)


def same(a, b):
    """Equal as the grader sees values: type, dtype, shape and bits (NaN == NaN)."""
    if isinstance(a, np.ndarray):
        return (
            type(b) is np.ndarray
            and a.dtype == b.dtype
            and a.shape == b.shape
            and a.tobytes() == np.ascontiguousarray(b).tobytes()
        )
    if isinstance(a, np.generic):
        return type(a) is type(b) and a.tobytes() == b.tobytes()
    if isinstance(a, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, dict):
        return (
            type(b) is dict and list(a) == list(b) and all(same(a[k], b[k]) for k in a)
        )
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    if isinstance(a, complex):
        return type(b) is complex and same(a.real, b.real) and same(a.imag, b.imag)
    return type(a) is type(b) and a == b


@settings(max_examples=300, deadline=None, suppress_health_check=SLOW)
@given(VALUES)
def test_plain_values_travel_unchanged(value):
    """Does every plain value (scalars of every dtype, 0-d, empty, nested) survive?"""
    assert same(value, wire.carry(value))


@settings(max_examples=200, deadline=None, suppress_health_check=SLOW)
@given(ARRAYS, st.sampled_from(KINDS))
def test_the_trip_is_a_fixed_point(data, kind):
    """Is a value that made the trip unchanged by a second one (views, objects)?"""
    once = wire.carry(LOCAL["make"](kind, data))
    twice = wire.carry(once)
    if isinstance(once, wire.RemoteObject):
        assert (twice.type_name, twice.description, twice.array_dtype) == (
            once.type_name,
            once.description,
            once.array_dtype,
        )
    else:
        assert same(once, twice)


@pytest.mark.parametrize(
    "value",
    [np.int64(5), np.array(5), np.float16(2.5), np.complex64(1j), np.bool_(True)],
    ids=repr,
)
def test_numpy_scalars_and_zero_d_arrays_keep_their_shape(value):
    """Does a NumPy scalar stay a scalar and a 0-d array stay 0-d? (The old bug.)"""
    back = wire.carry(value)
    assert type(back) is type(value) and np.shape(back) == ()
    assert back.dtype == value.dtype and back == value


def test_views_and_subclasses_arrive_as_their_values():
    """Do transposed, broadcast, read-only and subclass arrays arrive plain?"""
    a = np.arange(12.0).reshape(3, 4)
    for kind in ["transposed", "broadcast", "readonly", "subclass", "matrix"]:
        value = LOCAL["make"](kind, a)
        back = wire.carry(value)
        assert type(back) is np.ndarray and np.array_equal(back, np.asarray(value))


def test_what_cannot_travel_says_why():
    """Are deep, huge and non-numeric outputs refused with a reason?"""
    deep = []
    for _ in range(60):
        deep = [deep]
    assert "nested more than" in wire.carry(deep).why
    assert "more than" in wire.carry(list(range(wire.MAX_NODES + 1))).why
    assert "too large" in wire.carry(np.zeros(1000), max_bytes=4000).why
    objects = wire.carry(np.array([1, "a"], dtype=object))
    assert objects.type_name == "numpy.ndarray" and objects.array_dtype == "object"


def plain(value):
    """True for a value made of numbers, numeric arrays, strings and containers."""
    if isinstance(value, (np.ndarray, np.generic)):
        return wire.carried_dtype(value.dtype)
    if isinstance(value, (tuple, list)):
        return all(map(plain, value))
    if isinstance(value, dict):
        return all(map(plain, value.values()))
    return value is None or isinstance(value, (bool, int, float, complex, str))


@settings(max_examples=200, deadline=None, suppress_health_check=SLOW)
@given(
    data=ARRAYS | VALUES,
    kind=st.sampled_from([k for k in KINDS if k not in ("object", "thing")]),
    op=st.sampled_from(list(CALLS)),
)
def test_the_trip_never_changes_a_verdict(data, kind, op):
    """Is the verdict on any numeric value the same before and after the trip?"""
    from autograder.checking import reference
    from autograder.checking.check import bind, verdict

    try:
        value = LOCAL["make"](kind, data)
    except Exception:  # noqa: BLE001 - not every kind applies to every value
        return
    if not plain(value):
        return  # the verdict does not accept it (see the tests below)
    bound = bind(op, CALLS[op], {})
    expected = reference.REFERENCES[op](**bound)
    assert verdict(op, bound, value, expected) == verdict(
        op, bound, wire.carry(value), expected
    )


# --- the grader's side: the real sandbox ---------------------------------------


@pytest.fixture(scope="module")
def graded():
    """make(kind, data), run in a real sandboxed process, as the grader calls it."""
    limits = Limits(part_cpu=60, part_wall=120, notebook_cpu=600, memory_mb=1024)
    env = Environment(detect_isolation(ROOT), limits, ROOT)
    code = STUDENT + FORBIDDEN_SOURCE
    cells = [Step("student", "code", code, {}, grade_id="student", label="<s>")]
    names = ["make"] + [f for f in FORBIDDEN_LOCAL if f.startswith("forbidden_")]
    session = Session(env, [], cells, limits, names, {n: "student" for n in names})
    session.start()

    def call(name, *args):
        session.begin_part()
        return session.bindings[name](*args)

    yield call
    session.close()
    env.close()


def outcome(student, op):
    """(passed, exception type, full message) of check(student, op, ...)."""
    try:
        check(student, op, *CALLS[op])
    except Exception as err:  # noqa: BLE001 - any failure is an outcome
        notes = "".join(getattr(err, "__notes__", []))
        return False, type(err).__name__, f"{err}\n{notes}".strip()
    return True, None, ""


def both(graded, op, kind, data):
    here = outcome(lambda *a, **k: LOCAL["make"](kind, data), op)
    there = outcome(lambda *a, **k: graded("make", kind, data), op)
    return here, there


def right_answer(op):
    from autograder.checking import reference

    return reference.REFERENCES[op](*CALLS[op])


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("op", list(CALLS))
def test_right_answers_in_every_form(graded, op, kind):
    """Is PyTorch's answer in each form judged alike here and while grading?"""
    here, there = both(graded, op, kind, right_answer(op))
    assert here == there


@pytest.mark.parametrize(
    "value",
    [np.int64(5), np.int8(5), np.uint16(5), np.array(5), 5],
    ids=lambda v: f"{type(v).__name__}",
)
def test_whole_numbers_of_any_type_pass_in_both(graded, value):
    """Do an int, NumPy integers and a 0-d integer array all get the point?"""
    here, there = both(graded, "conv_output_size", "as_is", value)
    assert here == there == (True, None, "")


@pytest.mark.parametrize(
    "value, words",
    [
        (True, "expected an int, got bool True"),
        (np.bool_(True), "expected an int, got bool np.True_"),
        (5.0, "expected an int, got float 5.0 (use // or math.floor"),
        (np.array([5]), "expected an int, got int64 array (1,)"),
        (np.array(5.0), "expected an int, got float64 array ()"),
        (np.array([5], dtype=object), "got numpy.ndarray of dtype object"),
        (10**5000, "expected 5, got an int of 16610 bits"),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, (int, np.ndarray)) else None,
)
def test_wrong_kinds_of_number_fail_alike(graded, value, words):
    """Are bools, floats, 1-element and object arrays refused with one message?"""
    here, there = both(graded, "conv_output_size", "as_is", value)
    assert here == there
    assert not here[0] and words in here[2]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[*SLOW, HealthCheck.function_scoped_fixture],
)
@given(
    data=VALUES | ARRAYS, kind=st.sampled_from(KINDS), op=st.sampled_from(list(CALLS))
)
def test_any_value_gets_the_same_verdict(graded, data, kind, op):
    """For a generated value of any kind, do the notebook and the grader agree?"""
    try:
        LOCAL["make"](kind, data)
    except Exception:  # noqa: BLE001 - not every kind applies to every value
        return
    here, there = both(graded, op, kind, data)
    assert here == there


def test_an_output_too_large_fails_alike(graded):
    """Is an output over the transport's limit refused with the same words?"""
    data = np.zeros((wire.output_limit() // 8) + 1)
    here, there = both(graded, "conv1d", "as_is", data)
    assert here == there
    assert "the output cannot be graded: it is too large to send back" in here[2]


# --- forbidden calls ------------------------------------------------------------

# One call per forbidden package that a student could make instead of NumPy.
FORBIDDEN_CALLS = {
    "torch": "torch.zeros(1)",
    "scipy": "scipy.signal.correlate(x, x)",
    "skimage": "skimage.util.view_as_windows(x, 2)",
    "sklearn": "sklearn.utils.check_array(x)",
    "torchvision": "torchvision.ops.box_area(x)",
    "cv2": "cv2.filter2D(x, -1, x)",
    "tensorflow": "tensorflow.zeros(1)",
    "keras": "keras.ops.zeros(1)",
    "jax": "jax.numpy.zeros(1)",
    "numba": "numba.njit(lambda: 0)",
    "numpy.convolve": "np.convolve(x, x)",
    "numpy.correlate": "np.correlate(x, x)",
}


def importable(name):
    import importlib.util

    return importlib.util.find_spec(name) is not None


NAMES = [n for n in FORBIDDEN_CALLS if importable(n.split(".")[0])]


def forbidden_source():
    """A function per forbidden call, once made plainly and once hidden by try."""
    lines = ["import numpy as np"]
    for name in NAMES:
        module = name.split(".")[0]
        if module != "numpy":
            lines.append(f"import {module}")
            sub = FORBIDDEN_CALLS[name].split("(")[0].split(".")[1:-1]
            if sub:
                lines.append(f"import {module}.{'.'.join(sub)}")
    for i, name in enumerate(NAMES):
        call = FORBIDDEN_CALLS[name]
        lines += [
            f"def forbidden_{i}(x):",
            f"    {call}",
            "    return 5",
            f"def forbidden_{i}_caught(x):",
            "    try:",
            f"        {call}",
            "    except Exception:",
            "        pass",
            "    return 5",
        ]
    return "\n".join(lines) + "\n"


FORBIDDEN_SOURCE = forbidden_source()
FORBIDDEN_LOCAL = {"__name__": "__main__"}
exec(compile(FORBIDDEN_SOURCE, "<student>", "exec"), FORBIDDEN_LOCAL)


def test_every_importable_package_has_a_call():
    """Does each forbidden package installed here have a call in this test?"""
    for package in guard.FORBIDDEN_PACKAGES:
        if importable(package):
            assert package in FORBIDDEN_CALLS, package


@pytest.mark.parametrize("caught", ["", "_caught"], ids=["raised", "caught"])
@pytest.mark.parametrize("name", NAMES)
def test_a_forbidden_call_is_flagged_in_both_with_one_message(graded, name, caught):
    """Is a call flagged in the notebook flagged while grading, with the same text?"""
    fname = f"forbidden_{NAMES.index(name)}{caught}"
    x = np.arange(4.0)
    here = outcome(lambda *a, **k: FORBIDDEN_LOCAL[fname](x), "conv_output_size")
    there = outcome(lambda *a, **k: graded(fname, x), "conv_output_size")
    assert here == there
    assert here[1] == "ForbiddenCall"
    assert here[2].endswith(guard.forbidden_text(name))


def test_the_sandbox_gets_the_list_from_guard():
    """Does the sandbox keep no list of its own (the config carries guard's)?"""
    import ast

    source = (ROOT / "autograder/engine/sandbox/child.py").read_text(encoding="utf-8")
    strings = {
        node.value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }
    assert not strings & {*guard.FORBIDDEN_PACKAGES, *guard.FORBIDDEN_NUMPY}
    assert guard.WHY not in source
    assert guard.sandbox_config()["packages"] == list(guard.FORBIDDEN_PACKAGES)
