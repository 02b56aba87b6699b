"""Grades out of the gradebook: a CSV for the whole roster, and a report.

`export` writes one row per student and assignment: every student on the
roster (the gradebook's students, a roster CSV, and everyone who submitted),
including those who submitted nothing (status "missing", score 0). Its
columns are nbgrader's own CSV columns plus `late` (the LMS marked it late),
`status`, `needs_manual_grading`, `reason` and `isolation` (the sandbox level
that graded the submission): a row that is not "graded" says why, and is
flagged for a human. Every text cell that a spreadsheet would take for a
formula is escaped (see `csv_cell`).

`class_report` draws the score distribution and the success rate of each part
(the share of submissions with full points on that test cell) into a PNG and
writes the same numbers as a Markdown table.
"""

from __future__ import annotations

import csv
import statistics
from pathlib import Path

from nbgrader.api import MissingEntry

COLUMNS = [
    "assignment",
    "duedate",
    "timestamp",
    "late",
    "student_id",
    "last_name",
    "first_name",
    "email",
    "raw_score",
    "late_submission_penalty",
    "score",
    "max_score",
    "status",
    "needs_manual_grading",
    "reason",
    "isolation",
]
# A spreadsheet reads a cell that starts with one of these as a formula
# (OWASP, "CSV injection"): such a cell is written with a ' in front.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def read_roster(path):
    """[{id, first_name, last_name, email}] from a CSV with an id column."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    students = []
    for row in rows:
        row = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
        sid = row.get("id") or row.get("student_id") or row.get("student")
        if not sid:
            continue
        students.append(
            {
                "id": sid,
                "first_name": row.get("first_name") or None,
                "last_name": row.get("last_name") or None,
                "email": row.get("email") or None,
            }
        )
    return students


def csv_cell(value):
    """A value as a CSV cell that no spreadsheet runs: text starting with =, +,
    -, @, tab or CR gets a leading ' (numbers are written as they are)."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def export(course, path, roster=None, assignments=None):
    """Write the grades CSV; the number of rows."""
    log = course.log()
    times = course.submission_times()
    rows = []
    with course.gradebook() as gb:
        for entry in read_roster(roster) if roster else []:
            sid = entry.pop("id")
            gb.update_or_create_student(sid, **{k: v for k, v in entry.items() if v})
        wanted = assignments or [a.name for a in gb.assignments]
        problems = {}
        for name in wanted:
            found, trouble = course.scan_submissions(name)
            for student in found:
                gb.update_or_create_student(student)
            problems[name] = {p.student: p.reason for p in trouble}
        for name in wanted:
            assignment = gb.find_assignment(name)
            ids = sorted({s.id for s in gb.students} | set(problems[name]))
            for student_id in ids:
                student = _student(gb, student_id)
                row = {
                    "assignment": name,
                    "duedate": assignment.duedate,
                    "student_id": student_id,
                    "last_name": student.last_name,
                    "first_name": student.first_name,
                    "email": student.email,
                    "max_score": assignment.max_score,
                    "late": "yes"
                    if (times.get((student_id, name)) or {}).get("late")
                    else None,
                }
                entry = log.get((student_id, name)) or {}
                try:
                    sub = gb.find_submission(name, student_id)
                except MissingEntry:
                    submitted = course.submission_dir(student_id, name).is_dir()
                    status = entry.get("status") if submitted else None
                    row.update(
                        timestamp=None,
                        raw_score=0.0,
                        late_submission_penalty=0.0,
                        score=0.0,
                        status=status or ("not graded" if submitted else "missing"),
                        reason=entry.get("reason") if submitted else None,
                    )
                    if submitted and not row["reason"]:
                        row["reason"] = "not graded yet: run the grade command"
                else:
                    penalty = sub.late_submission_penalty or 0.0
                    row.update(
                        timestamp=sub.timestamp,
                        raw_score=sub.score,
                        late_submission_penalty=penalty,
                        score=sub.score - penalty,
                        status=entry.get("status", "graded"),
                        reason=entry.get("reason"),
                        isolation=entry.get("isolation"),
                    )
                    if sub.needs_manual_grade:
                        row["needs_manual_grading"] = "yes"
                        row["reason"] = row["reason"] or "parts need manual grading"
                if student_id in problems[name]:
                    row.update(status="error", reason=problems[name][student_id])
                if row["status"] not in ("graded", "missing"):
                    row["needs_manual_grading"] = "yes"
                rows.append(row)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: csv_cell(row.get(k)) for k in COLUMNS})
    return len(rows)


