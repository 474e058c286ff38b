"""Multi-step LIF / PLIF / DA-LIF with a hand-written backward over the sequence.

Forward (per step, L the leak target: v_reset for a hard reset, else 0):
    H[t] = β·V[t−1] + (1 − β)·L + α·X[t];  s[t] = Θ(H[t] − θ);  V[t] = reset(H[t], s[t])
    reset: V = H − θ·s (soft);  V = H − s·(H − v_reset) (hard)
Backward, with g_V the gradient reaching V[t] from step t + 1 (0 at t = T − 1) and
σ'[t] the surrogate at H[t] − θ:
    ∂V/∂H = 1 − θ·σ'                     (soft; 1 if detach_reset)
    ∂V/∂H = (1 − s) + (v_reset − H)·σ'   (hard; 1 − s if detach_reset)
    g_H[t] = g_s[t]·σ'[t] + g_V·∂V/∂H    (soft, in this order: g_V + σ'·(g_s − θ·g_V))
    g_X[t] = α·g_H[t];   g_α += g_H·X[t];   g_β += g_H·(V[t−1] − L);   g_V ← β·g_H
Only H is stored (X too, by reference, when α needs a gradient); s and V[t−1] are
recomputed from it (exact: the comparison is deterministic on the stored value).
Under ``no_grad``, or when neither X nor α nor β requires grad, nothing is stored.

Neurons are independent, so both passes run block by block over the flattened neuron
axis (:func:`~snncompile.neurons.cpu._common.blocks`), the whole time loop per block, so
that a block's step buffers stay in cache. No op reads or writes ``torch.bool`` (spikes
are compared straight into float buffers) and no op allocates: the surrogate derivative
is evaluated into a preallocated buffer, and for α = 1 the gradient of H is written
straight into grad_x. Tensor α/β (per layer or per channel) are expanded to one value
per neuron, so that a block takes its slice. Each value is computed by the same ops, in
the same order, as the unblocked loop before, so results are unchanged bit for bit (up
to the sigmoid caveat of :mod:`._common`); the one fused op is an ``addcmul`` whose
product is exact (a Rectangle surrogate of power-of-two height), where one rounding
equals two.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import torch

from snncompile.neurons.cpu._common import (
    blocks_with_scratch,
    check_time_major,
    fire_into,
    surrogate_grad_into,
    surrogate_is_exact,
)
from snncompile.neurons.functional.common import SpikeConfig

Param = float | torch.Tensor


class _Coeffs(NamedTuple):
    """α, β and the leak constant c = (1 − β)·L: floats, or one value per neuron [n]."""

    alpha: Param
    beta: Param
    leak: Param

    def block(self, blk: slice) -> _Coeffs:
        """The coefficients of the neurons in ``blk``."""
        return _Coeffs(*(p if isinstance(p, float) else p[blk] for p in self))


def _as_param(p: torch.Tensor) -> Param:
    """0-dim tensors become floats (faster scalar ops); others stay tensors."""
    return float(p.item()) if p.dim() == 0 else p


def _coeffs(
    alpha: torch.Tensor, beta: torch.Tensor, cfg: SpikeConfig, shape: tuple[int, ...]
) -> _Coeffs:
    """α, β and c for neurons of one step's ``shape``, flattened to [n] where tensors."""
    n = math.prod(shape)

    def per_neuron(p: Param) -> Param:
        return p if isinstance(p, float) else p.detach().expand(shape).reshape(n)

    a, b = _as_param(alpha), _as_param(beta)
    lt = cfg.leak_target
    c: Param = 0.0 if lt == 0.0 else (1 - b) * lt
    return _Coeffs(per_neuron(a), per_neuron(b), per_neuron(c))


def _charge(out: torch.Tensor, x: torch.Tensor, v: torch.Tensor, k: _Coeffs) -> None:
    """out = β·v + α·x + c, written in place."""
    alpha, beta, c = k
    if isinstance(alpha, float) and alpha == 1.0:
        if isinstance(beta, float):
            torch.add(x, v, alpha=beta, out=out)
        else:
            torch.mul(v, beta, out=out)
            out.add_(x)
    else:
        torch.mul(x, alpha, out=out)
        if isinstance(beta, float):
            out.add_(v, alpha=beta)
        else:
            out.addcmul_(v, beta)
    if not (isinstance(c, float) and c == 0.0):
        out.add_(c)


def _reset(out: torch.Tensor, h: torch.Tensor, s: torch.Tensor, cfg: SpikeConfig) -> None:
    """out = V from H and s (out may not alias h or s)."""
    if cfg.reset == "soft":
        torch.sub(h, s, alpha=cfg.v_threshold, out=out)
    else:  # V = H − s·(H − v_reset), arithmetic so NaN/Inf propagate
        torch.sub(h, cfg.v_reset, out=out)
        out.mul_(s)
        torch.sub(h, out, out=out)


# --------------------------------------------------------------------------- forward


