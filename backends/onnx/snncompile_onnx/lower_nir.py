"""Lowerings of the NIR primitive neurons, ``Threshold`` and ``Delay``.

They follow ``snncompile.reference.nir_neurons`` / ``spiking`` op by op, with the
coefficients of :mod:`snncompile.ir.discretize` and every profile feature:
``compare`` (``Greater`` or ``GreaterOrEqual``), binary or multi-spike counts
(Floor/Max/Min), same-step or next-step reset (to_value with ``Where``, subtract,
none), the membrane floor (Relu) and refractory counters. States: ``v`` (and ``i`` for
Cuba nodes), ``pending`` (spikes of the previous step, next-step reset), ``refractory``
(the counter, stored as float32 integers), ``history`` (Delay: the last L − 1 inputs, newest first).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from snncompile.ir.discretize import (
    delay_steps,
    input_gain,
    integrator_gain,
    leak,
    leak_bias,
    synaptic_gain,
)
from snncompile.ir.profile import ExecutionProfile
from snncompile_onnx.context import StepContext


class SpikeLowering:
    """Spike generation and reset of one population (mirrors ``SpikeLogic``)."""

    def __init__(
        self,
        ctx: StepContext,
        name: str,
        theta: np.ndarray,
        v_reset: np.ndarray,
        shape: tuple[int, ...],
        *,
        threshold_field: str = "v_threshold",
        stateful: bool = True,
    ) -> None:
        self.ctx, self.name, self.shape = ctx, name, shape
        self.p: ExecutionProfile = ctx.profile(name)
        self.theta = ctx.const(name, threshold_field, theta)
        self.v_reset_array = np.asarray(v_reset, dtype=np.float32)
        next_step = stateful and self.p.reset_timing == "next_step"
        self.pending = ctx.state(name, "pending", shape) if next_step else None
        refractory = stateful and self.p.refractory > 0
        self.counter = ctx.state(name, "refractory", shape) if refractory else None

    def _v_reset(self) -> str:
        return self.ctx.const(self.name, "v_reset", self.v_reset_array)

    def _positive(self, tensor: str, hint: str) -> str:
        return self.ctx.em.op("Greater", [tensor, self.ctx.scalar(0.0)], f"{self.name}/{hint}")

    def before_charge(self, v: str) -> str:
        """V[t−1], replaced by v_reset where a next-step to_value reset is pending."""
        if self.pending is not None and self.p.reset == "to_value":
            pending = self._positive(self.pending, "pending_reset")
            return self.ctx.em.op("Where", [pending, self._v_reset(), v], f"{self.name}/v_prev")
        return v

    def fire(self, h: str, v_prev: str) -> tuple[str, str]:
        """(spikes, V) from the charged potential ``h``; also sets the logic's states."""
        ctx, n = self.ctx, self.name
        if self.pending is not None and self.p.reset == "subtract":
            h = ctx.sub(h, ctx.mul(self.theta, self.pending, f"{n}/pending_theta"), f"{n}/h_sub")
        frozen = None
        if self.counter is not None:
            frozen = self._positive(self.counter, "frozen")
            h = ctx.em.op("Where", [frozen, v_prev, h], f"{n}/h_held")
        spikes = self.count(h)
        if frozen is not None and self.counter is not None:
            spikes = ctx.em.op("Where", [frozen, ctx.scalar(0.0), spikes], f"{n}/spikes_held")
            decremented = ctx.em.op(
                "Max",
                [ctx.sub(self.counter, ctx.scalar(1.0), f"{n}/count_down"), ctx.scalar(0.0)],
                f"{n}/count_floor",
            )
            fired = self._positive(spikes, "fired_any")
            refractory = ctx.scalar(float(self.p.refractory))
            counter = ctx.em.op("Where", [fired, refractory, decremented], f"{n}/refractory")
            ctx.set_state(n, "refractory", counter)
        if self.pending is not None:
            ctx.set_state(n, "pending", spikes)
            return spikes, self.floor(h)
        return spikes, self.floor(self.reset(h, spikes))

    def floor(self, v: str) -> str:
        """V floored at f = −θ as max(V − f, 0) + f (``membrane_floor="-threshold"``)."""
        if self.p.membrane_floor == "none":
            return v
        ctx, n = self.ctx, self.name
        f = ctx.em.op("Neg", [self.theta], f"{n}/floor_value")
        above = ctx.em.op("Relu", [ctx.sub(v, f, f"{n}/above_floor")], f"{n}/relu_floor")
        return ctx.add(above, f, f"{n}/v_floored")

    def count(self, h: str) -> str:
        """Binary spikes per ``compare`` or clipped floor(H/θ) multi-spike counts."""
        ctx, n = self.ctx, self.name
        if self.p.spike_mode == "multi":
            counts = ctx.em.op("Floor", [ctx.div(h, self.theta, f"{n}/ratio")], f"{n}/floor")
            counts = ctx.em.op("Max", [counts, ctx.scalar(0.0)], f"{n}/count_low")
            if self.p.max_spikes is not None:
                limit = ctx.scalar(float(self.p.max_spikes))
                counts = ctx.em.op("Min", [counts, limit], f"{n}/count_high")
            return counts
        op = "GreaterOrEqual" if self.p.compare == ">=" else "Greater"
        return ctx.to_float(ctx.em.op(op, [h, self.theta], f"{n}/fired"), f"{n}/s")

    def reset(self, h: str, spikes: str) -> str:
        """The post-reset potential of a same-step reset."""
        ctx, n = self.ctx, self.name
        if self.p.reset == "to_value":
            fired = self._positive(spikes, "fired_any_reset")
            return ctx.em.op("Where", [fired, self._v_reset(), h], f"{n}/v")
        if self.p.reset == "subtract":
            return ctx.sub(h, ctx.mul(self.theta, spikes, f"{n}/theta_s"), f"{n}/v")
        return h