class _NoStudent:
    last_name = first_name = email = None


def _student(gb, student_id):
    try:
        return gb.find_student(student_id)
    except MissingEntry:
        return _NoStudent()


def class_scores(course, assignment):
    """({student: total}, {grade_id: (points, [score per submission])}, max)."""
    totals, parts = {}, {}
    with course.gradebook() as gb:
        a = gb.find_assignment(assignment)
        for nb in a.notebooks:
            for cell in nb.grade_cells:
                parts[cell.name] = (cell.max_score, [])
        for sub in gb.assignment_submissions(assignment):
            totals[sub.student.id] = sub.score
            for nb in sub.notebooks:
                for grade in nb.grades:
                    if grade.name in parts:
                        parts[grade.name][1].append(grade.score or 0.0)
        top = a.max_score
    return totals, parts, top


def class_report(course, assignment, out_dir):
    """(png path, markdown path, markdown text) for one assignment."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    totals, parts, top = class_scores(course, assignment)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    scores = list(totals.values())
    names = list(parts)
    rates = [_rate(p, s) for p, s in parts.values()]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 0.35 * len(names) + 2.5))
    bins = [x - 0.5 for x in range(int(top) + 2)] if top <= 40 else 20
    left.hist(scores, bins=bins, color="#4477aa", edgecolor="white")
    left.set(
        xlabel=f"score (out of {top:g})",
        ylabel="submissions",
        title=f"{assignment}: {len(scores)} graded submissions",
    )
    left.yaxis.set_major_locator(MaxNLocator(integer=True))
    bars = right.barh(names[::-1], [100 * r for r in rates[::-1]], color="#66aa55")
    right.bar_label(bars, fmt="%.0f%%", padding=3)
    right.set(
        xlim=(0, 100),
        xlabel="submissions with full points (%)",
        title="success rate per part",
    )
    fig.tight_layout()
    png = out_dir / f"{assignment}-report.png"
    fig.savefig(png, dpi=120)
    plt.close(fig)
    text = _table(assignment, scores, parts, rates, top)
    md = out_dir / f"{assignment}-report.md"
    md.write_text(text, encoding="utf-8")
    return png, md, text


def _rate(points, scores):
    return sum(s >= points for s in scores) / len(scores) if scores else 0.0


def _table(assignment, scores, parts, rates, top):
    lines = [f"# {assignment}: class report", ""]
    if scores:
        lines += [
            f"{len(scores)} graded submissions; score out of {top:g}: "
            f"mean {statistics.mean(scores):.2f}, "
            f"median {statistics.median(scores):g}, "
            f"min {min(scores):g}, max {max(scores):g}.",
            "",
        ]
    else:
        lines += ["No graded submissions.", ""]
    lines += [
        "| part | points | mean score | full points | zero |",
        "|---|---:|---:|---:|---:|",
    ]
    for (name, (points, got)), rate in zip(parts.items(), rates):
        mean = statistics.mean(got) if got else 0.0
        zero = sum(s == 0 for s in got) / len(got) if got else 0.0
        lines.append(
            f"| {name} | {points:g} | {mean:.2f} | {100 * rate:.0f}% | "
            f"{100 * zero:.0f}% |"
        )
    return "\n".join(lines) + "\n"
