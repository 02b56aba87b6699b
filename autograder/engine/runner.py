"""Grade one submitted notebook: tests here, the student's code in a sandbox.

The grading process runs the locked cells and every test cell of the
instructor's source notebook (hidden tests included) itself. The names the
solution cells define (`conv1d`, ...) are bound to `StudentFunction` proxies:
calling one sends the arguments to the sandboxed process (sandbox/process.py), which
runs the student's function and sends back its output as plain data. So
`check` and the PyTorch reference run here, where the student's code cannot
reach them, and a part's score depends only on what the student's functions
returned.

Each test cell is one part. A part ends early (and scores zero) when the
student's process uses more than the part's CPU time, stops answering, dies,
or sends back something that is not plain data; the next part gets a fresh
process. A part stopped at its CPU limit is run once more, in a fresh
process with RETRY_FACTOR times the limit, before it costs points: CPU time
grows a little on a loaded machine, and a grade must not depend on that.
The notebook as a whole also has a CPU and a wall-clock budget, and the
whole submission a time budget (SubmissionBudget): the parts it leaves
unfinished are recorded as such.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import io
import time
import warnings
from dataclasses import dataclass, field

from ..checking import wire
from ..checking.guard import ForbiddenCall
from .hidden import HIDDEN_REGIONS, keyed_builtins
from .notebook import (
    HIDDEN_BEGIN,
    HIDDEN_END,
    Malformed,
    Step,
    error_output,
    graded_notebook,
    merge,
    python_source,
    read_submission,
    stream_output,
    unreadable_steps,
)
from .sandbox.process import (
    STOPPED_CPU,
    STOPPED_TOTAL,
    STOPPED_WAIT,
    Child,
    ChildFailure,
    Deadline,
    SandboxUnavailable,
)

OUTPUT_KEPT = 4000  # characters of a student's printed output kept per cell
BACKSTOP = 20  # a part ends after this many times part_wall, whatever it does
RETRY_FACTOR = 2  # a part stopped at its CPU limit runs again with this much more
_TIMEOUTS = (STOPPED_CPU, STOPPED_WAIT, STOPPED_TOTAL)
# A cell stopped while a fresh process runs the notebook, after using this
# share of the part's limit by itself, is skipped from then on (it hangs).
SETUP_SHARE = 0.5

# Why a part did not finish, as recorded in its grade ("stopped"): a key.
PART_TIMEOUT = "timeout"  # the part's own CPU or waiting limit
OUT_OF_BUDGET = "budget"  # the notebook's or the submission's budget ran out


def submission_wall(limits, notebooks=1):
    """Wall-clock seconds after which a grading process gives up on a submission.

    The budget counts the student's CPU and waiting time; this backstop, three
    times that plus a margin for the grader's own work per notebook, bounds a
    submission on a machine so loaded that the student's process gets no core.
    """
    return 3 * limits.submission_time + 30 + 60 * notebooks


class PartStopped(BaseException):
    """The student's process failed during a part; nothing in a test may catch it.

    `stopped` is PART_TIMEOUT or OUT_OF_BUDGET when a time limit stopped it,
    None when the process died or broke the protocol; `cpu_limit` says that
    it was the part's CPU limit (the one that a re-run gets more of).
    """

    def __init__(self, message, stopped=None, cpu_limit=False):
        super().__init__(message)
        self.stopped, self.cpu_limit = stopped, cpu_limit


class BudgetExhausted(Exception):
    """The notebook's or the submission's time budget is used up."""

    stopped = OUT_OF_BUDGET


class SubmissionBudget:
    """The time a whole submission's student code may use, all notebooks together.

    Counted as the CPU and waiting seconds of the student's processes (as the
    part limits are), so a loaded machine does not use it up; a wall-clock
    backstop (submission_wall) ends a submission that gets no core at all.
    """

    def __init__(self, limits, notebooks=1):
        self.seconds = limits.submission_time
        self.spent = 0.0  # by the sessions that ended
        self.wall_end = time.monotonic() + submission_wall(limits, notebooks)

    def exhausted_message(self, before=True):
        when = "before this part" if before else "during this part"
        return (
            f"not finished: the submission's time budget ({self.seconds:g} s of "
            f"CPU and waiting time) was used up {when}"
        )


class GraderError(Exception):
    """A problem with the course's own notebook, not the submission."""


