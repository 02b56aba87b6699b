"""Deterministic grades: the same class, graded three times on a loaded machine.

A grade must not depend on the machine's load. The part limits count the
student's CPU time (and waiting time while the process is not runnable), a
part stopped at its CPU limit is run once more in a fresh process with twice
the limit before it costs points, and a part that runs out of time says so
("timed out after ...") instead of looking like a wrong answer.
"""

import subprocess
import sys

import pytest

from autograder.engine.runner import RETRY_FACTOR
from autograder.engine.sandbox.process import Limits
from grader_support import (
    A1,
    NB1,
    OFF_BY_ONE,
    SLOW,
    autograded,
    conv_output_size_source,
    log_lines,
    make_course,
    outputs_text,
    put,
    run_batch,
    submission,
    total,
)

LIMITS = Limits(
    part_cpu=2,
    part_wall=5,
    notebook_cpu=120,
    notebook_wall=600,
    submission_time=120,
    memory_mb=1024,
)

# A correct conv1d that loops over every output, a window at a time, as a
# student who has not met fancy indexing would: several times slower than the
# reference's one einsum, and still far within a part's limit.
LOOPS = """
def conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    x, weight = np.asarray(x), np.asarray(weight)
    single = x.ndim == 2
    if single:
        x = x[None]

    def one(value):
        if isinstance(value, (tuple, list)):
            if len(value) != 1:
                raise ValueError("expected one value")
            value = value[0]
        return int(value)

    stride, dilation = one(stride), one(dilation)
    n, c_in, length = x.shape
    c_out, c_group, k = weight.shape
    if c_in != c_group * groups or c_out % groups:
        raise ValueError("channels do not match")
    span = dilation * (k - 1) + 1
    if padding == "valid":
        left = right = 0
    elif padding == "same":
        if stride != 1:
            raise ValueError("'same' needs stride 1")
        left = (span - 1) // 2
        right = span - 1 - left
    else:
        left = right = one(padding)
    l_out = (length + left + right - span) // stride + 1
    if l_out < 1:
        raise ValueError("the kernel does not fit")
    xp = np.zeros((n, c_in, length + left + right), dtype=x.dtype)
    xp[:, :, left : left + length] = x
    y = np.zeros((n, c_out, l_out), dtype=x.dtype)
    per_group = c_out // groups
    for b in range(n):
        for o in range(c_out):
            first = (o // per_group) * c_group
            for i in range(l_out):
                start = i * stride
                window = xp[b, first : first + c_group, start : start + span : dilation]
                y[b, o, i] = np.sum(window * weight[o])
            if bias is not None:
                y[b, o] += bias[o]
    return y[0] if single else y
"""

# Correct, but the stride part (the only one that uses stride 5) spends 1.5
# times the part's CPU limit, measured by the process's own CPU clock: the
# first run is stopped, the re-run (twice the limit) finishes.
NEAR_LIMIT = conv_output_size_source(
    before="import time as _time\n\n_burned = False\n\n\n",
    first_lines=f"""\
    global _burned
    if stride == 5 and not _burned:
        _burned = True
        start = _time.process_time()
        while _time.process_time() - start < {1.5 * LIMITS.part_cpu}:
            pass
""",
)

CLASS = {
    "alice": {},  # the reference solution
    "bob": {"conv1d": LOOPS},
    "carol": {"conv_output_size": NEAR_LIMIT},
    "dave": {"conv_output_size": OFF_BY_ONE},
    "erin": {"conv_output_size": SLOW},  # loops forever in the stride part
}


def cells(entry):
    """{grade_id: score} of a log entry (the assignment has one notebook)."""
    (grades,) = entry["grades"].values()
    return grades


@pytest.fixture(scope="module")
def three_gradings(tmp_path_factory):
    """The class graded three times (--force) while a process burns a core."""
    root = make_course(tmp_path_factory.mktemp("determinism"))
    for student, answers in CLASS.items():
        put(root, student, submission(A1, NB1, answers))
    burner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        summaries = [
            run_batch(root, limits=LIMITS, jobs=2, force=True) for _ in range(3)
        ]
    finally:
        burner.kill()
        burner.wait()
    return root, summaries, log_lines(root)


def test_three_gradings_on_a_loaded_machine_give_identical_scores(three_gradings):
    """Do three gradings of a class, with a core kept busy, agree on every part?"""
    _, summaries, log = three_gradings
    assert all(s.ok for s in summaries), summaries[-1].text()
    runs = [
        {e["student"]: e["grades"] for e in log[i * len(CLASS) : (i + 1) * len(CLASS)]}
        for i in range(3)
    ]
    assert set(runs[0]) == set(CLASS)
    assert runs[0] == runs[1] == runs[2]


def test_correct_solutions_get_full_marks_however_slow(three_gradings):
    """Do the reference, a Python-loops conv1d and a solution that needs more
    than the part's CPU limit once (but less than the re-run's) all get 10/10?"""
    _, _, log = three_gradings
    for entry in log:
        if entry["student"] in ("alice", "bob", "carol"):
            assert entry["score"] == entry["max_score"] == 10, entry


def test_a_timeout_is_reported_as_a_timeout_not_a_wrong_answer(three_gradings):
    """Does a part that loops forever say that it timed out, twice, and at what?"""
    root, summaries, log = three_gradings
    erin = [e for e in log if e["student"] == "erin"]
    assert all(total(cells(e)) == 9 for e in erin)
    assert all(cells(e)["conv_output_size_stride"] == 0 for e in erin)
    text = outputs_text(autograded(root, "erin"), "conv_output_size_stride")
    limit, again = LIMITS.part_cpu, RETRY_FACTOR * LIMITS.part_cpu
    assert f"timed out after {again:g} s of CPU time" in text
    assert f"the part's CPU time limit ({limit:g} s)" in text
    assert "fresh process" in text
    assert "AssertionError" not in text
    summary = summaries[-1].text()
    assert "stopped at the part's time limit:" in summary
    assert "erin: 1 part (conv_output_size_stride)" in summary
    assert f"per part {limit:g} s of CPU time" in summary
    dave = [e for e in log if e["student"] == "dave"]
    assert all(e["score"] < 10 for e in dave)
    assert "dave:" not in summary.split("stopped at")[1]  # wrong, not stopped
