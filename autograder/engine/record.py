"""Record: the only stage that writes the gradebook, autograded/ and the log.

One answer at a time, in that order, so that a batch killed at any moment
leaves every submission either fully recorded or not logged (and graded
again by the next run). An answer carries the graded notebooks as text;
they are written to a staging folder and moved into autograded/ at once.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from warnings import catch_warnings, simplefilter

from nbgrader.api import MissingEntry
from nbgrader.utils import parse_utc
from sqlalchemy.exc import SAWarning

from .course import now, replace_dir
from .notebook import clean


@dataclass
class Outcome:
    """What became of one submission in a batch."""

    student: str
    status: str  # graded, failed, error, unchanged
    reason: str | None = None
    score: float = 0.0
    max_score: float = 0.0
    warnings: list = field(default_factory=list)
    isolation: str | None = None  # the level that graded it (None: unknown)
    stopped: dict = field(default_factory=dict)  # grade_id -> PART_TIMEOUT, ...


def stopped_parts(answer):
    """{grade_id: why} for the parts of an answer that did not finish."""
    return {
        grade_id: g["stopped"]
        for nb in answer.get("notebooks", [])
        for grade_id, g in nb.get("grades", {}).items()
        if g.get("stopped")
    }


def record(course, gb, job, answer, key):
    """Write one answer: gradebook, then autograded folder, then the log; its
    Outcome.

    An error replaces what an earlier run recorded: the old score is not
    left standing as if this submission had been graded.
    """
    answer = clean(answer)  # text from a submission may hold lone surrogates
    student, assignment = job["student"], job["assignment"]
    status, reason = answer.get("status", "error"), answer.get("reason")
    notebooks = answer.get("notebooks", [])
    warnings = [w for nb in notebooks for w in nb.get("warnings", [])]
    level = job.get("isolation")
    files = answer.pop("files", None) or {}
    if status == "error":
        reason = reason or "the grader failed on this submission"
        _save_grades(gb, course, student, assignment, [], flag=True)
        shutil.rmtree(course.autograded_dir(student, assignment), ignore_errors=True)
        score, max_score = 0.0, 0.0
    else:
        score, max_score = _save_grades(gb, course, student, assignment, notebooks)
        _place_files(course, job, files)
    course.append_log(
        {
            "student": student,
            "assignment": assignment,
            "hash": job["hash"],
            "key": key,
            "status": status,
            "reason": reason,
            "score": score,
            "max_score": max_score,
            "warnings": warnings,
            "isolation": level,
            "time": now(),
            "grades": {
                nb["notebook"]: {g: v["score"] for g, v in nb["grades"].items()}
                for nb in notebooks
            },
            # the keys of the diagnosed mistakes of each failed part (check.py)
            "mistakes": {
                nb["notebook"]: {
                    g: v["mistakes"]
                    for g, v in nb["grades"].items()
                    if v.get("mistakes")
                }
                for nb in notebooks
            },
        }
    )
    return Outcome(
        student,
        status,
        reason,
        score,
        max_score,
        warnings,
        level,
        stopped_parts(answer),
    )


def _save_grades(gb, course, student, assignment, notebooks, flag=False):
    """Replace the student's submission in the gradebook by this result."""
    with catch_warnings():
        simplefilter("ignore", SAWarning)  # nbgrader's, on SQLAlchemy 2
        return _save(gb, course, student, assignment, notebooks, flag)


def _save(gb, course, student, assignment, notebooks, flag=False):
    """With `flag`, every part is zero and marked for a human (the grader
    could not grade it)."""
    gb.update_or_create_student(student)
    try:
        gb.remove_submission(assignment, student)
    except MissingEntry:
        pass
    seen = course.submission_times().get((student, assignment)) or {}
    extra = {"timestamp": parse_utc(seen["time"])} if seen.get("time") else {}
    submission = gb.add_submission(assignment, student, **extra)
    score = max_score = 0.0
    if flag:
        for nb in submission.notebooks:
            for grade in nb.grades:
                grade.auto_score = 0.0
                grade.needs_manual_grade = True
    for nb in notebooks:
        for grade_id, g in nb["grades"].items():
            grade = gb.find_grade(grade_id, nb["notebook"], assignment, student)
            grade.auto_score = g["score"]
            # A submission that could not be read is flagged for a human.
            # So is one whose code reaches past NumPy (review.py).
            grade.needs_manual_grade = nb["status"] == "failed" or bool(
                nb.get("review")
            )
            score += g["score"] or 0.0
            max_score += g["max"]
    gb.db.commit()
    return score, max_score


def unchanged(student, last):
    """The Outcome of a submission left as the last run recorded it (`last`,
    its log entry)."""
    status = "failed" if last.get("status") == "failed" else "unchanged"
    return Outcome(
        student,
        status,
        last.get("reason"),
        last.get("score", 0),
        last.get("max_score", 0),
        last.get("warnings", []),
        last.get("isolation"),
    )


def _place_files(course, job, files):
    """Write the graded notebooks (only those of the job's names) to a staging
    folder, then move it into the student's autograded folder."""
    expected = {Path(p).name for p in job["notebooks"]}
    stage = course.state_dir / "staging" / job["id"]
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir(parents=True)
    for name, text in files.items():
        if name in expected:
            (stage / name).write_text(text, encoding="utf-8")
    replace_dir(stage, course.autograded_dir(job["student"], job["assignment"]))
