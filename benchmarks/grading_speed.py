"""Grade one class with plain nbgrader and with `python -m autograder grade`.

The class is generated from the real assignment 02-output-size: by default 40
submissions of mixed quality (correct, untouched, off-by-one output size,
flipped kernel, dilation or bias ignored, a correct but slow loop version, a
version that calls PyTorch, half done). Two copies of a course folder receive
the same submissions; each run times, side by side and in alternating order,

- plain nbgrader: `nbgrader autograde 02-output-size --force` (a kernel per
  notebook, student code and tests in one process, one notebook at a time);
- this tool: `python -m autograder grade 02-output-size --force`, with every
  guarantee on (isolation `auto`, the default limits, one worker per core).

Both commands are timed from start to end as an instructor runs them (process
start, imports, gradebook writes included); releasing the assignment is done
once beforehand for both. The report gives seconds per submission for each,
the ratio, the load average before and after each measurement, and whether
the two gradebooks agree on every student's score.

    python benchmarks/grading_speed.py                  # 40 submissions, 2 runs
    python benchmarks/grading_speed.py --students 8 --runs 1   # a quick look

`--kernel-threads 1` starts nbgrader's kernels with OMP_NUM_THREADS=1 (the
grading workers always use one thread each): plain nbgrader's kernels use all
cores for PyTorch by default, which on a loaded two-core machine makes every
small reference call slow; the option shows how much of the ratio that is.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

A, NB = "02-output-size", "output-size.ipynb"

LOOPS = """
def conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    x, weight = np.asarray(x), np.asarray(weight)
    unbatched = x.ndim == 2
    if unbatched:
        x = x[None]
    (stride,), (dilation,) = np.atleast_1d(stride), np.atleast_1d(dilation)
    n, c_in, length = x.shape
    c_out, c_group, k = weight.shape
    if c_in != c_group * groups or c_out % groups:
        raise ValueError("channels do not match")
    span = dilation * (k - 1) + 1
    if isinstance(padding, str):
        if padding == "same" and stride != 1:
            raise ValueError("'same' needs stride 1")
        total = span - 1 if padding == "same" else 0
        left, right = total // 2, total - total // 2
    else:
        (left,) = (right,) = np.atleast_1d(padding)
    l_out = (length + left + right - span) // stride + 1
    if l_out < 1:
        raise ValueError("the kernel does not fit")
    xp = np.pad(x, ((0, 0), (0, 0), (left, right)))
    y = np.zeros((n, c_out, l_out))
    per = c_out // groups
    for b in range(n):
        for o in range(c_out):
            g = o // per
            for i in range(l_out):
                window = xp[b, g * c_group:(g + 1) * c_group,
                            i * stride:i * stride + span:dilation]
                y[b, o, i] = np.sum(window * weight[o])
    if bias is not None:
        y = y + np.asarray(bias)[:, None]
    y = y.astype(x.dtype)
    return y[0] if unbatched else y
"""

TORCH = """
import torch
import torch.nn.functional as F

def conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    t = lambda a: None if a is None else torch.from_numpy(np.asarray(a))
    y = F.conv1d(t(x), t(weight), t(bias), stride, padding, dilation, groups)
    return y.numpy()
