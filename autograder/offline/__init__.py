"""PyTorch's answers for the notebooks' visible checks, without PyTorch.

PyTorch does not run in the browser (JupyterLite's Pyodide kernel). There,
`reference` finds no `torch` and fills its tables from this module instead:
for every `check(...)` call in the visible test cells of the exercise
notebooks, `python -m autograder.offline.precompute` has stored the arguments,
PyTorch's result (or its refusal), and what each known mistake would have
returned, in `autograder/offline/precomputed/<assignment>.json`. A check then compares,
diagnoses and words its message exactly as it does with PyTorch.

Only those calls are known: a check with other arguments raises
NoPrecomputedResult, which says so.
"""

from __future__ import annotations

import base64
import inspect
import json
import shutil
import zlib
from pathlib import Path

import numpy as np

from ..manifest import ASSIGNMENTS

#: The package's root folder, and the folder of the stored answers in it.
PACKAGE = Path(__file__).resolve().parent.parent
FOLDER = Path(__file__).resolve().parent / "precomputed"

#: The modules that work without PyTorch: what the browser gets of the package
#: (paths in the package's root folder), and the ops modules whose names an
#: assignment's notebook imports (manifest.Assignment.browser_imports).
BROWSER_FILES = [
    "__init__.py",
    "manifest.py",
    "checking/__init__.py",
    "checking/check.py",
    "checking/compare.py",
    "checking/diagnose.py",
    "checking/guard.py",
    "checking/reference.py",
    "checking/registry.py",
    "checking/short_errors.py",
    "checking/ops/__init__.py",
    "checking/wire.py",
    "offline/__init__.py",
    "ops/__init__.py",
] + [
    path
    for a in ASSIGNMENTS
    if a.browser_imports
    for path in (f"checking/ops/{a.ops}.py", f"ops/{a.ops}.py")
]


def stage(target, assignment):
    """Copy the browser's part of the package, with the stored answers of
    `assignment` alone, into the folder `target` (which becomes `autograder`)."""
    for name in BROWSER_FILES:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(PACKAGE / name, target / name)
    answers = target / FOLDER.relative_to(PACKAGE)
    answers.mkdir(parents=True)
    shutil.copy2(FOLDER / f"{assignment}.json", answers / f"{assignment}.json")


class NoPrecomputedResult(LookupError):
    """No stored PyTorch result for these arguments (PyTorch is not installed)."""


# --- a lossless JSON form of arguments and results ------------------------------


def encode(value):
    """A JSON-ready form of `value` that `decode` turns back into an equal value.

    Arrays keep their dtype, shape and exact bytes (compressed); tuples stay
    tuples.
    """
    if isinstance(value, np.ndarray):
        data = np.ascontiguousarray(value)
        return {
            "array": data.dtype.str,
            "shape": list(data.shape),
            "data": base64.b64encode(zlib.compress(data.tobytes(), 9)).decode("ascii"),
        }
    if isinstance(value, np.generic):
        return {"scalar": value.dtype.str, "value": value.item()}
    if isinstance(value, tuple):
        return {"tuple": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {"dict": [[k, encode(v)] for k, v in value.items()]}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"cannot store a {type(value).__name__}")


def decode(data):
    if isinstance(data, list):
        return [decode(v) for v in data]
    if not isinstance(data, dict):
        return data
    if "array" in data:
        raw = zlib.decompress(base64.b64decode(data["data"]))
        flat = np.frombuffer(raw, dtype=np.dtype(data["array"]))
        return flat.reshape(data["shape"]).copy()
    if "scalar" in data:
        return np.dtype(data["scalar"]).type(data["value"])
    if "tuple" in data:
        return tuple(decode(v) for v in data["tuple"])
    return {k: decode(v) for k, v in data["dict"]}


def key(value):
    """A string naming a value exactly (the lookup key of a call's arguments)."""
    return json.dumps(encode(value), sort_keys=True)


