"""Convolution and pooling in numpy, vectorised over the batch (PyTorch semantics)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

_OUT = "xyz"
_KER = "klm"


def _windows(
    x: np.ndarray,
    kernel: Sequence[int],
    stride: Sequence[int],
    pads: Sequence[tuple[int, int]],
    dilation: Sequence[int],
) -> np.ndarray:
    """Strided, dilated windows: [B, C, *S] -> [B, C, *O, *K] (a view where possible)."""
    nd = len(kernel)
    if any(lo or hi for lo, hi in pads):
        x = np.pad(x, [(0, 0), (0, 0), *pads])
    span = [d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True)]
    view = sliding_window_view(x, span, axis=tuple(range(2, 2 + nd)))
    steps = [slice(None, None, s) for s in stride] + [slice(None, None, d) for d in dilation]
    return view[(slice(None), slice(None), *steps)]


def conv_nd(
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray,
    stride: Sequence[int],
    pads: Sequence[tuple[int, int]],
    dilation: Sequence[int],
    groups: int,
) -> np.ndarray:
    """y[b, o] = bias[o] + Σ_c Σ_k w[o, c, k]·x_pad[b, g(o)·C_g + c, s·i + d·k] (cross-correlation).

    Args:
        x: [B, C_in, *S]; weight: [C_out, C_in/groups, *K]; bias: [C_out];
        pads: (low, high) zero padding per spatial axis.
    """
    nd = weight.ndim - 2
    kernel = weight.shape[2:]
    view = _windows(x, kernel, stride, pads, dilation)
    batch, channels = view.shape[:2]
    out_spatial = view.shape[2 : 2 + nd]
    c_out = weight.shape[0]
    view = view.reshape(batch, groups, channels // groups, *out_spatial, *kernel)
    w = weight.reshape(groups, c_out // groups, channels // groups, *kernel)
    o, k = _OUT[:nd], _KER[:nd]
    y = np.einsum(f"bgc{o}{k},gdc{k}->bgd{o}", view, w, optimize=True)
    y = y.reshape(batch, c_out, *out_spatial)
    return y + bias.reshape((c_out,) + (1,) * nd)


def sum_pool2d(
    x: np.ndarray, kernel: Sequence[int], stride: Sequence[int], padding: Sequence[int]
) -> np.ndarray:
    """Sum over each (zero-padded) window: [B, C, H, W] -> [B, C, H', W']."""
    pads = [(int(p), int(p)) for p in padding]
    view = _windows(x, kernel, stride, pads, (1, 1))
    return view.sum(axis=(-2, -1))


def max_pool2d(
    x: np.ndarray, kernel: Sequence[int], stride: Sequence[int], padding: Sequence[int]
) -> np.ndarray:
    """Maximum over each window, padding by −∞ (PyTorch): [B, C, H, W] -> [B, C, H', W'].

    Exact for any float values: a maximum rounds nothing.
    """
    pads = [(int(p), int(p)) for p in padding]
    if any(lo for lo, _ in pads):
        x = np.pad(x, [(0, 0), (0, 0), *pads], constant_values=-np.inf)
    view = _windows(x, kernel, stride, [(0, 0)] * len(pads), (1, 1))
    return view.max(axis=(-2, -1))
