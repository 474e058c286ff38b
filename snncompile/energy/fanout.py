"""Exact per-input fan-out maps of synaptic layers.

The fan-out F[i] of input element i is the number of **non-zero synapses** it reaches:
the (output element, weight) pairs whose weight is non-zero and that read input i.
Summing F over the active inputs of one step gives exactly what NeuroBench computes by
applying a binarised copy of the layer (non-zero weights → 1, bias → 0) to a binarised
input and summing the result:

    Σ_o Σ_i [w_oi ≠ 0]·[x_i ≠ 0] = Σ_i [x_i ≠ 0]·F[i]

For a convolution F is built per kernel tap: input position p reaches output position
o = (p + pad_lo − j·dilation) / stride through tap j when that is an integer in
[0, L_out), independently per spatial dimension; padded positions are not inputs and
count nothing. With ``taps[c, j]`` the number of output channels whose weight at
(input channel c, tap j) is non-zero (within c's group),

    F[c, p] = Σ_j taps[c, j] · Π_d valid_d[j_d, p_d]

"Dense" fan-outs use an all-ones weight mask (NeuroBench's ``Dense``).
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from typing import Any

import numpy as np

from snncompile.errors import ConfigError
from snncompile.ir.shapes import output_length, same_padding


def dense_fanout(weight: np.ndarray, *, all_ones: bool = False) -> np.ndarray:
    """F[i] = number of non-zero entries in column i of an ``(out, in)`` weight."""
    if all_ones:
        return np.full(weight.shape[1], weight.shape[0], dtype=np.int64)
    return np.count_nonzero(weight, axis=0).astype(np.int64)


def _expand(value: Any, ndim: int, name: str) -> tuple[int, ...]:
    array = np.atleast_1d(np.asarray(value)).ravel()
    if array.size == 1:
        return (int(array[0]),) * ndim
    if array.size != ndim:
        raise ConfigError(
            f"{name}={value!r} has {array.size} values for {ndim} spatial dimensions",
            hint=f"give one int or {ndim} ints",
        )
    return tuple(int(v) for v in array)


def resolve_padding(
    padding: Any, kernel: Sequence[int], dilation: Sequence[int]
) -> list[tuple[int, int]]:
    """``(lo, hi)`` padding per spatial dimension (PyTorch rules for "same"/"valid")."""
    ndim = len(kernel)
    if isinstance(padding, bytes):
        padding = padding.decode()
    if isinstance(padding, str):
        if padding == "valid":
            return [(0, 0)] * ndim
        if padding == "same":
            return same_padding(kernel, dilation)
        raise ConfigError(
            f"padding={padding!r} is not an int, a tuple, 'same' or 'valid'",
            hint="use the padding of the convolution",
        )
    array = np.asarray(padding)
    if array.ndim == 2:
        if array.shape != (ndim, 2):
            raise ConfigError(
                f"padding pairs have shape {list(array.shape)}, expected [{ndim}, 2]",
                hint="give one (lo, hi) pair per spatial dimension",
            )
        return [(int(lo), int(hi)) for lo, hi in array]
    return [(p, p) for p in _expand(padding, ndim, "padding")]


def _valid(length: int, kernel: int, stride: int, pad: tuple[int, int], dil: int) -> np.ndarray:
    """valid[j, p]: input position p reaches an output position through tap j."""
    out_len = output_length(length, kernel, stride, pad, dil)
    q = np.arange(length)[None, :] + pad[0] - dil * np.arange(kernel)[:, None]
    return (q >= 0) & (q % stride == 0) & (q // stride < out_len)


def conv_geometry(
    weight_shape: Sequence[int],
    in_spatial: Sequence[int],
    stride: Any,
    padding: Any,
    dilation: Any,
) -> tuple[tuple[int, ...], list[tuple[int, int]], tuple[int, ...], tuple[int, ...]]:
    """(stride, padding pairs, dilation, output spatial shape), all normalised."""
    kernel = tuple(int(k) for k in weight_shape[2:])
    ndim = len(kernel)
    if len(in_spatial) != ndim:
        raise ConfigError(
            f"conv input has spatial shape {list(in_spatial)} but the kernel has {ndim} "
            "spatial dimensions",
            hint="record conv inputs as [T, B, C_in, *spatial]",
        )
    strides = _expand(stride, ndim, "stride")
    dils = _expand(dilation, ndim, "dilation")
    pads = resolve_padding(padding, kernel, dils)
    out = tuple(
        output_length(n, k, s, p, d)
        for n, k, s, p, d in zip(in_spatial, kernel, strides, pads, dils, strict=True)
    )
    if min(out, default=1) < 1:
        raise ConfigError(
            f"conv with kernel {list(kernel)} has an empty output for input {list(in_spatial)}",
            hint="check the padding, stride and input size",
        )
    return strides, pads, dils, out


def conv_fanout(
    weight: np.ndarray,
    in_shape: Sequence[int],
    *,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
    all_ones: bool = False,
) -> np.ndarray:
    """F[c, *p] for a convolution with input shape ``(C_in, *spatial)`` (module docstring)."""
    c_out, c_in_group = int(weight.shape[0]), int(weight.shape[1])
    kernel = tuple(int(k) for k in weight.shape[2:])
    c_in = int(in_shape[0])
    if c_in != c_in_group * groups:
        raise ConfigError(
            f"conv input has {c_in} channels but the weight {list(weight.shape)} with "
            f"groups={groups} expects {c_in_group * groups}",
            hint="record conv inputs as [T, B, C_in, *spatial]",
        )
    strides, pads, dils, _ = conv_geometry(weight.shape, in_shape[1:], stride, padding, dilation)
    mask = np.ones(weight.shape, dtype=np.int64) if all_ones else (weight != 0).astype(np.int64)
    per_group = c_out // groups
    # taps[c, *k]: output channels of c's group whose weight at (c, k) is non-zero.
    taps = np.concatenate(
        [mask[g * per_group : (g + 1) * per_group].sum(axis=0) for g in range(groups)]
    )
    valid = [
        _valid(n, k, s, p, d).astype(np.int64)
        for n, k, s, p, d in zip(in_shape[1:], kernel, strides, pads, dils, strict=True)
    ]
    letters = string.ascii_lowercase
    k_idx, p_idx = letters[: len(kernel)], letters[len(kernel) : 2 * len(kernel)]
    spec = "z" + k_idx + "," + ",".join(k + p for k, p in zip(k_idx, p_idx, strict=True))
    return np.einsum(f"{spec}->z{p_idx}", taps, *valid).astype(np.int64)


def conv_paper_flops(weight_shape: Sequence[int], out_spatial: Sequence[int]) -> int:
    """The papers' conv FLOPs k·C_in/groups·C_out·Π L_out (padded taps included)."""
    c_out, c_in_group = int(weight_shape[0]), int(weight_shape[1])
    return int(np.prod(weight_shape[2:])) * c_in_group * c_out * int(np.prod(out_spatial))
