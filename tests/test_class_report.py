"""The class's mistakes, for every assignment, through the real commands.

For each assignment in the course's map (manifest.ASSIGNMENTS) a class is
built from the students of its one-mistake grading test
(tests/test_<ops>_grading.py): each makes the known mistakes that test names,
and nothing else. Each student is named after the keys of its mistakes, so
that a student who makes the same mistake in two assignments is one student
(`report --all` must find them). The classes are graded once, with
`python -m autograder grade`; `python -m autograder report` must count, per
mistake, exactly the students who made it, in its CSV, its table and its
re-teach list alike. Where one of those mistakes also fails a part that no
diagnosis explains, or that another op names by a symptom (one window
short), the class says so for that student (undiagnosed_too, and
separable_class): the report must count those too, and nothing else.

A new assignment needs its class here: one entry in CLASSES, keyed by its ops
module, and, in NOT_IN_A_CLASS, the known mistakes its class leaves out.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import pytest
import test_backward_grading as backward
import test_conv2d_grading as conv2d
import test_conv_vs_linear_grading as conv_vs_linear
import test_costs_grading as costs
import test_output_size_grading as output_size
import test_padding_grading as padding
import test_pooling_grading as pooling
import test_receptive_field_grading as receptive_field
import test_separable_grading as separable
import test_transposed_grading as transposed

from autograder.checking import diagnose, guard
from autograder.checking import registry as reference
from autograder.engine.class_report import UNDIAGNOSED
from autograder.manifest import ASSIGNMENTS
from conftest import run
from grader_support import cli, make_course, put
from helpers import edited, submission
from layer_table_students import MISTAKES as LAYER_TABLE_MISTAKES
from layer_table_students import student_source as layer_table_source

ANY_OP = [diagnose.ONE_WINDOW_SHORT, diagnose.ONE_WINDOW_LONG, diagnose.CHANNELS_LAST]


class Student(NamedTuple):
    """A submission: its answers ({grade_id: source}) and its mistakes' keys."""

    cells: dict
    keys: frozenset


def key_of(op, diagnosis):
    """The key of the known mistake of `op` that the feedback names with the
    grading test's words `diagnosis` (UNDIAGNOSED for PyTorch called: no
    mistake, the part scores zero)."""
    if diagnosis in guard.WHY:
        return UNDIAGNOSED
    records = [*reference.DIAGNOSES[op], *ANY_OP]
    keys = {d.key for d in records if diagnosis in d.message}
    assert len(keys) == 1, (op, diagnosis, keys)
    return keys.pop()


def student(cells, *mistakes):
    """A Student from its answers and its mistakes as (op, the feedback's words)."""
    return Student(cells, frozenset(key_of(op, words) for op, words in mistakes))


def conv_vs_linear_class():
    return {
        name: student(
            {"conv2d_as_matrix": edited(conv_vs_linear.SOLUTION, *edits)},
            ("conv2d_as_matrix", diagnosis),
        )
        for name, (edits, _, diagnosis) in conv_vs_linear.STUDENTS.items()
    }


def per_part_class(module):
    """The students of a test whose STUDENTS are {name: {part: (edits of the
    part's solution, features, diagnosis)}}."""
    return {
        name: student(
            {
                part: edited(module.SOURCES[part], *edits)
                for part, (edits, _, _) in mistakes.items()
            },
            *((part, diagnosis) for part, (_, _, diagnosis) in mistakes.items()),
        )
        for name, mistakes in module.STUDENTS.items()
    }


def conv2d_class():
    students = {
        name: student(cells, ("conv2d", diagnosis))
        for name, (cells, _, diagnosis) in conv2d.STUDENTS.items()
    }
    # A channels-last conv2d moves the channel axis of an unbatched output,
    # (C, H, W) -> (H, W, C), a layout that the diagnosis does not know.
    return undiagnosed_too(students, "channels_last")


def also(students, key, *names):
    """`students`, where those named also fail a part that `key` names: one
    that no diagnosis explains (UNDIAGNOSED), or that the part's op names
    otherwise (the report counts them there under that key)."""
    return students | {
        name: Student(students[name].cells, students[name].keys | {key})
        for name in names
    }


