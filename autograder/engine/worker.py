"""A grading process: takes submissions one at a time, grades them, reports.

    python -m autograder.engine.worker CONFIG_JSON

reads one JSON job per line on stdin and answers one JSON line per job on
its original stdout (everything else it or its libraries print goes to
stderr). It imports PyTorch and the references once and keeps the prepared
test cells of each source notebook, so a submission costs only its own
tests. It runs no student code itself: each notebook's student code runs
in a sandboxed child (see runner.py and sandbox/process.py). It dies with the batch
that started it (parent-death signal).
"""

from __future__ import annotations

import json
import os
import resource
import sys
import traceback
from pathlib import Path

import nbformat
import torch

from .course import submission_files
from .notebook import Malformed, SourceNotebook, merge, python_source, read_submission
from .runner import CompiledNotebook, GraderError, SubmissionBudget, grade_notebook
from .sandbox.process import Environment, Limits
from .sandbox.review import scan_cells


def _data_size():
    """This process's data segment (heap and private mappings), in bytes."""
    with open("/proc/self/status", "rb") as f:
        for line in f:
            if line.startswith(b"VmData:"):
                return int(line.split()[1]) * 1024
    return 0


def limit_own_memory(extra_mb):
    """Cap this process's data at what it holds now plus extra_mb (soft limit).

    Whatever a submission makes the grader parse or build then fails with
    MemoryError instead of taking the machine; the hard limit stays, so the
    sandboxed child can set its own.
    """
    _, hard = resource.getrlimit(resource.RLIMIT_DATA)
    soft = _data_size() + (extra_mb << 20)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (soft, hard))


def _protocol_out():
    """A private copy of stdout for answers; fd 1 then points at stderr."""
    fd = os.dup(1)
    os.dup2(2, 1)
    return os.fdopen(fd, "w", encoding="utf-8", buffering=1)


class Worker:
    def __init__(self, config):
        torch.set_num_threads(1)  # one core per worker: workers run in parallel
        self.limits = Limits(**config["limits"])
        self.env = Environment(
            config["isolation"],
            self.limits,
            config["course_root"],
            parent=config.get("tmp_root"),
        )
        self.compiled_notebooks = {}

    def compiled(self, path):
        path = Path(path)
        key = (str(path), path.stat().st_mtime_ns, path.stat().st_size)
        if key not in self.compiled_notebooks:
            source = SourceNotebook.load(path)
            self.compiled_notebooks[key] = CompiledNotebook.prepare(source)
        return self.compiled_notebooks[key]

    def grade(self, job):
        folder = Path(job["folder"])
        names = [Path(p).name for p in job["notebooks"]]
        files, skipped = submission_files(folder, names)
        results, graded = [], {}
        budget = SubmissionBudget(self.limits, len(job["notebooks"]))
        for source_path in job["notebooks"]:
            compiled = self.compiled(source_path)
            name = Path(source_path).name
            try:
                result, nb = grade_notebook(
                    compiled,
                    folder / name,
                    self.env,
                    self.limits,
                    files,
                    budget,
                    job.get("key"),
                )
            except GraderError as err:
                return {"status": "error", "reason": str(err), "notebooks": []}
            if skipped and result.status == "graded":
                result.warnings.append(
                    "files left out of the working folder: " + ", ".join(skipped[:5])
                )
            text = nbformat.writes(nb)  # as nbformat.write would write it
            graded[name] = text if text.endswith("\n") else text + "\n"
            results.append(result.as_dict())
            if result.status == "graded":
                self.review(compiled.source, folder / name, results[-1])
        failed = [r for r in results if r["status"] == "failed"]
        review = [m for r in results for m in r.get("review", [])]
        reason = "; ".join(r["reason"] for r in failed) or None
        if review and not failed:
            reason = "needs manual review: " + "; ".join(review[:3])
        return {
            "status": "failed" if failed else "graded",
            "reason": reason,
            "notebooks": results,
            "files": graded,
        }

    @staticmethod
    def review(source, path, result):
        """Read (never run) the student's own code cells; flag what needs a human.

        Adds "review" (messages) to the result and a warning, when any.
        """
        try:
            steps, _ = merge(source, read_submission(path))
        except Malformed:
            return
        cells = [
            (step.label, python_source(step.source))
            for step in steps
            if step.kind == "student" and step.cell_type == "code"
        ]
        messages = [f.message() for f in scan_cells(cells)]
        if messages:
            result["review"] = messages
            result["warnings"].append(
                "needs manual review (its code reaches past NumPy): "
                + "; ".join(messages[:5])
            )

    def close(self):
        self.env.close()


def main():
    config = json.loads(sys.argv[1])
    out = _protocol_out()
    worker = Worker(config)
    limit_own_memory(worker.limits.grader_memory_mb)
    out.write(json.dumps({"ready": True}) + "\n")
    try:
        for line in sys.stdin:
            job = json.loads(line)
            try:
                answer = worker.grade(job)
            except MemoryError:
                answer = {
                    "status": "failed",
                    "notebooks": [],
                    "reason": "grading it used more than the grader's memory limit "
                    f"({worker.limits.grader_memory_mb} MiB per submission)",
                    "memory": True,
                }
            except Exception:
                answer = {
                    "status": "error",
                    "notebooks": [],
                    "reason": "grader error: " + traceback.format_exc()[-2000:],
                }
            answer["job"] = job["id"]
            # ASCII: a lone surrogate from a student's text cannot break the line
            out.write(json.dumps(answer, ensure_ascii=True) + "\n")
            if answer.get("memory"):
                break  # a fresh process takes the next submission
    finally:
        worker.close()


if __name__ == "__main__":
    main()
