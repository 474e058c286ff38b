"""Fold a pooling layer into the connection after it (Loihi has no pooling unit).

Sum and average pooling are linear, per channel, so ``W ∘ pool`` is again a Dense or a
Conv2d on the un-pooled spikes; lava-dl's own pooling blocks are convolutions too. With
pooling kernel k, stride s, zero padding p and scale c (1 for sum, 1/(kH·kW) for average):

    dense:  W'[:, ch, y, x] = c · Σ W[:, ch, u, v]  over the windows (u, v) covering (y, x),
            i.e. y ∈ s·u − p + [0, k) and x ∈ s·v − p + [0, k)
    conv (kernel K, stride S, padding P, dilation D):
            W'[o, i, j·D·s + a, l·D·s + b] += c · W[o, i, j, l]   for a, b < k
            stride S·s, padding P·s + p, dilation 1, same groups

The conv form is exact when every pooled position in the conv's zero padding P maps to
original positions outside the input (k ≤ s + p on the left, H_pooled·s − p ≥ H on the
right), which always holds for P = 0; otherwise the fold is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import nir
import numpy as np

POOLS: tuple[type, ...] = (nir.SumPool2d, nir.AvgPool2d)


@dataclass(frozen=True)
class Pool:
    """A 2-D sum/average pooling: per-axis kernel, stride, padding, and the scale c."""

    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    scale: float

    @classmethod
    def from_node(cls, node: Any) -> Pool:
        def pair(value: Any) -> tuple[int, int]:
            a = np.broadcast_to(np.asarray(value, dtype=np.int64).reshape(-1), (2,))
            return int(a[0]), int(a[1])

        kernel = pair(node.kernel_size)
        average = isinstance(node, nir.AvgPool2d)
        scale = 1.0 / (kernel[0] * kernel[1]) if average else 1.0
        return cls(kernel, pair(node.stride), pair(node.padding), scale)


def fold_into_dense(
    weight: np.ndarray, pool: Pool, in_shape: tuple[int, ...], pooled: tuple[int, ...]
) -> np.ndarray:
    """W' [N_out, C·H·W] with W'·x = W·flatten(pool(x)), for x of shape ``in_shape``."""
    n_out = weight.shape[0]
    w = weight.reshape(n_out, *pooled)
    c, h, wd = in_shape
    (kh, kw), (sh, sw), (ph, pw) = pool.kernel, pool.stride, pool.padding
    hp, wp = pooled[1], pooled[2]
    # room for every window (the last one starts at s·(pooled − 1)) and the padded input
    padded = np.zeros(
        (n_out, c, max(h + 2 * ph, kh + sh * (hp - 1)), max(wd + 2 * pw, kw + sw * (wp - 1)))
    )
    for a in range(kh):
        for b in range(kw):
            padded[:, :, a : a + sh * hp : sh, b : b + sw * wp : sw] += w
    return (padded[:, :, ph : ph + h, pw : pw + wd] * pool.scale).reshape(n_out, -1)


def fold_into_conv(
    weight: np.ndarray,
    geometry: Mapping[str, Any],
    pool: Pool,
    in_shape: tuple[int, ...],
    pooled: tuple[int, ...],
) -> tuple[np.ndarray, dict[str, Any]] | str:
    """(W', geometry') of the composite conv on the un-pooled input, or why it is not exact."""
    c_out, c_g, kh, kw = weight.shape
    kernel, dil = (kh, kw), tuple(int(d) for d in geometry["dilation"])
    stride, pad = (
        tuple(int(s) for s in geometry["stride"]),
        tuple(int(p) for p in geometry["padding"]),
    )
    sizes = []
    for axis in range(2):
        k, s, p = pool.kernel[axis], pool.stride[axis], pool.padding[axis]
        n, n_pooled = in_shape[1 + axis], pooled[1 + axis]
        if pad[axis] and (k > s + p or n_pooled * s - p < n):
            return (
                f"the conv's zero padding would cover input pixels once the pooling is "
                f"folded (pool kernel {k}, stride {s}, padding {p} on an input of {n})"
            )
        sizes.append((kernel[axis] - 1) * dil[axis] * s + k)
    folded = np.zeros((c_out, c_g, sizes[0], sizes[1]))
    (ph_k, pw_k), (sh, sw) = pool.kernel, pool.stride
    step_h, step_w = dil[0] * sh, dil[1] * sw
    for a in range(ph_k):
        for b in range(pw_k):
            folded[:, :, a : a + step_h * kh : step_h, b : b + step_w * kw : step_w] += weight
    geo = {
        "stride": [stride[0] * sh, stride[1] * sw],
        "padding": [pad[0] * sh + pool.padding[0], pad[1] * sw + pool.padding[1]],
        "dilation": [1, 1],
        "groups": int(geometry["groups"]),
    }
    return folded * pool.scale, geo