def undiagnosed_too(students, *names):
    return also(students, UNDIAGNOSED, *names)


def padding_class():
    students = {
        name: student({"pad": answer}, ("pad", diagnosis))
        for name, (_, answer, diagnosis) in padding.MISTAKES.items()
    }
    # Circular padding from the wrong end fails the crop-then-wrap cell too;
    # two mistakes do not refuse what PyTorch refuses: no diagnosis there.
    return undiagnosed_too(students, "dora", "erin", "carol")


def pooling_class():
    students = {
        name: student(
            {cell: edited(pooling.SOLUTIONS_BY_ID[cell], *changes)},
            (cell, diagnosis),
        )
        for name, (cell, changes, _, _, diagnosis) in pooling.MISTAKES.items()
    }
    # Zeros for padding and stride=None as 1 give indices (and, for zeros, a
    # ceil_mode output) that no diagnosis of max pooling explains.
    return undiagnosed_too(students, "carol", "dave")


def backward_class():
    # EXPECT lists each student's broken (feature, function's cells) and its
    # diagnoses in the same order.
    students = {
        name: student(
            backward.STUDENTS[name],
            *(
                (prefix.rstrip("_"), words)
                for (_, prefix), words in zip(broken, diagnoses, strict=True)
            ),
        )
        for name, (broken, diagnoses) in backward.EXPECT.items()
    }
    # erin's conv2d_backward (padding kept, stride ignored) fails the forms
    # part with no diagnosis.
    return undiagnosed_too(students, "erin")


def transposed_class():
    students = {
        name: student({"conv_transpose2d": answer}, ("conv_transpose2d", diagnosis))
        for name, (_, answer, diagnosis) in transposed.MISTAKES.items()
    }
    # With output_padding, stride 1 may not fit it: no diagnosis in that part.
    return undiagnosed_too(students, "gina")


def separable_class():
    one = {
        name: student(separable.STUDENTS[name], ("depthwise_conv2d", diagnosis))
        for name, (_, _, diagnosis) in separable.ONE_MISTAKE.items()
    }
    # The test's other students, with the diagnoses its own tests check.
    words = {
        "carol": [("depthwise_conv2d", "the channels are mixed")],
        "dave": [
            ("pointwise_conv2d", "the weight is read as (C_in, C_out)"),
            ("separable_parameter_counts", "the depthwise conv is counted as a full"),
        ],
        "erin": [
            ("separable_conv2d", "the pointwise conv comes first"),
            ("separable_parameter_counts", "bias (C_in values) is forgotten"),
        ],
    }
    assert set(one) | set(words) == set(separable.STUDENTS)
    students = one | {
        name: student(separable.STUDENTS[name], *found) for name, found in words.items()
    }
    # In separable_values, separable_conv2d's diagnoses name two depthwise
    # mistakes: ines's one-sided padding (it knows none) as one window short,
    # jo's missing bias as the depthwise bias not added; four students fail
    # separable parts with no diagnosis.
    students = also(students, diagnose.ONE_WINDOW_SHORT.key, "ines")
    students = also(students, "depthwise_bias_not_added", "jo")
    return undiagnosed_too(students, "gil", "dave", "carol", "kai")


def layer_table_class():
    """One mistake each, in one part; its key is named by the test itself."""
    students = {
        f"{part}-{key}": Student({part: layer_table_source(part, i)}, frozenset({key}))
        for part, found in LAYER_TABLE_MISTAKES.items()
        for i, (_, _, key, _) in enumerate(found)
    }
    # Output sizes that ignore the padding give the convolution's MACs of
    # layer_counts (which uses them) a count that no diagnosis there explains.
    return undiagnosed_too(students, "layer_shape-padding_ignored")