def shape_key(value):
    """A key that keeps only the shapes and dtypes of arrays (not their values)."""

    def strip(v):
        if isinstance(v, np.ndarray):
            return {"array": v.dtype.str, "shape": list(v.shape)}
        if isinstance(v, tuple):
            return {"tuple": [strip(u) for u in v]}
        if isinstance(v, list):
            return [strip(u) for u in v]
        if isinstance(v, dict):
            return {"dict": [[k, strip(u)] for k, u in v.items()]}
        return encode(v)

    return json.dumps(strip(value), sort_keys=True)


# --- the stored calls -------------------------------------------------------------


def _near(a, b):
    """Equal, or arrays of one shape and dtype within float64 rounding."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (
            isinstance(a, np.ndarray)
            and isinstance(b, np.ndarray)
            and a.dtype == b.dtype
            and a.shape == b.shape
            and bool(np.allclose(a, b, rtol=1e-12, atol=1e-12, equal_nan=True))
        )
    if isinstance(a, (tuple, list)) and type(a) is type(b):
        return len(a) == len(b) and all(_near(u, v) for u, v in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_near(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


class Table:
    """The stored calls of every assignment, found by their arguments."""

    def __init__(self, folder=FOLDER):
        self.params, self.diagnoses = {}, {}
        self.calls, self.by_shape, self.shapes = {}, {}, {}
        for path in sorted(Path(folder).glob("*.json")):
            self.add(json.loads(path.read_text()))

    def add(self, data):
        for op, info in data["ops"].items():
            self.params[op] = info["params"]
            self.diagnoses[op] = info["diagnoses"]
        for call in data["calls"]:
            args = decode(call["args"])
            self.calls[(call["op"], key(args))] = call
            self.by_shape.setdefault((call["op"], shape_key(args)), []).append(
                (args, call)
            )
        for item in data["forward_shapes"]:
            self.shapes[item["call"]] = tuple(item["shape"])

    def find(self, op, args):
        """The stored call of `op` with these arguments (exact, else within 1e-12).

        The inputs a notebook makes with a seeded generator are the same bits
        everywhere; the tolerance only guards against a last-bit difference
        in a platform's math library.
        """
        call = self.calls.get((op, key(args)))
        if call is not None:
            return call
        for stored, call in self.by_shape.get((op, shape_key(args)), []):
            if _near(stored, args):
                return call
        raise NoPrecomputedResult(
            f"no stored PyTorch result for {op} with these arguments: without "
            "PyTorch (as in the browser), check knows only the calls of the "
            "notebook's own test cells; run the notebook where PyTorch is "
            "installed to check other arguments"
        )


def signature(params):
    """The inspect.Signature of a reference from its stored parameters."""
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    return inspect.Signature(
        [
            inspect.Parameter(p["name"], kind)
            if "default" not in p
            else inspect.Parameter(p["name"], kind, default=decode(p["default"]))
            for p in params
        ]
    )


def _reference(table, op, invalid):
    def reference(**args):
        call = table.find(op, args)
        if "refuses" in call:
            raise invalid(call["refuses"])
        return decode(call["result"])

    reference.__name__ = op
    reference.__signature__ = signature(table.params[op])
    return reference


def _diagnosis(table, op, index):
    def make(args):
        return decode(table.find(op, args)["variants"][index])

    return make


_TABLE = None


def table():
    global _TABLE
    if _TABLE is None:
        _TABLE = Table()
    return _TABLE


def install(references, diagnoses, invalid, mistake):
    """Fill the reference and diagnosis tables from the stored calls; `invalid`
    and `mistake` are registry's InvalidArguments and Mistake."""
    t = table()
    for op in t.params:
        references[op] = _reference(t, op, invalid)
        diagnoses[op] = [
            mistake(d["key"], d["message"], _diagnosis(t, op, i))
            for i, d in enumerate(t.diagnoses[op])
        ]


def forward_call(forward, x, args, kwargs):
    """The key of a forward pass whose output shape random_grad_out needs."""
    return shape_key({"forward": forward, "x": x, "args": list(args), **kwargs})


def forward_shape(forward, x, args, kwargs):
    """The stored shape of F.<forward>(x, *args, **kwargs)'s output."""
    try:
        return table().shapes[forward_call(forward, x, args, kwargs)]
    except KeyError:
        raise NoPrecomputedResult(
            f"no stored output shape for {forward} with these arguments"
        ) from None