class StudentError(Exception):
    """An exception of a type the grader does not rebuild (named in the message)."""


_NOT_REBUILT = {
    "StopIteration",
    "StopAsyncIteration",
    "GeneratorExit",
    "SystemExit",
    "KeyboardInterrupt",
    "BaseException",
}
_BUILTIN_EXCEPTIONS = {
    name: obj
    for name, obj in vars(builtins).items()
    if isinstance(obj, type)
    and issubclass(obj, Exception)
    and name not in _NOT_REBUILT
    and not issubclass(obj, Warning)
}


def rebuild_exception(error, limits):
    """An exception like the one the student's code raised, from its description."""
    if not isinstance(error, dict):
        return StudentError("the student's code failed (no description came back)")
    kind = str(error.get("type", "Exception"))[:200]
    message = str(error.get("message", ""))[:4000]
    if error.get("forbidden"):
        return ForbiddenCall(message)
    cls = _BUILTIN_EXCEPTIONS.get(str(error.get("builtin")), StudentError)
    text = message if kind == cls.__name__ else f"{kind}: {message}"
    err = cls(text)
    if cls is MemoryError:
        err.add_note(f"(the sandbox's memory limit is {limits.memory_mb} MiB)")
    err.from_student = True
    trace = str(error.get("traceback", ""))[-3000:]
    if trace:
        err.add_note("in the student's code:\n" + trace.rstrip())
    return err


class StudentFunction:
    """Stands for a function defined in the student's notebook."""

    def __init__(self, name, session):
        self.__name__ = self.__qualname__ = name
        self._session = session

    def __call__(self, *args, **kwargs):
        return self._session.call(self.__name__, args, kwargs)

    def __repr__(self):
        return f"<the student's {self.__name__} (runs in the sandbox)>"


class MissingName:
    """A name the student's notebook should define but does not."""

    def __init__(self, name, why):
        self.__name__ = name
        self._why = why

    def __call__(self, *args, **kwargs):
        raise NameError(self._why)

    def __repr__(self):
        return f"<{self.__name__}: not defined>"


# ----------------------------------------------------------------- session


