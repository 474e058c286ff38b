"""Lowerings of the stateless IR nodes (synapses, pooling, reshapes, normalisation).

Each mirrors the float32 reference stepper (``snncompile.reference.layers``) op by op:

| IR node | ONNX ops | reference |
|---|---|---|
| Affine (2-D W) | Gemm(x, W, transB=1) → Add(b) | ``x @ W.T + b`` |
| Affine (N-D W) | Unsqueeze → MatMul(W, x) → Squeeze → Add(b) | ``matmul(W, x[.., None])`` + b |
| Linear | as Affine without Add | |
| Scale | Mul(x, s) | ``x * s`` |
| Conv1d / Conv2d | Conv (pads, strides, dilations, group, bias) | ``conv_nd`` |
| SumPool2d | Conv with an all-ones depthwise kernel (group = C) | window sum |
| AvgPool2d | SumPool2d → Div(kH·kW) | window sum / (kH·kW), padding counted |
| MaxPool2d | MaxPool (pads ignored by the maximum, as −∞) | window maximum, any values |
| Flatten | Reshape([0, *out]) (batch kept) | ``reshape((B, *out))`` |
| BatchNorm | Mul(x, s[C,1..]) → Add(t[C,1..]) | ``x * s + t`` |
| Output | Identity (added by the model builder) | |

A pooling window sum is computed by ``Conv`` rather than ``AveragePool`` so that the
division by kH·kW is a true float32 division, as in the reference.

2-D weights use ``Gemm`` rather than ``MatMul``: onnxruntime (≥ 1.2x, default options)
rewrites ``DequantizeLinear(int8) → MatMul`` into ``MatMulNBits`` with int8-quantised
*activations* (``accuracy_level`` 4), which changes the numerics of an int8 model; it
leaves ``Gemm`` alone. Float32 ``MatMul`` and ``Gemm`` both accumulate in MLAS order.
"""

from __future__ import annotations

from typing import Any

import nir
import numpy as np

from snncompile.ir.shapes import conv_geometry, conv_pads, expand
from snncompile_onnx.context import StepContext


def _onnx_pads(pads: list[tuple[int, int]]) -> list[int]:
    """[(lo, hi), ...] → ONNX ``[lo_1, ..., lo_n, hi_1, ..., hi_n]``."""
    return [lo for lo, _ in pads] + [hi for _, hi in pads]


def lower_affine(ctx: StepContext, name: str, node: Any, x: str) -> str:
    """Affine / Linear: y = W·x (+ b)."""
    weight = np.asarray(node.weight)
    if weight.ndim == 2:
        w = ctx.weight(name, "weight", weight)
        y = ctx.em.op("Gemm", [x, w], f"{name}/matmul", transB=1)
    else:
        w = ctx.weight(name, "weight", weight)
        col = ctx.em.op("Unsqueeze", [x, ctx.ints("[-1]", [-1])], f"{name}/column")
        prod = ctx.em.op("MatMul", [w, col], f"{name}/matmul")
        y = ctx.em.op("Squeeze", [prod, ctx.ints("[-1]", [-1])], f"{name}/squeeze")
    bias = getattr(node, "bias", None)
    if bias is None:
        return y
    return ctx.add(y, ctx.raw(name, "bias", np.asarray(bias, np.float32)), f"{name}/y")


def lower_scale(ctx: StepContext, name: str, node: Any, x: str) -> str:
    """Scale: y = s ⊙ x."""
    return ctx.mul(x, ctx.const(name, "scale", node.scale), f"{name}/y")


def lower_conv(ctx: StepContext, name: str, node: Any, x: str) -> str:
    """Conv1d / Conv2d: PyTorch cross-correlation, explicit (lo, hi) padding."""
    ndim = 1 if isinstance(node, nir.Conv1d) else 2
    stride, pad, dilation, groups, kernel = conv_geometry(node, ndim)
    pads = conv_pads(pad, kernel, dilation)
    w = ctx.weight(name, "weight", np.asarray(node.weight))
    b = ctx.raw(name, "bias", np.asarray(node.bias, np.float32))
    return ctx.em.op(
        "Conv",
        [x, w, b],
        f"{name}/y",
        kernel_shape=list(kernel),
        strides=list(stride),
        pads=_onnx_pads(pads),
        dilations=list(dilation),
        group=groups,
    )


def lower_pool(ctx: StepContext, name: str, node: Any, x: str) -> str:
    """SumPool2d / AvgPool2d as a depthwise all-ones Conv (then a division for Avg)."""
    kernel = expand(node.kernel_size, 2)
    stride = expand(node.stride, 2)
    padding = expand(node.padding, 2)
    channels = ctx.in_shape(name)[0]
    ones = ctx.raw(name, "window", np.ones((channels, 1, *kernel), np.float32))
    y = ctx.em.op(
        "Conv",
        [x, ones],
        f"{name}/sum",
        kernel_shape=list(kernel),
        strides=list(stride),
        pads=[*padding, *padding],
        group=channels,
    )
    if isinstance(node, nir.AvgPool2d):
        y = ctx.div(y, ctx.scalar(float(kernel[0] * kernel[1])), f"{name}/y")
    return y


def lower_max_pool(ctx: StepContext, name: str, node: Any, x: str) -> str:
    """MaxPool2d: ONNX MaxPool, whose padding never wins the maximum (PyTorch's −∞);
    exact for any input values."""
    kernel = expand(node.kernel_size, 2)
    padding = expand(node.padding, 2)
    return ctx.em.op(
        "MaxPool",
        [x],
        f"{name}/y",
        kernel_shape=list(kernel),
        strides=list(expand(node.stride, 2)),
        pads=[*padding, *padding],
    )


def lower_flatten(ctx: StepContext, name: str, node: Any, x: str) -> str:
    """Flatten: Reshape to ``[B, *output shape]`` (0 copies the batch dim)."""
    out = list(ctx.out_shape(name))
    return ctx.em.op("Reshape", [x, ctx.ints(f"reshape{[0, *out]}", [0, *out])], f"{name}/y")


def lower_batchnorm(ctx: StepContext, name: str, node: Any, x: str) -> str:
    """BatchNorm (inference): y = s·x + t per channel (axis 0 of the sample)."""
    scale, shift = node.scale_shift()
    rank = len(ctx.in_shape(name))
    c = scale.shape[0]
    s = ctx.raw(name, "scale", np.asarray(scale, np.float32).reshape((c,) + (1,) * (rank - 1)))
    t = ctx.raw(name, "shift", np.asarray(shift, np.float32).reshape((c,) + (1,) * (rank - 1)))
    return ctx.add(ctx.mul(x, s, f"{name}/scaled"), t, f"{name}/y")


def lower_output(ctx: StepContext, name: str, node: Any, x: str) -> str:
    """Output: the summed input itself (the model builder names it)."""
    return x
