"""The autograder's comparison: does it pass right answers and explain wrong ones?"""

import numpy as np
import pytest

from autograder import check

RNG = np.random.default_rng(0)
X = RNG.normal(size=(2, 3, 11))
W = RNG.normal(size=(4, 3, 3))


@pytest.fixture
def conv1d(output_size_solutions):
    return output_size_solutions["conv1d"]


@pytest.fixture
def conv_output_size(output_size_solutions):
    return output_size_solutions["conv_output_size"]


def failure(student, op, *args, **kwargs):
    with pytest.raises(AssertionError) as info:
        check(student, op, *args, **kwargs)
    return str(info.value)


def test_right_answer_passes(conv1d):
    """Does the reference solution pass on stride, padding, dilation and groups?"""
    check(conv1d, "conv1d", X, W, stride=2, padding=1, dilation=2)
    check(conv1d, "conv1d", X[:, :2], W[:, :1], groups=2)


def test_wrong_values_show_largest_error(conv1d):
    """Does a wrong value report where the largest error is and both numbers?"""

    def off(x, w, *a, **k):
        y = conv1d(x, w, *a, **k)
        y[1, 2, 3] += 0.5
        return y

    msg = failure(off, "conv1d", X, W)
    assert "1 of 72 values differ" in msg
    assert "largest error 0.5 at index (1, 2, 3)" in msg


def test_off_by_one_output(conv1d):
    """Is an output one element too short diagnosed as an output-size mistake?"""
    msg = failure(lambda x, w, **k: conv1d(x, w, **k)[..., :-1], "conv1d", X, W)
    assert "expected shape (2, 4, 9), got (2, 4, 8)" in msg
    assert "one element too short along axis 2" in msg


def test_flipped_kernel(conv1d):
    """Is a true convolution (flipped kernel) named as such?"""
    msg = failure(lambda x, w, **k: conv1d(x, w[..., ::-1], **k), "conv1d", X, W)
    assert "likely mistake: the kernel is flipped" in msg


def test_stride_ignored(conv1d):
    """Is an implementation that ignores the stride named as such?"""
    msg = failure(lambda x, w, stride=1: conv1d(x, w), "conv1d", X, W, stride=2)
    assert "likely mistake: the stride is ignored" in msg


def test_dilation_ignored(conv1d):
    """Is an implementation that ignores the dilation named as such?"""
    msg = failure(lambda x, w, dilation=1: conv1d(x, w), "conv1d", X, W, dilation=2)
    assert "likely mistake: the dilation is ignored" in msg


def test_padding_on_one_side(conv1d):
    """Is padding added on the left only named as such?"""

    def left_only(x, w, padding=0):
        return conv1d(np.pad(x, ((0, 0), (0, 0), (padding, 0))), w)

    msg = failure(left_only, "conv1d", X, W, padding=2)
    assert "likely mistake: the padding is applied on the left side only" in msg


def test_channels_last(conv1d):
    """Is an output with the channel axis last named as a layout mistake?"""
    msg = failure(lambda x, w: conv1d(x, w).transpose(0, 2, 1), "conv1d", X, W)
    assert "likely mistake: the channel axis is in the wrong place" in msg


def test_groups_ignored(conv1d):
    """Is a grouped convolution that uses only the first group's inputs named?"""
    x, w = X[:, :2], W[:, :1]

    def ignores_groups(x, w, groups=1):
        return conv1d(x[:, : w.shape[1]], w)

    msg = failure(ignores_groups, "conv1d", x, w, groups=2)
    assert "likely mistake: groups is ignored" in msg


def test_float32_must_stay_float32(conv1d):
    """Does a float64 output for float32 input fail with a dtype message?"""
    x, w = X.astype(np.float32), W.astype(np.float32)
    msg = failure(lambda x, w: conv1d(x, w).astype(np.float64), "conv1d", x, w)
    assert "expected dtype float32 (the input's), got float64" in msg


def test_not_an_array(conv1d):
    """Does returning a list fail with a message that asks for an array?"""
    msg = failure(lambda x, w: conv1d(x, w).tolist(), "conv1d", X, W)
    assert "expected a NumPy array, got builtins.list" in msg


def test_must_refuse_what_pytorch_refuses(conv1d):
    """Must a function raise ValueError where PyTorch refuses the arguments?"""
    check(conv1d, "conv1d", X, W, stride=2, padding="same")
    msg = failure(lambda x, w, **k: x, "conv1d", X, W, stride=2, padding="same")
    assert "a ValueError is expected" in msg


def test_output_size_missing_plus_one(conv_output_size):
    """Is an output size without the +1 diagnosed?"""
    msg = failure(lambda w, k, stride=1: (w - k) // stride, "conv_output_size", 7, 3)
    assert "expected 5, got 4" in msg
    assert "likely mistake: the +1 is missing" in msg


def test_output_size_float(conv_output_size):
    """Is a float output size (no floor) refused with a hint?"""

    def no_floor(w, k, stride=1):
        return (w - k) / stride + 1

    msg = failure(no_floor, "conv_output_size", 8, 3, 2)
    assert "expected an int, got float 3.5" in msg


def test_output_size_padding_once():
    """Is padding counted on one side only diagnosed?"""
    msg = failure(
        lambda w, k, padding=0: w + padding - k + 1, "conv_output_size", 7, 3, padding=2
    )
    assert "likely mistake: the padding is counted once" in msg


def test_student_exception_names_the_call(conv1d):
    """Does an exception from the student's code say which call raised it?"""

    def broken(x, w, **k):
        raise IndexError("index 11 is out of bounds")

    with pytest.raises(IndexError) as info:
        check(broken, "conv1d", X, W, stride=2)
    notes = "".join(info.value.__notes__)
    assert "raised by conv1d(x=float64 array (2, 3, 11)" in notes


def test_calling_torch_scores_zero():
    """Does a conv1d that calls PyTorch fail, even though its output is right?"""
    import torch
    import torch.nn.functional as F

    def via_torch(x, w):
        return F.conv1d(torch.from_numpy(x), torch.from_numpy(w)).numpy()

    msg = failure(via_torch, "conv1d", X, W)
    assert "uses torch: the kernels must be written in NumPy" in msg


def test_calling_numpy_convolve_scores_zero():
    """Does a conv1d built on np.correlate fail as a library convolution?"""

    def via_correlate(x, w):
        y = [[np.correlate(x[0, 0], w[0, 0], "valid")]]
        return np.array(y)

    msg = failure(via_correlate, "conv1d", X[:1, :1], W[:1, :1])
    assert "uses numpy.correlate" in msg


def test_calling_scipy_scores_zero():
    """Does a conv1d built on scipy.signal fail as a library convolution?"""
    from scipy import signal

    def via_scipy(x, w):
        return signal.correlate(x, w, mode="valid")

    msg = failure(via_scipy, "conv1d", X[:1, :1], W[:1, :1])
    assert "must be written in NumPy" in msg