class Session:
    """The student's process for one notebook, restarted after a failure."""

    def __init__(self, env, files, steps, limits, names, defining_cell, budget=None):
        self.env, self.files, self.limits = env, files, limits
        self.budget = budget or SubmissionBudget(limits)
        self.idle_dead = 0.0  # waiting seconds of children that ended
        self.factor = 1  # the current part's limits are this many times the usual
        self.closed = False
        self.steps = [s for s in steps if s.runs_in_child]
        self.names, self.defining_cell = names, defining_cell
        self.child = None
        self.fatal = {}  # step index -> why that cell cannot run
        self.setup_done = set()
        self.cpu_dead = 0.0  # CPU seconds of children that ended
        self.started = time.monotonic()
        self.restarts = -1
        self.bindings = {}
        self.part_out = []
        self.aborted = None
        self.part_begin = (0.0, 0.0, self.started)  # cpu_used, idle_used, monotonic

    # -- budget

    def cpu_used(self):
        return self.cpu_dead + (self.child.cpu_seconds() if self.child else 0.0)

    def idle_used(self):
        return self.idle_dead + (self.child.idle if self.child else 0.0)

    def time_used(self):
        """CPU and waiting seconds of this notebook's student processes."""
        return self.cpu_used() + self.idle_used()

    def budget_left(self):
        mine = 0.0 if self.closed else self.time_used()
        return self.budget.seconds - self.budget.spent - mine

    def check_budget(self):
        if self.budget_left() <= 0 or time.monotonic() > self.budget.wall_end:
            raise BudgetExhausted(self.budget.exhausted_message())
        cpu, wall = self.cpu_used(), time.monotonic() - self.started
        if cpu > self.limits.notebook_cpu:
            raise BudgetExhausted(
                f"the notebook's CPU time limit ({self.limits.notebook_cpu:g} s) "
                "was used up before this part"
            )
        if wall > self.limits.notebook_wall:
            raise BudgetExhausted(
                f"the notebook's time limit ({self.limits.notebook_wall:g} s) "
                "was used up before this part"
            )

    def deadlines(self):
        """The Deadline of the current child's next request.

        The part's limits count from the part's beginning, so they include
        running the notebook's cells again in the fresh process that a part
        may need: a stopped part stops at its limit, not at that plus the
        notebook's own time.
        """
        limits, k, child = self.limits, self.factor, self.child
        cpu0, idle0, wall0 = self.part_begin
        cpu_left = k * limits.part_cpu - (self.cpu_used() - cpu0)
        idle_left = k * limits.part_wall - (self.idle_used() - idle0)
        notebook_left = limits.notebook_cpu - self.cpu_used()
        cpu = child.cpu_seconds() + max(min(cpu_left, notebook_left), 0)
        notebook_end = self.started + limits.notebook_wall
        wall = min(
            wall0 + BACKSTOP * k * limits.part_wall, notebook_end, self.budget.wall_end
        )
        total = child.cpu_seconds() + child.idle + max(self.budget_left(), 0)
        return Deadline(
            cpu=cpu, idle=child.idle + max(idle_left, 0), wall=wall, total=total
        )

    def now(self):
        """(cpu, idle, wall) readings for the current child."""
        return self.child.cpu_seconds(), self.child.idle, time.monotonic()

    # -- the child

    def _retire(self):
        if self.child is not None:
            self.child.kill()
            self.cpu_dead += self.child.cpu_seconds()
            self.idle_dead += self.child.idle
            self.child.close()
            self.child = None

    def close(self):
        self._retire()
        if not self.closed:  # its time now counts as the submission's past
            self.closed = True
            self.budget.spent += self.time_used()

    def start(self):
        """A fresh child that has run every cell it can; binds the names."""
        while True:
            self._retire()
            self.check_budget()
            self.restarts += 1
            self.child = Child(self.env, self.files)
            if self._setup():
                break
        self._bind()

    def _setup(self):
        """Run the cells; False if one of them killed or hung the child."""
        for i, step in enumerate(self.steps):
            if i in self.fatal:
                continue
            cpu0, idle0, _ = self.now()
            header = {
                "op": "exec",
                "filename": step.label,
                "code": python_source(step.source),
            }
            try:
                reply, _ = self.child.request(
                    header, [], self.deadlines(), f"the cell {step.label}"
                )
            except ChildFailure as err:
                cpu, idle, _ = self.now()
                share = SETUP_SHARE * self.factor
                alone = cpu - cpu0 >= share * self.limits.part_cpu or (
                    idle - idle0 >= share * self.limits.part_wall
                )
                if err.kind in _TIMEOUTS and not alone:
                    # The part's time ran out during this cell, but the cell did
                    # not use most of it: the part stops, the cell stays.
                    raise self._stopped(
                        err, "the notebook's cells, run again,"
                    ) from None
                self.fatal[i] = str(err)
                step.outputs = [error_output("CellFailed", str(err))]
                return False
            if i not in self.setup_done:
                self.setup_done.add(i)
                step.outputs = _outputs(reply.get("stdout", ""), None)
                if not reply.get("ok"):
                    err = rebuild_exception(reply.get("error"), self.limits)
                    step.outputs += [_error(err)]
                    step.failed = f"{type(err).__name__}: {err}"
        return True

    def _bind(self):
        what = "listing the notebook's functions"
        reply, _ = self.child.request(
            {"op": "kinds", "names": self.names}, [], self.deadlines(), what
        )
        kinds = reply.get("kinds") if isinstance(reply.get("kinds"), dict) else {}
        self.bindings = {}
        for name in self.names:
            kind = kinds.get(name)
            if kind == "callable":
                self.bindings[name] = StudentFunction(name, self)
            elif kind == "value":
                self.bindings[name] = self._get(name)
            else:
                self.bindings[name] = MissingName(name, self._why_missing(name))

    def _get(self, name):
        reply, body = self.child.request(
            {"op": "get", "name": name}, [], self.deadlines(), name
        )
        if not reply.get("ok"):
            return MissingName(
                name, f"{name} could not be read from the student's notebook"
            )
        try:
            return wire.decode_values(reply, body, ["value"])[0]
        except wire.WireError as err:
            return MissingName(name, f"{name} is not plain data ({err})")

    def _why_missing(self, name):
        cell = self.defining_cell.get(name)
        why = f"name {name!r} is not defined"
        for i, step in enumerate(self.steps):
            if step.grade_id == cell or step.label == f"<cell {cell}>":
                if i in self.fatal:
                    return f"{why}: its cell {cell!r} did not run ({self.fatal[i]})"
                failed = getattr(step, "failed", None)
                if failed:
                    return f"{why}: its cell {cell!r} raised {failed}"
                return f"{why} (the cell {cell!r} does not define it)"
        return f"{why}: the solution cell {cell!r} is missing from the notebook"

    # -- parts

    def begin_part(self, factor=1):
        """The names to bind for a part; PartStopped if the part's time ran out
        while a fresh process ran the notebook's cells."""
        self.part_out, self.aborted, self.factor = [], None, factor
        self.check_budget()
        self.part_begin = (self.cpu_used(), self.idle_used(), time.monotonic())
        if self.child is None or not self.child.alive():
            self.start()
        return self.bindings

    def call(self, name, args, kwargs):
        if self.aborted:
            raise self.aborted
        blobs = []
        try:
            header = {
                "op": "call",
                "name": name,
                "args": wire.encode(tuple(args), blobs),
                "kwargs": wire.encode(dict(kwargs), blobs),
            }
        except wire.WireError as err:
            raise GraderError(
                f"cannot send the arguments of {name} to the sandbox: {err}"
            ) from err
        try:
            reply, body = self.child.request(
                header, blobs, self.deadlines(), f"{name}(...)"
            )
        except ChildFailure as err:
            self.aborted = self._stopped(err, f"{name}(...)")
            self._retire()
            raise self.aborted from None
        self.part_out.append(str(reply.get("stdout", "")))
        if not reply.get("ok"):
            raise rebuild_exception(reply.get("error"), self.limits)
        try:
            return wire.decode_values(reply, body, ["value"])[0]
        except wire.WireError as err:
            self.aborted = PartStopped(
                f"{name} sent back something that is not plain data: {err}"
            )
            self._retire()
            raise self.aborted from None

    def _stopped(self, err, what):
        """The PartStopped for a ChildFailure in a part, said in words."""
        if err.kind not in _TIMEOUTS:
            return PartStopped(str(err))
        cpu, idle, wall = self.now()
        if self.budget_left() <= 0 or wall > self.budget.wall_end:
            return PartStopped(self.budget.exhausted_message(False), OUT_OF_BUDGET)
        if err.kind == STOPPED_CPU and cpu < self.limits.notebook_cpu - self.cpu_dead:
            limit = self.factor * self.limits.part_cpu
            return PartStopped(
                f"{what} timed out after {limit:g} s of CPU time",
                PART_TIMEOUT,
                cpu_limit=True,
            )
        if err.kind == STOPPED_WAIT and wall < self.started + self.limits.notebook_wall:
            return PartStopped(
                f"{what} did not finish in time (timed out): it waited (sleeping or "
                f"blocked) for more than {self.factor * self.limits.part_wall:g} s "
                "in one part",
                PART_TIMEOUT,
            )
        return PartStopped(
            f"not finished: the notebook's time budget ({self.limits.notebook_cpu:g} "
            "s of CPU time) was used up during this part",
            OUT_OF_BUDGET,
        )

    def part_stdout(self):
        return "".join(self.part_out)


