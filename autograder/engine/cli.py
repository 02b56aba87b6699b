"""python -m autograder: the instructor's commands, in nbgrader's order.

    python -m autograder release  02-output-size
    python -m autograder collect  02-output-size submissions.zip
    python -m autograder grade    02-output-size
    python -m autograder feedback 02-output-size
    python -m autograder export   --roster roster.csv --to grades.csv
    python -m autograder report   02-output-size   (or --all)
    python -m autograder check    NOTEBOOK         (a student's check)
    python -m autograder new      10-name --chapter CHAPTER   (an author's)

Run them in the course folder (the one with nbgrader_config.py) or pass
--course (before or after the command). `grade` exits with status 0 only if
every submission was graded. The gradebook is nbgrader_config.py's db_url (a
SQLite file by default), or --db-url / $AUTOGRADER_DB_URL (e.g.
postgresql://user@host/db); `grade --scheduler tcp://host:8786` grades on a
Dask cluster instead of locally (`python -m autograder scheduler` runs one).
"""

from __future__ import annotations

import argparse
import os
import sys

from .course import CourseError, CourseFolder

# Each command imports what it needs when it runs: --help, collect and the
# scheduler then start without PyTorch, nbgrader's apps or Dask.

EPILOG = "See docs/instructors.md for the whole walk, and what grading defends against."


def _course(args):
    return CourseFolder(args.course, db_url=args.db_url)


def cmd_release(args):
    course = _course(args)
    course.nbgrader("generate_assignment", args.assignment, "--force")
    folder = course.root / course.coursedir.release_directory / args.assignment
    print(f"released {args.assignment} into {folder}")
    return 0


def cmd_collect(args):
    from .collect import collect

    course = _course(args)
    report = collect(course, args.assignment, args.source, args.pattern)
    print(report.text(args.assignment, args.source))
    return 0 if report.ok else 1


def cmd_scheduler(args):
    from .cluster import serve_scheduler

    serve_scheduler(args.host, args.port, lambda line: print(line, flush=True))
    return 0


def cmd_grade(args):
    from .batch import grade
    from .sandbox.process import Limits

    cpu, nb_cpu = args.part_timeout, args.notebook_timeout
    limits = Limits(
        part_cpu=cpu,
        part_wall=cpu,
        notebook_cpu=nb_cpu,
        notebook_wall=3 * nb_cpu + 5,
        submission_time=args.submission_timeout,
        memory_mb=args.memory,
    )
    course = _course(args)
    summary = grade(
        course,
        args.assignment,
        students=args.student,
        jobs=args.jobs,
        force=args.force,
        limits=limits,
        isolation=args.isolation,
        progress=False if args.quiet else None,
        scheduler=args.scheduler,
        allow_unsafe=args.unsafe_isolation,
    )
    print(summary.text())
    return 0 if summary.ok else 1


def feedback(course, assignment, students=None):
    """nbgrader's generate_feedback, with hidden tests cleared as a safeguard,
    every Markdown cell sanitised (see sanitize.py), and each failed part
    opened by its diagnosis, with MathJax served locally (feedback_page.py)."""
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.apps import NbGraderAPI
    from nbgrader.preprocessors import ClearHiddenTests, GetGrades

    from .feedback_page import TeachFailedParts, localise_all
    from .sanitize import SanitizeMarkdown
    from .sections import book_url

    config = course.config.copy()
    config.GenerateFeedback.preprocessors = [
        GetGrades,
        ClearHiddenTests,
        SanitizeMarkdown,
        TeachFailedParts,
        CSSHTMLHeaderPreprocessor,
    ]
    config.ClearHiddenTests.enforce_metadata = False
    config.TeachFailedParts.book_url = book_url(course.root)
    api = NbGraderAPI(coursedir=course.coursedir, config=config)
    results = []
    for student in students or [None]:
        results.append(
            api.generate_feedback(assignment, student_id=student, force=True)
        )
    folder = course.root / course.coursedir.feedback_directory
    localise_all(folder, assignment, students)
    return results


def cmd_feedback(args):
    course = _course(args)
    results = feedback(course, args.assignment, args.student)
    bad = [r for r in results if not r.get("success")]
    for r in bad:
        print(r.get("log", "") + r.get("error", ""), file=sys.stderr)
    folder = course.root / course.coursedir.feedback_directory
    print(f"feedback written under {folder}/<student>/{args.assignment}/")
    return 1 if bad else 0


def cmd_export(args):
    from .report import export

    course = _course(args)
    rows = export(course, args.to, roster=args.roster, assignments=args.assignment)
    print(f"wrote {rows} rows to {args.to}")
    return 0


def cmd_report(args):
    from .class_report import across_assignments, mistakes_report
    from .report import class_report

    course = _course(args)
    if args.all:
        with course.gradebook() as gb:
            names = [a.name for a in gb.assignments]
        files, text = across_assignments(course, names, args.out)
        print(text)
        print("\n".join(f"wrote {f}" for f in files))
        return 0
    if not args.assignment:
        print("error: name an assignment, or --all", file=sys.stderr)
        return 2
    png, md, text = class_report(course, args.assignment, args.out)
    files, mistakes = mistakes_report(course, args.assignment, args.out)
    print(text)
    print(mistakes)
    print(f"plot: {png}\ntable: {md}")
    print("\n".join(f"wrote {f}" for f in files))
    return 0


def cmd_check(args):
    from .precheck import main as precheck

    return precheck(args.notebook, timeout=args.timeout)


def cmd_tests(args):
    from ..manifest import tests_of

    print(" ".join(tests_of(args.name)))
    return 0