def costs_class():
    students = per_part_class(costs)
    # arithmetic_intensity calls the student's conv2d_bytes. Bytes in bits or
    # without the bias give an intensity that its own diagnoses name; bytes
    # without the output, the batch or the groups' division give one that no
    # diagnosis of intensity explains (its groups mistake is in the MACs).
    unexplained = {"output_forgotten", "batch_forgotten", "groups_ignored"}
    names = [
        name
        for name, made in costs.STUDENTS.items()
        if "conv2d_bytes" in made
        and key_of("conv2d_bytes", made["conv2d_bytes"][2]) in unexplained
    ]
    assert len(names) == len(unexplained), names
    return undiagnosed_too(students, *names)


# ops module (manifest.Assignment.ops) -> its class, {name: Student}
CLASSES = {
    "conv_vs_linear": conv_vs_linear_class,
    "output_size": lambda: per_part_class(output_size),
    "conv2d": conv2d_class,
    "padding": padding_class,
    "pooling": pooling_class,
    "backward": backward_class,
    "transposed": transposed_class,
    "receptive_field": lambda: per_part_class(receptive_field),
    "separable": separable_class,
    "layer_table": layer_table_class,
    "costs": costs_class,
}

# ops module -> the keys of its known mistakes that no student of its class
# makes (a grading test without a student for them).
NOT_IN_A_CLASS = {
    "conv_vs_linear": set(),
    "output_size": set(),
    "conv2d": set(),
    "padding": {"first_amount_both_sides", "padding_applied_after_data_only"},
    "pooling": {
        "ceil_mode_ignored",
        "indices_over_whole_array",
        "kernel_not_normalised",
        "mean_over_channels",
        "padding_ignored",
        "stride_one",
        "width_height_swapped",
    },
    "backward": {
        "grad_weight_averaged_over_batch",
        "gradient_to_every_maximum",
        "stride_ignored_grad_weight",
        "stride_ignored_grad_x",
    },
    "transposed": {"padding_ignored"},
    "receptive_field": set(),
    "layer_table": {"groups_ignored_in_macs", "groups_ignored_in_parameters"},
    "costs": set(),
    "separable": {
        "biases_forgotten",
        "depthwise_kernel_flipped",
        "kernel_flipped",
        "padding_ignored",
        "padding_right_only",
        "pointwise_bias_forgotten",
        "pointwise_bias_not_added",
        "same_rounded_up_both_sides",
    },
}

NAMES = [a.name for a in ASSIGNMENTS]
WITH_A_CLASS = [a for a in ASSIGNMENTS if a.ops in CLASSES]
RIGHT = "right"  # submits the reference solution in every assignment
OPS = ("conv2d", "transposed")  # the assignments of the persisting example


def named_by_keys(students):
    """{student id: Student}, each id its keys (so that one who makes a mistake
    in two assignments is one student), made unique within the class."""
    out = {}
    for _, found in sorted(students.items()):
        name = "__".join(sorted(found.keys - {UNDIAGNOSED})) or "no_diagnosis"
        unique, n = name, 2
        while unique in out:
            unique, n = f"{name}_{n}", n + 1
        out[unique] = found
    return out


@pytest.fixture(scope="module")
def classes():
    """{assignment: {student id: Student}} for the assignments with a class."""
    return {a.name: named_by_keys(CLASSES[a.ops]()) for a in WITH_A_CLASS}


