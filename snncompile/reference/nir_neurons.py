"""Steppers of the NIR primitive neurons, Threshold and Delay, discretised by the profile.

With the coefficients of :mod:`snncompile.ir.discretize` (β, a, gains g):

- ``I``:  v = v + g·x (output v)
- ``LI``: v = β·v + a·v_leak + g·x (output v)
- ``IF``: H = V + g·x; ``LIF``: H = β·V + a·v_leak + g·x; then spike/reset
  (:mod:`snncompile.reference.spiking`)
- ``CubaLI``/``CubaLIF``: current i and potential v, ordered by ``synapse_order``:
  ``syn_first`` i = α_s·i + g_s·x, then H = β·v + a·v_leak + g_m·i;
  ``jump`` i' = i + g_s·x, H from i', then i = α_s·i';
  ``jump_decay`` i = α_s·(i + g_s·x), then H from i.
- ``Threshold``: spikes of x (``compare`` / ``spike_mode``), stateless.
- ``Delay``: y[t] = x[t − k], k = delay/dt steps per element, zeros before.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from snncompile.ir import discretize
from snncompile.ir.profile import ExecutionProfile
from snncompile.reference.spiking import SpikeLogic


class _Base:
    def __init__(self, node: Any, profile: ExecutionProfile, batch: int, dtype: np.dtype) -> None:
        self.dtype = dtype
        self.profile = profile
        self.states: dict[str, np.ndarray] = {}

    def zeros(self, shape: tuple[int, ...], batch: int) -> np.ndarray:
        return np.zeros((batch, *shape), dtype=self.dtype)


class IStep(_Base):
    """``I``: v = v + g·x."""

    def __init__(self, node: Any, profile: ExecutionProfile, batch: int, dtype: np.dtype) -> None:
        super().__init__(node, profile, batch, dtype)
        self.gain = discretize.integrator_gain(node.r, profile, dtype)
        self.v = self.zeros(node.r.shape, batch)

    def step(self, x: np.ndarray) -> np.ndarray:
        self.v = self.v + self.gain * x
        self.states = {"v": self.v}
        return self.v


class LIStep(_Base):
    """``LI``: v = β·v + a·v_leak + g·x."""

    def __init__(self, node: Any, profile: ExecutionProfile, batch: int, dtype: np.dtype) -> None:
        super().__init__(node, profile, batch, dtype)
        k = discretize.leak(node.tau, profile, dtype)
        self.beta = k.beta
        self.bias = discretize.leak_bias(k.rate, node.v_leak, dtype)
        self.gain = discretize.input_gain(k.rate, node.r, profile, dtype)
        self.v = self.zeros(node.tau.shape, batch)

    def step(self, x: np.ndarray) -> np.ndarray:
        self.v = self.beta * self.v + self.bias + self.gain * x
        self.states = {"v": self.v}
        return self.v


class LIFStep(_Base):
    """``LIF`` (and ``IF`` when ``integrate_only``): charge, then spike and reset."""

    def __init__(self, node: Any, profile: ExecutionProfile, batch: int, dtype: np.dtype) -> None:
        super().__init__(node, profile, batch, dtype)
        shape = node.v_threshold.shape
        if hasattr(node, "tau"):
            k = discretize.leak(node.tau, profile, dtype)
            self.beta = k.beta
            self.bias = discretize.leak_bias(k.rate, node.v_leak, dtype)
            self.gain = discretize.input_gain(k.rate, node.r, profile, dtype)
        else:
            self.beta = np.ones(shape, dtype=dtype)
            self.bias = np.zeros(shape, dtype=dtype)
            self.gain = discretize.integrator_gain(node.r, profile, dtype)
        self.logic = SpikeLogic(node.v_threshold, node.v_reset, profile, (batch, *shape), dtype)
        self.v = self.zeros(shape, batch)

    def step(self, x: np.ndarray) -> np.ndarray:
        v_prev = self.logic.before_charge(self.v)
        h = self.beta * v_prev + self.bias + self.gain * x
        spikes, h, self.v = self.logic.fire(h, v_prev)
        self.states = {"v_pre": h, "v": self.v}
        return spikes


class CubaStep(_Base):
    """``CubaLI`` / ``CubaLIF``: synaptic current then membrane, per ``synapse_order``."""

    def __init__(self, node: Any, profile: ExecutionProfile, batch: int, dtype: np.dtype) -> None:
        super().__init__(node, profile, batch, dtype)
        shape = node.v_leak.shape
        syn, mem = (
            discretize.leak(node.tau_syn, profile, dtype),
            discretize.leak(node.tau_mem, profile, dtype),
        )
        self.alpha = syn.beta
        self.syn_gain = discretize.synaptic_gain(syn.rate, node.w_in, profile, dtype)
        self.beta = mem.beta
        self.bias = discretize.leak_bias(mem.rate, node.v_leak, dtype)
        self.mem_gain = discretize.input_gain(mem.rate, node.r, profile, dtype)
        self.spiking = hasattr(node, "v_threshold")
        if self.spiking:
            self.logic = SpikeLogic(node.v_threshold, node.v_reset, profile, (batch, *shape), dtype)
        self.i = self.zeros(shape, batch)
        self.v = self.zeros(shape, batch)

    def step(self, x: np.ndarray) -> np.ndarray:
        order = self.profile.synapse_order
        if order == "syn_first":
            self.i = self.alpha * self.i + self.syn_gain * x
            drive = self.i
        elif order == "jump":
            drive = self.i + self.syn_gain * x
            self.i = self.alpha * drive
        else:  # jump_decay
            self.i = self.alpha * (self.i + self.syn_gain * x)
            drive = self.i
        if not self.spiking:
            self.v = self.beta * self.v + self.bias + self.mem_gain * drive
            self.states = {"i": self.i, "v": self.v}
            return self.v
        v_prev = self.logic.before_charge(self.v)
        h = self.beta * v_prev + self.bias + self.mem_gain * drive
        spikes, h, self.v = self.logic.fire(h, v_prev)
        self.states = {"i": self.i, "v_pre": h, "v": self.v}
        return spikes


class ThresholdStep(_Base):
    """``Threshold``: s = spikes(x) per ``compare`` / ``spike_mode`` (no state, no reset)."""

    def __init__(self, node: Any, profile: ExecutionProfile, batch: int, dtype: np.dtype) -> None:
        super().__init__(node, profile, batch, dtype)
        shape = node.threshold.shape
        self.logic = SpikeLogic(node.threshold, np.zeros(shape), profile, (batch, *shape), dtype)

    def step(self, x: np.ndarray) -> np.ndarray:
        return self.logic.count(x)


class DelayStep(_Base):
    """``Delay``: y[t] = x[t − k] with k = round(delay/dt) per element."""

    def __init__(self, node: Any, profile: ExecutionProfile, batch: int, dtype: np.dtype) -> None:
        super().__init__(node, profile, batch, dtype)
        self.k = discretize.delay_steps(node.delay, profile)
        self.length = int(self.k.max(initial=0)) + 1
        self.history = np.zeros((self.length, batch, *node.delay.shape), dtype=dtype)
        self.t = 0

    def step(self, x: np.ndarray) -> np.ndarray:
        slot = self.t % self.length
        self.history[slot] = x
        index = np.broadcast_to((slot - self.k) % self.length, x.shape)[None]
        self.t += 1
        return np.take_along_axis(self.history, index, axis=0)[0]
