"""The hidden tests' inputs: drawn per student from a course secret.

A hidden test that draws its inputs with ``np.random.default_rng(1001)``
would give every student the same inputs, so one student's feedback (or a
printed value, from which the seed can be recovered) would tell the whole
class what the hidden tests check. In the grader, the test cells' ``np`` is
NumPy with one difference: ``np.random.default_rng(seed)`` mixes the seed
with HMAC-SHA256(course secret, student id). Grades stay deterministic (the
same student, with the same secret, gets the same inputs on every regrade),
but the inputs differ from student to student and cannot be computed
without the secret.

The secret is ``$AUTOGRADER_SECRET`` if set, else the file ``secret`` in
the course's grading state folder (autograded/.grader/, git-ignored),
made on the first grading run. Keep it out of the repository; a new secret
means new inputs, so every submission is graded again.
"""

from __future__ import annotations

import builtins
import hashlib
import hmac
import os
import secrets
import sys

import numpy

SECRET_ENV = "AUTOGRADER_SECRET"
SECRET_FILE = "secret"
# The test cells' namespace maps each test's code label to its hidden-test
# regions (first, last line) under this name; only draws made there are keyed.
HIDDEN_REGIONS = "__hidden_regions__"


def course_secret(state_dir):
    """The course secret, as bytes: from the environment, else the state folder."""
    given = os.environ.get(SECRET_ENV)
    if given:
        return given.encode("utf-8")
    path = state_dir / SECRET_FILE
    if not path.exists():
        state_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32) + "\n")
    return path.read_text(encoding="utf-8").strip().encode("utf-8")


def student_key(secret, student):
    """HMAC-SHA256(secret, student id), hex: what the batch gives a grading job."""
    return hmac.new(secret, student.encode("utf-8"), hashlib.sha256).hexdigest()


def _words(key):
    raw = bytes.fromhex(key)
    return [int.from_bytes(raw[i : i + 4], "big") for i in range(0, len(raw), 4)]


def _seed_words(seed):
    """A seed as a list of non-negative ints, or None if it is not one."""
    if isinstance(seed, (int, numpy.integer)) and not isinstance(seed, bool):
        seed = int(seed)
        return [seed] if seed >= 0 else None
    if isinstance(seed, (list, tuple, numpy.ndarray)):
        try:
            words = [int(s) for s in numpy.asarray(seed).ravel()]
        except (TypeError, ValueError):
            return None
        return words if all(w >= 0 for w in words) else None
    return None


def _in_hidden_tests(frame):
    """Whether a call comes from a hidden-test region of a test cell."""
    regions = frame.f_globals.get(HIDDEN_REGIONS, {}).get(frame.f_code.co_filename)
    return any(first <= frame.f_lineno <= last for first, last in regions or ())


class KeyedRandom:
    """numpy.random with `default_rng(seed)` keyed by the student's key."""

    def __init__(self, key):
        self._words = _words(key)

    def default_rng(self, seed=None):
        words = _seed_words(seed)
        if words is None or not _in_hidden_tests(sys._getframe(1)):
            # None, a Generator, a SeedSequence, or a visible test: left alone
            return numpy.random.default_rng(seed)
        return numpy.random.default_rng([*self._words, len(words), *words])

    def __getattr__(self, name):
        return getattr(numpy.random, name)


class KeyedNumpy:
    """NumPy, whose `random` is a KeyedRandom."""

    def __init__(self, key):
        self.random = KeyedRandom(key)

    def __getattr__(self, name):
        return getattr(numpy, name)

    def __repr__(self):
        return "<module 'numpy' (hidden-test inputs keyed per student)>"


def keyed_builtins(key):
    """builtins for the test cells' namespace: `import numpy` gives KeyedNumpy."""
    keyed = KeyedNumpy(key)
    real_import = builtins.__import__

    def _import(name, globals=None, locals=None, fromlist=(), level=0):
        module = real_import(name, globals, locals, fromlist, level)
        if module is numpy:
            return keyed
        if module is numpy.random:
            return keyed.random
        return module

    table = dict(vars(builtins))
    table["__import__"] = _import
    return table
