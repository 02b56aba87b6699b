"""The registry of references and known mistakes, and its recording hook."""

import numpy as np
import pytest

from autograder import check
from autograder.checking import reference
from autograder.checking.ops import _conv, conv_vs_linear, separable
from autograder.checking.ops.backward import random_grad_out
from autograder.checking.registry import Mistake, recording, register


def test_every_known_mistake_is_a_named_record():
    """Is every op's diagnosis a Mistake with a key, a message and a maker,
    the keys unique within the op?"""
    assert reference.DIAGNOSES
    for op, mistakes in reference.DIAGNOSES.items():
        keys = [m.key for m in mistakes]
        assert len(set(keys)) == len(keys), op
        for m in mistakes:
            assert isinstance(m, Mistake)
            assert m.key.isidentifier() and m.message and callable(m.make), op


def test_ops_take_conv_mistakes_by_key_not_by_wording():
    """Do depthwise_conv2d and conv2d_as_matrix keep their conv mistakes by key,
    whatever the messages say?"""
    depthwise = {m.key for m in separable.DEPTHWISE}
    assert depthwise >= {m.key for m in _conv.CONV} - {"groups_ignored"}
    assert "groups_ignored" not in depthwise
    kept = [m.key for m in conv_vs_linear.CONV2D_AS_MATRIX[:3]]
    assert kept == ["kernel_flipped", "stride_ignored", "padding_ignored"]


def test_a_mistyped_key_fails_loudly():
    """Does asking for a conv mistake that does not exist raise, instead of
    silently dropping a diagnosis?"""
    with pytest.raises(KeyError):
        _conv.select("kernel_fliped")
    with pytest.raises(KeyError):
        _conv.all_but("group_ignored")


def test_two_mistakes_of_one_op_cannot_share_a_key():
    """Does register refuse a list in which a key is used twice?"""
    twice = [Mistake("same", "one", None), Mistake("same", "two", None)]
    with pytest.raises(ValueError, match="share a key"):
        register("never_registered", diagnoses=twice)
    assert "never_registered" not in reference.REFERENCES


def test_recording_notes_checks_instead_of_running_them():
    """Inside recording(), does check note (op, bound arguments) and leave the
    student's function uncalled, and does random_grad_out note its forward?"""
    called = []

    def student(*args, **kwargs):
        called.append(args)
        raise AssertionError("must not run")

    x = np.ones((1, 1, 5))
    with recording() as recorder:
        check(student, "conv1d", x, np.ones((1, 1, 3)), stride=2)
        g = random_grad_out(
            "conv2d",
            np.random.default_rng(0),
            np.ones((1, 1, 4, 4)),
            np.ones((1, 1, 3, 3)),
        )
    assert called == []
    ((op, bound),) = recorder.checks
    assert op == "conv1d" and bound["stride"] == 2 and bound["padding"] == 0
    ((forward, _, args, kwargs),) = recorder.forwards
    assert forward == "conv2d" and len(args) == 1 and kwargs == {}
    assert g.shape == (1, 1, 2, 2)


def test_check_runs_again_after_recording():
    """Once the block ends, does check judge the student's function again?"""
    with recording():
        pass
    with pytest.raises(AssertionError, match="does not match PyTorch"):
        check(
            lambda x, w, **k: np.zeros((1, 1, 1)),
            "conv1d",
            np.ones((1, 1, 5)),
            np.ones((1, 1, 3)),
        )
