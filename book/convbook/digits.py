"""A real, small training run: scikit-learn's handwritten digits on the CPU.

The 1,797 digits of ``sklearn.datasets.load_digits`` ship with scikit-learn (no
download). They are 8x8 images; we upsample them (bilinearly) to 16x16 so that a
network with two stride-2 stages still ends on a 4x4 map, and train two networks
with the same layout: ``DigitsCNN(separable=False)`` uses full 3x3 convolutions,
``DigitsCNN(separable=True)`` replaces each but the first by a depthwise 3x3 and a
pointwise 1x1 convolution, as MobileNet does.
"""

from __future__ import annotations

import time

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn

# (output channels, stride) of the blocks after the stem, as in a small MobileNet.
LAYOUT = [(32, 1), (64, 2), (64, 1), (128, 2)]
STEM_CHANNELS = 16
IMAGE_SIZE = 16


def load_data(size: int = IMAGE_SIZE, test_size: float = 0.25, seed: int = 0):
    """The digits as tensors, split into stratified training and test sets.

    Returns:
    - x_train, x_test: float32 images of shape (N, 1, size, size), standardised with
      the training set's mean and standard deviation
    - y_train, y_test: int64 labels 0..9 of shape (N,)
    """
    digits = load_digits()
    x = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1)
    x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
    y = torch.tensor(digits.target)
    i_train, i_test = train_test_split(
        np.arange(len(y)),
        test_size=test_size,
        stratify=y,
        random_state=seed,
    )
    mean, std = x[i_train].mean(), x[i_train].std()
    x = (x - mean) / std
    return x[i_train], x[i_test], y[i_train], y[i_test]


def block(c_in: int, c_out: int, stride: int, separable: bool) -> nn.Sequential:
    """A 3x3 convolution with BN and ReLU, or its depthwise-separable counterpart."""
    if not separable:
        return nn.Sequential(
            nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False),
            nn.BatchNorm2d(c_out),
            nn.ReLU(inplace=True),
        )
    return nn.Sequential(
        nn.Conv2d(c_in, c_in, 3, stride, 1, groups=c_in, bias=False),  # depthwise
        nn.BatchNorm2d(c_in),
        nn.ReLU(inplace=True),
        nn.Conv2d(c_in, c_out, 1, bias=False),  # pointwise
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    )


class DigitsCNN(nn.Module):
    """A full 3x3 stem, the blocks of LAYOUT, global average pooling, a linear layer.

    Inputs:
    - x: images of shape (N, 1, H, W)

    Returns:
    - logits of shape (N, 10)
    """

    def __init__(self, separable: bool = False, layout=LAYOUT, width: float = 1.0):
        super().__init__()
        c = int(STEM_CHANNELS * width)
        layers = [block(1, c, 1, separable=False)]  # one input channel: keep it full
        for c_out, stride in layout:
            layers.append(block(c, int(c_out * width), stride, separable))
            c = int(c_out * width)
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(c, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x).mean(dim=(2, 3))  # global average pooling
        return self.fc(x)


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of correctly classified images, in eval mode."""
    model.eval()
    with torch.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


def train(model, data, epochs=6, batch_size=64, lr=5e-3, seed=0) -> dict:
    """Train with Adam and cross-entropy; evaluate on the test set after each epoch.

    The learning rate decays to zero along a cosine over all steps, which makes the
    last epoch's accuracy steadier than a constant rate does.

    Inputs:
    - model: a network mapping (N, 1, H, W) images to (N, 10) logits
    - data: (x_train, x_test, y_train, y_test) from ``load_data``

    Returns:
    - a dict with params, train_loss (mean per epoch), test_accuracy (per epoch),
      final_accuracy, train_accuracy (at the end) and seconds (of training)
    """
    x_train, x_test, y_train, y_test = data
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    steps = epochs * -(-len(y_train) // batch_size)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps)
    history = {"train_loss": [], "test_accuracy": []}
    start = time.perf_counter()
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(y_train), generator=generator)
        losses = []
        for idx in order.split(batch_size):
            loss = F.cross_entropy(model(x_train[idx]), y_train[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            losses.append(loss.item())
        history["train_loss"].append(float(np.mean(losses)))
        history["test_accuracy"].append(accuracy(model, x_test, y_test))
    seconds = time.perf_counter() - start
    return {
        "params": sum(p.numel() for p in model.parameters()),
        **history,
        "final_accuracy": history["test_accuracy"][-1],
        "train_accuracy": accuracy(model, x_train, y_train),
        "seconds": seconds,
    }


def run(separable: bool, width: float = 1.0, epochs: int = 6, seed: int = 0) -> dict:
    """Build a seeded DigitsCNN and train it on the digits; ``train``'s results."""
    torch.manual_seed(seed)
    model = DigitsCNN(separable=separable, width=width)
    return train(model, load_data(seed=seed), epochs=epochs, seed=seed)


def summarise(results: list[dict]) -> dict:
    """Mean and sample standard deviation over seeds of one configuration's runs.

    Inputs:
    - results: ``run``'s results for the same network, one per seed

    Returns:
    - a dict with params, seeds, curves (each seed's test accuracy after each
      epoch), curve (their mean),
      mean and sd (of the final test accuracy), train_min (the lowest final
      training accuracy) and seconds (all runs together)
    """
    final = np.array([r["final_accuracy"] for r in results])
    curves = np.array([r["test_accuracy"] for r in results])
    return {
        "params": results[0]["params"],
        "seeds": len(results),
        "curves": curves.tolist(),
        "curve": curves.mean(axis=0).tolist(),
        "mean": float(final.mean()),
        "sd": float(final.std(ddof=1)),
        "train_min": min(r["train_accuracy"] for r in results),
        "seconds": sum(r["seconds"] for r in results),
    }
