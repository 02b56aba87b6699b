"""The digits training run: the data, the two networks, and a short real training."""

import pytest
import torch

from convbook.digits import LAYOUT, DigitsCNN, load_data, run


@pytest.fixture(autouse=True)
def one_thread():
    """One CPU thread: far faster than two when other processes share the cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_data_split():
    """Are the 1,797 digits split 1,347 / 450, upsampled, with all ten classes?"""
    x_train, x_test, y_train, y_test = load_data(size=16)
    assert x_train.shape == (1347, 1, 16, 16) and x_test.shape == (450, 1, 16, 16)
    assert set(y_test.tolist()) == set(range(10))
    assert abs(x_train.mean().item()) < 1e-5  # standardised with training statistics


def test_same_layout_fewer_parameters():
    """Do both networks give (N, 10), the separable one with far fewer parameters?"""
    full, sep = DigitsCNN(separable=False), DigitsCNN(separable=True)
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert count(sep) < count(full) / 5
    groups = [m.groups for m in sep.modules() if isinstance(m, torch.nn.Conv2d)]
    assert groups.count(1) == 1 + len(LAYOUT)  # the stem and the pointwise convs
    x = torch.randn(2, 1, 16, 16)
    assert full(x).shape == sep(x).shape == (2, 10)


def test_short_training_beats_chance():
    """Do two epochs of the standard network reach far above 10% test accuracy?"""
    result = run(separable=False, width=0.5, epochs=2)
    assert result["final_accuracy"] > 0.7
    assert len(result["test_accuracy"]) == 2
    assert result["train_loss"][1] < result["train_loss"][0]


def test_seeded():
    """Does the same seed give the same training curve?"""
    a = run(separable=True, width=0.25, epochs=1, seed=3)
    b = run(separable=True, width=0.25, epochs=1, seed=3)
    assert a["train_loss"] == b["train_loss"]
