"""Five famous image classifiers, written to be read.

Each network is one class whose attributes are named after the blocks of its paper,
so that ``print(model)`` reads like the paper's table. The layer sizes reproduce the
reference implementations whose parameter counts are quoted everywhere (1000 classes):

=============  ============  =======================================================
network        parameters    reference
=============  ============  =======================================================
AlexNet         61,100,840   the single-GPU variant in torchvision (64/192/384/256/256)
VGG16          138,357,544   configuration D of Simonyan & Zisserman, no BatchNorm
GoogLeNet        6,624,904   Inception v1 as in torchvision, no auxiliary heads
MobileNetV1      4,231,976   MobileNet 1.0-224 of Howard et al.
Xception        22,855,952   Chollet's Xception, as in Keras (trainable parameters)
=============  ============  =======================================================

Smaller inputs: the adaptive pooling before each classifier accepts any map size, so
every network runs on inputs smaller than 224 x 224 down to a limit (``MIN_INPUT_SIZE``,
found by trying every size and checked by the tests). AlexNet needs 63 x 63 pixels
(its unpadded, round-down 3x3 max-pools must each see at least a 3x3 map); VGG16 needs
32 x 32 (its five 2x2 max-pools round down and must not reach zero). GoogLeNet's
max-pools round up, so it runs from 15 x 15; MobileNetV1 has no pooling before the
end and its padded stride-2 convolutions round up, so it runs on any size, even
1 x 1. At 32 x 32 the last three end with a 1 x 1 map, 32 times smaller than the input.
Xception's first two convolutions are unpadded (a 3x3 at stride 2, then a 3x3), so it
needs 7 x 7 pixels; after them everything is padded and rounds up.
"""

from __future__ import annotations

import torch
from torch import nn


def conv_relu(c_in, c_out, kernel_size, stride=1, padding=0):
    """A convolution with a bias, followed by a ReLU (AlexNet and VGG)."""
    return [nn.Conv2d(c_in, c_out, kernel_size, stride, padding), nn.ReLU(inplace=True)]


def conv_bn_relu(c_in, c_out, kernel_size, stride=1, padding=0, groups=1, eps=1e-5):
    """A convolution without bias (BatchNorm supplies the shift), BatchNorm, ReLU."""
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, kernel_size, stride, padding, groups=groups, bias=False),
        nn.BatchNorm2d(c_out, eps=eps),
        nn.ReLU(inplace=True),
    )


class AlexNet(nn.Module):
    """AlexNet (Krizhevsky et al., 2012), single-stream variant.

    The paper split its layers over two GPUs (48 + 48 filters in conv1, and so on);
    this is the one-GPU version with 64, 192, 384, 256, 256 filters that most
    libraries ship. Local response normalisation is left out, as there.

    Inputs:
    - x: images of shape (N, 3, H, W), H and W at least 63 (224 in the paper)

    Returns:
    - logits of shape (N, num_classes)
    """

    def __init__(self, num_classes: int = 1000, dropout: float = 0.5):
        super().__init__()
        self.features = nn.Sequential(
            *conv_relu(3, 64, 11, stride=4, padding=2),  # conv1
            nn.MaxPool2d(3, stride=2),  # overlapping pooling: window 3, stride 2
            *conv_relu(64, 192, 5, padding=2),  # conv2
            nn.MaxPool2d(3, stride=2),
            *conv_relu(192, 384, 3, padding=1),  # conv3
            *conv_relu(384, 256, 3, padding=1),  # conv4
            *conv_relu(256, 256, 3, padding=1),  # conv5
            nn.MaxPool2d(3, stride=2),
        )
        # Fixes the map at 6x6 (its size for a 224x224 input) whatever the input size.
        self.avgpool = nn.AdaptiveAvgPool2d(6)
        self.classifier = nn.Sequential(  # fc6, fc7, fc8; dropout before fc6 and fc7
            nn.Dropout(dropout),
            nn.Linear(256 * 6 * 6, 4096),
            nn.ReLU(inplace=True),
            nn.Dropout(dropout),
            nn.Linear(4096, 4096),
            nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.avgpool(self.features(x))
        return self.classifier(torch.flatten(x, 1))


# Configuration D of the VGG paper: numbers are 3x3 convolutions' output channels,
# "M" a 2x2 max-pool of stride 2. Five blocks; 13 convolutions + 3 linear = 16 layers.
VGG16_CONFIG = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M",
                512, 512, 512, "M", 512, 512, 512, "M"]  # fmt: skip