def _outputs(stdout, err):
    outs = []
    if stdout:
        text = (
            stdout
            if len(stdout) <= OUTPUT_KEPT
            else (
                stdout[:OUTPUT_KEPT]
                + f"\n[... {len(stdout) - OUTPUT_KEPT} more characters]\n"
            )
        )
        outs.append(stream_output(text))
    if err is not None:
        outs.append(_error(err))
    return outs


def _error(err):
    name = type(err).__name__
    notes = [str(n) for n in getattr(err, "__notes__", None) or []]
    return error_output(name, str(err), [f"{name}: {err}", *notes])


# ----------------------------------------------------------------- test cells


class _NoIPython:
    """get_ipython() for cells with magics: every method is a no-op."""

    def __getattr__(self, name):
        return _NoIPython()

    def __call__(self, *args, **kwargs):
        return None


@dataclass
class CompiledTest:
    grade_id: str
    points: float
    body: object
    last: object  # the final expression, evaluated for partial credit, or None
    hidden: tuple = ()  # (first, last) line numbers of each hidden-test region


HIDDEN_OUTPUT = (
    "(What your code printed during this cell's tests is not shown: "
    "the cell has hidden tests, and output from hidden tests is hidden.)\n"
)


def _hidden_regions(text):
    regions, start = [], None
    for n, line in enumerate(text.split("\n"), 1):
        if HIDDEN_BEGIN in line:
            start = n
        elif HIDDEN_END in line and start is not None:
            regions.append((start, n))
            start = None
    if start is not None:
        regions.append((start, n))
    return tuple(regions)


