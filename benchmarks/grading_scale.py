"""How grading throughput scales with the number of Dask workers.

The same class as benchmarks/grading_speed.py (mixed submissions of the real
assignment 02-output-size) is graded by `autograder.engine.batch.grade` on a Dask
LocalCluster of 1, 2, ... worker processes (one thread each, with nannies,
as `dask worker --nworkers N --nthreads 1` starts them), and, side by side,
by the local pool of as many grading processes. Every guarantee stays on
(isolation `auto`, the default limits).

For each worker count a cluster is started and warmed up with one ungraded
pass (its workers import PyTorch and prepare the tests once, as a
long-running cluster does); then each run regrades the whole class
(`force=True`) and is timed from the call to the summary, gradebook writes
included. Runs alternate between the two executors. The report gives the
median seconds per submission and the scaling efficiency t1 / (n * tn),
1.0 for a perfect n-fold speed-up, with the load average around each run,
and the CPU time that this benchmark's processes (the batch, the workers
and the students' sandboxed processes) used per submission and per second
of the run: on a machine shared with other work, n workers that get fewer
than n cores cannot scale, and the "cores used" column shows how many they
got.

    python benchmarks/grading_scale.py                     # 20 submissions, 1 and 2
    python benchmarks/grading_scale.py --workers 1,2,4 --students 40 --runs 3
    python benchmarks/grading_scale.py --db-url postgresql://me@dbhost/gradebook
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT / "tests"), str(HERE)]

A = "02-output-size"


def load():
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def cpu_seconds():
    """CPU time used so far by this process and all its descendants."""
    import resource

    import psutil

    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)  # children: those already waited for
        total += usage.ru_utime + usage.ru_stime
    for child in psutil.Process().children(recursive=True):
        try:
            t = child.cpu_times()
            total += t.user + t.system + t.children_user + t.children_system
        except psutil.NoSuchProcess:
            pass
    return total


def timed_grade(course, executor, n, cluster):
    from autograder.engine.batch import grade

    cpu = cpu_seconds()
    start = time.perf_counter()
    if executor == "dask":
        summary = grade(course, A, force=True, progress=False, scheduler=cluster)
    else:
        summary = grade(course, A, force=True, progress=False, jobs=n)
    seconds = time.perf_counter() - start
    cpu = cpu_seconds() - cpu
    fresh = summary.count("graded", "failed")
    if fresh != len(summary.outcomes):
        raise RuntimeError("not every submission was graded:\n" + summary.text())
    return seconds, cpu


def totals(course):
    with course.gradebook() as gb:
        return {s.student.id: s.score for s in gb.assignment_submissions(A)}


def measure(n, args, course):
    """{executor: [seconds per run]} for n workers, and the scores seen."""
    from distributed import LocalCluster

    times = {"dask": [], "local": []}
    cpus = {"dask": [], "local": []}
    scores = []
    with LocalCluster(
        n_workers=n,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=logging.CRITICAL,
    ) as cluster:
        address = cluster.scheduler_address
        timed_grade(course, "dask", n, address)  # warm-up: imports, prepared tests
        for run in range(args.runs):
            order = ["dask", "local"] if run % 2 == 0 else ["local", "dask"]
            for executor in order:
                before = load()
                seconds, cpu = timed_grade(course, executor, n, address)
                scores.append(totals(course))
                times[executor].append(seconds)
                cpus[executor].append(cpu)
                print(
                    f"{n} workers, run {run + 1}, {executor:5s} {seconds:6.1f} s "
                    f"({seconds / args.students:.2f} s per submission, "
                    f"CPU {cpu / args.students:.2f} s per submission, "
                    f"{cpu / seconds:.2f} cores used); "
                    f"load before {before}, after {load()}",
                    flush=True,
                )
    return times, cpus, scores


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=20)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument(
        "--workers", default="1,2", help="worker counts, comma-separated (1,2)"
    )
    parser.add_argument("--db-url", help="gradebook URL (default: a SQLite file)")
    args = parser.parse_args()
    counts = sorted({int(n) for n in args.workers.split(",")})
    if counts[0] != 1:
        counts.insert(0, 1)  # efficiency is relative to one worker
    bin_dir = str(Path(sys.executable).parent)  # nbgrader, for the release step
    os.environ["PATH"] = bin_dir + os.pathsep + os.environ["PATH"]
    from grading_speed import build_class

    from autograder.engine.course import CourseFolder

    work = Path(tempfile.mkdtemp(prefix="grading-scale-"))
    try:
        build_class(work, args.students)
        course = CourseFolder(work, db_url=args.db_url)
        print(
            f"{args.students} submissions of {A}; {os.cpu_count()} cores; "
            f"workers {counts}; gradebook {course.db_url.split(':')[0]}; "
            f"load {load()}",
            flush=True,
        )
        median, cpu, all_scores = {}, {}, []
        for n in counts:
            times, cpus, scores = measure(n, args, course)
            all_scores += scores
            median[n] = {e: statistics.median(t) for e, t in times.items()}
            cpu[n] = {e: statistics.median(t) for e, t in cpus.items()}
        print()
        print(
            "workers | executor | s per submission | efficiency t1/(n*tn) | "
            "CPU s per submission | cores used"
        )
        for executor in ("dask", "local"):
            t1 = median[1][executor]
            for n in counts:
                tn, c = median[n][executor], cpu[n][executor]
                print(
                    f"{n:7d} | {executor:8s} | {tn / args.students:16.3f} | "
                    f"{t1 / (n * tn):20.2f} | {c / args.students:20.2f} | "
                    f"{c / tn:.2f}"
                )
        same = all(s == all_scores[0] for s in all_scores)
        print(f"\nevery run gave every student the same score: {same}")
        print(f"load average at the end: {load()}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
