"""A grading process: takes submissions one at a time, grades them, reports.

    python -m autograder.worker CONFIG_JSON

reads one JSON job per line on stdin and answers one JSON line per job on
its original stdout (everything else it or its libraries print goes to
stderr). It imports PyTorch and the references once and keeps the prepared
test cells of each source notebook, so a submission costs only its own
tests. It runs no student code itself: each notebook's student code runs
in a sandboxed child (see runner.py and sandbox.py). It dies with the batch
that started it (parent-death signal).
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path

from .sandbox import Environment, Limits


def _protocol_out():
    """A private copy of stdout for answers; fd 1 then points at stderr."""
    fd = os.dup(1)
    os.dup2(2, 1)
    return os.fdopen(fd, "w", encoding="utf-8", buffering=1)


class Worker:
    def __init__(self, config):
        import torch

        torch.set_num_threads(1)  # one core per worker: workers run in parallel
        from .notebook import SourceNotebook
        from .runner import Course

        self.SourceNotebook, self.Course = SourceNotebook, Course
        self.limits = Limits(**config["limits"])
        self.env = Environment(
            config["isolation"],
            self.limits,
            config["course_root"],
            parent=config.get("tmp_root"),
        )
        self.courses = {}

    def course(self, path):
        path = Path(path)
        key = (str(path), path.stat().st_mtime_ns, path.stat().st_size)
        if key not in self.courses:
            self.courses[key] = self.Course.prepare(self.SourceNotebook.load(path))
        return self.courses[key]

    def grade(self, job):
        from .course import submission_files
        from .runner import GraderError, grade_notebook

        folder = Path(job["folder"])
        stage = Path(job["stage"])
        stage.mkdir(parents=True, exist_ok=True)
        names = [Path(p).name for p in job["notebooks"]]
        files, skipped = submission_files(folder, names)
        results = []
        for source_path in job["notebooks"]:
            course = self.course(source_path)
            name = Path(source_path).name
            try:
                result, nb = grade_notebook(
                    course, folder / name, self.env, self.limits, files, job.get("key")
                )
            except GraderError as err:
                return {"status": "error", "reason": str(err), "notebooks": []}
            if skipped and result.status == "graded":
                result.warnings.append(
                    "files left out of the working folder: " + ", ".join(skipped[:5])
                )
            import nbformat

            nbformat.write(nb, stage / name)
            results.append(result.as_dict())
        failed = [r for r in results if r["status"] == "failed"]
        return {
            "status": "failed" if failed else "graded",
            "reason": "; ".join(r["reason"] for r in failed) or None,
            "notebooks": results,
        }

    def close(self):
        self.env.close()


def main():
    config = json.loads(sys.argv[1])
    out = _protocol_out()
    worker = Worker(config)
    out.write(json.dumps({"ready": True}) + "\n")
    try:
        for line in sys.stdin:
            job = json.loads(line)
            try:
                answer = worker.grade(job)
            except Exception:
                answer = {
                    "status": "error",
                    "notebooks": [],
                    "reason": "grader error: " + traceback.format_exc()[-2000:],
                }
            answer["job"] = job["id"]
            # ASCII: a lone surrogate from a student's text cannot break the line
            out.write(json.dumps(answer, ensure_ascii=True) + "\n")
    finally:
        worker.close()


if __name__ == "__main__":
    main()
