"""Host-side helpers shared by the kernel wrappers: dtypes, surrogates, checks, layouts.

Scalars handed to a kernel are numpy scalars of the kernel's exact parameter type
(``np.float32`` / ``np.float64`` for the compute type, ``np.int64`` for sizes, ``np.int32``
for T), so CuPy passes them by value with the right width. Python floats are converted
the way torch converts a Python scalar operand: rounded once to the compute type.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from snncompile.errors import ConfigError, InputError
from snncompile.neurons.functional.common import SpikeConfig
from snncompile.neurons.surrogate import ATan, Rectangle, Sigmoid, Surrogate

#: template argument DT of every kernel (snn_common.cuh)
DTYPE_CODES: dict[torch.dtype, int] = {
    torch.float32: 0,
    torch.float64: 1,
    torch.float16: 2,
    torch.bfloat16: 3,
}
SURROGATE_CODES: dict[type[Surrogate], int] = {Rectangle: 0, Sigmoid: 1, ATan: 2}
RESET_CODES = {"soft": 0, "hard": 1}
P_CONST, P_LAYER, P_CHANNEL = 0, 1, 2

KernelArg = torch.Tensor | None | np.float32 | np.float64 | np.int64 | np.int32


def compute_dtype(dtype: torch.dtype) -> torch.dtype:
    """Register / saved-state dtype: float64 for float64 inputs, else float32."""
    return torch.float64 if dtype == torch.float64 else torch.float32


def scalar(value: float, acc: torch.dtype) -> np.float32 | np.float64:
    """``value`` rounded once to the compute type, as torch rounds a Python scalar."""
    return np.float64(value) if acc == torch.float64 else np.float32(value)


def check_input(x: torch.Tensor, where: str) -> None:
    """Raise :class:`InputError` unless ``x`` is a time-major tensor of a supported dtype."""
    if not isinstance(x, torch.Tensor):
        raise InputError(f"{where}: expected a torch.Tensor, got {type(x).__name__}")
    if x.dim() < 1:
        raise InputError(
            f"{where}: expected a time-major input [T, ...], got a 0-dim tensor",
            hint="stack the time steps along dim 0",
        )
    if x.dtype not in DTYPE_CODES:
        raise InputError(
            f"{where}: dtype {x.dtype} is not supported by the fused kernels",
            hint="use float32, float16, bfloat16 or float64",
        )
    if x.shape[0] > np.iinfo(np.int32).max:
        raise InputError(f"{where}: T = {x.shape[0]} time steps is too many (max 2^31 − 1)")


def surrogate_code(cfg: SpikeConfig, where: str) -> int:
    """Template argument SG of ``cfg.surrogate``; ConfigError for other surrogates."""
    code = SURROGATE_CODES.get(type(cfg.surrogate))
    if code is None:
        raise ConfigError(
            f"{where}: surrogate {cfg.surrogate!r} has no fused-kernel implementation",
            hint="use Rectangle, Sigmoid or ATan, or the CPU path (snncompile.neurons.cpu)",
        )
    return code


def check_entry(x: torch.Tensor, cfg: SpikeConfig, where: str) -> None:
    """The checks every neuron kernel's entry makes: ``x`` (:func:`check_input`) and the
    surrogate (:func:`surrogate_code`)."""
    check_input(x, where)
    surrogate_code(cfg, where)


def surrogate_constants(
    sg: Surrogate, acc: torch.dtype
) -> tuple[np.float32 | np.float64, np.float32 | np.float64, np.float32 | np.float64]:
    """c0, c1, c2 of snn_common.cuh, rounded as torch rounds the surrogate's scalars.

    rectangle: (α/2, 1/α, α), with 1/α the compute-type quotient 1 / float(α) that
    torch's ``mask / α`` yields; sigmoid: (α, 0, 0); atan: (α/2, π/2·α, π).
    """
    a = sg.alpha
    if isinstance(sg, Rectangle):
        alpha = scalar(a, acc)
        return scalar(a / 2, acc), type(alpha)(1) / alpha, alpha
    if isinstance(sg, Sigmoid):
        return scalar(a, acc), scalar(0.0, acc), scalar(0.0, acc)
    if isinstance(sg, ATan):
        return scalar(a / 2, acc), scalar(math.pi / 2 * a, acc), scalar(math.pi, acc)
    raise ConfigError(f"surrogate {sg!r} has no fused-kernel implementation")


def threshold(cfg: SpikeConfig, acc: torch.dtype, where: str) -> np.float32 | np.float64:
    """θ in the compute type; ConfigError if it is not finite."""
    if not math.isfinite(cfg.v_threshold):
        raise ConfigError(f"{where}: v_threshold must be finite, got {cfg.v_threshold}")
    return scalar(cfg.v_threshold, acc)


def sequence_size(x: torch.Tensor) -> tuple[int, int]:
    """(T, N): the steps of a time-major [T, ...] tensor and its neurons per step."""
    return x.shape[0], (x[0].numel() if x.shape[0] else 0)


def state_buffer(
    x: torch.Tensor, acc: torch.dtype, wanted: bool, rows: int | None = None
) -> torch.Tensor | None:
    """An uninitialised [rows, ...] buffer (rows: T by default) in the compute dtype, or None
    when not ``wanted`` (the kernel then skips its writes)."""
    if not wanted:
        return None
    shape = x.shape if rows is None else (rows, *x.shape[1:])
    return torch.empty(shape, dtype=acc, device=x.device)


def spike_constants(cfg: SpikeConfig, acc: torch.dtype, where: str) -> list[Any]:
    """θ, c0, c1, c2: the threshold and surrogate arguments every neuron kernel takes."""
    return [threshold(cfg, acc, where), *surrogate_constants(cfg.surrogate, acc)]


def grid_for(n: int, block: int) -> int:
    """Blocks needed to give one thread to each of ``n`` neurons."""
    return (n + block - 1) // block


@dataclass(frozen=True)
class ParamLayout:
    """How a decay parameter (α or β of the linear LIF family) is laid out.

    Attributes:
        mode: P_CONST (a Python float, passed by value), P_LAYER (one element in device
            memory) or P_CHANNEL (element ``(n // inner) % channels`` of the flat index n
            of x[t]).
        value: the float, for P_CONST.
        inner: product of x[t]'s dimensions after the parameter's last non-1 dimension.
        channels: number of parameter elements.
    """

    mode: int
    value: float = 0.0
    inner: int = 1
    channels: int = 1


def prepare_param(
    p: float | torch.Tensor, x: torch.Tensor, name: str
) -> tuple[torch.Tensor | None, ParamLayout]:
    """Turn α or β into (tensor for the kernel or None, layout).

    Tensors are moved to x's device and compute dtype, differentiably, so autograd returns
    their gradients in their own device and dtype. A tensor whose non-1 dimensions are
    not contiguous in x[t] (e.g. [B, 1, W]) is expanded to x[t]'s shape first (its
    gradient is then summed back by autograd).
    """
    if not isinstance(p, torch.Tensor):
        if isinstance(p, bool) or not isinstance(p, (int, float)):
            raise InputError(f"{name}: expected a float or a tensor, got {type(p).__name__}")
        return None, ParamLayout(P_CONST, value=float(p))
    step = x.shape[1:]
    try:
        ok = torch.broadcast_shapes(p.shape, step) == step
    except RuntimeError:
        ok = False
    if not ok:
        raise InputError(
            f"{name}: shape {tuple(p.shape)} does not broadcast to one time step of x, "
            f"{tuple(step)}",
            hint="use a 0-dim tensor (per layer) or e.g. [C, 1, 1] for x[t] of [B, C, H, W]",
        )
    p = p.to(device=x.device, dtype=compute_dtype(x.dtype))
    if p.numel() == 1:
        return p.contiguous(), ParamLayout(P_LAYER)
    aligned = (1,) * (len(step) - p.dim()) + tuple(p.shape)
    dims = [i for i, d in enumerate(aligned) if d != 1]
    lo, hi = dims[0], dims[-1]
    if any(aligned[i] == 1 and step[i] != 1 for i in range(lo, hi + 1)):
        p, lo, hi = p.expand(step), 0, len(step) - 1
    inner = math.prod(step[hi + 1 :])
    return p.contiguous(), ParamLayout(P_CHANNEL, inner=inner, channels=p.numel())
