"""The tables that the ops fill: each op's PyTorch reference and known mistakes.

An ops module registers its reference with `@register("name", diagnoses=[...])`;
`reference` imports the ops (or, without PyTorch, fills the tables from
`offline`). The ops import this module, never `reference`, so that nothing
imports in a circle. `recording` is the hook through which the browser's
answers are built: it notes the checks that notebook cells make.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

try:
    import torch
except ImportError:  # Pyodide: the references come from `offline`
    torch = None

REFERENCES = {}
DIAGNOSES = {}


@dataclass(frozen=True)
class Mistake:
    """A known mistake: a key that names it, the feedback's words, and
    `make(args)`, what a function making it computes (see diagnose)."""

    key: str
    message: str
    make: object = None


class InvalidArguments(ValueError):
    """PyTorch refuses these arguments; the student's function must refuse them too."""


def register(name, diagnoses=()):
    """Make `fn` the reference for `name`, with its known mistakes (Mistakes)."""
    diagnoses = list(diagnoses)
    keys = [m.key for m in diagnoses]
    if len(set(keys)) != len(keys):
        raise ValueError(f"{name}: two mistakes share a key in {keys}")

    def decorate(fn):
        if torch is None:
            return fn
        REFERENCES[name] = fn
        DIAGNOSES[name] = diagnoses
        return fn

    return decorate


def tensor(a):
    """A float64 tensor holding a copy of `a` (None stays None)."""
    return None if a is None else torch.from_numpy(np.array(a, dtype=np.float64))


def call_torch(fn, *args, **kwargs):
    """fn(*args, **kwargs), with PyTorch's refusals turned into InvalidArguments.

    PyTorch's warnings (e.g. about a padded copy for 'same' with an even kernel)
    are silenced: nbgrader scores a test cell that writes to stderr as failed.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(*args, **kwargs)
    except RuntimeError as err:
        raise InvalidArguments(str(err)) from None


@dataclass
class Recorder:
    """The calls that notebook cells made while recording: `check` calls as
    (op, bound arguments), and random_grad_out's forward passes as
    (forward, x, args, kwargs)."""

    checks: list = field(default_factory=list)
    forwards: list = field(default_factory=list)


_RECORDERS = []


@contextmanager
def recording():
    """Within this block, `check` notes its calls instead of making them (the
    build of the browser's answers, offline.precompute, reads them)."""
    recorder = Recorder()
    _RECORDERS.append(recorder)
    try:
        yield recorder
    finally:
        _RECORDERS.remove(recorder)


def active_recorder():
    """The Recorder of the innermost `recording` block, or None."""
    return _RECORDERS[-1] if _RECORDERS else None
