"""Store PyTorch's answers for the visible checks of the exercise notebooks.

    python -m autograder.offline.precompute   # writes autograder/offline/precomputed/
    python -m autograder.offline.precompute 04-padding   # one assignment's file

Runs the visible test cells of every student notebook in exercises/ (never
solutions/: hidden tests are not in the student notebooks, so they are never
stored) inside `registry.recording()`, where `check` notes each call's op
and arguments instead of calling the student's function. Each call is then run
through the PyTorch reference and the known mistakes, as `check` would, and
the results are written for `offline`, which answers the same checks where
PyTorch cannot run (the browser). tests/test_jupyterlite.py checks that the
stored files equal what this computes now.
"""

from __future__ import annotations

import inspect
import json
import sys
from pathlib import Path

import nbformat

from .. import offline
from ..checking import reference
from ..checking.diagnose import run_variant
from ..checking.ops import backward
from ..checking.registry import recording

ROOT = Path(__file__).resolve().parents[2]
EXERCISES = ROOT / "exercises"


def _nbgrader(cell):
    return cell.metadata.get("nbgrader", {})


def visible_calls(notebook):
    """(check calls, forward calls) made by a student notebook's visible tests.

    A check call is (op, bound arguments); a forward call is the arguments of
    a random_grad_out call, whose output shape a test needs.
    """
    with recording() as recorder:
        namespace = {}
        for cell in nbformat.read(notebook, as_version=4).cells:
            if cell.cell_type != "code":
                continue
            try:
                exec(compile(cell.source, str(notebook), "exec"), namespace)
            except NotImplementedError:
                if _nbgrader(cell).get("grade"):
                    raise  # a test cell that calls the student's function directly
    return recorder.checks, recorder.forwards


def _params(op):
    params = []
    for p in inspect.signature(reference.REFERENCES[op]).parameters.values():
        item = {"name": p.name}
        if p.default is not inspect.Parameter.empty:
            item["default"] = offline.encode(p.default)
        params.append(item)
    return params


def _stored_call(op, args):
    call = {"op": op, "args": offline.encode(args)}
    try:
        call["result"] = offline.encode(reference.REFERENCES[op](**args))
    except reference.InvalidArguments as err:
        call["refuses"] = str(err)
        return call
    call["variants"] = [
        offline.encode(run_variant(op, m.make, args)) for m in reference.DIAGNOSES[op]
    ]
    return call


def precompute(notebook):
    """The JSON-ready answers for one student notebook's visible checks."""
    checks, forwards = visible_calls(notebook)
    ops = sorted({op for op, _ in checks})
    calls, seen = [], set()
    for op, args in checks:
        if (op, offline.key(args)) not in seen:
            seen.add((op, offline.key(args)))
            calls.append(_stored_call(op, args))
    shapes = {}
    for forward, x, args, kwargs in forwards:
        shape = backward.forward_shape(forward, x, *args, **kwargs)
        shapes[offline.forward_call(forward, x, args, kwargs)] = list(shape)
    return {
        "notebook": str(notebook.relative_to(ROOT)),
        "ops": {
            op: {
                "params": _params(op),
                "diagnoses": [
                    {"key": m.key, "message": m.message}
                    for m in reference.DIAGNOSES[op]
                ],
            }
            for op in ops
        },
        "calls": calls,
        "forward_shapes": [{"call": k, "shape": v} for k, v in shapes.items()],
    }


def dumps(data):
    return json.dumps(data, indent=1) + "\n"


def notebooks():
    return sorted(EXERCISES.glob("*/*.ipynb"))


def target(notebook):
    return offline.FOLDER / f"{notebook.parent.name}.json"


def main(argv=None):
    """Store the answers of every exercise, or of the assignments named."""
    names = sys.argv[1:] if argv is None else argv
    chosen = [nb for nb in notebooks() if not names or nb.parent.name in names]
    missing = sorted(set(names) - {nb.parent.name for nb in chosen})
    if missing:
        raise SystemExit(f"no exercise notebook for {', '.join(missing)}")
    offline.FOLDER.mkdir(exist_ok=True)
    for notebook in chosen:
        data = precompute(notebook)
        target(notebook).write_text(dumps(data))
        print(f"{target(notebook).relative_to(ROOT)}: {len(data['calls'])} calls")


if __name__ == "__main__":
    main()
