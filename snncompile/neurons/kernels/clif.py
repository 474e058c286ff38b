"""Fused CLIF on CUDA: ``clif.cu`` behind a torch.autograd.Function.

Same signature and semantics as :func:`snncompile.neurons.cpu.clif_multistep`
(docs/neurons.md §4; equations in ``clif.cu``). Stored for the backward: H[t] and m[t] in the
compute dtype; under ``no_grad`` (or when x does not require grad) nothing per step.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import torch

from snncompile.errors import ConfigError
from snncompile.neurons.functional.common import SpikeConfig
from snncompile.neurons.kernels._common import (
    DTYPE_CODES,
    RESET_CODES,
    check_entry,
    check_input,
    compute_dtype,
    scalar,
    sequence_size,
    spike_constants,
    state_buffer,
    surrogate_code,
)
from snncompile.neurons.kernels._launch import Launcher, launch_per_neuron, resolve_launcher
from snncompile.neurons.kernels._source import KernelSpec

_WHERE = "clif_multistep (CuPy)"


def _bias(cfg: SpikeConfig) -> int:
    return int(cfg.reset == "hard" and cfg.v_reset != 0.0)


def fwd_spec(dtype: torch.dtype, cfg: SpikeConfig, train: bool, record: bool = False) -> KernelSpec:
    """The forward specialisation (the surrogate matters only in smooth mode)."""
    sg = surrogate_code(cfg, _WHERE) if cfg.smooth else 0
    targs = (DTYPE_CODES[dtype], RESET_CODES[cfg.reset], int(cfg.smooth), sg, _bias(cfg))
    return KernelSpec("clif.cu", "clif_fwd", (*targs, int(train), int(record)))


def bwd_spec(dtype: torch.dtype, cfg: SpikeConfig) -> KernelSpec:
    """The backward specialisation."""
    targs = (DTYPE_CODES[dtype], RESET_CODES[cfg.reset], int(cfg.detach_reset), int(cfg.smooth))
    return KernelSpec("clif.cu", "clif_bwd", (*targs, surrogate_code(cfg, _WHERE)))


def _check_tau(tau: float) -> float:
    tau = float(tau)
    if not (np.isfinite(tau) and tau > 0):
        raise ConfigError(f"{_WHERE}: tau must be finite and > 0, got {tau}")
    return tau


def _constants(tau: float, cfg: SpikeConfig, acc: torch.dtype) -> list[Any]:
    """β, τ, bias, θ, v_reset, c0..c2: Python doubles rounded once, as torch does."""
    bias = cfg.v_reset / tau if _bias(cfg) else 0.0
    theta, c0, c1, c2 = spike_constants(cfg, acc, _WHERE)
    beta = scalar(1 - 1.0 / tau, acc)  # β exactly as functional/clif.py computes it
    return [beta, scalar(tau, acc), scalar(bias, acc), theta, scalar(cfg.v_reset, acc), c0, c1, c2]


Buffers = tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None, torch.Tensor | None]


def clif_forward(
    x: torch.Tensor,
    tau: float,
    cfg: SpikeConfig,
    launcher: Launcher,
    *,
    train: bool,
    record: bool = False,
) -> Buffers:
    """Run the forward kernel: (spikes, H, m if train, V if record). No autograd."""
    acc = compute_dtype(x.dtype)
    T, N = sequence_size(x)
    spikes = torch.empty_like(x)
    h_seq = state_buffer(x, acc, train)
    m_seq = state_buffer(x, acc, train, T if record else max(T - 1, 0))  # m[T−1] is never read
    v_seq = state_buffer(x, acc, record)
    if T * N > 0:
        args = [x, spikes, h_seq, m_seq, v_seq, *_constants(tau, cfg, acc)]
        launch_per_neuron(launcher, fwd_spec(x.dtype, cfg, train, record), args, T, N, x.device)
    return spikes, h_seq, m_seq, v_seq


class _CLIFKernel(torch.autograd.Function):
    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any, x: torch.Tensor, tau: float, cfg: SpikeConfig, launcher: Launcher
    ) -> torch.Tensor:
        spikes, h_seq, m_seq, _ = clif_forward(x, tau, cfg, launcher, train=True)
        ctx.tau, ctx.cfg, ctx.launcher = tau, cfg, launcher
        ctx.save_for_backward(h_seq, m_seq)
        return spikes

    @staticmethod
    def backward(ctx: Any, grad_s: torch.Tensor) -> tuple[Any, ...]:  # type: ignore[override]
        h_seq, m_seq = ctx.saved_tensors
        cfg: SpikeConfig = ctx.cfg
        grad_s = grad_s.contiguous()
        grad_x, (T, N) = torch.empty_like(grad_s), sequence_size(h_seq)
        if T * N == 0:
            return grad_x, None, None, None
        beta, tau_s, _, theta, v_reset, c0, c1, c2 = _constants(ctx.tau, cfg, h_seq.dtype)
        args = [grad_s, h_seq, m_seq, grad_x, beta, tau_s, theta, v_reset, c0, c1, c2]
        spec = bwd_spec(grad_s.dtype, cfg)
        launch_per_neuron(ctx.launcher, spec, args, T, N, h_seq.device)
        return grad_x, None, None, None


def clif_multistep(x: torch.Tensor, tau: float, cfg: SpikeConfig) -> torch.Tensor:
    """Spikes [T, ...] of CLIF over a time-major CUDA input [T, ...] from zero state.

    Differentiable in ``x``. Nothing is stored for the backward unless grad mode is on
    and ``x`` requires grad. Raises BackendUnavailableError when the kernels cannot run.
    """
    check_entry(x, cfg, _WHERE)
    tau = _check_tau(tau)
    launcher = resolve_launcher(x, _WHERE)
    x = x.contiguous()
    if torch.is_grad_enabled() and x.requires_grad:
        return cast(torch.Tensor, _CLIFKernel.apply(x, tau, cfg, launcher))
    return clif_forward(x, tau, cfg, launcher, train=False)[0]


def clif_states(
    x: torch.Tensor, tau: float, cfg: SpikeConfig
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """(spikes, H, m, V) from the forward kernel with recording on; no autograd (tests)."""
    check_input(x, _WHERE)
    launcher = resolve_launcher(x, _WHERE)
    with torch.no_grad():
        s, h, m, v = clif_forward(
            x.contiguous(), _check_tau(tau), cfg, launcher, train=True, record=True
        )
    return s, cast(torch.Tensor, h), cast(torch.Tensor, m), cast(torch.Tensor, v)
