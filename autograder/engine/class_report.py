"""The class's mistakes: which diagnosed mistakes cost the class its points.

The grader logs, for each failed part, the keys of the mistakes its check
diagnosed (check.CheckFailed -> runner -> batch's log). From that log and the
gradebook's scores:

- per part, how many students made each mistake, and how many lost points
  with no diagnosis (a table, a plot, and a CSV with the students' ids);
- "what to re-teach": the mistakes ranked by the points they cost the class,
  each with the book section that explains the part;
- across assignments (`--all`): each mistake's students per assignment, and
  those who made it in more than one.

A part with several diagnoses (an output that more than one mistake explains)
is put down to the one that the same student's other parts show alone; if
none or several, it counts for each of them, marked ambiguous, and its lost
points are shared between them.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from .report import csv_cell
from .sections import book_url, section_for

UNDIAGNOSED = "(no diagnosis)"


@dataclass
class PartMistakes:
    """One part of an assignment: who made which mistake, and what it cost."""

    part: str
    points: float
    students: dict = field(default_factory=dict)  # key -> {student: points lost}
    # (key, student) where another mistake explains the same output equally well
    ambiguous: set = field(default_factory=set)


class Messages:
    """A mistake's message as the students of a part read it (each op words
    its own), found by key."""

    def __init__(self):
        from ..checking import diagnose
        from ..checking import registry as reference

        self.by_op = {
            op: {d.key: d.message for d in diagnoses}
            for op, diagnoses in reference.DIAGNOSES.items()
        }
        self.any_op = {
            m.key: m.message.format(axes="some axes")
            for m in (diagnose.ONE_WINDOW_SHORT, diagnose.ONE_WINDOW_LONG)
        }
        self.any_op[diagnose.CHANNELS_LAST.key] = diagnose.CHANNELS_LAST.message

    def __call__(self, key, part=None):
        ops = [op for op in self.by_op if part and part.startswith(op + "_")]
        for op in sorted(ops, key=len, reverse=True):
            if key in self.by_op[op]:
                return self.by_op[op][key]
        if key in self.any_op:
            return self.any_op[key]
        return next((m[key] for m in self.by_op.values() if key in m), key)


def short(message):
    """A mistake's message up to its first colon: the mistake, not the why."""
    return message.split(": ", 1)[0]


def class_mistakes(course, assignment):
    """[PartMistakes] for every part of `assignment`, in the notebook's order."""
    log = course.log()
    parts, failed = {}, []  # failed: (part, student, keys, points lost)
    with course.gradebook() as gb:
        a = gb.find_assignment(assignment)
        for nb in a.notebooks:
            for cell in nb.grade_cells:
                parts[(nb.name, cell.name)] = PartMistakes(cell.name, cell.max_score)
        for sub in gb.assignment_submissions(assignment):
            student = sub.student.id
            entry = log.get((student, assignment)) or {}
            keys_of = entry.get("mistakes") or {}
            if not isinstance(keys_of, dict):
                keys_of = {}
            for nb in sub.notebooks:
                for grade in nb.grades:
                    part = parts.get((nb.name, grade.name))
                    lost = part.points - (grade.score or 0.0) if part else 0
                    if lost <= 0:
                        continue
                    keys = (keys_of.get(nb.name) or {}).get(grade.name) or []
                    keys = [k for k in keys if isinstance(k, str)]
                    failed.append((part, student, keys, lost))
    for part, student, keys, lost in _resolved(failed):
        for key in keys:
            part.students.setdefault(key, {})[student] = lost / len(keys)
            if len(keys) > 1:
                part.ambiguous.add((key, student))
    return list(parts.values())


