"""CAM++ speaker-embedding network (3D-Speaker, Apache-2.0), inference only.

The layer layout and parameter names follow 3D-Speaker's ``speakerlab/models/campplus``
so that its released state dicts (e.g. ``campplus_cn_en_common.pt``) load unchanged.
Training-only parts (gradient checkpointing, classifier head) are left out.
"""
from __future__ import annotations

from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn


def nonlinear(config: str, channels: int) -> nn.Sequential:
    seq = nn.Sequential()
    for name in config.split("-"):
        if name == "relu":
            seq.add_module("relu", nn.ReLU(inplace=True))
        elif name == "prelu":
            seq.add_module("prelu", nn.PReLU(channels))
        elif name == "batchnorm":
            seq.add_module("batchnorm", nn.BatchNorm1d(channels))
        elif name == "batchnorm_":
            seq.add_module("batchnorm", nn.BatchNorm1d(channels, affine=False))
        else:
            raise ValueError(f"unknown layer '{name}'")
    return seq


class StatsPool(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([x.mean(dim=-1), x.std(dim=-1, unbiased=True)], dim=-1)


class TDNNLayer(nn.Module):
    def __init__(self, cin, cout, kernel, stride=1, padding=0, dilation=1, bias=False, config="batchnorm-relu"):
        super().__init__()
        if padding < 0:
            padding = (kernel - 1) // 2 * dilation
        self.linear = nn.Conv1d(cin, cout, kernel, stride=stride, padding=padding, dilation=dilation, bias=bias)
        self.nonlinear = nonlinear(config, cout)

    def forward(self, x):
        return self.nonlinear(self.linear(x))


class CAMLayer(nn.Module):
    """Context-aware masking: a local conv gated by utterance- and segment-level context."""

    def __init__(self, bn_channels, cout, kernel, stride, padding, dilation, bias, reduction=2):
        super().__init__()
        self.linear_local = nn.Conv1d(bn_channels, cout, kernel, stride=stride, padding=padding, dilation=dilation, bias=bias)
        self.linear1 = nn.Conv1d(bn_channels, bn_channels // reduction, 1)
        self.relu = nn.ReLU(inplace=True)
        self.linear2 = nn.Conv1d(bn_channels // reduction, cout, 1)
        self.sigmoid = nn.Sigmoid()

    def forward(self, x):
        y = self.linear_local(x)
        context = x.mean(-1, keepdim=True) + self._segment_mean(x)
        m = self.sigmoid(self.linear2(self.relu(self.linear1(context))))
        return y * m

    @staticmethod
    def _segment_mean(x, seg_len=100):
        seg = F.avg_pool1d(x, kernel_size=seg_len, stride=seg_len, ceil_mode=True)
        shape = seg.shape
        seg = seg.unsqueeze(-1).expand(*shape, seg_len).reshape(*shape[:-1], -1)
        return seg[..., : x.shape[-1]]


class CAMDenseTDNNLayer(nn.Module):
    def __init__(self, cin, cout, bn_channels, kernel, stride=1, dilation=1, bias=False, config="batchnorm-relu"):
        super().__init__()
        padding = (kernel - 1) // 2 * dilation
        self.nonlinear1 = nonlinear(config, cin)
        self.linear1 = nn.Conv1d(cin, bn_channels, 1, bias=False)
        self.nonlinear2 = nonlinear(config, bn_channels)
        self.cam_layer = CAMLayer(bn_channels, cout, kernel, stride=stride, padding=padding, dilation=dilation, bias=bias)

    def forward(self, x):
        return self.cam_layer(self.nonlinear2(self.linear1(self.nonlinear1(x))))


class CAMDenseTDNNBlock(nn.ModuleList):
    def __init__(self, num_layers, cin, cout, bn_channels, kernel, dilation=1, config="batchnorm-relu"):
        super().__init__()
        for i in range(num_layers):
            self.add_module(
                f"tdnnd{i + 1}",
                CAMDenseTDNNLayer(cin + i * cout, cout, bn_channels, kernel, dilation=dilation, config=config),
            )

    def forward(self, x):
        for layer in self:
            x = torch.cat([x, layer(x)], dim=1)
        return x


class TransitLayer(nn.Module):
    def __init__(self, cin, cout, bias=True, config="batchnorm-relu"):
        super().__init__()
        self.nonlinear = nonlinear(config, cin)
        self.linear = nn.Conv1d(cin, cout, 1, bias=bias)

    def forward(self, x):
        return self.linear(self.nonlinear(x))


class DenseLayer(nn.Module):
    def __init__(self, cin, cout, bias=False, config="batchnorm-relu"):
        super().__init__()
        self.linear = nn.Conv1d(cin, cout, 1, bias=bias)
        self.nonlinear = nonlinear(config, cout)

    def forward(self, x):
        if x.dim() == 2:
            x = self.linear(x.unsqueeze(-1)).squeeze(-1)
        else:
            x = self.linear(x)
        return self.nonlinear(x)


class BasicResBlock(nn.Module):
    def __init__(self, cin, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 3, stride=(stride, 1), padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(cin, planes, 1, stride=(stride, 1), bias=False), nn.BatchNorm2d(planes)
            )

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class FCM(nn.Module):
    """2-D convolutional front end over (mel, time)."""

    def __init__(self, num_blocks=(2, 2), m_channels=32, feat_dim=80):
        super().__init__()
        self.conv1 = nn.Conv2d(1, m_channels, 3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(m_channels)
        self.layer1 = nn.Sequential(*[BasicResBlock(m_channels, m_channels, 2 if i == 0 else 1) for i in range(num_blocks[0])])
        self.layer2 = nn.Sequential(*[BasicResBlock(m_channels, m_channels, 2 if i == 0 else 1) for i in range(num_blocks[1])])
        self.conv2 = nn.Conv2d(m_channels, m_channels, 3, stride=(2, 1), padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(m_channels)
        self.out_channels = m_channels * (feat_dim // 8)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x.unsqueeze(1))))
        out = self.layer2(self.layer1(out))
        out = F.relu(self.bn2(self.conv2(out)))
        b, c, f, t = out.shape
        return out.reshape(b, c * f, t)


class CAMPPlus(nn.Module):
    """Input: (batch, frames, mel) mean-normalised log-mel fbank. Output: (batch, embedding_size)."""

    def __init__(self, feat_dim=80, embedding_size=192, growth_rate=32, bn_size=4, init_channels=128, config="batchnorm-relu"):
        super().__init__()
        self.head = FCM(feat_dim=feat_dim)
        channels = self.head.out_channels
        self.xvector = nn.Sequential(
            OrderedDict([("tdnn", TDNNLayer(channels, init_channels, 5, stride=2, dilation=1, padding=-1, config=config))])
        )
        channels = init_channels
        for i, (num_layers, kernel, dilation) in enumerate(zip((12, 24, 16), (3, 3, 3), (1, 2, 2))):
            block = CAMDenseTDNNBlock(num_layers, channels, growth_rate, bn_size * growth_rate, kernel, dilation=dilation, config=config)
            self.xvector.add_module(f"block{i + 1}", block)
            channels += num_layers * growth_rate
            self.xvector.add_module(f"transit{i + 1}", TransitLayer(channels, channels // 2, bias=False, config=config))
            channels //= 2
        self.xvector.add_module("out_nonlinear", nonlinear(config, channels))
        self.xvector.add_module("stats", StatsPool())
        self.xvector.add_module("dense", DenseLayer(channels * 2, embedding_size, config="batchnorm_"))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.xvector(self.head(x.permute(0, 2, 1)))