"""


def variants():
    """(name, {grade_id: code}) for the kinds of submissions in the class."""
    from grader_support import OFF_BY_ONE, solution_code

    right = solution_code("conv1d")
    anchor = "x, weight = np.asarray(x), np.asarray(weight)\n"
    flipped = right.replace(anchor, anchor + "weight = weight[..., ::-1]\n")
    anchor = "(dilation,) = np.atleast_1d(dilation)\n"
    no_dilation = right.replace(anchor, anchor + "dilation = 1\n")
    no_bias = right.replace("y = y + np.asarray(bias)[:, None]", "pass")
    return [
        ("correct", {}),
        ("correct", {}),
        ("correct", {}),
        ("untouched", None),
        ("off_by_one", {"conv_output_size": OFF_BY_ONE}),
        ("flipped", {"conv1d": flipped}),
        ("no_dilation", {"conv1d": no_dilation}),
        ("no_bias", {"conv1d": no_bias}),
        ("loops", {"conv1d": LOOPS}),
        ("torch", {"conv1d": TORCH}),
        ("half_done", "half"),
    ]


def build_class(root, students):
    import nbformat

    from grader_support import exercise, make_course, put
    from helpers import solution_sources, submission

    make_course(root)
    kinds = variants()
    source = nbformat.read(ROOT / "solutions" / A / NB, as_version=4)
    for i in range(students):
        name, replace = kinds[i % len(kinds)]
        if replace is None:
            nb = exercise()
        elif replace == "half":
            stub = "raise NotImplementedError()"
            nb = submission(A, NB, {"conv1d": stub})
            assert "conv_output_size" in solution_sources(source)
        else:
            nb = submission(A, NB, replace)
        put(root, f"s{i:03d}-{name}", nb)


def load():
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def timed(cmd, cwd, env=None):
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise RuntimeError(
            f"{cmd[2:4]} failed:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}"
        )
    return seconds


def totals(root):
    from autograder.engine.course import CourseFolder

    with CourseFolder(root).gradebook() as gb:
        return {s.student.id: s.score for s in gb.assignment_submissions(A)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument(
        "--kernel-threads", type=int, help="OMP_NUM_THREADS for nbgrader"
    )
    args = parser.parse_args()
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ["PATH"]}
    kernel_env = dict(env)
    if args.kernel_threads:
        kernel_env["OMP_NUM_THREADS"] = str(args.kernel_threads)
    work = Path(tempfile.mkdtemp(prefix="grading-speed-"))
    plain, ours = work / "plain", work / "ours"
    build_class(plain, args.students)
    shutil.copytree(plain, ours)
    nbgrader = [sys.executable, "-m", "nbgrader"]
    for course in (plain, ours):
        subprocess.run(nbgrader + ["generate_assignment", A, "--force"], cwd=course,
                       env=env, check=True, capture_output=True)  # fmt: skip
    print(f"{args.students} submissions of {A}; {os.cpu_count()} cores; "
          f"python {sys.version.split()[0]}")  # fmt: skip
    commands = {
        "nbgrader autograde": (
            nbgrader + ["autograde", A, "--force"],
            plain,
            kernel_env,
        ),
        "autograder grade": (
            [sys.executable, "-m", "autograder", "grade", A, "--force", "--quiet"],
            ours,
            env,
        ),
    }
    times = {name: [] for name in commands}
    for run in range(args.runs):
        order = list(commands) if run % 2 == 0 else list(commands)[::-1]
        for name in order:
            cmd, cwd, cmd_env = commands[name]
            before = load()
            seconds = timed(cmd, cwd, cmd_env)
            times[name].append(seconds)
            print(f"run {run + 1} {name:20s} {seconds:7.1f} s "
                  f"({seconds / args.students:.2f} s per submission); "
                  f"load before {before}, after {load()}")  # fmt: skip
    median = {name: statistics.median(t) for name, t in times.items()}
    per = {name: m / args.students for name, m in median.items()}
    ratio = median["nbgrader autograde"] / median["autograder grade"]
    print()
    for name in commands:
        per_one = f"{per[name]:.2f} s per submission"
        print(f"{name:20s} median {median[name]:7.1f} s = {per_one}")
    print(f"ratio (nbgrader / autograder): {ratio:.2f}x over {args.runs} runs")
    a, b = totals(plain), totals(ours)
    same = sum(a.get(s) == b.get(s) for s in a)
    print(f"scores agree for {same} of {len(a)} students")
    for s in sorted(a):
        if a.get(s) != b.get(s):
            print(f"  {s}: nbgrader {a.get(s)}, autograder {b.get(s)}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