def _resolved(failed):
    """The failed parts, where several mistakes explain one part's output
    narrowed to those that the same student's other parts name alone.

    A symptom that any op diagnoses (one window short, channels last) named
    alone elsewhere rules out no mistake of this part's own: the other part's
    op may not know that mistake (a one-sided padding in depthwise_conv2d is
    one window short in separable_conv2d, which has no one-sided mistake).
    """
    from ..checking import diagnose

    symptoms = {
        m.key
        for m in (diagnose.ONE_WINDOW_SHORT, diagnose.ONE_WINDOW_LONG)
        + (diagnose.CHANNELS_LAST,)
    }
    sure = {}
    for _, student, keys, _ in failed:
        if len(keys) == 1:
            sure.setdefault(student, set()).add(keys[0])
    for part, student, keys, lost in failed:
        if not keys:
            keys = [UNDIAGNOSED]
        elif len(keys) > 1:
            narrowed = [k for k in keys if k in sure.get(student, ())]
            if narrowed and not set(narrowed) <= symptoms:
                keys = narrowed
        yield part, student, keys, lost


def reteach(parts):
    """[(key, points lost, students, [parts])], most points lost first."""
    totals = {}
    for part in parts:
        for key, who in part.students.items():
            if key == UNDIAGNOSED:
                continue
            points, students, where = totals.setdefault(key, [0.0, set(), []])
            totals[key][0] = points + sum(who.values())
            students |= set(who)
            where.append(part.part)
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1][0], kv[0]))
    return [(k, p, len(s), where) for k, (p, s, where) in ranked]


def write_csv(path, assignment, parts):
    """One row per (part, mistake, student): the instructor's list of names."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(
            ["assignment", "part", "mistake", "student_id", "points_lost", "ambiguous"]
        )
        for part in parts:
            for key, who in sorted(part.students.items()):
                for student, lost in sorted(who.items()):
                    writer.writerow(
                        [
                            csv_cell(assignment),
                            csv_cell(part.part),
                            csv_cell(key),
                            csv_cell(student),
                            round(lost, 3),
                            "yes" if (key, student) in part.ambiguous else "no",
                        ]
                    )


def table(assignment, parts, messages, base):
    lines = [f"## {assignment}: the class's mistakes", ""]
    rows = [(p, k, who) for p in parts for k, who in p.students.items()]
    if not rows:
        return "\n".join([*lines, "No part lost points.", ""])
    lines += [
        "| part | mistake | students | of them, ambiguous | points lost |",
        "|---|---|---:|---:|---:|",
    ]
    for part, key, who in rows:
        name = (
            key if key == UNDIAGNOSED else f"`{key}`: {short(messages(key, part.part))}"
        )
        maybe = sum((key, s) in part.ambiguous for s in who)
        lines.append(
            f"| {part.part} | {name} | {len(who)} | {maybe} | {sum(who.values()):g} |"
        )
    lines += ["", "### What to re-teach (most points lost first)", ""]
    for n, (key, points, students, where) in enumerate(reteach(parts), 1):
        section = section_for(where[0])
        link = f" — [{section.title}]({section.url(base)})" if section else ""
        who = "1 student" if students == 1 else f"{students} students"
        lines.append(
            f"{n}. `{key}`: {short(messages(key, where[0]))} — {who}, "
            f"{points:g} point{'' if points == 1 else 's'}, in {', '.join(where)}{link}"
        )
    return "\n".join(lines) + "\n"


def plot(path_stem, title, parts):
    """A grid of students per mistake (rows, most points lost first, the
    undiagnosed failures last) and part (columns)."""
    keys = [key for key, *_ in reteach(parts)]
    if any(UNDIAGNOSED in p.students for p in parts):
        keys.append(UNDIAGNOSED)
    shown = [p for p in parts if p.students] or parts
    counts = [[len(p.students.get(k, ())) for p in shown] for k in keys]
    marked = [
        [any((k, s) in p.ambiguous for s in p.students.get(k, ())) for p in shown]
        for k in keys
    ]
    return _grid(path_stem, title, keys, [p.part for p in shown], counts, marked)


def mistakes_report(course, assignment, out_dir):
    """(files written, markdown text) for one assignment's mistakes."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    parts = class_mistakes(course, assignment)
    stem = out_dir / f"{assignment}-mistakes"
    files = plot(stem, f"{assignment}: students per mistake and part", parts)
    csv_path = out_dir / f"{assignment}-mistakes.csv"
    write_csv(csv_path, assignment, parts)
    text = table(assignment, parts, Messages(), book_url(course.root))
    md = out_dir / f"{assignment}-mistakes.md"
    md.write_text(text, encoding="utf-8")
    return [*files, csv_path, md], text


