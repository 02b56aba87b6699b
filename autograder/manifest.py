"""The course's map: chapter -> assignment -> ops module -> tests, in one place.

The intro's table, the Practice page and the browser page (book/_ext/
course_tables.py), the browser's copy of the package (offline), and the
tests read this list; adding an assignment is one entry here plus its files
(solutions/<name>/, checking/ops/<ops>.py, the tests), and
tests/test_manifest.py checks that they all exist.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Assignment:
    """One assignment and where the course keeps its parts."""

    name: str  # the folder in solutions/ and exercises/
    notebook: str  # the notebook's file name in that folder
    chapter: str  # the chapter that teaches it: book/<chapter>.md, label chap-<chapter>
    ops: str  # its references and known mistakes: autograder/checking/ops/<ops>.py
    writes: str  # what the student writes, as the book's tables say it (MyST)
    tests: tuple  # the test files that check its references and grading (tests/)
    browser_imports: tuple = ()  # ops names its notebook imports besides check

    @property
    def doc(self):
        """The exercise page's document name in the book."""
        return f"exercises/{self.name}/{self.notebook.removesuffix('.ipynb')}"


ASSIGNMENTS = [
    Assignment(
        "01-conv-vs-linear",
        "conv-vs-linear.ipynb",
        "conv-vs-linear",
        "conv_vs_linear",
        "`conv2d_as_matrix`",
        ("test_conv_vs_linear_check.py", "test_conv_vs_linear_grading.py"),
    ),
    Assignment(
        "02-output-size",
        "output-size.ipynb",
        "output-size",
        "output_size",
        "`conv_output_size`, `conv1d`",
        ("test_output_size_grading.py",),
    ),
    Assignment(
        "03-conv2d",
        "conv2d.ipynb",
        "conv2d",
        "conv2d",
        "`conv2d_naive`, `conv2d`",
        ("test_conv2d_check.py", "test_conv2d_grading.py"),
    ),
    Assignment(
        "04-padding",
        "padding.ipynb",
        "padding",
        "padding",
        "`pad`",
        ("test_padding_check.py", "test_padding_grading.py"),
    ),
    Assignment(
        "05-pooling",
        "pooling.ipynb",
        "pooling",
        "pooling",
        "max, average and global pooling",
        ("test_pooling_check.py", "test_pooling_grading.py"),
    ),
    Assignment(
        "06-backward",
        "backward.ipynb",
        "backprop",
        "backward",
        "`conv2d_backward`, `max_pool2d_backward`",
        ("test_backward_check.py", "test_backward_grading.py"),
        browser_imports=("random_grad_out",),
    ),
    Assignment(
        "07-transposed-conv",
        "transposed-conv.ipynb",
        "transposed-conv",
        "transposed",
        "`conv_transpose2d`",
        ("test_transposed_check.py", "test_transposed_grading.py"),
    ),
    Assignment(
        "08-receptive-field",
        "receptive-field.ipynb",
        "receptive-field",
        "receptive_field",
        "`receptive_field`, `count_parameters`, `count_macs`",
        ("test_receptive_field_check.py", "test_receptive_field_grading.py"),
    ),
    Assignment(
        "09-layer-table",
        "layer-table.ipynb",
        "famous-networks",
        "layer_table",
        "`layer_shape`, `layer_counts`, `layer_table`",
        ("test_layer_table_check.py", "test_layer_table_grading.py"),
    ),
    Assignment(
        "10-separable",
        "separable.ipynb",
        "separable",
        "separable",
        "depthwise, pointwise and separable convolutions",
        ("test_separable_check.py", "test_separable_grading.py"),
    ),
    Assignment(
        "11-costs",
        "costs.ipynb",
        "gpu-networks",
        "costs",
        "`conv2d_bytes`, `arithmetic_intensity`, `roofline`, `training_memory`",
        ("test_costs_check.py", "test_costs_grading.py"),
    ),
]

BY_NAME = {a.name: a for a in ASSIGNMENTS}

# Chapters without an assignment of their own, whose Practise section sends the
# reader to another chapter's: (chapter, that assignment, what it practises there).
READING = [
    ("anatomy", "03-conv2d", "a layer's channels, kernels and bias, in `conv2d`"),
    ("expressiveness", "08-receptive-field", "`count_parameters`, `count_macs`"),
    ("resnet", "09-layer-table", "ResNet-18's stem and first stage, as a layer table"),
]


def tests_of(name):
    """The test files (under tests/) of one assignment, or of every assignment
    taught by one chapter: what to run after changing it."""
    found = [a for a in ASSIGNMENTS if name in (a.name, a.chapter)]
    if not found:
        known = ", ".join(a.name for a in ASSIGNMENTS)
        raise SystemExit(f"no assignment or chapter {name!r} (assignments: {known})")
    return [f"tests/{t}" for a in found for t in a.tests]
