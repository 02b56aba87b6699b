"""Flag a submission's code that reaches past NumPy, for a human to look at.

The sandbox's operating-system boundary keeps student code away from files,
processes and the network, but nothing can stop code *inside* its own
process from reading or writing that process's memory: NumPy's
`__array_interface__` hands out raw addresses, and with them a cell can undo
the audit hook or dig out NumPy's C convolution that `np.convolve` no longer
names. Such code then passes a "no library convolution" part. So every code
cell the student wrote is read (never run) before its score is recorded,
and a submission that uses any of the constructs below is marked for manual
review, with the reason, instead of being silently scored.

The check is deliberately broad: a kernel needs none of these. It names each
finding by a key of FINDINGS (one place for the messages).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

FINDINGS = {
    "raw_memory": "raw memory access ({})",
    "native_code": "loads native code or foreign functions ({})",
    "numpy_internals": "reaches into NumPy's internals ({})",
    "library_convolution": "names a library convolution ({})",
    "interpreter_internals": "reaches into the interpreter ({})",
    "dynamic_code": "builds code or names at run time ({})",
    "unparsable": "could not be read for review ({})",
}

_RAW_MEMORY = {
    "__array_interface__",
    "__array_struct__",
    "__buffer__",
    "ctypes",
    "ctypeslib",
    "from_address",
    "from_buffer",
    "addressof",
    "memmove",
    "string_at",
    "cast",
}
_NATIVE_MODULES = {"ctypes", "_ctypes", "cffi", "mmap", "_posixsubprocess", "_imp"}
_NUMPY_INTERNALS = {
    "_multiarray_umath",
    "multiarray",
    "_core",
    "core",
    "_umath_linalg",
}
_CONVOLUTIONS = {"convolve", "correlate", "correlate2", "fftconvolve", "oaconvolve"}
_INTERPRETER = {
    "gc",
    "inspect",
    "importlib",
    "builtins",
    "marshal",
    "pickle",
    "types",
    "__code__",
    "__globals__",
    "__closure__",
    "__builtins__",
    "__subclasses__",
    "__bases__",
    "__mro__",
    "__dict__",
    "__class__",
    "__loader__",
    "__spec__",
    "_getframe",
    "f_globals",
    "f_locals",
    "f_back",
    "gi_frame",
    "tb_frame",
    "addaudithook",
    "settrace",
    "setprofile",
    "module_from_spec",
    "find_spec",
    "get_objects",
    "get_referents",
    "get_referrers",
    "meta_path",
    "path_hooks",
    "modules",
}
_DYNAMIC_CALLS = {
    "exec",
    "eval",
    "compile",
    "__import__",
    "globals",
    "locals",
    "vars",
    "attrgetter",
    "methodcaller",
}
_NAMED_BY_STRING = {"getattr", "setattr", "delattr", "hasattr"}
_WORDS = {
    "raw_memory": _RAW_MEMORY,
    "numpy_internals": _NUMPY_INTERNALS,
    "library_convolution": _CONVOLUTIONS,
    "interpreter_internals": _INTERPRETER,
}


@dataclass(frozen=True)
class Finding:
    key: str
    where: str  # the cell's label and line
    detail: str

    def message(self):
        return f"{self.where}: " + FINDINGS[self.key].format(self.detail)


def _word_key(word):
    for key, words in _WORDS.items():
        if word in words:
            return key
    return None


# Words that, inside a string that is not a docstring, suggest code kept as
# text (to be written to a file, or run) rather than written as code.
_IN_TEXT = re.compile(
    r"\b("
    + "|".join(
        re.escape(w)
        for w in sorted(
            _RAW_MEMORY | _NUMPY_INTERNALS | _CONVOLUTIONS | _NATIVE_MODULES
        )
        if len(w) > 4
    )
    + r"|importlib|__code__|__import__)\b"
)


def _docstrings(tree):
    """The ids of the docstring nodes of a module, its functions and classes."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(
            node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
        ):
            body = node.body
            if body and isinstance(body[0], ast.Expr):
                if isinstance(body[0].value, ast.Constant):
                    out.add(id(body[0].value))
    return out


class _Scanner(ast.NodeVisitor):
    def __init__(self, label, docstrings=frozenset()):
        self.label, self.found, self.docstrings = label, [], docstrings

    def add(self, key, node, detail):
        where = f"{self.label} line {getattr(node, 'lineno', '?')}"
        self.found.append(Finding(key, where, detail))

    def visit_Import(self, node):
        for alias in node.names:
            self._module(alias.name, node)
        self.generic_visit(node)

    def visit_ImportFrom(self, node):
        module = node.module or ""
        self._module(module, node)
        for alias in node.names:
            key = _word_key(alias.name)
            if key is not None and key != "interpreter_internals":
                self.add(key, node, f"from {module} import {alias.name}")
        self.generic_visit(node)

    def _module(self, name, node):
        parts = name.split(".")
        if parts[0] in _NATIVE_MODULES:
            self.add("native_code", node, f"import {name}")
        elif parts[0] in _INTERPRETER:
            self.add("interpreter_internals", node, f"import {name}")
        elif parts[0] == "numpy" and set(parts[1:]) & _NUMPY_INTERNALS:
            self.add("numpy_internals", node, f"import {name}")

    def visit_Attribute(self, node):
        key = _word_key(node.attr)
        if node.attr in _NATIVE_MODULES:
            key = "native_code"
        if node.attr == "path" and getattr(node.value, "id", None) == "sys":
            key = "interpreter_internals"  # importing the student's own files
        if key is not None:
            self.add(key, node, f".{node.attr}")
        self.generic_visit(node)

    def visit_Name(self, node):
        if node.id in _NATIVE_MODULES:
            self.add("native_code", node, node.id)
        elif node.id == "__builtins__":
            self.add("interpreter_internals", node, node.id)
        self.generic_visit(node)

    def visit_Call(self, node):
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name in _DYNAMIC_CALLS:
            self.add("dynamic_code", node, f"{name}()")
        elif name in _NAMED_BY_STRING and len(node.args) >= 2:
            what = node.args[1]
            if not (isinstance(what, ast.Constant) and isinstance(what.value, str)):
                self.add("dynamic_code", node, f"{name}() with a computed name")
        self.generic_visit(node)

    def visit_Constant(self, node):
        """A name spelled as a string (getattr(np, "correlate")): computed
        names are flagged by visit_Call, so a constant must be the word."""
        value = node.value
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        if isinstance(value, str):
            word = value.strip().rpartition(".")[2]
            key = _word_key(word) or (
                "native_code" if word in _NATIVE_MODULES else None
            )
            if key is not None:
                self.add(key, node, f"the name {word!r} in a string")
            elif id(node) not in self.docstrings:
                match = _IN_TEXT.search(value)
                if match:
                    self.add("dynamic_code", node, f"{match[1]!r} in a string")


def scan(code, label="<cell>"):
    """The findings in one cell's Python source (a list, empty when clean)."""
    try:
        tree = ast.parse(code, label)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as err:
        if isinstance(err, SyntaxError):
            return []  # it cannot run either: the sandbox reports it
        return [Finding("unparsable", label, type(err).__name__)]
    scanner = _Scanner(label, _docstrings(tree))
    try:
        scanner.visit(tree)
    except RecursionError:
        return [Finding("unparsable", label, "nested too deeply")]
    return scanner.found


def scan_cells(cells):
    """Findings over [(label, code)], at most one per (key, cell) pair."""
    seen, out = set(), []
    for label, code in cells:
        for finding in scan(code, label):
            if (finding.key, label) not in seen:
                seen.add((finding.key, label))
                out.append(finding)
    return out
