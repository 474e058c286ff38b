"""Multi-step ILIF (inhibitory LIF, docs/neurons.md §5) with a hand-written backward.

Forward (per step; β = 1 − 1/τ, c the current inhibition, k the membrane inhibition,
κ[t] = 1[I[t] ≥ 0] the clamp mask):
    I[t]  = c·(I[t−1] + X[t−1]·s[t−1])             (I[0] = 0)
    H[t]  = β·V[t−1] + (X[t] − max(I[t], 0));       s[t] = Θ(H[t] − θ)
    V′[t] = H[t] − θ·s[t];   M[t] = k·(M[t−1] + s[t]·V′[t]);   r[t] = sigmoid(M[t])
    V[t]  = V′[t] − s[t]·r[t]
(k multiplies the whole bracket, where the official code has its literal 1; the ×k is
skipped for k = 1, which is exact.)

Backward, with g_V the gradient reaching V[t] from step t + 1, g_M the gradient
reaching M[t] from step t + 1 (k·G_M[t+1], through its bracket) and q = c·G_I[t+1]
the gradient that I[t+1] passes back through its own product (all 0 at t = T − 1);
g_s is the loss gradient of s[t] and σ'[t] the surrogate at H[t] − θ:
    G_M    = g_M − g_V·s·r·(1 − r)                 total gradient of M[t]
    G_B    = k·G_M                                 gradient of M[t−1] + s·V′ (carried on)
    G_V′   = g_V + G_B·s
    G_s    = g_s + q·X[t] − g_V·r + G_B·V′ − θ·G_V′
                                      (the g_V·r and θ·G_V′ terms vanish if detach_reset)
    g_H    = G_V′ + G_s·σ'
    g_X[t] = g_H + q·s[t]
    G_I[t] = q − κ[t]·g_H;   q ← c·G_I[t];   g_V ← β·g_H;   g_M ← G_B
With ``detach_reset`` only the s of the two reset terms (θ·s and s·r) is constant;
the s in M and in the next step's current inhibition keeps its gradient.

Storage (docs/neurons.md §8: H[t], M[t] and the clamp mask): H[0..T−1], M[0..T−2] and
κ[1..T−1] as ``torch.bool`` (a quarter of a float32 buffer). I itself is never needed
by the backward, only its sign, so the mask is the cheapest exact record. (Not
storing it at all would mean re-running the I recurrence forward inside the backward,
about five extra passes per step, to save one byte per element and step.)
κ[0] is always 1 and I[0] = 0 is a constant; M[T−1] and V[T−1] receive no gradient,
so the last step needs neither. X is the function's input, saved by reference (no
copy). s, V′ and r are recomputed from H and M (exact: the same deterministic ops on
the same stored values). Under ``no_grad`` (or when x does not require grad) nothing
is stored per step. The terms are rounded in the order autograd uses on the
functional step, so the gradients are bit-identical to it in float32 and float64.
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
from snncompile.neurons.functional.ilif import check_ilif_config


class ILIFSequence(NamedTuple):
    """Outputs of :func:`ilif_forward`: spikes and the optional buffers."""

    spikes: torch.Tensor  # [T, ...]
    h: torch.Tensor | None  # H[0..T−1], kept for the backward or recorded
    m: torch.Tensor | None  # M[0..T−2] for the backward; M[0..T−1] when recorded
    mask: torch.Tensor | None  # κ[1..T−1] = 1[I[t] ≥ 0] (bool, [T−1, ...]), kept
    v: torch.Tensor | None  # V[0..T−1], only when recorded
    i: torch.Tensor | None  # I[0..T−1] before the clamp, only when recorded


def ilif_forward(
    x: torch.Tensor,
    tau: float,
    cfg: SpikeConfig,
    current_inhibition: float = 0.03,
    membrane_inhibition: float = 1.0,
    *,
    save: bool,
    record: bool = False,
) -> ILIFSequence:
    """Run ILIF over a contiguous time-major ``x`` from zero state, without autograd.

    ``save`` keeps H, M and the clamp mask (what the backward needs); ``record`` keeps
    H, M, V and I for every step (for inspection and tests). In spiking mode the
    results are bit-identical to looping the functional step (see :mod:`._common` for
    the one caveat, sigmoid's last bit on very large unaligned inputs).
    """
    check_ilif_config(cfg)
    steps, n = x.shape[0], math.prod(x.shape[1:])
    flat = x.reshape(steps, n)
    m_rows = steps if record else max(steps - 1, 0)  # M[T−1] is never read back
    keep = save or record
    out = ILIFSequence(
        spikes=torch.empty_like(flat),
        h=torch.empty_like(flat) if keep else None,
        m=flat.new_empty((m_rows, n)) if keep else None,
        mask=flat.new_empty((max(steps - 1, 0), n), dtype=torch.bool) if save else None,
        v=torch.empty_like(flat) if record else None,
        i=torch.empty_like(flat) if record else None,
    )
    params = (1 - 1.0 / tau, current_inhibition, membrane_inhibition)
    for blk, scratch in blocks_with_scratch(n, flat, 5):
        _forward_block(
            flat[:, blk],
            ILIFSequence(*(None if b is None else b[:, blk] for b in out)),
            scratch,
            params,
            cfg,
        )
    return ILIFSequence(*(None if b is None else b.view(b.shape[0], *x.shape[1:]) for b in out))


def _forward_block(
    x: torch.Tensor,
    out: ILIFSequence,
    scratch: list[torch.Tensor],
    params: tuple[float, float, float],
    cfg: SpikeConfig,
) -> None:
    """The time loop of :func:`ilif_forward` on one block: x and out are [T, block]."""
    steps = x.shape[0]
    beta, c, k = params
    fused_charge = is_power_of_two(beta)  # β·V exact: add(alpha=β) rounds like mul+add
    v, i, m, h_buf, tmp = scratch  # V[t−1] then V′[t], V[t]; I[t]; M[t] when not kept
    v.zero_()
    i.zero_()
    m.zero_()
    m_rows = 0 if out.m is None else out.m.shape[0]
    m_prev = m
    for t in range(steps):
        h = out.h[t] if out.h is not None else h_buf
        s = out.spikes[t]
        m_t = out.m[t] if out.m is not None and t < m_rows else m
        if t == 0:  # I[0] = c·(0 + 0·0) = 0 and V[−1] = 0, so H[0] = X[0]
            h.copy_(x[0])
        else:
            # I = c·(I + X[t−1]·s[t−1]); addcmul's single rounding equals the
            # reference's two because X·s is exact for s ∈ {0, 1}.
            i.addcmul_(x[t - 1], out.spikes[t - 1]).mul_(c)
            if out.mask is not None:  # via float: a bool-output compare is far slower
                out.mask[t - 1].copy_(torch.ge(i, 0.0, out=tmp))
            torch.sub(x[t], torch.clamp(i, min=0.0, out=tmp), out=h)
            if fused_charge:
                h.add_(v, alpha=beta)
            else:  # β·V rounded on its own, as in the reference
                h.add_(torch.mul(v, beta, out=tmp))
        if out.i is not None:
            out.i[t].copy_(i)
        fire_into(s, h, cfg)
        torch.sub(h, s, alpha=cfg.v_threshold, out=v)  # V′; θ·s exact for s ∈ {0, 1}
        torch.addcmul(m_prev, s, v, out=m_t)  # M[t−1] + s·V′, s·V′ exact likewise
        if k != 1.0:  # M = k·(M[t−1] + s·V′); the official ×1 is skipped (exact)
            m_t.mul_(k)
        m_prev = m_t
        torch.sigmoid(m_t, out=tmp)
        if cfg.smooth:  # graded s: keep the reference's two roundings
            v.sub_(tmp.mul_(s))
        else:
            v.addcmul_(s, tmp, value=-1.0)
        if out.v is not None:
            out.v[t].copy_(v)


def _ilif_backward(
    grad_s: torch.Tensor,
    x: torch.Tensor,
    h_seq: torch.Tensor,
    m_seq: torch.Tensor,
    mask: torch.Tensor,
    params: tuple[float, SpikeConfig, float, float],
) -> torch.Tensor:
    """∂loss/∂X from ∂loss/∂s (contiguous), block by block over the neurons."""
    steps, n = h_seq.shape[0], math.prod(h_seq.shape[1:])
    grad_x = torch.empty((steps, n), dtype=h_seq.dtype, device=h_seq.device)
    flat = [t.reshape(t.shape[0], n) for t in (grad_s, x, h_seq, m_seq, mask)]
    for blk, scratch in blocks_with_scratch(n, h_seq, 11):
        _backward_block(
            [t[:, blk] for t in flat],
            grad_x[:, blk],
            scratch,
            params,
        )
    return grad_x.view(h_seq.shape)


def _backward_block(
    inputs: list[torch.Tensor],
    grad_x: torch.Tensor,
    scratch: list[torch.Tensor],
    params: tuple[float, SpikeConfig, float, float],
) -> None:
    """The reverse-time recurrence of the module docstring on one [T, block] block.

    Every inexact product and sum is its own op, in the order autograd evaluates the
    functional step; fused ops are used only where a factor is exact (s ∈ {0, 1}).
    """
    grad_s, x, h_seq, m_seq, mask = inputs
    mask_bytes = mask.view(torch.uint8)
    tau, cfg, c, k = params
    steps = h_seq.shape[0]
    beta, theta, detach = 1 - 1.0 / tau, cfg.v_threshold, cfg.detach_reset
    exact_sg, exact_s = surrogate_is_exact(cfg), not cfg.smooth
    one = h_seq.new_ones(())
    g_v, g_m, q, sg, s, vp, r, g_vp, g_h_buf, t1, t2 = scratch
    for buf in (g_v, g_m, q):
        buf.zero_()
    for t in range(steps - 1, -1, -1):
        h = h_seq[t]
        surrogate_grad_into(sg, h, cfg, t1)
        if t == steps - 1:  # nothing reaches V[T−1], M[T−1] or I[T]: g_H = g_s·σ'
            g_h = torch.mul(grad_s[t], sg, out=grad_x[t])
        else:
            g_h = g_h_buf
            fire_into(s, h, cfg)
            torch.sub(h, s, alpha=theta, out=vp)  # V′, exactly as in the forward
            torch.sigmoid(m_seq[t], out=r)
            # G_M = g_M − ((g_V·s)·(1 − r))·r     (sigmoid_backward's order)
            torch.mul(g_v, s, out=t1)
            g_m.sub_(t1.mul_(torch.sub(one, r, out=t2)).mul_(r))
            if k != 1.0:  # G_B = k·G_M: g_m now holds what M[t−1] receives
                g_m.mul_(k)
            # G_V′ = g_V + G_B·s
            if exact_s:
                torch.addcmul(g_v, g_m, s, out=g_vp)
            else:
                torch.mul(g_m, s, out=g_vp).add_(g_v)
            # G_s = (((g_s + q·X) − g_V·r) + G_B·V′) − θ·G_V′, held in g_h until ·σ'
            torch.mul(q, x[t], out=g_h).add_(grad_s[t])
            if not detach:
                g_h.sub_(torch.mul(g_v, r, out=t1))
            g_h.add_(torch.mul(g_m, vp, out=t1))
            if not detach:
                g_h.sub_(g_vp if theta == 1.0 else torch.mul(g_vp, theta, out=t1))
            # g_H = G_V′ + G_s·σ'
            if exact_sg:
                torch.addcmul(g_vp, g_h, sg, out=g_h)
            else:
                g_h.mul_(sg).add_(g_vp)
            # g_X = g_H + q·s
            if exact_s:
                torch.addcmul(g_h, q, s, out=grad_x[t])
            else:
                torch.add(g_h, torch.mul(q, s, out=t1), out=grad_x[t])
        if t > 0:  # G_I[t] = q − κ[t]·g_H, q ← c·G_I[t]; I[0] is a constant
            # κ read through a uint8 view (a bool→float copy is not vectorised); κ·g_H
            # is exact, so addcmul's single rounding equals autograd's two.
            q.addcmul_(g_h, t1.copy_(mask_bytes[t - 1]), value=-1.0).mul_(c)
            torch.mul(g_h, beta, out=g_v)


class _ILIF(torch.autograd.Function):
    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any, x: torch.Tensor, tau: float, cfg: SpikeConfig, c: float, k: float
    ) -> torch.Tensor:
        out = ilif_forward(x, tau, cfg, c, k, save=True)
        ctx.params = (tau, cfg, c, k)
        ctx.save_for_backward(x, out.h, out.m, out.mask)
        return out.spikes

    @staticmethod
    def backward(ctx: Any, grad_s: torch.Tensor) -> tuple[Any, ...]:  # type: ignore[override]
        x, h_seq, m_seq, mask = ctx.saved_tensors
        grad_x = _ilif_backward(grad_s.contiguous(), x, h_seq, m_seq, mask, ctx.params)
        return grad_x, None, None, None, None


def ilif_multistep(
    x: torch.Tensor,
    tau: float,
    cfg: SpikeConfig,
    current_inhibition: float = 0.03,
    membrane_inhibition: float = 1.0,
) -> torch.Tensor:
    """Spikes [T, ...] of ILIF over a time-major input [T, ...] from zero state.

    Differentiable in ``x`` with the hand-written BPTT backward of the module docstring.
    Nothing is stored for the backward unless grad mode is on and ``x`` requires grad.

    Raises:
        ConfigError: ``cfg.reset`` is not "soft" (ILIF is soft-reset only).
    """
    check_time_major(x, "ilif_multistep")
    check_ilif_config(cfg)
    x = x.contiguous()
    c, k = float(current_inhibition), float(membrane_inhibition)
    if torch.is_grad_enabled() and x.requires_grad:
        return _ILIF.apply(x, float(tau), cfg, c, k)
    return ilif_forward(x, float(tau), cfg, c, k, save=False).spikes
