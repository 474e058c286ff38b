"""Multi-step CLIF (docs/neurons.md §4) with a hand-written backward over the sequence.

Forward (per step; β = 1 − 1/τ, b = v_reset/τ for a non-zero hard reset, else 0):
    H[t] = β·V[t−1] + b + X[t];   a[t] = sigmoid(H[t]/τ);   s[t] = Θ(H[t] − θ)
    m[t] = m[t−1]·a[t] + s[t];    r[t] = sigmoid(m[t])
    V[t] = H[t] − θ·s[t] − s[t]·r[t]                    (soft)
    V[t] = H[t] − s[t]·(H[t] − v_reset) − s[t]·r[t]      (hard)

Backward, with g_V and g_m the gradients reaching V[t] and m[t] from step t + 1 (0 at
t = T − 1), g_s the loss gradient of s[t] and σ'[t] the surrogate at H[t] − θ:
    G_m    = g_m − g_V·s·r·(1 − r)                     total gradient of m[t]
    G_s    = g_s − g_V·r − g_V·∂(reset)/∂s + G_m       ∂(reset)/∂s = θ (soft)
                                                       ∂(reset)/∂s = H − v_reset (hard)
                            (the two g_V terms vanish if detach_reset)
    g_H    = g_V·∂V/∂H + G_s·σ' + G_m·m[t−1]·a·(1 − a)/τ
                                                       ∂V/∂H = 1 (soft), 1 − s (hard)
    g_X[t] = g_H;   g_V ← β·g_H;   g_m ← G_m·a
With ``detach_reset`` only the s that multiplies the two reset terms is constant; the s
in m[t] = m′ + s keeps its gradient, as in the functional step. The terms are rounded
in the order autograd uses on the functional step, so the gradients are bit-identical
to it (and to the golden file) in float32 and float64.

Storage (docs/neurons.md §8: H[t] and m[t−1]): H[0..T−1] and m[0..T−2]. Step t reads
m[t−1] (m[−1] = 0) for the forming term and m[t] for r; the last step needs neither,
because no gradient reaches m[T−1] or V[T−1]. s, a and r are recomputed from H and m
(exact: the same deterministic ops on the same stored values). Under ``no_grad`` (or
when x does not require grad) nothing is stored per step.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import torch

from snncompile.neurons.cpu._common import (
    blocks_with_scratch,
    check_time_major,
    fire_into,
    is_power_of_two,
    surrogate_grad_into,
    surrogate_is_exact,
)
from snncompile.neurons.functional.common import SpikeConfig


class CLIFSequence(NamedTuple):
    """Outputs of :func:`clif_forward`: spikes and the optional buffers."""

    spikes: torch.Tensor  # [T, ...]
    h: torch.Tensor | None  # H[0..T−1], kept for the backward or recorded
    m: torch.Tensor | None  # m[0..T−2] for the backward; m[0..T−1] when recorded
    v: torch.Tensor | None  # V[0..T−1], only when recorded


def clif_forward(
    x: torch.Tensor, tau: float, cfg: SpikeConfig, *, save: bool, record: bool = False
) -> CLIFSequence:
    """Run CLIF over a contiguous time-major ``x`` from zero state, without autograd.

    ``save`` keeps H and m (what the backward needs); ``record`` keeps H, m and V for
    every step (for inspection and tests). In spiking mode the results are
    bit-identical to looping the functional step (see :mod:`._common` for the one
    caveat, sigmoid's last bit on very large unaligned inputs).
    """
    steps, n = x.shape[0], math.prod(x.shape[1:])
    flat = x.reshape(steps, n)
    m_rows = steps if record else max(steps - 1, 0)  # m[T−1] is never read back
    out = CLIFSequence(
        spikes=torch.empty_like(flat),
        h=torch.empty_like(flat) if save or record else None,
        m=flat.new_empty((m_rows, n)) if save or record else None,
        v=torch.empty_like(flat) if record else None,
    )
    for blk, scratch in blocks_with_scratch(n, flat, 4):
        _forward_block(
            flat[:, blk],
            CLIFSequence(*(None if b is None else b[:, blk] for b in out)),
            scratch,
            tau,
            cfg,
        )
    return CLIFSequence(*(None if b is None else b.view(b.shape[0], *x.shape[1:]) for b in out))


def _forward_block(
    x: torch.Tensor,
    out: CLIFSequence,
    scratch: list[torch.Tensor],
    tau: float,
    cfg: SpikeConfig,
) -> None:
    """The time loop of :func:`clif_forward` on one block: x and out are [T, block]."""
    steps = x.shape[0]
    beta = 1 - 1.0 / tau
    bias = cfg.v_reset / tau if cfg.reset != "soft" and cfg.v_reset != 0.0 else 0.0
    # β·V is exact for β = 2^k, so the FMA of add(alpha=β) rounds like mul-then-add.
    fused_charge = bias == 0.0 and is_power_of_two(beta)
    v, m, h_buf, tmp = scratch  # V[t−1] then V[t]; m[t] when not kept; H when not kept
    v.zero_()
    m_rows = 0 if out.m is None else out.m.shape[0]
    m_prev = m
    for t in range(steps):
        h = out.h[t] if out.h is not None else h_buf
        s = out.spikes[t]
        m_t = out.m[t] if out.m is not None and t < m_rows else m
        if t == 0 and bias == 0.0:  # V[−1] = 0
            h.copy_(x[0])
        elif fused_charge:
            torch.add(x[t], v, alpha=beta, out=h)
        else:  # official order: V·β (+ v_reset/τ) + X
            torch.mul(v, beta, out=h)
            if bias != 0.0:
                h.add_(bias)
            h.add_(x[t])
        fire_into(s, h, cfg)
        if t == 0:  # m[−1] = 0, so m′ = 0 and m[0] = s[0]
            m_t.copy_(s)
        else:  # m[t] = m[t−1]·sigmoid(H/τ) + s
            torch.mul(m_prev, torch.div(h, tau, out=tmp).sigmoid_(), out=m_t).add_(s)
        m_prev = m_t
        if cfg.reset == "soft":
            torch.sub(h, s, alpha=cfg.v_threshold, out=v)  # θ·s exact for s ∈ {0, 1}
        else:  # V = H − s·(H − v_reset), arithmetic so NaN/Inf propagate
            torch.sub(h, cfg.v_reset, out=v).mul_(s)
            torch.sub(h, v, out=v)
        torch.sigmoid(m_t, out=tmp)
        if cfg.smooth:  # graded s: keep the reference's two roundings
            v.sub_(tmp.mul_(s))
        else:  # s ∈ {0, 1}: s·r is exact, one fused pass
            v.addcmul_(s, tmp, value=-1.0)
        if out.v is not None:
            out.v[t].copy_(v)


def _clif_backward(
    grad_s: torch.Tensor, h_seq: torch.Tensor, m_seq: torch.Tensor, tau: float, cfg: SpikeConfig
) -> torch.Tensor:
    """∂loss/∂X from ∂loss/∂s (contiguous), block by block over the neurons."""
    steps, n = h_seq.shape[0], math.prod(h_seq.shape[1:])
    grad_x = torch.empty((steps, n), dtype=h_seq.dtype, device=h_seq.device)
    g_s, h_flat = grad_s.reshape(steps, n), h_seq.reshape(steps, n)
    m_flat = m_seq.reshape(m_seq.shape[0], n)
    for blk, scratch in blocks_with_scratch(n, h_seq, 9):
        _backward_block(
            g_s[:, blk],
            h_flat[:, blk],
            m_flat[:, blk],
            grad_x[:, blk],
            scratch,
            tau,
            cfg,
        )
    return grad_x.view(h_seq.shape)


def _backward_block(
    grad_s: torch.Tensor,
    h_seq: torch.Tensor,
    m_seq: torch.Tensor,
    grad_x: torch.Tensor,
    scratch: list[torch.Tensor],
    tau: float,
    cfg: SpikeConfig,
) -> None:
    """The reverse-time recurrence of the module docstring on one [T, block] block.

    Every inexact product and sum is its own op, in the order autograd evaluates the
    functional step: a near-cancelling gradient is otherwise off by more than the
    golden rtol of 1e-5 in float32. Fused ops are used only where a factor is exact.
    """
    steps = h_seq.shape[0]
    beta, theta = 1 - 1.0 / tau, cfg.v_threshold
    hard, detach = cfg.reset != "soft", cfg.detach_reset
    exact_sg = surrogate_is_exact(cfg)
    exact_s = not cfg.smooth
    inv_tau = 1.0 / tau if is_power_of_two(tau) else None
    one = h_seq.new_ones(())
    g_v, g_m, sg, s, r, a, t1, t2, g_mt = scratch
    g_v.zero_()
    g_m.zero_()
    for t in range(steps - 1, -1, -1):
        h, g_h = h_seq[t], grad_x[t]  # g_H is accumulated straight into the output
        surrogate_grad_into(sg, h, cfg, t1)
        if t == steps - 1:  # nothing reaches V[T−1] or m[T−1]: G_s = g_s, G_m = 0
            torch.mul(grad_s[t], sg, out=g_h)
            if t > 0:
                torch.mul(g_h, beta, out=g_v)
            continue
        fire_into(s, h, cfg)
        torch.sigmoid(m_seq[t], out=r)
        # G_m = g_m − ((g_V·s)·(1 − r))·r          (sigmoid_backward's order)
        torch.mul(g_v, s, out=t1).mul_(torch.sub(one, r, out=t2)).mul_(r)
        torch.sub(g_m, t1, out=g_mt)
        # G_s = ((g_s − g_V·r) − g_V·∂(reset)/∂s) + G_m, held in g_h until ·σ'
        if detach:
            torch.add(grad_s[t], g_mt, out=g_h)
        else:
            torch.sub(grad_s[t], torch.mul(g_v, r, out=t1), out=g_h)
            if hard:
                g_h.sub_(torch.sub(h, cfg.v_reset, out=t1).mul_(g_v))
            elif theta == 1.0:
                g_h.sub_(g_v)
            else:
                g_h.sub_(torch.mul(g_v, theta, out=t1))
            g_h.add_(g_mt)
        # g_H = g_V·∂V/∂H + G_s·σ';  ∂V/∂H = 1 (soft) or 1 − s (hard: g_V − g_V·s)
        dv = g_v
        if hard:
            if exact_s:
                dv = torch.addcmul(g_v, g_v, s, value=-1.0, out=t1)
            else:
                dv = torch.sub(g_v, torch.mul(g_v, s, out=t1), out=t1)
        if exact_sg:
            torch.addcmul(dv, g_h, sg, out=g_h)
        else:
            g_h.mul_(sg).add_(dv)
        if t > 0:  # + ((G_m·m[t−1])·(1 − a))·a/τ; m[−1] = 0 and nothing reaches m[−1]
            torch.div(h, tau, out=a).sigmoid_()
            torch.mul(g_mt, m_seq[t - 1], out=t1).mul_(torch.sub(one, a, out=t2)).mul_(a)
            if inv_tau is not None:  # /τ exact: fold it into the add
                g_h.add_(t1, alpha=inv_tau)
            else:
                g_h.add_(t1.div_(tau))
            torch.mul(g_h, beta, out=g_v)
            torch.mul(g_mt, a, out=g_m)


class _CLIF(torch.autograd.Function):
    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any, x: torch.Tensor, tau: float, cfg: SpikeConfig
    ) -> torch.Tensor:
        out = clif_forward(x, tau, cfg, save=True)
        ctx.tau, ctx.cfg = tau, cfg
        ctx.save_for_backward(out.h, out.m)
        return out.spikes

    @staticmethod
    def backward(ctx: Any, grad_s: torch.Tensor) -> tuple[Any, ...]:  # type: ignore[override]
        h_seq, m_seq = ctx.saved_tensors
        return _clif_backward(grad_s.contiguous(), h_seq, m_seq, ctx.tau, ctx.cfg), None, None


def clif_multistep(x: torch.Tensor, tau: float, cfg: SpikeConfig) -> torch.Tensor:
    """Spikes [T, ...] of CLIF over a time-major input [T, ...] from zero state.

    Differentiable in ``x`` with the hand-written BPTT backward of the module docstring.
    Nothing is stored for the backward unless grad mode is on and ``x`` requires grad.

    Raises:
        InputError: ``x`` is 0-dim.
    """
    check_time_major(x, "clif_multistep")
    x = x.contiguous()
    if torch.is_grad_enabled() and x.requires_grad:
        return _CLIF.apply(x, float(tau), cfg)
    return clif_forward(x, float(tau), cfg, save=False).spikes