def across_assignments(course, assignments, out_dir):
    """(files, markdown): each mistake's students per assignment, and those
    who made it in more than one assignment."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    seen = {}  # key -> {assignment: {students}}
    for a in assignments:
        for part in class_mistakes(course, a):
            for key, who in part.students.items():
                if key != UNDIAGNOSED:
                    seen.setdefault(key, {}).setdefault(a, set()).update(who)
    messages = Messages()
    lines = ["## Mistakes across assignments", ""]
    persisting = {}
    for key, per in seen.items():
        counts = {}
        for students in per.values():
            for s in students:
                counts[s] = counts.get(s, 0) + 1
        persisting[key] = sorted(s for s, n in counts.items() if n > 1)
    keys = sorted(seen, key=lambda k: (-len(persisting[k]), -len(seen[k]), k))
    if not keys:
        lines.append("No diagnosed mistakes.")
    else:
        lines += [
            "| mistake | " + " | ".join(assignments) + " | in more than one |",
            "|---|" + "---:|" * len(assignments) + "---|",
        ]
        for key in keys:
            cells = [str(len(seen[key].get(a, ()))) for a in assignments]
            again = ", ".join(persisting[key]) or "—"
            lines.append(
                f"| `{key}`: {short(messages(key))} | {' | '.join(cells)} | {again} |"
            )
    text = "\n".join(lines) + "\n"
    md = out_dir / "all-mistakes.md"
    md.write_text(text, encoding="utf-8")
    csv_path = out_dir / "all-mistakes.csv"
    with open(csv_path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["mistake", "assignment", "student_id"])
        for key in keys:
            for a in assignments:
                for s in sorted(seen[key].get(a, ())):
                    writer.writerow([csv_cell(key), csv_cell(a), csv_cell(s)])
    counts = [[len(seen[k].get(a, ())) for a in assignments] for k in keys]
    png = _grid(
        out_dir / "all-mistakes",
        "students per mistake and assignment",
        keys,
        assignments,
        counts,
    )
    return [*png, csv_path, md], text


def _grid(stem, title, rows, columns, counts, marked=None):
    """A grid of counts, each non-zero one written in its cell (with a * where
    `marked`: some of them ambiguous): PNG and SVG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(
        figsize=(0.45 * len(columns) + 4.5, 0.36 * max(len(rows), 1) + 2.6)
    )
    ax.imshow(counts if rows else [[0] * len(columns)], cmap="Reds", aspect="auto")
    ax.set_xticks(range(len(columns)), columns, rotation=50, ha="right")
    ax.set_yticks(range(len(rows)), rows)
    top = max((n for row in counts for n in row), default=0)
    for i, row in enumerate(counts):
        for j, n in enumerate(row):
            if n:
                colour = "white" if n > top / 2 else "black"
                star = "*" if marked and marked[i][j] else ""
                ax.text(j, i, f"{n}{star}", ha="center", va="center", color=colour)
    ax.set_title(title if rows else f"{title}: none")
    if marked and any(map(any, marked)):
        ax.set_xlabel("* some of these outputs another mistake explains as well")
    fig.tight_layout()
    out = []
    for ext in ("png", "svg"):
        path = Path(f"{stem}.{ext}")
        fig.savefig(path, dpi=120)
        out.append(path)
    plt.close(fig)
    return out