def _hide(test, out, err):
    """What feedback may show of a part with hidden tests: not what the
    student's code printed, nor the message of an exception that it raised
    in a hidden test (either could show the hidden inputs)."""
    if out:
        out = HIDDEN_OUTPUT
    if getattr(err, "from_student", False):
        line = None
        tb = err.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == f"<test {test.grade_id}>":
                line = tb.tb_lineno
            tb = tb.tb_next
        if line is None or any(a <= line <= b for a, b in test.hidden):
            err = StudentError(
                f"your code raised {type(err).__name__} in the hidden tests "
                "(its message is hidden, as are the hidden tests' inputs)"
            )
    return out, err


def compile_test(cell):
    """A test cell's code (hidden tests included), split for partial credit."""
    text = python_source(cell.source)
    label = f"<test {cell.grade_id}>"
    tree = ast.parse(text, label)
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = compile(ast.Expression(tree.body.pop().value), label, "eval")
    body = compile(tree, label, "exec")
    return CompiledTest(cell.grade_id, cell.points, body, last, _hidden_regions(text))


class LockedCellCall(Exception):
    """Locked cells run in the grader only for their definitions."""


class _RefusedInLockedCell:
    def __init__(self, name):
        self.__name__ = name

    def __call__(self, *args, **kwargs):
        raise LockedCellCall(f"{self.__name__} is not called from locked cells here")


@dataclass
class CompiledNotebook:
    """What a grading process keeps per source notebook: its compiled cells.

    `program` lists the locked cells and the test cells in the notebook's
    order, as ("locked", code, before_first_test) and ("test", CompiledTest).
    """

    source: object
    program: list = field(default_factory=list)

    @classmethod
    def prepare(cls, source):
        program, seen_test = [], False
        for c in source.cells:
            if c.kind == "test":
                program.append(("test", compile_test(c)))
                seen_test = True
            elif c.kind == "locked" and c.cell_type == "code":
                code = compile(python_source(c.source), f"<cell {c.grade_id}>", "exec")
                program.append(("locked", code, not seen_test))
        return cls(source, program)

    @property
    def tests(self):
        return [item[1] for item in self.program if item[0] == "test"]

    def namespace(self, key=None):
        """A fresh namespace for the locked and test cells; with a student's
        key, `import numpy` there gives NumPy whose default_rng is keyed."""
        return {
            "__name__": "__main__",
            "__builtins__": keyed_builtins(key) if key else builtins,
            "get_ipython": _NoIPython,
            HIDDEN_REGIONS: {f"<test {t.grade_id}>": t.hidden for t in self.tests},
        }

    def run_locked(self, code, early, ns):
        """A locked cell, for what it defines. Student functions are not called
        from here (a locked cell that times them, say, runs in the sandbox as
        part of the notebook); an error before the first test is the course's."""
        for name in self.source.proxied:
            ns[name] = _RefusedInLockedCell(name)
        with _quiet():
            try:
                exec(code, ns)
            except LockedCellCall:
                pass
            except Exception as err:
                if early:
                    raise GraderError(
                        f"a locked cell of the course's notebook failed: {err}"
                    ) from err


@contextlib.contextmanager
def _quiet():
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield


def run_test(test, ns):
    """Run one test cell; (score, error or None)."""
    try:
        with _quiet():
            exec(test.body, ns)
            value = eval(test.last, ns) if test.last is not None else None
    except KeyboardInterrupt:
        raise
    except PartStopped as err:
        return 0.0, err
    except Exception as err:
        return 0.0, err
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return max(0.0, min(float(value), test.points)), None
    return test.points, None


# ----------------------------------------------------------------- a notebook