class VGG16(nn.Module):
    """VGG-16, configuration D of Simonyan & Zisserman (2015), without BatchNorm.

    Only 3x3 convolutions (stride 1, padding 1: they keep the size) and 2x2 max-pools
    (they halve it).

    Inputs:
    - x: images of shape (N, 3, H, W), H and W at least 32 (224 in the paper)

    Returns:
    - logits of shape (N, num_classes)
    """

    def __init__(self, num_classes: int = 1000, dropout: float = 0.5):
        super().__init__()
        layers, c_in = [], 3
        for item in VGG16_CONFIG:
            if item == "M":
                layers.append(nn.MaxPool2d(2, stride=2))
            else:
                layers += conv_relu(c_in, item, 3, padding=1)
                c_in = item
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(7)
        self.classifier = nn.Sequential(  # fc6, fc7, fc8; dropout after fc6 and fc7
            nn.Linear(512 * 7 * 7, 4096),
            nn.ReLU(inplace=True),
            nn.Dropout(dropout),
            nn.Linear(4096, 4096),
            nn.ReLU(inplace=True),
            nn.Dropout(dropout),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.avgpool(self.features(x))
        return self.classifier(torch.flatten(x, 1))


class Inception(nn.Module):
    """The Inception module of GoogLeNet: four branches side by side, concatenated.

    The arguments are the columns of Table 1 of Szegedy et al. (2015):
    ``n1x1`` (#1x1), ``n3x3red`` (#3x3 reduce), ``n3x3`` (#3x3), ``n5x5red``
    (#5x5 reduce), ``n5x5`` (#5x5) and ``pool_proj`` (pool proj).

    ``kernel5`` is the kernel of the "5x5" branch. The paper says 5; the widely used
    torchvision model, whose 6,624,904 parameters are the figure usually quoted, has
    3 there, and so is the default here. Pass 5 for the paper's module.

    Inputs:
    - x: shape (N, c_in, H, W)

    Returns:
    - shape (N, n1x1 + n3x3 + n5x5 + pool_proj, H, W)
    """

    def __init__(self, c_in, n1x1, n3x3red, n3x3, n5x5red, n5x5, pool_proj, kernel5=3):
        super().__init__()
        bn = {"eps": 1e-3}
        self.branch1 = conv_bn_relu(c_in, n1x1, 1, **bn)
        self.branch2 = nn.Sequential(  # the 1x1 "reduce" cuts channels before the 3x3
            conv_bn_relu(c_in, n3x3red, 1, **bn),
            conv_bn_relu(n3x3red, n3x3, 3, padding=1, **bn),
        )
        self.branch3 = nn.Sequential(
            conv_bn_relu(c_in, n5x5red, 1, **bn),
            conv_bn_relu(n5x5red, n5x5, kernel5, padding=kernel5 // 2, **bn),
        )
        self.branch4 = nn.Sequential(
            nn.MaxPool2d(3, stride=1, padding=1, ceil_mode=True),
            conv_bn_relu(c_in, pool_proj, 1, **bn),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branches = [self.branch1, self.branch2, self.branch3, self.branch4]
        return torch.cat([branch(x) for branch in branches], dim=1)


# Table 1 of the GoogLeNet paper: c_in, #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5,
# pool proj. c_in is the previous module's output, the sum of its four branches.
INCEPTION_TABLE = {
    "inception3a": (192, 64, 96, 128, 16, 32, 32),
    "inception3b": (256, 128, 128, 192, 32, 96, 64),
    "inception4a": (480, 192, 96, 208, 16, 48, 64),
    "inception4b": (512, 160, 112, 224, 24, 64, 64),
    "inception4c": (512, 128, 128, 256, 24, 64, 64),
    "inception4d": (512, 112, 144, 288, 32, 64, 64),
    "inception4e": (528, 256, 160, 320, 32, 128, 128),
    "inception5a": (832, 256, 160, 320, 32, 128, 128),
    "inception5b": (832, 384, 192, 384, 48, 128, 128),
}


class GoogLeNet(nn.Module):
    """GoogLeNet, Inception v1 (Szegedy et al., 2015), without the auxiliary heads.

    As in torchvision, every convolution is followed by BatchNorm (which the 2015
    paper predates) and has no bias; max-pools round up (``ceil_mode``) to keep the
    paper's 112, 56, 28, 14, 7 map sizes.

    Inputs:
    - x: images of shape (N, 3, H, W), H and W at least 15 (224 in the paper)

    Returns:
    - logits of shape (N, num_classes)
    """

    def __init__(self, num_classes: int = 1000, dropout: float = 0.2, kernel5: int = 3):
        super().__init__()
        bn = {"eps": 1e-3}
        self.conv1 = conv_bn_relu(3, 64, 7, stride=2, padding=3, **bn)  # 7x7/2
        self.maxpool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.conv2 = conv_bn_relu(64, 64, 1, **bn)  # 3x3 reduce
        self.conv3 = conv_bn_relu(64, 192, 3, padding=1, **bn)
        self.maxpool2 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        for name in ["inception3a", "inception3b"]:
            setattr(self, name, Inception(*INCEPTION_TABLE[name], kernel5=kernel5))
        self.maxpool3 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        for name in ["inception4a", "inception4b", "inception4c", "inception4d",
                     "inception4e"]:  # fmt: skip
            setattr(self, name, Inception(*INCEPTION_TABLE[name], kernel5=kernel5))
        self.maxpool4 = nn.MaxPool2d(2, stride=2, ceil_mode=True)
        for name in ["inception5a", "inception5b"]:
            setattr(self, name, Inception(*INCEPTION_TABLE[name], kernel5=kernel5))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(1024, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool1(self.conv1(x))  # 224 -> 112 -> 56
        x = self.maxpool2(self.conv3(self.conv2(x)))  # 56 -> 28
        x = self.maxpool3(self.inception3b(self.inception3a(x)))  # 28 -> 14
        x = self.inception4c(self.inception4b(self.inception4a(x)))
        x = self.maxpool4(self.inception4e(self.inception4d(x)))  # 14 -> 7
        x = self.avgpool(self.inception5b(self.inception5a(x)))  # 7 -> 1
        return self.fc(self.dropout(torch.flatten(x, 1)))


# MobileNet v1, Table 1 of Howard et al. (2017): (output channels, stride) of each
# depthwise-separable block that follows the first, full 3x3 convolution.
MOBILENET_BLOCKS = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
                    (512, 1), (512, 1), (512, 1), (512, 1), (512, 1),
                    (1024, 2), (1024, 1)]  # fmt: skip


class DepthwiseSeparable(nn.Module):
    """A 3x3 depthwise convolution then a 1x1 pointwise one, each with BN and ReLU.

    Inputs:
    - x: shape (N, c_in, H, W)

    Returns:
    - shape (N, c_out, H', W'), H' = ceil(H / stride)
    """

    def __init__(self, c_in: int, c_out: int, stride: int = 1):
        super().__init__()
        # groups=c_in: one 3x3 filter per channel, no mixing across channels.
        self.depthwise = conv_bn_relu(c_in, c_in, 3, stride, padding=1, groups=c_in)
        # The 1x1 convolution does all the mixing across channels.
        self.pointwise = conv_bn_relu(c_in, c_out, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pointwise(self.depthwise(x))


class MobileNetV1(nn.Module):
    """MobileNet v1 (Howard et al., 2017): a full 3x3 convolution, then 13
    depthwise-separable blocks, global average pooling and one linear layer.

    ``width`` is the paper's width multiplier alpha: every layer's channel count
    is multiplied by it (1.0 gives MobileNet 1.0-224).

    Inputs:
    - x: images of shape (N, 3, H, W), any H and W (224 in the paper)

    Returns:
    - logits of shape (N, num_classes)
    """

    def __init__(self, num_classes: int = 1000, width: float = 1.0):
        super().__init__()
        c = int(32 * width)
        self.conv1 = conv_bn_relu(3, c, 3, stride=2, padding=1)
        blocks = []
        for c_out, stride in MOBILENET_BLOCKS:
            blocks.append(DepthwiseSeparable(c, int(c_out * width), stride))
            c = int(c_out * width)
        self.blocks = nn.Sequential(*blocks)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.avgpool(self.blocks(self.conv1(x)))
        return self.fc(torch.flatten(x, 1))


class SeparableConv(nn.Sequential):
    """Xception's separable convolution: a 3x3 depthwise convolution, then a 1x1
    pointwise one, with nothing between them (no BatchNorm, no ReLU) and no biases;
    BatchNorm follows the pair.

    Inputs:
    - x: shape (N, c_in, H, W)

    Returns:
    - shape (N, c_out, H, W)
    """

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.depthwise = nn.Conv2d(c_in, c_in, 3, padding=1, groups=c_in, bias=False)
        self.pointwise = nn.Conv2d(c_in, c_out, 1, bias=False)
        self.bn = nn.BatchNorm2d(c_out, eps=1e-3)


class XceptionBlock(nn.Module):
    """A residual block of Xception: ReLU-separable-conv pairs and, in the entry and
    exit flows, a 3x3 max-pool at stride 2 whose shortcut is a strided 1x1
    convolution; in the middle flow the shortcut is the identity.

    ``channels`` lists the output channels of the block's separable convolutions.
    ``first_relu=False`` drops the ReLU before the first one (the first block of the
    entry flow follows a convolution that already ends with a ReLU).

    Inputs:
    - x: shape (N, c_in, H, W)

    Returns:
    - shape (N, channels[-1], H', W'), H' = ceil(H / 2) when pooling, else H
    """

    def __init__(self, c_in, channels, pool=True, first_relu=True):
        super().__init__()
        layers, c = [], c_in
        for i, c_out in enumerate(channels):
            if i > 0 or first_relu:
                layers.append(nn.ReLU(inplace=i > 0))
            layers.append(SeparableConv(c, c_out))
            c = c_out
        if pool:
            layers.append(nn.MaxPool2d(3, stride=2, padding=1))
            self.shortcut = nn.Sequential(
                nn.Conv2d(c_in, c, 1, stride=2, bias=False), nn.BatchNorm2d(c, eps=1e-3)
            )
        else:
            self.shortcut = nn.Identity()
        self.residual = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.residual(x) + self.shortcut(x)


class Xception(nn.Module):
    """Xception (Chollet, 2017): 36 convolutions in an entry flow, a middle flow of
    eight identical residual blocks and an exit flow; every convolution after the
    first two is separable.

    The layer sizes are those of the paper's Figure 5 and of the Keras model whose
    22,855,952 trainable parameters are the figure usually quoted. Keras pads its
    strided pools and shortcuts on one side ('same'); here they pad symmetrically,
    which gives the same map sizes (149, 147, 74, 37, 19, 10 for 299 x 299 inputs) and
    the same parameters.

    Inputs:
    - x: images of shape (N, 3, H, W), H and W at least 7 (299 in the paper)

    Returns:
    - logits of shape (N, num_classes)
    """

    def __init__(self, num_classes: int = 1000):
        super().__init__()
        self.entry_flow = nn.Sequential(
            conv_bn_relu(3, 32, 3, stride=2, eps=1e-3),  # 299 -> 149, no padding
            conv_bn_relu(32, 64, 3, eps=1e-3),  # 149 -> 147
            XceptionBlock(64, [128, 128], first_relu=False),  # -> 74
            XceptionBlock(128, [256, 256]),  # -> 37
            XceptionBlock(256, [728, 728]),  # -> 19
        )
        self.middle_flow = nn.Sequential(
            *[XceptionBlock(728, [728, 728, 728], pool=False) for _ in range(8)]
        )
        self.exit_flow = nn.Sequential(
            XceptionBlock(728, [728, 1024]),  # -> 10
            SeparableConv(1024, 1536),
            nn.ReLU(inplace=True),
            SeparableConv(1536, 2048),
            nn.ReLU(inplace=True),
        )
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(2048, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.exit_flow(self.middle_flow(self.entry_flow(x)))
        return self.fc(torch.flatten(self.avgpool(x), 1))


NETWORKS = {
    "AlexNet": AlexNet,
    "VGG-16": VGG16,
    "GoogLeNet": GoogLeNet,
    "MobileNet v1": MobileNetV1,
    "Xception": Xception,
}

# The smallest square input each network accepts (see the module docstring).
MIN_INPUT_SIZE = {
    "AlexNet": 63,
    "VGG-16": 32,
    "GoogLeNet": 15,
    "MobileNet v1": 1,
    "Xception": 7,
}


def count_parameters(model: nn.Module) -> int:
    """The number of learnable parameters (BatchNorm's running statistics excluded)."""
    return sum(p.numel() for p in model.parameters())
