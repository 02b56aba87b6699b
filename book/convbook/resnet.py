"""ResNet-18 and ResNet-50 (He et al., 2016), and the small stacks the chapter measures.

The layer sizes are those of the reference implementation whose parameter counts are
quoted everywhere (1000 classes): ResNet-18 has 11,689,512 parameters, ResNet-50
25,557,032. ResNet-50's bottleneck puts its stride on the 3x3 convolution (as
torchvision does, "ResNet v1.5"); the paper puts it on the first 1x1. The two have the
same parameters and differ only in which pixels the block reads.
"""

from __future__ import annotations

from torch import nn


def conv_bn(c_in, c_out, kernel_size, stride=1):
    """A convolution without bias ('same'-padded for odd kernels), then BatchNorm."""
    conv = nn.Conv2d(c_in, c_out, kernel_size, stride, kernel_size // 2, bias=False)
    return nn.Sequential(conv, nn.BatchNorm2d(c_out))


class BasicBlock(nn.Module):
    """Two 3x3 convolutions and a shortcut: relu(F(x) + x)."""

    expansion = 1

    def __init__(self, c_in, width, stride=1):
        super().__init__()
        self.residual = nn.Sequential(
            conv_bn(c_in, width, 3, stride),
            nn.ReLU(inplace=True),
            conv_bn(width, width, 3),
        )
        self.shortcut = shortcut(c_in, width * self.expansion, stride)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.relu(self.residual(x) + self.shortcut(x))


class Bottleneck(nn.Module):
    """1x1 down to `width`, 3x3, 1x1 up to 4 * width, and a shortcut."""

    expansion = 4

    def __init__(self, c_in, width, stride=1):
        super().__init__()
        c_out = width * self.expansion
        self.residual = nn.Sequential(
            conv_bn(c_in, width, 1),
            nn.ReLU(inplace=True),
            conv_bn(width, width, 3, stride),
            nn.ReLU(inplace=True),
            conv_bn(width, c_out, 1),
        )
        self.shortcut = shortcut(c_in, c_out, stride)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.relu(self.residual(x) + self.shortcut(x))


def shortcut(c_in, c_out, stride):
    """The identity where shapes agree, else a 1x1 projection with BatchNorm."""
    if stride == 1 and c_in == c_out:
        return nn.Identity()
    return conv_bn(c_in, c_out, 1, stride)


class ResNet(nn.Module):
    """A stem, four stages of blocks (widths 64, 128, 256, 512), a linear classifier.

    Inputs:
    - x: tensor of shape (N, 3, H, W)
    Returns:
    - logits of shape (N, num_classes)
    """

    def __init__(self, block, depths, num_classes=1000):
        super().__init__()
        self.stem = nn.Sequential(
            conv_bn(3, 64, 7, stride=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(3, stride=2, padding=1),
        )
        stages, c_in = [], 64
        for i, (width, depth) in enumerate(zip((64, 128, 256, 512), depths)):
            blocks = []
            for j in range(depth):
                stride = 2 if i > 0 and j == 0 else 1
                blocks.append(block(c_in, width, stride))
                c_in = width * block.expansion
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c_in, num_classes)

    def forward(self, x):
        return self.fc(self.pool(self.stages(self.stem(x))).flatten(1))


def resnet18(num_classes=1000):
    """ResNet-18: basic blocks, 2 per stage."""
    return ResNet(BasicBlock, (2, 2, 2, 2), num_classes)


def resnet50(num_classes=1000):
    """ResNet-50: bottleneck blocks, 3, 4, 6 and 3 per stage."""
    return ResNet(Bottleneck, (3, 4, 6, 3), num_classes)


class PlainBlock(nn.Module):
    """Two 3x3 convolutions with BatchNorm and ReLU, with or without the shortcut."""

    def __init__(self, width, residual):
        super().__init__()
        self.body = nn.Sequential(
            conv_bn(width, width, 3), nn.ReLU(), conv_bn(width, width, 3)
        )
        self.residual = residual

    def forward(self, x):
        y = self.body(x)
        return (y + x if self.residual else y).relu()


def stack(blocks, width=16, residual=True):
    """A 3x3 stem and `blocks` blocks of width `width`: 2 * blocks + 1 convolutions."""
    layers = [nn.Conv2d(3, width, 3, padding=1, bias=False)]
    layers += [PlainBlock(width, residual) for _ in range(blocks)]
    return nn.Sequential(*layers)