def _charge(ctx: StepContext, name: str, v: str, beta: Any, bias: Any, gain: Any, x: str) -> str:
    """H = β·V + a·v_leak + g·x, grouped ((β·V) + bias) + (g·x); β/bias None when 1/0."""
    h = v if beta is None else ctx.mul(ctx.const(name, "beta", beta), v, f"{name}/leak")
    if bias is not None:
        h = ctx.add(h, ctx.const(name, "leak_bias", bias), f"{name}/biased")
    return ctx.add(h, ctx.mul(ctx.const(name, "gain", gain), x, f"{name}/drive"), f"{name}/h")


def lower_i(ctx: StepContext, name: str, node: Any, x: str) -> str:
    """``I``: v = v + g·x (output v)."""
    gain = integrator_gain(node.r, ctx.profile(name))
    v_new = _charge(ctx, name, ctx.state(name, "v", ctx.in_shape(name)), None, None, gain, x)
    ctx.set_state(name, "v", v_new)
    return v_new


def lower_li(ctx: StepContext, name: str, node: Any, x: str) -> str:
    """``LI``: v = β·v + a·v_leak + g·x (output v)."""
    p = ctx.profile(name)
    k = leak(node.tau, p)
    v = ctx.state(name, "v", ctx.in_shape(name))
    v_new = _charge(
        ctx, name, v, k.beta, leak_bias(k.rate, node.v_leak), input_gain(k.rate, node.r, p), x
    )
    ctx.set_state(name, "v", v_new)
    return v_new


def lower_lif(ctx: StepContext, name: str, node: Any, x: str) -> str:
    """``LIF`` / ``IF``: charge, then spike and reset per the profile."""
    p, shape = ctx.profile(name), ctx.in_shape(name)
    logic = SpikeLowering(ctx, name, node.v_threshold, node.v_reset, shape)
    if hasattr(node, "tau"):
        k = leak(node.tau, p)
        beta, bias, gain = k.beta, leak_bias(k.rate, node.v_leak), input_gain(k.rate, node.r, p)
    else:  # IF: β = 1 and no leak bias (the reference's 1·V + 0 equals V)
        beta, bias, gain = None, None, integrator_gain(node.r, p)
    v_prev = logic.before_charge(ctx.state(name, "v", shape))
    h = _charge(ctx, name, v_prev, beta, bias, gain, x)
    spikes, v_new = logic.fire(h, v_prev)
    ctx.set_state(name, "v", v_new)
    return spikes