@dataclass
class NotebookResult:
    notebook: str
    status: str  # graded, failed
    reason: str | None
    warnings: list
    grades: dict  # grade_id -> {"score", "max", "message"}
    cpu: float = 0.0
    wall: float = 0.0
    restarts: int = 0

    def as_dict(self):
        return dict(self.__dict__)


def _mistake_keys(err):
    """The keys of the mistakes that a failed check diagnosed (none otherwise)."""
    from ..checking.check import CheckFailed

    return list(err.mistake_keys) if isinstance(err, CheckFailed) else []


def _first_line(err):
    text = f"{type(err).__name__}: {err}"
    if isinstance(err, (PartStopped, BudgetExhausted)):
        text = str(err)  # the grader's own words: no exception name
    return text.splitlines()[0][:300] if text else ""


def grade_notebook(
    compiled: CompiledNotebook,
    submission_path,
    env,
    limits,
    files,
    budget=None,
    key=None,
):
    """(NotebookResult, autograded notebook) for one submitted notebook.

    `budget` is the submission's SubmissionBudget, shared by its notebooks;
    `key` (hidden.student_key) draws the hidden tests' inputs for this student.
    """
    source = compiled.source
    t0 = time.monotonic()
    try:
        submitted = read_submission(submission_path)
    except Malformed as err:
        grades = {
            t.grade_id: {"score": 0.0, "max": t.points, "message": str(err)}
            for t in compiled.tests
        }
        banner = f"**This submission could not be graded:** {err}"
        nb = graded_notebook(source, unreadable_steps(source, str(err)), banner)
        return NotebookResult(source.name, "failed", str(err), [], grades), nb
    steps, notes = merge(source, submitted)
    session = Session(
        env, files, steps, limits, list(source.proxied), source.proxied, budget
    )
    ns = compiled.namespace(key)
    test_steps = {s.grade_id: s for s in steps if s.kind == "test"}
    grades = {}
    try:
        for item in compiled.program:
            if item[0] == "locked":
                compiled.run_locked(item[1], item[2], ns)
                continue
            test = item[1]
            used = session.time_used()
            score, err, out = _grade_part(session, test, ns)
            if test.hidden:
                out, err = _hide(test, out, err)
            test_steps[test.grade_id].outputs = _outputs(out, err)
            grades[test.grade_id] = {
                "score": score,
                "max": test.points,
                "message": None if err is None else _first_line(err),
                "stopped": getattr(err, "stopped", None),
                "seconds": round(session.time_used() - used, 3),  # CPU + waiting
                "mistakes": _mistake_keys(err),
            }
    except SandboxUnavailable as err:
        raise GraderError(str(err)) from err
    finally:
        session.close()
    for test in compiled.tests:  # a test cell the merge did not place (cannot happen)
        grades.setdefault(
            test.grade_id, {"score": 0.0, "max": test.points, "message": "?"}
        )
    banner = None
    if notes:
        banner = "**Notes from the grader:**\n\n" + "\n".join(f"- {n}" for n in notes)
    nb = graded_notebook(source, steps, banner)
    result = NotebookResult(
        source.name,
        "graded",
        None,
        notes,
        grades,
        cpu=round(session.cpu_used(), 3),
        wall=round(time.monotonic() - t0, 3),
        restarts=max(session.restarts, 0),
    )
    return result, nb


def _grade_part(session, test, ns):
    """(score, error or None, printed output); a part stopped at its CPU limit
    is run again, once, in a fresh process with RETRY_FACTOR times the limit."""
    for factor in (1, RETRY_FACTOR):
        try:
            bindings = session.begin_part(factor)
        except (BudgetExhausted, ChildFailure) as err:
            return 0.0, err, ""
        except PartStopped as stopped:
            score, err = 0.0, stopped
        else:
            ns.update(bindings)
            score, err = run_test(test, ns)
        if not (isinstance(err, PartStopped) and err.cpu_limit):
            break
    if factor > 1 and isinstance(err, PartStopped) and err.cpu_limit:
        first = session.limits.part_cpu
        err = PartStopped(
            f"{err}: it ran past the part's CPU time limit ({first:g} s), and past "
            f"{factor:g} times that when run again in a fresh process",
            err.stopped,
        )
    return score, err, session.part_stdout()


__all__ = [
    "CompiledNotebook",
    "GraderError",
    "NotebookResult",
    "Step",
    "grade_notebook",
]