def cmd_new(args):
    from .scaffold import new

    course = CourseFolder(args.course)
    new(course, args.name, args.chapter, tuple(args.function or ()), args.dry_run)
    return 0


def _course_options(p, course, db_url):
    """--course and --db-url, accepted before the command and after it.

    The copy after the command has no defaults of its own (SUPPRESS), so it
    sets them only when given there and never hides a value given before.
    """
    p.add_argument("--course", default=course, help="the course folder (default: here)")
    p.add_argument(
        "--db-url",
        default=db_url,
        help="the gradebook's database URL (default: $AUTOGRADER_DB_URL, else "
        "nbgrader_config.py's db_url, else sqlite:///gradebook.db)",
    )


def parser():
    p = argparse.ArgumentParser(
        prog="python -m autograder",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _course_options(p, course=".", db_url=None)
    common = argparse.ArgumentParser(add_help=False)
    _course_options(common, course=argparse.SUPPRESS, db_url=argparse.SUPPRESS)
    subparsers = p.add_subparsers(dest="command", required=True)

    def command(name, **kwargs):
        return subparsers.add_parser(name, parents=[common], **kwargs)

    s = command("release", help="generate the student version (exercises/)")
    s.add_argument("assignment")
    s.set_defaults(run=cmd_release)

    s = command("collect", help="a folder or LMS zip into submitted/")
    s.add_argument("assignment")
    s.add_argument("source", help="a zip file or a folder of submissions")
    s.add_argument("--pattern", help="regex with named groups student and file")
    s.set_defaults(run=cmd_collect)

    s = command("grade", help="grade the submissions, in parallel and isolated")
    s.add_argument("assignment")
    s.add_argument("--student", action="append", help="only this student (repeatable)")
    s.add_argument("--jobs", type=int, help="grading processes (default: one per core)")
    s.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=os.environ.get("AUTOGRADER_SCHEDULER") or None,
        help="grade on the Dask cluster of this scheduler (tcp://host:8786) "
        "instead of local processes (default: $AUTOGRADER_SCHEDULER, else local)",
    )
    s.add_argument("--force", action="store_true", help="regrade unchanged submissions")
    s.add_argument(
        "--isolation",
        default="auto",
        choices=["auto", "root", "userns", "none"],
        help="how student code is isolated (auto: the strongest safe level here)",
    )
    s.add_argument(
        "--unsafe-isolation",
        action="store_true",
        help="allow a level that cannot keep student code away from the course "
        "and the gradebook ('none'; 'userns' without root or seccomp)",
    )
    s.add_argument(
        "--part-timeout",
        type=float,
        default=60.0,
        help="seconds of CPU time, and of waiting, that a student's code may use "
        "per test cell (60); a cell stopped at its CPU limit runs once more with "
        "twice as much",
    )
    s.add_argument(
        "--notebook-timeout",
        type=float,
        default=600.0,
        help="CPU seconds a student's code may use per notebook (600)",
    )
    s.add_argument(
        "--submission-timeout",
        type=float,
        default=300.0,
        help="seconds of CPU and waiting time a student's code may use per "
        "submission, all cells and re-runs together (300)",
    )
    s.add_argument(
        "--memory", type=int, default=2048, help="MiB per student process (2048)"
    )
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    s.set_defaults(run=cmd_grade)

    s = subparsers.add_parser(
        "scheduler",
        help="run a Dask scheduler to grade on (grade --scheduler ADDRESS)",
    )
    s.add_argument("--host", help="the interface to listen on (default: all)")
    s.add_argument("--port", type=int, default=8786, help="(default: 8786)")
    s.set_defaults(run=cmd_scheduler)

    s = command("feedback", help="HTML feedback from the autograded notebooks")
    s.add_argument("assignment")
    s.add_argument("--student", action="append")
    s.set_defaults(run=cmd_feedback)

    s = command("export", help="a grades CSV with a row for every roster student")
    s.add_argument("--to", default="grades.csv")
    s.add_argument(
        "--roster", help="CSV with an id column (and first_name, last_name, email)"
    )
    s.add_argument(
        "--assignment", action="append", help="only this assignment (repeatable)"
    )
    s.set_defaults(run=cmd_export)

    s = command(
        "report", help="score distribution, per-part success, the class's mistakes"
    )
    s.add_argument("assignment", nargs="?")
    s.add_argument("--all", action="store_true", help="mistakes across all assignments")
    s.add_argument("--out", default="reports", help="folder for the PNG and the table")
    s.set_defaults(run=cmd_report)

    s = subparsers.add_parser(
        "check", help="(students) run a notebook's visible tests: one line per part"
    )
    s.add_argument("notebook")
    s.add_argument("--timeout", type=float, default=120.0, help="seconds per cell")
    s.set_defaults(run=cmd_check)

    s = subparsers.add_parser(
        "tests",
        help="(authors) the test files of an assignment or a chapter's assignments",
    )
    s.add_argument("name", help="an assignment (04-padding) or a chapter (padding)")
    s.set_defaults(run=cmd_tests)

    s = command(
        "new",
        help="(authors) scaffold a new assignment: notebook, references, tests, "
        "the map's entry and the tables; then release it",
    )
    s.add_argument("name", help="NN-lower-case-words, e.g. 10-layer-table")
    s.add_argument(
        "--chapter", required=True, help="the chapter it practises: book/CHAPTER.md"
    )
    s.add_argument(
        "--function",
        action="append",
        help="a function students write (repeatable; default: the name's words "
        "joined by underscores)",
    )
    s.add_argument(
        "--dry-run", action="store_true", help="list the files, write nothing"
    )
    s.set_defaults(run=cmd_new)
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except CourseError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
