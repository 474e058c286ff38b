"""Multi-step LIF / PLIF / DA-LIF with a hand-written backward over the sequence.

Forward (per step, L the leak target: v_reset for a hard reset, else 0):
    H[t] = β·V[t−1] + (1 − β)·L + α·X[t];  s[t] = Θ(H[t] − θ);  V[t] = reset(H[t], s[t])
Backward, with g_V the gradient reaching V[t] from step t + 1 (0 at t = T − 1) and
σ'[t] the surrogate at H[t] − θ:
    ∂V/∂H = 1 − θ·σ'                     (soft; 1 if detach_reset)
    ∂V/∂H = (1 − s) + (v_reset − H)·σ'   (hard; 1 − s if detach_reset)
    g_H[t] = g_s[t]·σ'[t] + g_V·∂V/∂H
    g_X[t] = α·g_H[t];   g_α += g_H·X[t];   g_β += g_H·(V[t−1] − L);   g_V ← β·g_H
Only H is stored; s and V[t−1] are recomputed from it (exact: the comparison is
deterministic on the stored value).
"""

from __future__ import annotations

from typing import Any

import torch

from snncompile.neurons.functional.common import SpikeConfig, spike_value

Param = float | torch.Tensor


def _charge(
    out: torch.Tensor, x: torch.Tensor, v: torch.Tensor, alpha: Param, beta: Param, c: Param
) -> None:
    """out = β·v + α·x + c, written in place."""
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


def _fire(out: torch.Tensor, h: torch.Tensor, cfg: SpikeConfig) -> None:
    if cfg.smooth:
        out.copy_(spike_value(h - cfg.v_threshold, cfg))
    else:
        torch.ge(h, cfg.v_threshold, out=out)


def _reset(out: torch.Tensor, h: torch.Tensor, s: torch.Tensor, cfg: SpikeConfig) -> None:
    """out = V from H and s (out may not alias h or s)."""
    if cfg.reset == "soft":
        torch.sub(h, s, alpha=cfg.v_threshold, out=out)
    else:  # V = H − s·(H − v_reset), arithmetic so NaN/Inf propagate
        torch.sub(h, cfg.v_reset, out=out)
        out.mul_(s)
        torch.sub(h, out, out=out)


def _as_param(p: Param) -> Param:
    """0-dim tensors become floats (faster scalar ops); others stay tensors."""
    if isinstance(p, torch.Tensor) and p.dim() == 0:
        return float(p.item())
    return p


class _LinearLIF(torch.autograd.Function):
    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any,
        x: torch.Tensor,
        alpha: torch.Tensor,
        beta: torch.Tensor,
        cfg: SpikeConfig,
    ) -> torch.Tensor:
        a, b = _as_param(alpha), _as_param(beta)
        c: Param = 0.0 if cfg.leak_target == 0.0 else (1 - b) * cfg.leak_target
        training = torch.is_grad_enabled() or any(ctx.needs_input_grad)
        spikes = torch.empty_like(x)
        h_seq = torch.empty_like(x) if training else None
        v = torch.zeros_like(x[0])
        h_buf = None if training else torch.empty_like(x[0])
        v_next = torch.empty_like(x[0])
        for t in range(x.shape[0]):
            h = h_seq[t] if h_seq is not None else h_buf
            _charge(h, x[t], v, a, b, c)
            _fire(spikes[t], h, cfg)
            _reset(v_next, h, spikes[t], cfg)
            v, v_next = v_next, v
        ctx.cfg = cfg
        ctx.final_v = v
        if h_seq is not None:
            ctx.save_for_backward(h_seq, x if ctx.needs_input_grad[1] else None, alpha, beta)
        return spikes

    @staticmethod
    def backward(ctx: Any, grad_s: torch.Tensor) -> tuple[Any, ...]:  # type: ignore[override]
        h_seq, x, alpha, beta = ctx.saved_tensors
        cfg: SpikeConfig = ctx.cfg
        a, b = _as_param(alpha), _as_param(beta)
        need_x, need_alpha, need_beta = ctx.needs_input_grad[:3]
        theta, lt = cfg.v_threshold, cfg.leak_target
        grad_s = grad_s.contiguous()
        grad_x = torch.empty_like(h_seq) if need_x else None
        g_v = torch.zeros_like(h_seq[0])
        g_h = torch.empty_like(h_seq[0])
        acc_alpha = torch.zeros_like(h_seq[0]) if need_alpha else None
        acc_beta = torch.zeros_like(h_seq[0]) if need_beta else None
        v_prev = torch.empty_like(h_seq[0]) if need_beta else None
        s_prev = torch.empty_like(h_seq[0]) if need_beta else None
        for t in range(h_seq.shape[0] - 1, -1, -1):
            h = h_seq[t]
            u = h - theta
            sg = cfg.surrogate.derivative(u)
            if cfg.reset == "soft":
                # g_H = g_V + σ'·(g_s − θ·g_V)   (detach: g_V + σ'·g_s)
                torch.sub(grad_s[t], g_v, alpha=0.0 if cfg.detach_reset else theta, out=g_h)
                g_h.mul_(sg).add_(g_v)
            else:
                s = spike_value(u, cfg)
                dv_dh = 1.0 - s
                if not cfg.detach_reset:
                    dv_dh.addcmul_(cfg.v_reset - h, sg)
                torch.mul(grad_s[t], sg, out=g_h)
                g_h.addcmul_(g_v, dv_dh)
            if grad_x is not None:
                torch.mul(g_h, a, out=grad_x[t])
            if acc_alpha is not None:
                acc_alpha.addcmul_(g_h, x[t])
            if acc_beta is not None and t > 0:
                _fire(s_prev, h_seq[t - 1], cfg)
                _reset(v_prev, h_seq[t - 1], s_prev, cfg)
                if lt != 0.0:
                    v_prev.sub_(lt)
                acc_beta.addcmul_(g_h, v_prev)
            elif acc_beta is not None and lt != 0.0:  # V[−1] = 0, so V[−1] − L = −L
                acc_beta.add_(g_h, alpha=-lt)
            torch.mul(g_h, b, out=g_v)
        grad_alpha = acc_alpha.sum_to_size(alpha.shape) if acc_alpha is not None else None
        grad_beta = acc_beta.sum_to_size(beta.shape) if acc_beta is not None else None
        return grad_x, grad_alpha, grad_beta, None


def linear_lif_multistep(
    x: torch.Tensor, alpha: Param, beta: Param, cfg: SpikeConfig
) -> torch.Tensor:
    """Spikes [T, ...] of the α/β LIF over a time-major input [T, ...] from zero state.

    ``alpha``/``beta``: floats, or tensors broadcastable to ``x[0]`` (they receive
    gradients if they require grad).
    """
    alpha_t = alpha if isinstance(alpha, torch.Tensor) else x.new_tensor(float(alpha))
    beta_t = beta if isinstance(beta, torch.Tensor) else x.new_tensor(float(beta))
    return _LinearLIF.apply(x.contiguous(), alpha_t, beta_t, cfg)
