"""Where the book teaches what each part checks: the one map from part to section.

A part is a test cell; its grade_id starts with the name of the function it
checks (`conv2d_naive_stride` checks `conv2d_naive`). The feedback pages and
the class report link a failed part to the section below.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Section:
    page: str  # the chapter's path in the site, without .html
    anchor: str  # the heading's id on that page
    title: str

    def url(self, base):
        return f"{base.rstrip('/')}/{self.page}.html#{self.anchor}"


_SIZE = Section(
    "book/output-size", "the-formula-one-parameter-at-a-time", "The formula"
)
_CONV2D = Section("book/conv2d", "loops-that-mirror-the-definition", "The definition")
_POOL = Section("book/pooling", "max-and-mean-pooling", "Max and mean pooling")
_MATRIX = Section("book/conv-vs-linear", "the-matrix-of-a-convolution", "The matrix")
_FIELD = Section("book/receptive-field", "a-stack-of-layers", "A stack of layers")
_TRAFFIC = Section(
    "book/gpu-networks", "check-your-understanding", "MACs per byte (question 2)"
)

# The function a part checks -> the section that explains it.
SECTIONS = {
    "conv_output_size": _SIZE,
    "conv1d": Section(
        "book/output-size", "sliding-a-kernel-along-a-line", "Sliding a kernel"
    ),
    "conv2d_naive": _CONV2D,
    "conv2d_backward": Section(
        "book/conv2d", "the-definition", "The definition (its gradient)"
    ),
    "conv2d": Section(
        "book/conv2d", "strides-and-dilation-are-slices-of-the-windows", "Strides"
    ),
    "pad": Section("book/padding", "which-values-padding-modes", "Padding modes"),
    "max_pool2d_backward": _POOL,
    "max_pool": _POOL,
    "avg_pool2d_as_conv": Section(
        "book/pooling", "mean-pooling-is-a-convolution", "Mean pooling is a conv"
    ),
    "avg_pool": _POOL,
    "global_avg_pool2d": Section(
        "book/pooling", "global-average-pooling", "Global average pooling"
    ),
    "conv2d_as_matrix": _MATRIX,
    "receptive_field": _FIELD,
    "count_parameters": Section(
        "book/separable", "parameters-the-notes-example", "Parameters"
    ),
    "count_macs": Section("book/separable", "multiply-accumulates", "MACs"),
    "depthwise": Section("book/separable", "three-kinds-of-kernel", "Kernels"),
    "pointwise": Section("book/separable", "three-kinds-of-kernel", "Kernels"),
    "separable": Section("book/separable", "three-kinds-of-kernel", "Kernels"),
    "conv2d_bytes": _TRAFFIC,
    "arithmetic_intensity": _TRAFFIC,
    "roofline": _TRAFFIC,
    "training_memory": Section(
        "book/gpu-networks", "on-this-machine-s-cpu-at-full-size", "Training memory"
    ),
    "conv_transpose2d": Section(
        "book/transposed-conv", "the-scatter-view", "The scatter view"
    ),
    "layer_shape": _SIZE,
    "layer_counts": Section("book/famous-networks", "alexnet", "AlexNet"),
    "layer_table": Section(
        "book/famous-networks", "how-far-each-layer-sees", "How far each layer sees"
    ),
}


def section_for(grade_id):
    """The Section for a part (the longest function name its grade_id starts
    with), or None."""
    names = [n for n in SECTIONS if grade_id == n or grade_id.startswith(n + "_")]
    return SECTIONS[max(names, key=len)] if names else None


def book_url(course_root="."):
    """Where the book is: $AUTOGRADER_BOOK_URL, else the course's own build."""
    url = os.environ.get("AUTOGRADER_BOOK_URL")
    if url:
        return url
    return (Path(course_root).resolve() / "_build" / "html").as_uri()
