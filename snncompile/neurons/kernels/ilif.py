"""Fused ILIF (inhibitory LIF) on CUDA: ``ilif.cu`` behind a torch.autograd.Function.

Same signature and semantics as :func:`snncompile.neurons.cpu.ilif_multistep`
(docs/neurons.md §5; backward equations in ``ilif.cu``). Soft reset only. Per step, with
c = ``current_inhibition`` and k = ``membrane_inhibition``:

    I[t] = c·(I[t−1] + X[t−1]·s[t−1]);   H[t] = β·V[t−1] + (X[t] − max(I[t], 0))
    s[t] = Θ(H[t] − θ);   V′[t] = H[t] − θ·s[t];   M[t] = k·(M[t−1] + s[t]·V′[t])
    V[t] = V′[t] − s[t]·sigmoid(M[t])

The kernels' ``GAIN`` flag is set for k ≠ 1; k = 1 skips the (exact) multiply. Stored
for the backward: H[t] and M[t] in the compute dtype, and the clamp mask
κ[t] = 1[I[t] ≥ 0] as bits (one int32 word per neuron per 32 steps); the backward also
reads x again.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import torch

from snncompile.errors import ConfigError
from snncompile.neurons.functional.common import SpikeConfig
from snncompile.neurons.kernels._common import (
    DTYPE_CODES,
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

_WHERE = "ilif_multistep (CuPy)"
Buffers = tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None, torch.Tensor | None]


def fwd_spec(
    dtype: torch.dtype, cfg: SpikeConfig, gain: float, train: bool, record: bool = False
) -> KernelSpec:
    """The forward specialisation (the surrogate matters only in smooth mode)."""
    sg = surrogate_code(cfg, _WHERE) if cfg.smooth else 0
    targs = (DTYPE_CODES[dtype], int(cfg.smooth), sg, int(gain != 1.0), int(train), int(record))
    return KernelSpec("ilif.cu", "ilif_fwd", targs)


def bwd_spec(dtype: torch.dtype, cfg: SpikeConfig, gain: float) -> KernelSpec:
    """The backward specialisation."""
    targs = (DTYPE_CODES[dtype], int(cfg.detach_reset), int(cfg.smooth))
    return KernelSpec(
        "ilif.cu", "ilif_bwd", (*targs, surrogate_code(cfg, _WHERE), int(gain != 1.0))
    )


def _check(cfg: SpikeConfig, tau: float, ci: float, gain: float) -> tuple[float, float, float]:
    if cfg.reset != "soft":
        raise ConfigError(
            f"{_WHERE}: ILIF supports only the soft reset, got reset={cfg.reset!r}",
            hint='use reset="soft" (the official InhibitoryLIFNeuron subtracts θ)',
        )
    values = (float(tau), float(ci), float(gain))
    if not all(np.isfinite(v) for v in values) or values[0] <= 0:
        raise ConfigError(
            f"{_WHERE}: tau, current_inhibition and membrane_inhibition must be finite "
            f"and tau > 0, got {values}"
        )
    return values


def _constants(tau: float, ci: float, gain: float, cfg: SpikeConfig, acc: torch.dtype) -> list[Any]:
    """β, c, k, θ, c0..c2: Python doubles rounded once, as torch rounds scalar operands."""
    beta = scalar(1 - 1.0 / tau, acc)  # β exactly as functional/ilif.py computes it
    return [beta, scalar(ci, acc), scalar(gain, acc), *spike_constants(cfg, acc, _WHERE)]


def ilif_forward(
    x: torch.Tensor,
    consts: tuple[float, float, float],
    cfg: SpikeConfig,
    launcher: Launcher,
    *,
    train: bool,
    record: bool = False,
) -> tuple[Buffers, torch.Tensor | None, torch.Tensor | None]:
    """Run the forward kernel: ((spikes, H, M, mask) , V, I). No autograd.

    H, M and the mask are filled when ``train``; V and I when ``record``.
    """
    tau, ci, gain = consts
    acc = compute_dtype(x.dtype)
    T, N = sequence_size(x)
    spikes = torch.empty_like(x)
    h_seq = state_buffer(x, acc, train)
    m_seq = state_buffer(x, acc, train, T if record else max(T - 1, 0))  # M[T−1] is never read
    words = (T + 31) // 32
    mask = torch.empty((words, N), dtype=torch.int32, device=x.device) if train else None
    v_seq, i_seq = state_buffer(x, acc, record), state_buffer(x, acc, record)
    if T * N > 0:
        args = [x, spikes, h_seq, m_seq, mask, v_seq, i_seq, *_constants(tau, ci, gain, cfg, acc)]
        spec = fwd_spec(x.dtype, cfg, gain, train, record)
        launch_per_neuron(launcher, spec, args, T, N, x.device)
    return (spikes, h_seq, m_seq, mask), v_seq, i_seq


class _ILIFKernel(torch.autograd.Function):
    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any,
        x: torch.Tensor,
        consts: tuple[float, float, float],
        cfg: SpikeConfig,
        launcher: Launcher,
    ) -> torch.Tensor:
        (spikes, h_seq, m_seq, mask), _, _ = ilif_forward(x, consts, cfg, launcher, train=True)
        ctx.consts, ctx.cfg, ctx.launcher = consts, cfg, launcher
        ctx.save_for_backward(x, h_seq, m_seq, mask)
        return spikes

    @staticmethod
    def backward(ctx: Any, grad_s: torch.Tensor) -> tuple[Any, ...]:  # type: ignore[override]
        x, h_seq, m_seq, mask = ctx.saved_tensors
        cfg: SpikeConfig = ctx.cfg
        tau, ci, gain = ctx.consts
        grad_s = grad_s.contiguous()
        grad_x, (T, N) = torch.empty_like(grad_s), sequence_size(h_seq)
        if T * N == 0:
            return grad_x, None, None, None
        args = [grad_s, h_seq, m_seq, mask, x, grad_x, *_constants(tau, ci, gain, cfg, h_seq.dtype)]
        launch_per_neuron(ctx.launcher, bwd_spec(grad_s.dtype, cfg, gain), args, T, N, h_seq.device)
        return grad_x, None, None, None


def ilif_multistep(
    x: torch.Tensor,
    tau: float,
    cfg: SpikeConfig,
    current_inhibition: float = 0.03,
    membrane_inhibition: float = 1.0,
) -> torch.Tensor:
    """Spikes [T, ...] of ILIF over a time-major CUDA input [T, ...] from zero state.

    Differentiable in ``x``. Nothing is stored for the backward unless grad mode is on
    and ``x`` requires grad. Raises ConfigError for a hard reset and
    BackendUnavailableError when the kernels cannot run.
    """
    check_entry(x, cfg, _WHERE)
    consts = _check(cfg, tau, current_inhibition, membrane_inhibition)
    launcher = resolve_launcher(x, _WHERE)
    x = x.contiguous()
    if torch.is_grad_enabled() and x.requires_grad:
        return cast(torch.Tensor, _ILIFKernel.apply(x, consts, cfg, launcher))
    return ilif_forward(x, consts, cfg, launcher, train=False)[0][0]


def ilif_states(
    x: torch.Tensor,
    tau: float,
    cfg: SpikeConfig,
    current_inhibition: float = 0.03,
    membrane_inhibition: float = 1.0,
) -> dict[str, torch.Tensor]:
    """spikes, H, M, mask, V and I from the forward kernel with recording on (tests)."""
    check_input(x, _WHERE)
    launcher = resolve_launcher(x, _WHERE)
    consts = _check(cfg, tau, current_inhibition, membrane_inhibition)
    with torch.no_grad():
        bufs, v, i = ilif_forward(x.contiguous(), consts, cfg, launcher, train=True, record=True)
    names = ("spikes", "h", "m", "mask")
    out = {k: cast(torch.Tensor, b) for k, b in zip(names, bufs, strict=True)}
    out.update(v=cast(torch.Tensor, v), i=cast(torch.Tensor, i))
    return out
