"""The sandbox's boundaries, through the real `python -m autograder` commands.

Hostile submissions the way a student would write them: one forges the
grader's reply frame on the pipe it inherited, one recovers NumPy's C
convolution by loading NumPy's extension module a second time. And the
instructor's side: unsafe isolation levels refused unless asked for by name,
the level recorded per submission, and a killed batch's temporary folder
removed by the next one.
"""

import csv
import fcntl
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder.engine.sandbox.process import Limits
from grader_support import (
    A1,
    NB1,
    TEST_LIMITS,
    autograded,
    cli,
    make_course,
    outputs_text,
    put,
    run_batch,
    scores,
    submission,
    total,
)

# The reply pipe's number is in the child's own command line; a frame whose
# header claims 60 MB of tiny JSON objects (about 20 million of them).
FORGED_HEADER = """
import json, os, struct, sys
_fd = json.loads(sys.argv[-1])["wfd"]

def conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    head = b'{"id": 1, "ok": true, "x": [' + b'{},' * 20_000_000 + b'{}]}'
    os.write(_fd, struct.pack(">4sIQ", b"AGW1", len(head), 0))
    view = memoryview(head)
    while view:
        view = view[os.write(_fd, view[: 1 << 20]):]
    return x
"""

# Under the header's size limit, but a million containers to build.
FORGED_NODES = FORGED_HEADER.replace("20_000_000", "1_200_000")

# NumPy's correlate2 back from a second copy of its extension module.
CORRELATE2 = """
import importlib.util
import numpy as np

_spec = importlib.util.find_spec(np._core._multiarray_umath.__name__)
_c = importlib.util.module_from_spec(_spec).correlate2

def conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    n, c, length = x.shape
    c_out, c_g, k = weight.shape
    total = dilation * (k - 1) if padding == "same" else 2 * (padding or 0)
    left = total // 2 if padding == "same" else (padding or 0)
    if padding == "valid":
        total = left = 0
    xp = np.pad(x, ((0, 0), (0, 0), (left, total - left)))
    wd = np.zeros((c_out, c_g, dilation * (k - 1) + 1))
    wd[:, :, ::dilation] = weight
    per = c_out // groups
    out = np.array([[sum(_c(xp[i, (o // per) * c_g + j], wd[o, j], 0)
                         for j in range(c_g)) for o in range(c_out)]
                    for i in range(n)])[:, :, ::stride]
    return out if bias is None else out + bias[None, :, None]
"""

BIG_REPLY = """
def conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return np.zeros(7 * 2**20)  # 56 MiB: allowed out, too large for the grader
"""


def env_with_tmp(tmp):
    return {**os.environ, "TMPDIR": str(tmp)}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """One class graded by `python -m autograder grade`, then exported."""
    root = make_course(tmp_path_factory.mktemp("forged"))
    put(root, "alice", submission(A1, NB1))
    put(root, "forger", submission(A1, NB1, {"conv1d": FORGED_HEADER}))
    put(root, "forger_nodes", submission(A1, NB1, {"conv1d": FORGED_NODES}))
    put(root, "bypass", submission(A1, NB1, {"conv1d": CORRELATE2}))
    # The bound on the grader's work: the whole class within the timeout
    # (the issue saw one worker busy for 12+ minutes on one forged reply).
    proc = cli(root, "grade", A1, "--quiet", "--part-timeout", "5", timeout=600)
    cli(root, "export", "--to", "grades.csv")
    with open(root / "grades.csv", newline="", encoding="utf-8") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f)}
    return root, proc, rows


def test_forged_reply_header_costs_its_parts_only(graded):
    """Does a forged 60 MB reply header cost its parts, with the reason, quickly?"""
    root, proc, _ = graded
    assert proc.returncode == 0, proc.stdout + proc.stderr
    got = scores(root)
    assert total(got["alice"]) == 10
    assert total(got["forger"], "conv1d") == 0
    assert total(got["forger"], "conv_output_size") == 4
    text = outputs_text(autograded(root, "forger"), "conv1d_basic")
    assert "reply header is too large" in text


def test_reply_with_a_million_containers_is_refused(graded):
    """Is a small header that holds a million JSON containers refused unparsed?"""
    root, _, _ = graded
    assert total(scores(root)["forger_nodes"], "conv1d") == 0
    text = outputs_text(autograded(root, "forger_nodes"), "conv1d_basic")
    assert "too many values" in text