def linear_lif_forward(
    x: torch.Tensor, alpha: torch.Tensor, beta: torch.Tensor, cfg: SpikeConfig, *, save: bool
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(spikes, H) over a contiguous time-major ``x`` from zero state, without autograd.

    H[0..T−1] is kept only when ``save``. Both come back shaped like ``x``.
    """
    steps, n = x.shape[0], math.prod(x.shape[1:])
    flat = x.reshape(steps, n)
    spikes = torch.empty_like(flat)
    h_seq = torch.empty_like(flat) if save else None
    coeffs = _coeffs(alpha, beta, cfg, x.shape[1:])
    for blk, scratch in blocks_with_scratch(n, flat, 2 if save else 3):
        _forward_block(
            flat[:, blk],
            spikes[:, blk],
            None if h_seq is None else h_seq[:, blk],
            scratch,
            coeffs.block(blk),
            cfg,
        )
    return spikes.view(x.shape), None if h_seq is None else h_seq.view(x.shape)


def _forward_block(
    x: torch.Tensor,
    spikes: torch.Tensor,
    h_seq: torch.Tensor | None,
    scratch: list[torch.Tensor],
    coeffs: _Coeffs,
    cfg: SpikeConfig,
) -> None:
    """The time loop on one block: x, spikes and h_seq are [T, block]."""
    v, v_next = scratch[0], scratch[1]  # V[t−1], V[t]
    v.zero_()
    for t in range(x.shape[0]):
        h = h_seq[t] if h_seq is not None else scratch[2]
        _charge(h, x[t], v, coeffs)
        fire_into(spikes[t], h, cfg)
        _reset(v_next, h, spikes[t], cfg)
        v, v_next = v_next, v


# -------------------------------------------------------------------------- backward


class _Grads(NamedTuple):
    """Outputs of the backward: grad_x [T, n] and the per-neuron α/β sums [n]."""

    x: torch.Tensor | None
    alpha: torch.Tensor | None
    beta: torch.Tensor | None

    def block(self, blk: slice) -> _Grads:
        """The outputs of the neurons in ``blk``."""
        return _Grads(*(None if g is None else g[..., blk] for g in self))


def _linear_lif_backward(
    grad_s: torch.Tensor,
    h_seq: torch.Tensor,
    x: torch.Tensor | None,
    coeffs: _Coeffs,
    cfg: SpikeConfig,
    needs: tuple[bool, bool, bool],
) -> _Grads:
    """grad_x [T, n] and the α/β gradients per neuron [n], block by block."""
    steps, n = h_seq.shape[0], math.prod(h_seq.shape[1:])
    flat = [None if t is None else t.reshape(steps, n) for t in (grad_s, h_seq, x)]
    out = _Grads(
        h_seq.new_empty((steps, n)) if needs[0] else None,
        h_seq.new_zeros(n) if needs[1] else None,
        h_seq.new_zeros(n) if needs[2] else None,
    )
    for blk, scratch in blocks_with_scratch(n, h_seq, 7):
        _backward_block(
            [None if t is None else t[:, blk] for t in flat],
            out.block(blk),
            scratch,
            coeffs.block(blk),
            cfg,
        )
    return out


def _grad_h(
    g_h: torch.Tensor,
    g_s: torch.Tensor,
    h: torch.Tensor,
    s: torch.Tensor,
    g_v: torch.Tensor,
    sg: torch.Tensor,
    tmp: torch.Tensor,
    consts: tuple[torch.Tensor, torch.Tensor],
    cfg: SpikeConfig,
) -> None:
    """g_H = g_s·σ' + g_V·∂V/∂H into ``g_h``; ``s`` must hold s[t] for a hard reset.

    ``consts`` holds 1 and v_reset as 0-dim tensors (made once, not per step).
    """
    if cfg.reset == "soft":
        # g_H = g_V + σ'·(g_s − θ·g_V)   (detach: g_V + σ'·g_s)
        torch.sub(g_s, g_v, alpha=0.0 if cfg.detach_reset else cfg.v_threshold, out=g_h)
        if surrogate_is_exact(cfg):  # (g_s − θ·g_V)·σ' is exact: one rounding, not two
            torch.addcmul(g_v, g_h, sg, out=g_h)
        else:
            g_h.mul_(sg).add_(g_v)
        return
    one, v_reset = consts
    dv_dh = torch.sub(one, s, out=tmp)  # ∂V/∂H = (1 − s) + (v_reset − H)·σ'
    if not cfg.detach_reset:
        dv_dh.addcmul_(torch.sub(v_reset, h, out=g_h), sg)
    torch.mul(g_s, sg, out=g_h)
    g_h.addcmul_(g_v, dv_dh)


def _param_grads(
    out: _Grads,
    t: int,
    g_h: torch.Tensor,
    x: torch.Tensor | None,
    h_seq: torch.Tensor,
    bufs: tuple[torch.Tensor, torch.Tensor],
    cfg: SpikeConfig,
) -> bool:
    """g_α += g_H·X[t] and g_β += g_H·(V[t−1] − L), V[t−1] recomputed from H[t−1] into
    ``bufs`` = (s[t−1], V[t−1]). Returns True if ``bufs[0]`` now holds s[t−1]."""
    if out.alpha is not None:
        assert x is not None
        out.alpha.addcmul_(g_h, x[t])
    if out.beta is None:
        return False
    lt = cfg.leak_target
    if t == 0:  # V[−1] = 0, so V[−1] − L = −L
        if lt != 0.0:
            out.beta.add_(g_h, alpha=-lt)
        return False
    s_prev, v_prev = bufs
    fire_into(s_prev, h_seq[t - 1], cfg)
    _reset(v_prev, h_seq[t - 1], s_prev, cfg)
    if lt != 0.0:
        v_prev.sub_(lt)
    out.beta.addcmul_(g_h, v_prev)
    return True


def _backward_block(
    inputs: list[torch.Tensor | None],
    out: _Grads,
    scratch: list[torch.Tensor],
    coeffs: _Coeffs,
    cfg: SpikeConfig,
) -> None:
    """The reverse-time recurrence of the module docstring on one [T, block] block."""
    grad_s, h_seq, x = inputs
    assert grad_s is not None and h_seq is not None
    alpha, beta, _ = coeffs
    hard = cfg.reset != "soft"
    unit_alpha = isinstance(alpha, float) and alpha == 1.0  # g_X = g_H: write it in place
    g_v, g_h_buf, sg, tmp, s, s_prev, v_prev = scratch
    consts = (h_seq.new_ones(()), h_seq.new_full((), cfg.v_reset))
    g_v.zero_()
    have_s = False  # s holds s[t] already (recomputed for the β gradient at t + 1)
    for t in range(h_seq.shape[0] - 1, -1, -1):
        h = h_seq[t]
        g_h = out.x[t] if out.x is not None and unit_alpha else g_h_buf
        surrogate_grad_into(sg, h, cfg, tmp)
        if hard and not have_s:
            fire_into(s, h, cfg)
        _grad_h(g_h, grad_s[t], h, s, g_v, sg, tmp, consts, cfg)
        if out.x is not None and not unit_alpha:
            torch.mul(g_h, alpha, out=out.x[t])
        have_s = _param_grads(out, t, g_h, x, h_seq, (s_prev, v_prev), cfg)
        if have_s:  # reuse s[t−1] at step t − 1
            s, s_prev = s_prev, s
        if t > 0:
            torch.mul(g_h, beta, out=g_v)


class _LinearLIF(torch.autograd.Function):
    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any,
        x: torch.Tensor,
        alpha: torch.Tensor,
        beta: torch.Tensor,
        cfg: SpikeConfig,
    ) -> torch.Tensor:
        spikes, h_seq = linear_lif_forward(x, alpha, beta, cfg, save=True)
        ctx.cfg = cfg
        ctx.save_for_backward(h_seq, x if ctx.needs_input_grad[1] else None, alpha, beta)
        return spikes

    @staticmethod
    def backward(ctx: Any, grad_s: torch.Tensor) -> tuple[Any, ...]:  # type: ignore[override]
        h_seq, x, alpha, beta = ctx.saved_tensors
        cfg: SpikeConfig = ctx.cfg
        coeffs = _coeffs(alpha, beta, cfg, h_seq.shape[1:])
        needs = tuple(ctx.needs_input_grad[:3])
        grads = _linear_lif_backward(grad_s.contiguous(), h_seq, x, coeffs, cfg, needs)
        step = h_seq.shape[1:]
        return (
            None if grads.x is None else grads.x.view(h_seq.shape),
            None if grads.alpha is None else grads.alpha.view(step).sum_to_size(alpha.shape),
            None if grads.beta is None else grads.beta.view(step).sum_to_size(beta.shape),
            None,
        )


def linear_lif_multistep(
    x: torch.Tensor, alpha: Param, beta: Param, cfg: SpikeConfig
) -> torch.Tensor:
    """Spikes [T, ...] of the α/β LIF over a time-major input [T, ...] from zero state.

    ``alpha``/``beta``: floats, or tensors broadcastable to ``x[0]`` (they receive
    gradients if they require grad). Nothing is stored for the backward unless grad
    mode is on and one of ``x``, ``alpha``, ``beta`` requires grad.

    Raises:
        InputError: ``x`` is 0-dim.
    """
    check_time_major(x, "linear_lif_multistep")
    x = x.contiguous()
    alpha_t = alpha if isinstance(alpha, torch.Tensor) else x.new_tensor(float(alpha))
    beta_t = beta if isinstance(beta, torch.Tensor) else x.new_tensor(float(beta))
    if torch.is_grad_enabled() and (
        x.requires_grad or alpha_t.requires_grad or beta_t.requires_grad
    ):
        return _LinearLIF.apply(x, alpha_t, beta_t, cfg)
    return linear_lif_forward(x, alpha_t, beta_t, cfg, save=False)[0]
