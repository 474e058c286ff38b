"""Steppers of the native neurons, exactly the equations in their node docstrings.

All fire on H >= θ (inclusive; a potential exactly at θ fires), reset in the same step
and start from zero state. Recorded states: ``v_pre`` (H, before the threshold test),
``v`` (V, after every reset term) and the model's extra states (``m`` for CLIF;
``inhibition`` I before the clamp and ``inhibitory_memory`` M for ILIF).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from snncompile.ir.native_neurons import sigmoid
from snncompile.ir.profile import ExecutionProfile


def _param(value: Any, dtype: np.dtype) -> np.ndarray:
    return np.asarray(value, dtype=dtype)


def _beta_from_tau(tau: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """1 − 1/τ computed in float64 and rounded once (as the official float32 code does)."""
    return (1.0 - 1.0 / np.asarray(tau, dtype=np.float64)).astype(dtype)


class _Native:
    def __init__(self, node: Any, profile: ExecutionProfile, batch: int, dtype: np.dtype) -> None:
        self.dtype = dtype
        self.theta = _param(node.v_threshold, dtype)
        self.v = np.zeros((batch, *node.v_threshold.shape), dtype=dtype)
        self.states: dict[str, np.ndarray] = {}

    def _fire(self, h: np.ndarray) -> np.ndarray:
        return (h >= self.theta).astype(self.dtype)


class SoftLIFStep(_Native):
    """Soft: H = β·V + X, V = H − θ·s. Hard: H = β·V + (1 − β)·v_r + X, V = H·(1 − s) + v_r·s."""

    def __init__(self, node: Any, profile: ExecutionProfile, batch: int, dtype: np.dtype) -> None:
        super().__init__(node, profile, batch, dtype)
        self.beta = self._beta(node, dtype)
        self.hard = getattr(node, "reset", "soft") == "hard"
        if self.hard:
            v_reset = node.v_reset_or_zero.astype(np.float64)
            self.v_reset = _param(v_reset, dtype)
            self.leak_bias = ((1.0 - self.beta.astype(np.float64)) * v_reset).astype(dtype)

    @staticmethod
    def _beta(node: Any, dtype: np.dtype) -> np.ndarray:
        return _param(node.beta, dtype)

    def step(self, x: np.ndarray) -> np.ndarray:
        h = self.beta * self.v + x
        if self.hard:
            h = h + self.leak_bias
        s = self._fire(h)
        self.v = h * (1 - s) + self.v_reset * s if self.hard else h - self.theta * s
        self.states = {"v_pre": h, "v": self.v}
        return s


class PLIFStep(SoftLIFStep):
    """H = (1 − sigmoid(w))·V + X, soft reset."""

    @staticmethod
    def _beta(node: Any, dtype: np.dtype) -> np.ndarray:
        return (1.0 - sigmoid(_param(node.w, dtype))).astype(dtype)


class DALIFStep(_Native):
    """V' = β·V + α·X; s = [V' >= θ]; soft V = V' − θ·s, hard V = V'·(1 − s)."""

    def __init__(self, node: Any, profile: ExecutionProfile, batch: int, dtype: np.dtype) -> None:
        super().__init__(node, profile, batch, dtype)
        pop = node.v_threshold.shape
        self.alpha = _param(_per_neuron(node.alpha, pop), dtype)
        self.beta = _param(_per_neuron(node.beta, pop), dtype)
        self.hard = node.reset == "hard"

    def step(self, x: np.ndarray) -> np.ndarray:
        h = self.beta * self.v + self.alpha * x
        s = self._fire(h)
        self.v = h * (1 - s) if self.hard else h - self.theta * s
        self.states = {"v_pre": h, "v": self.v}
        return s


class CLIFStep(_Native):
    """H = (1 − 1/τ)·V + X; m = m·sigmoid(H/τ) + s; V = H − θ·s − s·sigmoid(m)."""

    def __init__(self, node: Any, profile: ExecutionProfile, batch: int, dtype: np.dtype) -> None:
        super().__init__(node, profile, batch, dtype)
        self.tau = _param(node.tau, dtype)
        self.beta = _beta_from_tau(node.tau, dtype)
        self.m = np.zeros_like(self.v)

    def step(self, x: np.ndarray) -> np.ndarray:
        h = self.v * self.beta + x
        forming = self.m * sigmoid(h / self.tau)
        s = self._fire(h)
        self.m = forming + s
        self.v = h - self.theta * s - s * sigmoid(self.m)
        self.states = {"v_pre": h, "v": self.v, "m": self.m}
        return s


class ILIFStep(_Native):
    """I = k_c·(I + x_prev·s_prev); H = (1 − 1/τ)·V + X − max(I, 0); V' = H − θ·s;
    M = k_m·(M + s·V'); V = V' − s·sigmoid(M).

    k_m multiplies the whole bracket (the official code's literal 1); the multiply is
    skipped for k_m = 1, which is exact."""

    def __init__(self, node: Any, profile: ExecutionProfile, batch: int, dtype: np.dtype) -> None:
        super().__init__(node, profile, batch, dtype)
        self.beta = _beta_from_tau(node.tau, dtype)
        self.k_c = dtype.type(node.current_inhibition)
        self.k_m = dtype.type(node.membrane_inhibition)
        self.inhibition = np.zeros_like(self.v)
        self.memory = np.zeros_like(self.v)
        self.x_prev = np.zeros_like(self.v)
        self.s_prev = np.zeros_like(self.v)

    def step(self, x: np.ndarray) -> np.ndarray:
        self.inhibition = self.k_c * (self.inhibition + self.x_prev * self.s_prev)
        h = self.v * self.beta + x - np.maximum(self.inhibition, 0)
        s = self._fire(h)
        v_soft = h - self.theta * s
        self.memory = self.memory + s * v_soft
        if self.k_m != 1:
            self.memory = self.k_m * self.memory
        self.v = v_soft - s * sigmoid(self.memory)
        self.x_prev, self.s_prev = x, s
        self.states = {
            "v_pre": h,
            "v": self.v,
            "inhibition": self.inhibition,
            "inhibitory_memory": self.memory,
        }
        return s


def _per_neuron(value: np.ndarray, pop: tuple[int, ...]) -> np.ndarray:
    """A per-neuron, per-channel (C,) or per-layer (1,) array broadcast to ``pop``."""
    value = np.asarray(value)
    if value.shape != pop and value.shape != (1,):
        value = value.reshape((value.shape[0],) + (1,) * (len(pop) - 1))
    return np.broadcast_to(value, pop)