def test_second_copy_of_numpy_is_refused_and_flagged(graded):
    """Does recovering correlate2 fail at run time and flag the code for review?"""
    root, proc, rows = graded
    got = scores(root)
    assert total(got["bypass"], "conv1d") < 6
    assert "needs manual review" in proc.stdout
    reason = rows["bypass"]["reason"]
    assert "needs manual review" in reason and "NumPy's internals" in reason
    from autograder.engine.course import CourseFolder

    with CourseFolder(root).gradebook() as gb:
        sub = gb.find_submission(A1, "bypass")
        flags = {
            g.name: g.needs_manual_grade for nb in sub.notebooks for g in nb.grades
        }
        alice = gb.find_submission(A1, "alice")
        clean = [g.needs_manual_grade for nb in alice.notebooks for g in nb.grades]
    assert all(flags.values()) and not any(clean)


def test_export_names_the_isolation_of_each_submission(graded):
    """Does the CSV say which isolation level graded each submission?"""
    _, proc, rows = graded
    assert {rows[s]["isolation"] for s in ("alice", "forger", "bypass")} == {"root"}
    assert "isolation: root" in proc.stdout


def test_unsafe_isolation_is_refused_unless_named(graded):
    """Is `--isolation none` refused, and graded only with --unsafe-isolation?"""
    root, _, _ = graded
    before = scores(root)["alice"]
    args = ("grade", A1, "--quiet", "--force", "--student", "alice")
    refused = cli(root, *args, "--isolation", "none")
    assert refused.returncode == 2
    assert "--unsafe-isolation" in refused.stderr
    assert scores(root)["alice"] == before
    allowed = cli(root, *args, "--isolation", "none", "--unsafe-isolation")
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert "UNSAFE" in allowed.stdout
    cli(root, "export", "--to", "again.csv")
    with open(root / "again.csv", newline="", encoding="utf-8") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f)}
    assert rows["alice"]["isolation"] == "none"
    assert rows["bypass"]["isolation"] == "root"


def test_grader_memory_per_submission_is_bounded(tmp_path):
    """Does a reply too large for the grader's memory cost its parts only?"""
    root = make_course(tmp_path / "course")
    put(root, "alice", submission(A1, NB1))
    put(root, "big", submission(A1, NB1, {"conv1d": BIG_REPLY}))
    limits = Limits(**{**TEST_LIMITS.as_dict(), "grader_memory_mb": 96})
    summary = run_batch(root, limits=limits)
    got = scores(root)
    assert total(got["alice"]) == 10
    assert total(got["big"], "conv1d") == 0
    assert total(got["big"], "conv_output_size") == 4
    text = outputs_text(autograded(root, "big"), "conv1d_basic")
    assert "grader's memory limit" in text
    assert summary.count("error") == 0


SLOW = """
import time

def conv_output_size(input_size, kernel_size, stride=1, padding=0, dilation=1):
    time.sleep(10**6)
"""


def test_killed_batch_folder_is_removed_by_the_next_batch(tmp_path):
    """After SIGKILL of `grade`, does the next batch remove its /tmp folder only?"""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    root = make_course(tmp_path / "course")
    put(root, "slow", submission(A1, NB1, {"conv_output_size": SLOW}))
    put(root, "alice", submission(A1, NB1))
    batch = subprocess.Popen(
        [sys.executable, "-m", "autograder", "grade", A1, "--quiet"],
        cwd=root,
        env=env_with_tmp(tmp),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 300
        while not list(tmp.glob("autograder-batch-*/owner.lock")):
            assert batch.poll() is None and time.monotonic() < deadline
            time.sleep(0.2)
        time.sleep(2)  # workers started, grading under way
    finally:
        batch.send_signal(signal.SIGKILL)
        batch.wait()
    (stale,) = tmp.glob("autograder-batch-*")
    live = tmp / "autograder-batch-live"  # a batch that is still running
    live.mkdir()
    holder = open(live / "owner.lock", "w")
    fcntl.flock(holder, fcntl.LOCK_EX)
    try:
        again = cli(
            root, "grade", A1, "--quiet", "--student", "alice", env=env_with_tmp(tmp)
        )
        assert again.returncode == 0, again.stdout + again.stderr
        assert not stale.exists()
        assert live.is_dir()
    finally:
        holder.close()
    assert [p.name for p in Path(tmp).glob("autograder-batch-*")] == [live.name]