def lower_cuba(ctx: StepContext, name: str, node: Any, x: str) -> str:
    """``CubaLI`` / ``CubaLIF``: synaptic current, then membrane, per ``synapse_order``."""
    p, shape = ctx.profile(name), ctx.in_shape(name)
    syn, mem = leak(node.tau_syn, p), leak(node.tau_mem, p)
    alpha = ctx.const(name, "alpha", syn.beta)
    drive_x = ctx.mul(ctx.const(name, "syn_gain", synaptic_gain(syn.rate, node.w_in, p)), x,
                      f"{name}/syn_drive")  # fmt: skip
    i = ctx.state(name, "i", shape)
    if p.synapse_order == "syn_first":
        i_new = ctx.add(ctx.mul(alpha, i, f"{name}/i_leak"), drive_x, f"{name}/i")
        drive = i_new
    elif p.synapse_order == "jump":
        drive = ctx.add(i, drive_x, f"{name}/i_jump")
        i_new = ctx.mul(alpha, drive, f"{name}/i")
    else:  # jump_decay
        i_new = ctx.mul(alpha, ctx.add(i, drive_x, f"{name}/i_jump"), f"{name}/i")
        drive = i_new
    ctx.set_state(name, "i", i_new)
    bias, gain = leak_bias(mem.rate, node.v_leak), input_gain(mem.rate, node.r, p)
    if not hasattr(node, "v_threshold"):
        v_new = _charge(ctx, name, ctx.state(name, "v", shape), mem.beta, bias, gain, drive)
        ctx.set_state(name, "v", v_new)
        return v_new
    logic = SpikeLowering(ctx, name, node.v_threshold, node.v_reset, shape)
    v_prev = logic.before_charge(ctx.state(name, "v", shape))
    h = _charge(ctx, name, v_prev, mem.beta, bias, gain, drive)
    spikes, v_new = logic.fire(h, v_prev)
    ctx.set_state(name, "v", v_new)
    return spikes


def lower_threshold(ctx: StepContext, name: str, node: Any, x: str) -> str:
    """``Threshold``: stateless spikes of x (``compare`` / ``spike_mode``)."""
    shape = ctx.in_shape(name)
    logic = SpikeLowering(
        ctx, name, node.threshold, np.zeros(shape), shape, threshold_field="threshold",
        stateful=False,
    )  # fmt: skip
    return logic.count(x)


def lower_delay(ctx: StepContext, name: str, node: Any, x: str) -> str:
    """``Delay``: y[t] = x[t − k], k = rint(delay/dt) per element, zeros before t = k.

    A shift register: ``history`` holds x[t−1] … x[t−L+1] (L = max k + 1, batch first);
    the new window [x[t], history] is read at k with ``Gather`` (uniform k) or a one-hot
    Mul + ReduceSum (per-element k; exact: every other term is 0).
    """
    k = delay_steps(node.delay, ctx.profile(name))
    length = int(k.max(initial=0)) + 1
    if length == 1:
        return x
    shape = ctx.in_shape(name)
    history = ctx.state(name, "history", (length - 1, *shape))
    newest = ctx.em.op("Unsqueeze", [x, ctx.ints("[1]", [1])], f"{name}/newest")
    window = ctx.em.op("Concat", [newest, history], f"{name}/window", axis=1)
    keep = ctx.em.op(
        "Slice",
        [window, ctx.ints("[0]", [0]), ctx.ints(f"[{length - 1}]", [length - 1]),
         ctx.ints("[1]", [1])],
        f"{name}/history",
    )  # fmt: skip
    ctx.set_state(name, "history", keep)
    if np.all(k == k.flat[0]):
        return ctx.em.op("Gather", [window, ctx.ints(f"{int(k.flat[0])}", k.flat[0])], f"{name}/y",
                         axis=1)  # fmt: skip
    onehot = (np.arange(length).reshape((length,) + (1,) * k.ndim) == k[None]).astype(np.float32)
    picked = ctx.mul(window, ctx.raw(name, "select", onehot), f"{name}/picked")
    return ctx.em.op("ReduceSum", [picked, ctx.ints("[1]", [1])], f"{name}/y", keepdims=0)
