"""Shape rules of every node type: declared input shapes and output shapes.

Shapes exclude batch and time and are tuples of ints. A rule raises :class:`ShapeError`
(an internal signal that :func:`snncompile.ir.verify.verify` turns into an
:class:`~snncompile.errors.IRValidationError` naming the node) when an input shape does
not fit the node.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

Shape = tuple[int, ...]


class ShapeError(ValueError):
    """An input shape that does not fit a node (converted to IRValidationError)."""


def as_shape(value: Any) -> Shape | None:
    """A shape-like value (array, list, tuple, int, None) as a tuple of ints, or None."""
    if value is None:
        return None
    if isinstance(value, dict):
        return as_shape(next(iter(value.values()), None))
    return tuple(int(v) for v in np.atleast_1d(np.asarray(value)).ravel())


def expand(value: Any, ndim: int) -> tuple[int, ...]:
    """An int or a sequence of ints as an ``ndim``-tuple (PyTorch convention)."""
    array = np.atleast_1d(np.asarray(value)).ravel()
    if array.size == 1:
        return (int(array[0]),) * ndim
    return tuple(int(v) for v in array)


def conv_geometry(node: Any, ndim: int) -> tuple[Shape, Shape | str, Shape, int, Shape]:
    """(stride, padding, dilation, groups, kernel) of a Conv1d/Conv2d, normalised.

    ``padding`` stays ``"same"`` or ``"valid"`` when given as a string.
    """
    padding = node.padding
    if isinstance(padding, bytes):
        padding = padding.decode()
    pad: Shape | str = padding if isinstance(padding, str) else expand(padding, ndim)
    kernel = tuple(int(k) for k in node.weight.shape[2:])
    return expand(node.stride, ndim), pad, expand(node.dilation, ndim), int(node.groups), kernel


def same_padding(kernel: Sequence[int], dilation: Sequence[int]) -> list[tuple[int, int]]:
    """PyTorch ``padding="same"``: total d·(k − 1), the odd element on the right."""
    pads = []
    for k, d in zip(kernel, dilation, strict=True):
        total = d * (k - 1)
        pads.append((total // 2, total - total // 2))
    return pads


def output_length(length: int, kernel: int, stride: int, pad: tuple[int, int], dil: int) -> int:
    """floor((n + p_lo + p_hi − d·(k − 1) − 1) / s) + 1: one spatial axis (PyTorch's rule).

    The one definition of a conv/pool window count; every layer that slides a window
    (IR shape rules, energy fan-outs, backends) uses it.
    """
    return math.floor((length + pad[0] + pad[1] - dil * (kernel - 1) - 1) / stride) + 1


def window_output(
    size: Sequence[int],
    kernel: Sequence[int],
    stride: Sequence[int],
    pads: Sequence[tuple[int, int]],
    dilation: Sequence[int],
) -> Shape:
    """:func:`output_length` per spatial axis."""
    return tuple(
        output_length(n, k, s, p, d)
        for n, k, s, p, d in zip(size, kernel, stride, pads, dilation, strict=True)
    )


def conv_pads(pad: Shape | str, kernel: Shape, dilation: Shape) -> list[tuple[int, int]]:
    """Explicit (low, high) padding per axis for an int/tuple/'same'/'valid' padding."""
    if pad == "same":
        return same_padding(kernel, dilation)
    if pad == "valid":
        return [(0, 0)] * len(kernel)
    return [(int(p), int(p)) for p in pad]


def conv_output(node: Any, in_shape: Shape, ndim: int) -> Shape:
    """Output shape (C_out, *spatial) of a Conv1d/Conv2d fed ``in_shape``."""
    stride, pad, dilation, groups, kernel = conv_geometry(node, ndim)
    c_in = int(node.weight.shape[1]) * groups
    if len(in_shape) != ndim + 1 or in_shape[0] != c_in:
        raise ShapeError(
            f"expects input (C={c_in}, {ndim} spatial dims) from weight "
            f"{list(node.weight.shape)} and groups={groups}, got {list(in_shape)}"
        )
    out = window_output(in_shape[1:], kernel, stride, conv_pads(pad, kernel, dilation), dilation)
    if min(out) < 1:
        raise ShapeError(f"input {list(in_shape)} is smaller than the kernel {list(kernel)}")
    return (int(node.weight.shape[0]), *out)


def pool_output(node: Any, in_shape: Shape) -> Shape:
    """Output shape of SumPool2d/AvgPool2d (C, H, W) -> (C, H', W')."""
    if len(in_shape) != 3:
        raise ShapeError(f"expects a (C, H, W) input, got {list(in_shape)}")
    kernel, stride = expand(node.kernel_size, 2), expand(node.stride, 2)
    pads = [(p, p) for p in expand(node.padding, 2)]
    out = window_output(in_shape[1:], kernel, stride, pads, (1, 1))
    if min(out) < 1:
        raise ShapeError(f"input {list(in_shape)} is smaller than the kernel {list(kernel)}")
    return (in_shape[0], *out)


def flatten_output(in_shape: Shape, start_dim: int, end_dim: int) -> Shape:
    """NIR Flatten: merge dims start..end of the sample shape (dims exclude batch)."""
    ndim = len(in_shape)
    start = start_dim + ndim if start_dim < 0 else start_dim
    end = end_dim + ndim if end_dim < 0 else end_dim
    if not (0 <= start <= end < ndim):
        raise ShapeError(
            f"start_dim={start_dim}, end_dim={end_dim} do not fit an input of rank {ndim} "
            f"{list(in_shape)} (dims exclude the batch dim)"
        )
    merged = int(np.prod(in_shape[start : end + 1], dtype=np.int64))
    return (*in_shape[:start], merged, *in_shape[end + 1 :])