@pytest.fixture(scope="module")
def course(tmp_path_factory, classes):
    """A course with every class submitted and graded (once for this file)."""
    root = make_course(tmp_path_factory.mktemp("class"), assignments=list(classes))
    # Released once, all together, as an instructor would before grading: each
    # grade command then finds its assignment in the gradebook.
    release = tmp_path_factory.mktemp("release")
    proc = run(
        ["nbgrader", "generate_assignment", "*", "--force"]
        + [f"--CourseDirectory.release_directory={release}"],
        cwd=root,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    for a in WITH_A_CLASS:
        put(root, RIGHT, submission(a.name, a.notebook), a.name, a.notebook)
        for name, found in classes[a.name].items():
            nb = submission(a.name, a.notebook, found.cells)
            put(root, name, nb, a.name, a.notebook)
        proc = cli(root, "grade", a.name, "--quiet")
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return root


@pytest.fixture(scope="module")
def reports(course, classes):
    """{assignment, or "--all": the report's stdout}, each report made once,
    two at a time (they only read the gradebook and the log)."""
    names = [*classes, "--all"]
    with ThreadPoolExecutor(max_workers=2) as pool:
        procs = dict(zip(names, pool.map(lambda n: cli(course, "report", n), names)))
    for name, proc in procs.items():
        assert proc.returncode == 0, (name, proc.stderr[-3000:])
    return {name: proc.stdout for name, proc in procs.items()}


def rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def submitted(students):
    """{key: {student ids}} of the mistakes a class made."""
    out = {}
    for name, found in students.items():
        for key in found.keys:
            out.setdefault(key, set()).add(name)
    return out


@pytest.mark.parametrize("name", NAMES)
def test_every_assignment_has_a_class(name):
    """Has every assignment of the course's map a class of known mistakes here?"""
    ops = next(a.ops for a in ASSIGNMENTS if a.name == name)
    assert ops in CLASSES, (
        f"{name} has no class in tests/test_class_report.py: add CLASSES[{ops!r}] "
        "(see docs/authors.md, section 7)"
    )
    assert ops in NOT_IN_A_CLASS, f"say which mistakes {name}'s class leaves out"


@pytest.mark.parametrize("a", WITH_A_CLASS, ids=lambda a: a.name)
def test_class_covers_the_known_mistakes(classes, a):
    """Does each class make every known mistake of its assignment but those
    listed as left out (and are those really known mistakes)?"""
    registered = {
        m.key
        for op, fn in reference.REFERENCES.items()
        if fn.__module__.rsplit(".", 1)[-1] == a.ops
        for m in reference.DIAGNOSES[op]
    }
    made = set(submitted(classes[a.name])) - {UNDIAGNOSED}
    assert made - registered <= {m.key for m in ANY_OP}
    assert registered - made == NOT_IN_A_CLASS[a.ops]


@pytest.mark.parametrize("a", WITH_A_CLASS, ids=lambda a: a.name)
def test_counts_equal_the_mistakes_submitted(course, classes, reports, a):
    """Does the report's CSV list, for each mistake, exactly the students who
    made it? (A part whose output another mistake explains as well is counted
    for both, marked ambiguous: never for a mistake alone that it did not make.)"""
    students = classes[a.name]
    listed, per_part = {}, {}
    for row in rows(course / "reports" / f"{a.name}-mistakes.csv"):
        assert row["student_id"] != RIGHT, row
        who, key = row["student_id"], row["mistake"]
        listed.setdefault(key, set()).add(who)
        per_part.setdefault((row["part"], who), {})[key] = row["ambiguous"]
    made = submitted(students)
    for key, who in made.items():
        assert listed.get(key, set()) >= who, key
    for (part, who), found in per_part.items():
        wrong = {k for k in found if k not in students[who].keys}
        assert wrong <= {k for k, maybe in found.items() if maybe == "yes"}, (
            part,
            who,
            found,
        )
        if wrong:  # beside a mistake it made, as ambiguous as the wrong ones
            assert any(found[k] == "yes" for k in set(found) - wrong), (part, who)


@pytest.mark.parametrize("a", WITH_A_CLASS, ids=lambda a: a.name)
def test_points_lost_add_up(course, classes, reports, a):
    """Do a student's lost points in the CSV add up to what the gradebook took?"""
    from grader_support import scores

    got = scores(course, a.name)
    top = got[RIGHT]  # the reference solution has full marks
    lost = {}
    for row in rows(course / "reports" / f"{a.name}-mistakes.csv"):
        who = row["student_id"]
        lost[who] = lost.get(who, 0.0) + float(row["points_lost"])
    for name in classes[a.name]:
        taken = sum(top[gid] - (got[name][gid] or 0) for gid in top)
        assert taken > 0, name
        assert lost.get(name, 0.0) == pytest.approx(taken, abs=0.01), name


@pytest.mark.parametrize("a", WITH_A_CLASS, ids=lambda a: a.name)
def test_table_counts_match_the_csv(course, reports, a):
    """Does each row of the table (part, mistake) count the CSV's students?"""
    counted = {}
    for row in rows(course / "reports" / f"{a.name}-mistakes.csv"):
        key = (row["part"], row["mistake"])
        counted[key] = counted.get(key, 0) + 1
    table = (course / "reports" / f"{a.name}-mistakes.md").read_text()
    shown = {}
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 5 and cells[2].isdigit():
            key = re.match(r"`(\w+)`|(\(no diagnosis\))", cells[1])
            shown[(cells[0], key.group(1) or key.group(2))] = int(cells[2])
    assert shown == counted


@pytest.mark.parametrize("a", WITH_A_CLASS, ids=lambda a: a.name)
def test_reteach_ranks_the_csvs_points(course, classes, reports, a):
    """Is the re-teach list every diagnosed mistake, ranked by the points that
    the CSV says it cost, with its students counted and its section linked?"""
    out = course / "reports"
    text = (out / f"{a.name}-mistakes.md").read_text()
    assert text in reports[a.name]
    points, students = {}, {}
    for row in rows(out / f"{a.name}-mistakes.csv"):
        if row["mistake"] != UNDIAGNOSED:
            key = row["mistake"]
            points[key] = points.get(key, 0.0) + float(row["points_lost"])
            students.setdefault(key, set()).add(row["student_id"])
    items = re.findall(
        r"^\d+\. `(\w+)`.*? — (\d+) students?, ([\d.]+) points?, in [^—]*"
        r"(?:— \[.+\]\((.*)\))?$",
        text,
        re.M,
    )
    links = [link for *_, link in items if link]
    assert links, text  # the book sections of the parts that have one
    assert all(re.search(r"/book/[\w-]+\.html#[\w-]+$", x) for x in links), links
    assert [k for k, *_ in items] == sorted(points, key=lambda k: (-points[k], k))
    for key, n, shown, _ in items:
        assert int(n) == len(students[key]), key
        assert float(shown) == pytest.approx(points[key], abs=0.01), key


@pytest.mark.parametrize("a", WITH_A_CLASS, ids=lambda a: a.name)
def test_report_writes_its_plot(course, reports, a):
    """Are the plot's PNG and SVG written?"""
    out = course / "reports"
    png = out / f"{a.name}-mistakes.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / f"{a.name}-mistakes.svg").read_text().lstrip().startswith("<")


def test_all_shows_mistakes_that_persist(course, classes, reports):
    """Does `report --all` list each mistake's students per assignment, and
    name those who made it in more than one (the student who ignores the
    stride in conv2d and in conv_transpose2d, for one)?"""
    found = {
        (r["mistake"], r["assignment"], r["student_id"])
        for r in rows(course / "reports" / "all-mistakes.csv")
    }
    made = {
        (k, a, s)
        for a, students in classes.items()
        for k, who in submitted(students).items()
        for s in who
        if k != UNDIAGNOSED
    }
    maybe = {
        (r["mistake"], a, r["student_id"])
        for a in classes
        for r in rows(course / "reports" / f"{a}-mistakes.csv")
        if r["ambiguous"] == "yes"
    }
    assert made <= found
    assert found - made <= maybe
    table = (course / "reports" / "all-mistakes.md").read_text()
    assert table in reports["--all"]
    again = {}
    for line in table.splitlines():
        match = re.match(r"\| `(\w+)`: .*\| ([^|]+) \|$", line)
        if match:
            named = match[2].strip()
            again[match[1]] = set() if named == "—" else set(named.split(", "))
    assert set(again) == {k for k, _, _ in found}
    for key in again:
        count = Counter(s for k, _, s in found if k == key)
        assert again[key] == {s for s, n in count.items() if n > 1}, key
        count = Counter(s for k, _, s in made if k == key)
        assert again[key] >= {s for s, n in count.items() if n > 1}, key
    # The example: one student ignores the stride in conv2d and in conv_transpose2d.
    conv, trans = (next(a.name for a in ASSIGNMENTS if a.ops == o) for o in OPS)
    key = "stride_ignored"
    assert {(key, conv, key), (key, trans, key)} <= found
    assert key in again[key]


def test_report_without_a_name_or_all_fails(course):
    """Does `report` with neither an assignment nor --all exit non-zero?"""
    assert cli(course, "report").returncode == 2
