"""Fused LIF / PLIF / DA-LIF on CUDA: ``linear_lif.cu`` behind a torch.autograd.Function.

Same signature and semantics as :func:`snncompile.neurons.cpu.linear_lif_multistep`:

    H[t] = β·V[t−1] + (1 − β)·L + α·X[t];   s[t] = Θ(H[t] − θ);   V[t] = reset(H[t], s[t])

with L = v_reset for a hard reset, else 0. α and β are floats (compiled as constants
passed by value), 0-dim tensors (per layer, read from device memory: no host sync) or
tensors broadcastable to x[t] (per channel). Tensor α/β receive gradients
Σ g_H·X and Σ g_H·(V[t−1] − L), reduced per block inside the backward kernel.

Stored for the backward: H[t] only, in the compute dtype (float32 for float16/bfloat16
inputs so the backward's recomputed spikes are the forward's). Under ``no_grad`` nothing
is stored per step.
"""

from __future__ import annotations

from typing import Any, NamedTuple, cast

import numpy as np
import torch

from snncompile.neurons.functional.common import SpikeConfig
from snncompile.neurons.kernels._common import (
    DTYPE_CODES,
    P_CONST,
    P_LAYER,
    RESET_CODES,
    ParamLayout,
    check_input,
    compute_dtype,
    grid_for,
    prepare_param,
    scalar,
    sequence_size,
    state_buffer,
    surrogate_code,
    surrogate_constants,
    threshold,
)
from snncompile.neurons.kernels._launch import Launcher, launch_per_neuron, resolve_launcher
from snncompile.neurons.kernels._source import BLOCK, KernelSpec

Param = float | torch.Tensor
_WHERE = "linear_lif_multistep (CuPy)"


def _leak(cfg: SpikeConfig) -> int:
    return int(cfg.reset == "hard" and cfg.v_reset != 0.0)


def fwd_spec(
    dtype: torch.dtype,
    cfg: SpikeConfig,
    a: ParamLayout,
    b: ParamLayout,
    train: bool,
    record: bool = False,
) -> KernelSpec:
    """The forward specialisation for these inputs (the surrogate matters only if smooth)."""
    sg = surrogate_code(cfg, _WHERE) if cfg.smooth else 0
    targs = (DTYPE_CODES[dtype], RESET_CODES[cfg.reset], int(cfg.smooth), sg, a.mode, b.mode)
    flags = (_leak(cfg), int(train), int(record))
    return KernelSpec("linear_lif.cu", "linear_lif_fwd", (*targs, *flags))


def bwd_spec(
    dtype: torch.dtype,
    cfg: SpikeConfig,
    a: ParamLayout,
    b: ParamLayout,
    grads: tuple[bool, bool, bool],
) -> KernelSpec:
    """The backward specialisation; ``grads`` = which of (x, α, β) need a gradient."""
    gx, ga, gb = grads
    targs = (
        DTYPE_CODES[dtype],
        RESET_CODES[cfg.reset],
        int(cfg.detach_reset),
        int(cfg.smooth),
        surrogate_code(cfg, _WHERE),
        a.mode,
        b.mode,
        _leak(cfg),
    )
    flags = (int(gx), int(ga), int(gb), BLOCK)
    return KernelSpec("linear_lif.cu", "linear_lif_bwd", (*targs, *flags), syncs=ga or gb)


def _param_args(
    t: torch.Tensor | None, lay: ParamLayout, acc: torch.dtype
) -> tuple[Any, Any, Any, Any]:
    """(pointer, value, inner, channels) of one parameter, in kernel argument order."""
    value = scalar(lay.value if lay.mode == P_CONST else 0.0, acc)
    return t, value, np.int64(lay.inner), np.int64(lay.channels)


class Decays(NamedTuple):
    """α and β as the kernels take them: tensors (None for a constant) and their layouts."""

    a_t: torch.Tensor | None
    b_t: torch.Tensor | None
    a: ParamLayout
    b: ParamLayout


def _param_block(acc: torch.dtype, decays: Decays) -> list[Any]:
    """a_ptr, b_ptr, a_val, b_val, a_inner, a_c, b_inner, b_c: shared by both kernels."""
    ap, av, ai, ac = _param_args(decays.a_t, decays.a, acc)
    bp, bv, bi, bc = _param_args(decays.b_t, decays.b, acc)
    return [ap, bp, av, bv, ai, ac, bi, bc]


def linear_lif_forward(
    x: torch.Tensor,
    decays: Decays,
    cfg: SpikeConfig,
    launcher: Launcher,
    *,
    train: bool,
    record: bool = False,
) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
    """Run the forward kernel: (spikes, H if train, V if record). No autograd."""
    acc = compute_dtype(x.dtype)
    T, N = sequence_size(x)
    spikes = torch.empty_like(x)
    h_seq, v_seq = state_buffer(x, acc, train), state_buffer(x, acc, record)
    if T * N == 0:
        return spikes, h_seq, v_seq
    lt = cfg.leak_target
    # (1 − β)·L for a constant β, in double as the CPU path computes it from a float.
    b = decays.b
    beta_const = float(scalar(b.value, acc)) if b.mode == P_CONST else 0.0
    leak_const = scalar((1.0 - beta_const) * lt, acc)
    c0, c1, c2 = surrogate_constants(cfg.surrogate, acc)
    args = [x, spikes, h_seq, v_seq, *_param_block(acc, decays)]
    args += [threshold(cfg, acc, _WHERE), scalar(cfg.v_reset, acc), leak_const]
    args += [scalar(lt, acc), c0, c1, c2]
    spec = fwd_spec(x.dtype, cfg, decays.a, b, train, record)
    launch_per_neuron(launcher, spec, args, T, N, x.device)
    return spikes, h_seq, v_seq


