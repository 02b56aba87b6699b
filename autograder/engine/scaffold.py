"""python -m autograder new NN-name --chapter CHAPTER: a new assignment's files.

Everything an assignment needs to pass the release, leak, manifest, task-text
and README tests at once (docs/authors.md, "Add an assignment"):

- the source notebook solutions/NN-name/<name>.ipynb: a task, one solution
  cell per function, a visible and a hidden graded test cell per function;
- the PyTorch references, autograder/checking/ops/<ops>.py;
- the course map's entry (autograder/manifest.py), the exercise page in
  _toc.yml and the points row of README.md;
- tests/test_<ops>_check.py, tests/test_<ops>_grading.py and a fairness
  corpus (tests/fairness/NN-name/, tests/fairness_cases.py);
- then the release (exercises/NN-name/) and the stored answers for the
  browser (autograder/offline/precomputed/NN-name.json).

Every function starts as a working placeholder (ReLU: negative entries become
0, checked against torch.relu) that the author replaces; the printed next
steps say what is left. Every refusal is decided before anything is written.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import keyword
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .course import CourseError

NAME = re.compile(r"(\d\d)-([a-z][a-z0-9]*(?:-[a-z][a-z0-9]*)*)")
FUNCTION = re.compile(r"[a-z_][a-z0-9_]*")
MAX_NAME = 40
REGISTERED = re.compile(r"""@register\(\s*["'](\w+)["']""")

# The placeholder task: four trivially different correct styles of it, the
# fairness corpus that tests/test_fairness.py asks of every assignment.
STYLES = {
    "maximum": "np.maximum(x, 0)",
    "where": "np.where(x > 0, x, np.zeros_like(x))",
    "mask": "x * (x > 0)",
    "clip": "np.clip(x, 0, None)",
}
SOLUTION_LINE = STYLES["maximum"]
FLOAT32_WORDS = "(float32 in, float32 out)"


class ScaffoldError(CourseError):
    """The new assignment cannot be made as asked (nothing was written)."""


@dataclass(frozen=True)
class Plan:
    """What `new` makes: names, and each file to write, as (path, text)."""

    root: Path
    name: str
    number: int
    words: str
    chapter: str
    functions: tuple
    ops: str
    notebook: str

    @property
    def tests(self):
        return (f"test_{self.ops}_check.py", f"test_{self.ops}_grading.py")

    @property
    def doc(self):
        return f"exercises/{self.name}/{self.notebook.removesuffix('.ipynb')}"


# --- checks: every refusal before anything is written --------------------------


def _manifest(root):
    """The course map of the repository at `root`, read from its file."""
    path = root / "autograder" / "manifest.py"
    if not path.is_file():
        raise ScaffoldError(f"{root} is not the course repository (no {path})")
    spec = importlib.util.spec_from_file_location("_course_manifest", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module.ASSIGNMENTS


def _registered(root):
    """The op names that the ops modules at `root` register already."""
    found = set()
    for path in sorted((root / "autograder" / "checking" / "ops").glob("*.py")):
        found |= set(REGISTERED.findall(path.read_text(encoding="utf-8")))
    return found


def plan(root, name, chapter, functions=()):
    """The Plan for a new assignment, or ScaffoldError saying why not."""
    root = Path(root).resolve()
    match = NAME.fullmatch(name)
    if not match or len(name) > MAX_NAME:
        raise ScaffoldError(
            f"bad assignment name {name!r}: use NN-lower-case-words, two digits, "
            f"a dash, then lower-case words joined by dashes (e.g. 10-layer-table), "
            f"at most {MAX_NAME} characters"
        )
    number, words = int(match[1]), match[2]
    assignments = _manifest(root)
    for a in assignments:
        if a.name == name:
            raise ScaffoldError(f"assignment {name} exists already (manifest.py)")
        if int(a.name[:2]) == number:
            raise ScaffoldError(f"number {match[1]} is taken by {a.name}")
    for folder in ("solutions", "exercises"):
        if (root / folder / name).exists():
            raise ScaffoldError(f"{folder}/{name} exists already")
    chapters = sorted(p.stem for p in (root / "book").glob("*.md"))
    if chapter not in chapters:
        raise ScaffoldError(
            f"unknown chapter {chapter!r}: no book/{chapter}.md "
            f"(chapters: {', '.join(chapters)})"
        )
    text = (root / "book" / f"{chapter}.md").read_text(encoding="utf-8")
    if f"(chap-{chapter})=" not in text:
        raise ScaffoldError(f"book/{chapter}.md has no label (chap-{chapter})=")
    ops = words.replace("-", "_")
    functions = tuple(functions) or (ops,)
    taken = _registered(root)
    for fn in functions:
        if not FUNCTION.fullmatch(fn) or keyword.iskeyword(fn) or len(fn) > MAX_NAME:
            raise ScaffoldError(
                f"bad function name {fn!r}: a lower-case Python name (e.g. relu)"
            )
        if fn in taken:
            raise ScaffoldError(f"function {fn!r} is already checked by an ops module")
    if len(set(functions)) != len(functions):
        raise ScaffoldError(f"a function is named twice in {list(functions)}")
    result = Plan(root, name, number, words, chapter, functions, ops, f"{words}.ipynb")
    if max(len(line) for line in _entry(result).splitlines()) > 88:
        raise ScaffoldError("the function names are too long for one line of the map")
    for path in creates(result):
        if path.exists():
            raise ScaffoldError(f"{path.relative_to(root)} exists already")
    return result


def creates(p):
    """The files `new` creates (absolute paths)."""
    r = p.root
    return [
        r / "solutions" / p.name / p.notebook,
        r / "autograder" / "checking" / "ops" / f"{p.ops}.py",
        *(r / "tests" / t for t in p.tests),
        *(r / "tests" / "fairness" / p.name / f"{s}.py" for s in STYLES),
    ]


# Files that `new` edits, and what it writes by running the course's commands.
EDITS = ("autograder/manifest.py", "_toc.yml", "README.md", "tests/fairness_cases.py")


def generated(p):
    return [
        f"exercises/{p.name}/{p.notebook}",
        f"autograder/offline/precomputed/{p.name}.json",
    ]


# --- the source notebook ----------------------------------------------------------


def _chapter_title(p):
    text = (p.root / "book" / f"{p.chapter}.md").read_text(encoding="utf-8")
    found = re.search(r"^# (.+)$", text, re.M)
    return found[1].strip() if found else p.chapter


def task_words(fn):
    """The contract's sentences about one function: the features quote them."""
    return {
        f"{fn}_values": (
            f"`{fn}(x)` returns `x` with every negative entry replaced by 0"
        ),
        f"{fn}_any_shape": f"`{fn}` takes an array `x` of any shape",
        "float32": f"The result has the shape and the dtype of `x` {FLOAT32_WORDS}.",
    }


def _cell(kind, source, grade_id, points=None, solution=False):
    meta = {
        "grade": points is not None,
        "grade_id": grade_id,
        "locked": not solution,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if points is not None:
        meta["points"] = points
    make = (
        nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
    )
    return make(source, metadata={"nbgrader": meta})


def _solution(fn):
    return f'''def {fn}(x):
    """Placeholder, to replace: x with negative entries set to 0 (torch.relu).

    Inputs:
    - x: array of any shape

    Returns:
    - y: array of the shape and the dtype of x
    """
    ### BEGIN SOLUTION
    x = np.asarray(x)
    return {SOLUTION_LINE}
    ### END SOLUTION
'''


def _features(words, keys):
    return "\n".join(f'feature {k}: "{words[k]}"' for k in keys)


def _tests(fn, seed):
    words = task_words(fn)
    values = f'''"""{fn}: the negative entries of small arrays become 0.

{_features(words, [f"{fn}_values"])}
"""
check({fn}, "{fn}", np.array([-2.0, -0.5, 0.0, 0.5, 2.0]))
check({fn}, "{fn}", np.array([[1.0, -1.0], [-3.0, 3.0]]))
'''
    shapes = f'''"""{fn}: arrays of any shape; float32 stays float32.

{_features(words, [f"{fn}_values", f"{fn}_any_shape", "float32"])}
"""
{fn}_rng = np.random.default_rng({seed})
{fn}_x = {fn}_rng.normal(size=(2, 3, 4))
check({fn}, "{fn}", {fn}_x.astype(np.float32))
### BEGIN HIDDEN TESTS
{fn}_rng = np.random.default_rng({seed + 1})
for {fn}_shape in [(1,), (4, 5), (2, 3, 4, 5), (0, 3)]:
    {fn}_x = {fn}_rng.normal(size={fn}_shape)
    check({fn}, "{fn}", {fn}_x)
    check({fn}, "{fn}", {fn}_x.astype(np.float32))
### END HIDDEN TESTS
'''
    return [
        _cell("code", values, f"{fn}_values", points=1),
        _cell("code", shapes, f"{fn}_shapes", points=2),
    ]


POINTS_PER_FUNCTION = 3
COUNTS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}


def notebook(p):
    """The source notebook: the task, then per function its solution and tests."""
    names = ", ".join(f"`{fn}(x)`" for fn in p.functions)
    n = len(p.functions)
    count = COUNTS.get(n, n)
    intro = f"""# Assignment {p.number}: {p.words.replace("-", " ")}

This assignment practises the book's chapter *{_chapter_title(p)}*
(`book/{p.chapter}.md`). You will write {count} function{"s" * (n > 1)}, {names}.

Each test cell compares your function with PyTorch (in float64, on the CPU) through
`autograder.check`. When an output is wrong, the message says what was expected, what
came, and, where it can tell, the likely mistake. The visible tests are a sample: the
grader runs more cases.

Rules: write NumPy only; calling PyTorch, SciPy or another library scores zero for the
part that does it. Do not edit or delete the test cells."""
    bullets = []
    for fn in p.functions:
        words = task_words(fn)
        bullets.append(
            f"- {words[f'{fn}_values']}, as `torch.relu` does; "
            f"{words[f'{fn}_any_shape']}."
        )
    contract = (
        f"## The contract ({POINTS_PER_FUNCTION * n} points over {2 * n} test cells)"
        "\n\n" + "\n".join(bullets) + "\n- " + task_words("")["float32"]
    )
    cells = [
        _cell("markdown", intro, "intro"),
        _cell("code", "import numpy as np\n\nfrom autograder import check", "imports"),
        _cell("markdown", contract, "contract"),
    ]
    for i, fn in enumerate(p.functions):
        cells.append(_cell("code", _solution(fn), fn, solution=True))
        cells += _tests(fn, seed=p.number * 1000 + 100 * i + 1)
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata = {
        "kernelspec": {
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
            "name": "python3",
        },
        "language_info": {"name": "python"},
    }
    return nb


# --- the ops module, the tests, the fairness corpus ---------------------------------


def _tuple(names):
    """A tuple of strings as ruff formats it (short ones)."""
    quoted = [json.dumps(n) for n in names]
    return f"({quoted[0]},)" if len(quoted) == 1 else f"({', '.join(quoted)})"


def ops_module(p):
    registered = "\n\n\n".join(
        f'''@register("{fn}", diagnoses=[NEGATIVES_KEPT])
def {fn}(x):
    """Placeholder reference (replace it): torch.relu in float64."""
    return torch.relu(tensor(x)).numpy()'''
        for fn in p.functions
    )
    names = ", ".join(p.functions)
    return f'''"""Assignment {p.name}: the PyTorch references of {names}.

Scaffolded with a placeholder task (ReLU): replace each reference and its known
mistakes with the real ones (see autograder/checking/registry.py).
"""

from __future__ import annotations

import numpy as np
import torch

from ..registry import Mistake, register, tensor

NEGATIVES_KEPT = Mistake(
    "negatives_kept",
    "the negative entries are kept: each entry below 0 must become 0",
    lambda args: np.asarray(args["x"], dtype=np.float64),
)


{registered}
'''


def check_tests(p):
    fns = _tuple(p.functions)
    names = ", ".join(p.functions)
    return f'''"""The {names} references of {p.name} and their diagnoses."""

import numpy as np
import pytest
import torch

from autograder import check
from autograder.manifest import BY_NAME
from helpers import load_solutions

A = BY_NAME["{p.name}"]
FUNCTIONS = {fns}
SOLUTIONS = load_solutions(A.name, A.notebook)
RNG = np.random.default_rng({p.number})


def failure(student, op, *args):
    with pytest.raises(AssertionError) as info:
        check(student, op, *args)
    return str(info.value)


@pytest.mark.parametrize("fn", FUNCTIONS)
@pytest.mark.parametrize("shape", [(5,), (2, 3, 4), (0, 4)])
def test_solution_passes(fn, shape):
    """Does the reference solution match PyTorch, in float64 and float32?"""
    x = RNG.normal(size=shape)
    check(SOLUTIONS[fn], fn, x)
    check(SOLUTIONS[fn], fn, x.astype(np.float32))


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_reference_is_pytorchs(fn):
    """Does the registered reference return what torch.relu returns?"""
    from autograder.checking.reference import REFERENCES

    x = RNG.normal(size=(3, 4))
    assert np.array_equal(REFERENCES[fn](x), torch.relu(torch.from_numpy(x)).numpy())


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_kept_negatives_are_named(fn):
    """Is a function that returns x unchanged told that it keeps the negatives?"""
    message = failure(lambda x: np.asarray(x), fn, np.array([-1.0, 2.0]))
    assert "likely mistake: the negative entries are kept" in message


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_float64_for_float32_fails(fn):
    """Does a float64 result for a float32 input fail?"""
    x = np.array([-1.0, 2.0], dtype=np.float32)
    assert "float32" in failure(lambda x: np.maximum(x.astype(np.float64), 0), fn, x)
'''


def grading_tests(p):
    return f'''"""Assignment {p.name} through the real nbgrader CLI.

alice submits the reference solution, bob the untouched exercise; every other
student makes one mistake in one function and loses exactly the graded cells
whose docstring lists the feature that the mistake breaks.
"""

import nbformat
import pytest

from autograder.manifest import BY_NAME
from course import grade_class
from helpers import (
    SOLUTIONS,
    cell_features,
    edited,
    feedback_text,
    lost,
    solution_sources,
)

A = BY_NAME["{p.name}"]
SOURCES = solution_sources(
    nbformat.read(SOLUTIONS / A.name / A.notebook, as_version=4)
)
FEATURES = cell_features(A.name, A.notebook)
POINTS = {POINTS_PER_FUNCTION * len(p.functions)}

# student: (function, feature the mistake breaks, the answer, its diagnosis)
MISTAKES = {{}}
for fn in sorted(SOURCES):
    MISTAKES[f"kept_{{fn}}"] = (
        fn,
        f"{{fn}}_values",
        edited(SOURCES[fn], ("return {SOLUTION_LINE}", "return x")),
        "the negative entries are kept",
    )
    MISTAKES[f"double_{{fn}}"] = (
        fn,
        "float32",
        edited(SOURCES[fn], ("x = np.asarray(x)", "x = np.asarray(x, np.float64)")),
        None,
    )


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    students = {{s: {{fn: answer}} for s, (fn, _, answer, _) in MISTAKES.items()}}
    base = tmp_path_factory.mktemp("course")
    return grade_class(base, A.name, A.notebook, students)[1]


def test_solution_gets_full_marks(graded):
    """Does the reference solution, submitted as a student, get full marks?"""
    assert graded.total("alice") == graded.max_total("alice") == POINTS


def test_untouched_exercise_scores_zero(graded):
    """Does the untouched exercise notebook score zero?"""
    assert graded.total("bob") == 0


@pytest.mark.parametrize("student", sorted(MISTAKES))
def test_mistake_costs_only_its_feature(graded, student):
    """Does one mistake lose exactly the cells of its feature, and get named?"""
    fn, feature, _, diagnosis = MISTAKES[student]
    cells = {{
        gid
        for gid, names in FEATURES.items()
        if feature in names and gid.rsplit("_", 1)[0] == fn
    }}
    assert cells
    assert lost(graded, student) == cells
    if diagnosis:
        text = feedback_text(graded, student, A.notebook)
        assert f"likely mistake: {{diagnosis}}" in text
'''


def corpus(p, style):
    return (
        "".join(
            f"# %% {fn}\ndef {fn}(x):\n"
            f"    x = np.asarray(x)\n    return {STYLES[style]}\n\n\n"
            for fn in p.functions
        ).rstrip("\n")
        + "\n"
    )


def cases_block(p):
    func = f"cases_{p.number:02d}_{p.ops}"
    return f'''

# --- {p.name}: the scaffold's placeholder (ReLU); replace with the real cases


def {func}(rng):
    relu = torch_op(torch.relu)
    for shape in [(5,), (2, 3, 4), (0, 3)]:
        x = rng.normal(size=shape)
        for name in {_tuple(p.functions)}:
            yield name, relu, (x,), {{}}
            yield name, relu, (x.astype(np.float32),), {{}}


CASES["{p.name}"] = {func}
'''


# --- the edits of the files that list every assignment -----------------------------


def _entry(p):
    writes = ", ".join(f"`{fn}`" for fn in p.functions)
    tests = f"({json.dumps(p.tests[0])}, {json.dumps(p.tests[1])}),"
    if len(tests) + 8 > 88:
        tests = "(\n" + "".join(f"            {json.dumps(t)},\n" for t in p.tests)
        tests += "        ),"
    lines = [
        "    Assignment(",
        f"        {json.dumps(p.name)},",
        f"        {json.dumps(p.notebook)},",
        f"        {json.dumps(p.chapter)},",
        f"        {json.dumps(p.ops)},",
        f"        {json.dumps(writes)},",
        f"        {tests}",
        "    ),",
    ]
    return "\n".join(lines) + "\n"


def _after(assignments, p):
    """The assignment that the new one follows in the map (by number), or None."""
    before = [a for a in assignments if int(a.name[:2]) < p.number]
    return before[-1] if before else None


def edit_manifest(text, assignments, p):
    """manifest.py's text with the new entry in ASSIGNMENTS, in number order."""
    tree = ast.parse(text)
    (node,) = [
        n
        for n in tree.body
        if isinstance(n, ast.Assign)
        and any(getattr(t, "id", None) == "ASSIGNMENTS" for t in n.targets)
    ]
    lines = text.splitlines(keepends=True)
    after = _after(assignments, p)
    if after is None:
        at = node.lineno  # the line after "ASSIGNMENTS = ["
    else:
        (elt,) = [
            e for e in node.value.elts if ast.literal_eval(e.args[0]) == after.name
        ]
        at = elt.end_lineno
    return "".join(lines[:at]) + _entry(p) + "".join(lines[at:])


def edit_toc(text, assignments, p):
    """_toc.yml's text with the exercise page under Practice, in number order."""
    after = _after(assignments, p)
    if after is None:
        found = re.search(r"^( *)- file: book/exercises\n\1  sections:\n", text, re.M)
        indent = found[1] + "    " if found else ""
    else:
        found = re.search(rf"^( *)- file: {re.escape(after.doc)}\n", text, re.M)
        indent = found[1] if found else ""
    if not found:
        raise ScaffoldError("_toc.yml: no Practice section (book/exercises) to add to")
    line = f"{indent}- file: {p.doc}\n"
    return text[: found.end()] + line + text[found.end() :]


README_ROW = re.compile(r"^\| `(\d\d-[\w-]+)` \|.*\| (\d+) \|$", re.M)


def edit_readme(text, assignments, p):
    """README.md's text with the new row in the table *The assignments*."""
    rows = list(README_ROW.finditer(text))
    if not rows:
        raise ScaffoldError("README.md has no table of assignments to add a row to")
    earlier = [m for m in rows if int(m[1][:2]) < p.number]
    writes = ", ".join(f"`{fn}`" for fn in p.functions)
    row = f"| `{p.name}` | {writes} | {POINTS_PER_FUNCTION * len(p.functions)} |\n"
    if earlier:
        at = earlier[-1].end() + 1
    else:
        at = rows[0].start()
    return text[:at] + row + text[at:]


# --- doing it ----------------------------------------------------------------------


def files(p):
    """{path: text} of every file that `new` creates or edits, in that order."""
    assignments = _manifest(p.root)
    r = p.root
    nb_path, ops_path, check_path, grading_path, *corpus_paths = creates(p)
    out = {
        nb_path: nbformat.writes(notebook(p)) + "\n",
        ops_path: ops_module(p),
        check_path: check_tests(p),
        grading_path: grading_tests(p),
    }
    for path, style in zip(corpus_paths, STYLES):
        out[path] = corpus(p, style)
    edits = {
        "autograder/manifest.py": lambda t: edit_manifest(t, assignments, p),
        "_toc.yml": lambda t: edit_toc(t, assignments, p),
        "README.md": lambda t: edit_readme(t, assignments, p),
        "tests/fairness_cases.py": lambda t: t + cases_block(p),
    }
    for rel, edit in edits.items():
        out[r / rel] = edit((r / rel).read_text(encoding="utf-8"))
    return out


def next_steps(p):
    fns = ", ".join(p.functions)
    return f"""
Next steps for {p.name} (what the command cannot write for you):
  1. Replace the placeholder task (ReLU) in solutions/{p.name}/{p.notebook}: the
     contract, each solution of {fns}, the test cells and their `feature` lines
     (quote the task's words).
  2. Replace the references and known mistakes in
     autograder/checking/ops/{p.ops}.py.
  3. Replace the four placeholder styles of tests/fairness/{p.name}/ with
     independently written correct solutions, and the cases of {p.name} in
     tests/fairness_cases.py.
  4. Adapt tests/{p.tests[0]} and tests/{p.tests[1]} to the real task.
  5. Say what students write in the map (autograder/manifest.py, `writes`) and
     the README's row, and link the exercise from the Practise section of
     book/{p.chapter}.md:
        {{doc}}`{p.name} <../{p.doc}>`
  6. Give it a class of one-mistake students in tests/test_class_report.py
     (CLASSES and NOT_IN_A_CLASS, keyed by {p.ops!r}; docs/authors.md, step 9):
     the full suite fails for an assignment without one.
  7. Release again and store the browser's answers after each change:
        python -m autograder release {p.name}
        python -m autograder.offline.precompute {p.name}
  8. Run its tests: python -m pytest -q $(python -m autograder tests {p.name})
     tests/test_release.py tests/test_leaks.py tests/test_task_text.py
     tests/test_readme.py tests/test_manifest.py tests/test_fairness.py"""


def _env(root):
    """The environment of a command that must import the course's own package."""
    paths = [str(root), os.environ.get("PYTHONPATH", "")]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}


def precompute(root, name):
    proc = subprocess.run(
        [sys.executable, "-m", "autograder.offline.precompute", name],
        cwd=root,
        env=_env(root),
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise CourseError(
            f"precompute failed:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}"
        )
    return proc.stdout.strip()


def _format(paths):
    """ruff's formatting of the Python files written, where ruff is installed
    (the templates are written formatted; long names may still need it)."""
    subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--quiet", *map(str, paths)],
        capture_output=True,
    )


def new(course, name, chapter, functions=(), dry_run=False, say=print):
    """Make the assignment (or, dry_run, only say what it would do)."""
    p = plan(course.root, name, chapter, functions)
    out = files(p)
    rel = {path: path.relative_to(p.root) for path in out}
    made = set(creates(p))
    for path in out:
        say(f"{'create' if path in made else 'edit  '} {rel[path]}")
    for path in generated(p):
        say(f"make   {path}")
    if dry_run:
        say("(dry run: nothing written)")
        return p
    for path, text in out.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    _format([path for path in out if path.suffix == ".py"])
    course.nbgrader("generate_assignment", p.name, "--force")
    say(f"released {p.name}")
    say(precompute(p.root, p.name))
    say(next_steps(p))
    return p
