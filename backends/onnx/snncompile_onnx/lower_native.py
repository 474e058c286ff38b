"""Lowerings of snncompile's native neurons (SoftLIF, PLIF, DALIF, CLIF, ILIF).

Every lowering reproduces the float32 reference stepper
(``snncompile.reference.native_neurons``) operation by operation, in the same order and
with the same operand grouping, so every elementwise result is bit-identical given the
same input (float32 + − × ÷ are correctly rounded in numpy and onnxruntime alike).
Derived parameters (β = 1 − sigmoid(w), β = 1 − 1/τ, (1 − β)·v_r) are computed in numpy
at export time exactly as the reference computes them. The only op whose bits differ
is the logistic function of CLIF and ILIF (see ``sigmoid`` below).

Firing is inclusive for every native node: s = Cast(GreaterOrEqual(H, θ), float).
States (per sample, batch dim leading): ``v`` everywhere; CLIF adds ``m``; ILIF adds
``inhibition``, ``inhibitory_memory``, ``x_prev`` and ``s_prev``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from snncompile.ir.native_neurons import sigmoid as np_sigmoid
from snncompile_onnx.context import StepContext


def fire(ctx: StepContext, name: str, h: str, theta: str) -> str:
    """s = [H >= θ] as float32."""
    return ctx.to_float(ctx.em.op("GreaterOrEqual", [h, theta], f"{name}/fired"), f"{name}/s")


def sigmoid(ctx: StepContext, x: str, hint: str) -> str:
    """The logistic function as ONNX ``Sigmoid``.

    The reference evaluates 1/(1 + exp(−x)) with numpy's float32 ``exp``; onnxruntime's
    ``Sigmoid`` (and its ``Exp``) use other polynomial approximations, so results may
    differ by 1-2 ulp (≤ 2e-7 absolute). Bit-exactness is impossible here without
    reimplementing numpy's exp; spikes only change if H lands within those ulps of θ.
    """
    return ctx.em.op("Sigmoid", [x], hint)


def _beta_from_tau(tau: np.ndarray) -> np.ndarray:
    """1 − 1/τ in float64, rounded once to float32 (the reference's ``_beta_from_tau``)."""
    return (1.0 - 1.0 / np.asarray(tau, dtype=np.float64)).astype(np.float32)


def _soft_or_hard(
    ctx: StepContext, name: str, node: Any, beta: np.ndarray, *, hard: bool, x: str
) -> str:
    """SoftLIF/PLIF body: H = β·V + X (+ (1 − β)·v_r); s; soft or hard reset."""
    pop = ctx.in_shape(name)
    theta = ctx.const(name, "v_threshold", node.v_threshold)
    v = ctx.state(name, "v", pop)
    h = ctx.add(ctx.mul(ctx.const(name, "beta", beta), v, f"{name}/leak"), x, f"{name}/h")
    if hard:
        v_reset64 = node.v_reset_or_zero.astype(np.float64)
        leak_bias = ((1.0 - beta.astype(np.float64)) * v_reset64).astype(np.float32)
        h = ctx.add(h, ctx.const(name, "leak_bias", leak_bias), f"{name}/h_biased")
    s = fire(ctx, name, h, theta)
    if hard:
        keep = ctx.sub(ctx.scalar(1.0), s, f"{name}/keep")
        v_reset = ctx.const(name, "v_reset", v_reset64.astype(np.float32))
        v_new = ctx.add(
            ctx.mul(h, keep, f"{name}/kept"), ctx.mul(v_reset, s, f"{name}/reset"), f"{name}/v"
        )
    else:
        v_new = ctx.sub(h, ctx.mul(theta, s, f"{name}/theta_s"), f"{name}/v")
    ctx.set_state(name, "v", v_new)
    return s


def lower_softlif(ctx: StepContext, name: str, node: Any, x: str) -> str:
    """SoftLIF: soft H = β·V + X, V = H − θ·s; hard adds (1 − β)·v_r, V = H·(1 − s) + v_r·s."""
    beta = np.asarray(node.beta, dtype=np.float32)
    return _soft_or_hard(ctx, name, node, beta, hard=node.reset == "hard", x=x)


def lower_plif(ctx: StepContext, name: str, node: Any, x: str) -> str:
    """PLIF: β = 1 − sigmoid(w) (float32, numpy, as the reference), soft reset."""
    beta = (1.0 - np_sigmoid(np.asarray(node.w, dtype=np.float32))).astype(np.float32)
    return _soft_or_hard(ctx, name, node, beta, hard=False, x=x)


def _per_neuron_compact(value: np.ndarray, pop: tuple[int, ...]) -> np.ndarray:
    """A per-neuron, per-channel (C,) or per-layer (1,) array, broadcastable to ``pop``."""
    value = np.asarray(value, dtype=np.float32)
    if value.shape != pop and value.shape != (1,):
        value = value.reshape((value.shape[0],) + (1,) * (len(pop) - 1))
    return value


def lower_dalif(ctx: StepContext, name: str, node: Any, x: str) -> str:
    """DA-LIF: V' = β·V + α·X; s = [V' >= θ]; soft V = V' − θ·s, hard V = V'·(1 − s)."""
    pop = ctx.in_shape(name)
    alpha = ctx.const(name, "alpha", _per_neuron_compact(node.alpha, pop))
    beta = ctx.const(name, "beta", _per_neuron_compact(node.beta, pop))
    theta = ctx.const(name, "v_threshold", node.v_threshold)
    v = ctx.state(name, "v", pop)
    h = ctx.add(ctx.mul(beta, v, f"{name}/leak"), ctx.mul(alpha, x, f"{name}/drive"), f"{name}/h")
    s = fire(ctx, name, h, theta)
    if node.reset == "hard":
        v_new = ctx.mul(h, ctx.sub(ctx.scalar(1.0), s, f"{name}/keep"), f"{name}/v")
    else:
        v_new = ctx.sub(h, ctx.mul(theta, s, f"{name}/theta_s"), f"{name}/v")
    ctx.set_state(name, "v", v_new)
    return s


def lower_clif(ctx: StepContext, name: str, node: Any, x: str) -> str:
    """CLIF: H = V·β + X; m = m·sigmoid(H/τ) + s; V = H − θ·s − s·sigmoid(m)."""
    pop = ctx.in_shape(name)
    tau = ctx.const(name, "tau", node.tau)
    beta = ctx.const(name, "beta", _beta_from_tau(node.tau))
    theta = ctx.const(name, "v_threshold", node.v_threshold)
    v, m = ctx.state(name, "v", pop), ctx.state(name, "m", pop)
    h = ctx.add(ctx.mul(v, beta, f"{name}/leak"), x, f"{name}/h")
    gate = sigmoid(ctx, ctx.div(h, tau, f"{name}/h_over_tau"), f"{name}/gate")
    forming = ctx.mul(m, gate, f"{name}/forming")
    s = fire(ctx, name, h, theta)
    m_new = ctx.add(forming, s, f"{name}/m")
    soft = ctx.sub(h, ctx.mul(theta, s, f"{name}/theta_s"), f"{name}/v_soft")
    extra = ctx.mul(s, sigmoid(ctx, m_new, f"{name}/sigmoid_m"), f"{name}/extra_reset")
    ctx.set_state(name, "v", ctx.sub(soft, extra, f"{name}/v"))
    ctx.set_state(name, "m", m_new)
    return s


def lower_ilif(ctx: StepContext, name: str, node: Any, x: str) -> str:
    """ILIF: I = k_c·(I + x_prev·s_prev); H = V·β + X − max(I, 0); V' = H − θ·s;
    M = k_m·(M + s·V'); V = V' − s·sigmoid(M); x_prev ← X, s_prev ← s.

    As in the reference, k_m multiplies the whole bracket and its Mul is left out for
    k_m = 1 (multiplying by 1 is exact)."""
    pop = ctx.in_shape(name)
    beta = ctx.const(name, "beta", _beta_from_tau(node.tau))
    theta = ctx.const(name, "v_threshold", node.v_threshold)
    k_c = ctx.scalar(float(np.float32(node.current_inhibition)))
    k_m = float(np.float32(node.membrane_inhibition))
    v, inh = ctx.state(name, "v", pop), ctx.state(name, "inhibition", pop)
    memory = ctx.state(name, "inhibitory_memory", pop)
    x_prev, s_prev = ctx.state(name, "x_prev", pop), ctx.state(name, "s_prev", pop)
    carried = ctx.add(inh, ctx.mul(x_prev, s_prev, f"{name}/carry"), f"{name}/inh_sum")
    inh_new = ctx.mul(k_c, carried, f"{name}/inhibition")
    clamped = ctx.em.op("Relu", [inh_new], f"{name}/inhibition_clamped")
    h = ctx.sub(
        ctx.add(ctx.mul(v, beta, f"{name}/leak"), x, f"{name}/charged"), clamped, f"{name}/h"
    )
    s = fire(ctx, name, h, theta)
    v_soft = ctx.sub(h, ctx.mul(theta, s, f"{name}/theta_s"), f"{name}/v_soft")
    gain = ctx.mul(s, v_soft, f"{name}/memory_gain")
    if k_m == 1.0:
        memory_new = ctx.add(memory, gain, f"{name}/inhibitory_memory")
    else:
        bracket = ctx.add(memory, gain, f"{name}/inhibitory_memory_sum")
        memory_new = ctx.mul(ctx.scalar(k_m), bracket, f"{name}/inhibitory_memory")
    extra = ctx.mul(s, sigmoid(ctx, memory_new, f"{name}/sigmoid_M"), f"{name}/extra_reset")
    ctx.set_state(name, "v", ctx.sub(v_soft, extra, f"{name}/v"))
    ctx.set_state(name, "inhibition", inh_new)
    ctx.set_state(name, "inhibitory_memory", memory_new)
    ctx.set_state(name, "x_prev", x)
    ctx.set_state(name, "s_prev", s)
    return s