class _LinearLIFKernel(torch.autograd.Function):
    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any,
        x: torch.Tensor,
        a_t: torch.Tensor | None,
        b_t: torch.Tensor | None,
        a: ParamLayout,
        b: ParamLayout,
        cfg: SpikeConfig,
        launcher: Launcher,
    ) -> torch.Tensor:
        train = any(ctx.needs_input_grad[:3])
        decays = Decays(a_t, b_t, a, b)
        spikes, h_seq, _ = linear_lif_forward(x, decays, cfg, launcher, train=train)
        ctx.layout, ctx.cfg, ctx.launcher = (a, b), cfg, launcher
        if train:
            x_saved = x if ctx.needs_input_grad[1] else None  # read only for g_α
            ctx.save_for_backward(h_seq, x_saved, a_t, b_t)
        return spikes

    @staticmethod
    def backward(ctx: Any, grad_s: torch.Tensor) -> tuple[Any, ...]:  # type: ignore[override]
        h_seq, x, a_t, b_t = ctx.saved_tensors
        a, b = ctx.layout
        cfg: SpikeConfig = ctx.cfg
        grads = tuple(bool(g) for g in ctx.needs_input_grad[:3])
        acc = h_seq.dtype
        T, N = h_seq.shape[0], h_seq[0].numel() if h_seq.shape[0] else 0
        grad_s = grad_s.contiguous()
        grad_x = torch.empty_like(grad_s) if grads[0] else None
        grid = grid_for(N, BLOCK) if T * N > 0 else 0  # no launch: the partials stay empty
        g_a = _grad_buffer(a, grid, acc, h_seq.device) if grads[1] else None
        g_b = _grad_buffer(b, grid, acc, h_seq.device) if grads[2] else None
        if T * N > 0:
            c0, c1, c2 = surrogate_constants(cfg.surrogate, acc)
            args = [grad_s, h_seq, x, grad_x, g_a, g_b, *_param_block(acc, Decays(a_t, b_t, a, b))]
            args += [threshold(cfg, acc, _WHERE), scalar(cfg.v_reset, acc)]
            args += [scalar(cfg.leak_target, acc), c0, c1, c2, np.int64(N), np.int32(T)]
            spec = bwd_spec(grad_s.dtype, cfg, a, b, grads)  # type: ignore[arg-type]
            ctx.launcher.launch(spec, grid, args, h_seq.device)
        elif grad_x is not None:
            grad_x.zero_()
        return (
            grad_x,
            _finish_grad(g_a, a, a_t),
            _finish_grad(g_b, b, b_t),
            None,
            None,
            None,
            None,
        )


def _grad_buffer(
    lay: ParamLayout, grid: int, acc: torch.dtype, device: torch.device
) -> torch.Tensor:
    """Per-block partials (P_LAYER, fully overwritten) or per-channel sums (atomics)."""
    if lay.mode == P_LAYER:
        return torch.empty(grid, dtype=acc, device=device)
    return torch.zeros(lay.channels, dtype=acc, device=device)


def _finish_grad(
    buf: torch.Tensor | None, lay: ParamLayout, p: torch.Tensor | None
) -> torch.Tensor | None:
    if buf is None or p is None:
        return None
    if lay.mode == P_LAYER:
        return buf.sum().reshape(p.shape) if buf.numel() else buf.new_zeros(p.shape)
    return buf.reshape(p.shape)


def linear_lif_multistep(
    x: torch.Tensor, alpha: Param, beta: Param, cfg: SpikeConfig
) -> torch.Tensor:
    """Spikes [T, ...] of the α/β LIF over a time-major CUDA input [T, ...] from zero state.

    ``alpha``/``beta``: floats, or tensors broadcastable to ``x[0]`` (they receive
    gradients if they require grad). Raises BackendUnavailableError when the kernels
    cannot run on ``x`` (see :func:`cupy_unavailable_reason`).
    """
    check_input(x, _WHERE)
    surrogate_code(cfg, _WHERE)
    launcher = resolve_launcher(x, _WHERE)
    x = x.contiguous()
    a_t, a = prepare_param(alpha, x, "alpha")
    b_t, b = prepare_param(beta, x, "beta")
    leaves = (x, a_t, b_t)
    if torch.is_grad_enabled() and any(t is not None and t.requires_grad for t in leaves):
        return cast(torch.Tensor, _LinearLIFKernel.apply(x, a_t, b_t, a, b, cfg, launcher))
    # Inference: no autograd node, nothing stored per step (H is never written).
    return linear_lif_forward(x, Decays(a_t, b_t, a, b), cfg, launcher, train=False)[0]


def linear_lif_states(
    x: torch.Tensor, alpha: Param, beta: Param, cfg: SpikeConfig
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(spikes, H, V) from the forward kernel with recording on; no autograd (tests)."""
    check_input(x, _WHERE)
    launcher = resolve_launcher(x, _WHERE)
    x = x.contiguous()
    a_t, a = prepare_param(alpha, x, "alpha")
    b_t, b = prepare_param(beta, x, "beta")
    with torch.no_grad():
        decays = Decays(a_t, b_t, a, b)
        s, h, v = linear_lif_forward(x, decays, cfg, launcher, train=True, record=True)
    return s, cast(torch.Tensor, h), cast(torch.Tensor, v)
