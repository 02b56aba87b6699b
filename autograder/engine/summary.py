"""Presentation: the progress display while a batch runs, and its summary.

Neither reads nor writes anything of the course: they are given the
outcomes (record.Outcome) and say them.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass

from .runner import OUT_OF_BUDGET, PART_TIMEOUT, RETRY_FACTOR
from .sandbox.process import Limits, describe_isolation, safe_levels


class Progress:
    """One line per submission, or a bar on a terminal."""

    def __init__(self, total, stream=sys.stderr):
        self.total, self.done, self.failed = total, 0, 0
        self.stream = stream
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.start = time.monotonic()

    def update(self, student, status, score):
        self.done += 1
        self.failed += status != "graded"
        elapsed = time.monotonic() - self.start
        if self.tty:
            width = 30
            fill = int(width * self.done / max(self.total, 1))
            left = elapsed / self.done * (self.total - self.done)
            self.stream.write(
                f"\r[{'#' * fill}{'.' * (width - fill)}] {self.done}/{self.total} "
                f"graded, {self.failed} failed, {elapsed:.0f} s elapsed, "
                f"~{left:.0f} s left "
            )
            if self.done == self.total:
                self.stream.write("\n")
        else:
            what = f"{score}" if status == "graded" else status
            self.stream.write(f"[{self.done}/{self.total}] {student}: {what}\n")
        self.stream.flush()


@dataclass
class Summary:
    """What a batch did: its outcomes, time, workers and isolation; `text()`."""

    assignment: str
    outcomes: list
    seconds: float
    workers: int
    isolation: str
    cluster: str | None = None  # the Dask scheduler's address, if one graded
    limits: Limits | None = None

    @property
    def ok(self):
        return all(o.status in ("graded", "unchanged") for o in self.outcomes)

    def count(self, *statuses):
        return sum(o.status in statuses for o in self.outcomes)

    def text(self):
        graded = self.count("graded")
        fresh = graded + self.count("failed", "error")
        per = f" ({self.seconds / fresh:.2f} s per submission)" if fresh else ""
        workers = f"{self.workers} worker{'s' if self.workers != 1 else ''}"
        lines = [
            f"{self.assignment}: {count_text(len(self.outcomes), 'submission')} in "
            f"{self.seconds:.1f} s{per}, {workers}"
            + (f" on the Dask cluster at {self.cluster}" if self.cluster else "")
            + "; "
            f"isolation: {self.isolation} "
            f"({describe_isolation(self.isolation)})",
            f"  graded: {graded + self.count('unchanged')}"
            + (
                f" ({self.count('unchanged')} unchanged since the last run, "
                "not regraded)"
                if self.count("unchanged")
                else ""
            ),
        ]
        if self.limits is not None:
            lines.insert(1, "  " + budget_text(self.limits))
        unsafe = [
            o
            for o in self.outcomes
            if o.isolation is not None and o.isolation not in safe_levels()
        ]
        if unsafe:
            lines.append(
                "  graded WITHOUT the sandbox's guarantees (unsafe isolation): "
                + ", ".join(f"{o.student} ({o.isolation})" for o in unsafe)
            )
        bad = [o for o in self.outcomes if o.status in ("failed", "error")]
        lines.append(f"  failed: {len(bad)}")
        for o in bad:
            lines.append(f"    {o.student}: {o.reason}")
        for key, what in (
            (OUT_OF_BUDGET, "not finished within the submission's time budget"),
            (PART_TIMEOUT, "stopped at the part's time limit"),
        ):
            hit = [
                (o, [g for g, k in o.stopped.items() if k == key])
                for o in self.outcomes
            ]
            hit = [(o, parts) for o, parts in hit if parts]
            if hit:
                lines.append(f"  {what}:")
                for o, parts in hit:
                    lines.append(
                        f"    {o.student}: {count_text(len(parts), 'part')} "
                        f"({', '.join(parts)})"
                    )
        noted = [o for o in self.outcomes if o.warnings]
        if noted:
            lines.append("  warnings:")
            for o in noted:
                for w in o.warnings:
                    lines.append(f"    {o.student}: {w}")
        return "\n".join(lines)


def count_text(n, noun):
    """'1 part', '2 parts'."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def budget_text(limits):
    """The time limits of a batch, as its summary states them."""
    return (
        f"time limits: per part {limits.part_cpu:g} s of CPU time (a part stopped "
        f"there runs once more with {RETRY_FACTOR * limits.part_cpu:g} s) and "
        f"{limits.part_wall:g} s of waiting; per submission "
        f"{limits.submission_time:g} s of CPU and waiting time"
    )


def progress_score(outcome):
    """The score that the progress display shows for an outcome."""
    score = f"{outcome.score:g}/{outcome.max_score:g}"
    if outcome.stopped:
        score += f" ({count_text(len(outcome.stopped), 'part')} stopped)"
    return score
