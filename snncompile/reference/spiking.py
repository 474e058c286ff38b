"""Threshold, reset and refractory logic of the NIR primitive neurons (profile-driven).

Per step, for a neuron with threshold θ, reset value v_r and charged potential H:

- refractory: a neuron with a running counter neither integrates (H = V[t−1]) nor fires;
  the counter is set to ``refractory`` after each spike and decremented per step;
- ``spike_mode="binary"``: s = [H > θ] or [H >= θ] (``compare``);
  ``"multi"``: n = clip(floor(H/θ), 0, max_spikes) (inclusive at H = θ);
- ``reset_timing="same_step"``: V = v_r where n > 0 (``to_value``), V = H − θ·n
  (``subtract``) or V = H (``none``);
- ``reset_timing="next_step"``: V = H; at the next step ``to_value`` replaces V[t−1] by
  v_r before the charge and ``subtract`` removes θ·n[t−1] after it (snnTorch).

- ``membrane_floor="-threshold"``: then V = max(V + θ, 0) − θ (sinabs' ``min_v_mem``).

Ties: with ``>`` a potential exactly at θ does not fire, with ``>=`` it does.
"""

from __future__ import annotations

import numpy as np

from snncompile.ir.profile import ExecutionProfile


class SpikeLogic:
    """Spike generation and reset for one population (batch-major state arrays)."""

    def __init__(
        self,
        theta: np.ndarray,
        v_reset: np.ndarray,
        profile: ExecutionProfile,
        state_shape: tuple[int, ...],
        dtype: np.dtype,
    ) -> None:
        self.theta = np.asarray(theta, dtype=dtype)
        self.v_reset = np.asarray(v_reset, dtype=dtype)
        self.profile = profile
        self.pending = np.zeros(state_shape, dtype=dtype)  # n[t−1] (next_step timing)
        self.counter = np.zeros(state_shape, dtype=np.int64)

    def before_charge(self, v: np.ndarray) -> np.ndarray:
        """V[t−1] with a pending next-step reset to v_reset applied."""
        if self.profile.reset_timing == "next_step" and self.profile.reset == "to_value":
            return np.where(self.pending > 0, self.v_reset, v)
        return v

    def fire(self, h: np.ndarray, v_prev: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(spikes, H, V) from the charged potential ``h`` (``v_prev`` for refractory holds)."""
        p = self.profile
        if p.reset_timing == "next_step" and p.reset == "subtract":
            h = h - self.theta * self.pending
        frozen = self.counter > 0 if p.refractory else None
        if frozen is not None:
            h = np.where(frozen, v_prev, h)
        spikes = self.count(h)
        if frozen is not None:
            spikes = np.where(frozen, 0, spikes).astype(h.dtype)
            self.counter = np.where(
                spikes > 0, p.refractory, np.maximum(self.counter - 1, 0)
            ).astype(np.int64)
        if p.reset_timing == "next_step":
            self.pending = spikes
            return spikes, h, self.floor(h)
        return spikes, h, self.floor(self.reset(h, spikes))

    def floor(self, v: np.ndarray) -> np.ndarray:
        """V floored at f = −θ as max(V − f, 0) + f (``membrane_floor="-threshold"``)."""
        if self.profile.membrane_floor == "none":
            return v
        f = -self.theta
        return np.maximum(v - f, 0).astype(v.dtype) + f

    def count(self, h: np.ndarray) -> np.ndarray:
        """Spike count per neuron (0/1 for binary spikes)."""
        p = self.profile
        if p.spike_mode == "multi":
            n = np.floor(h / self.theta)
            upper = np.inf if p.max_spikes is None else p.max_spikes
            return np.clip(n, 0, upper).astype(h.dtype)
        fired = h >= self.theta if p.compare == ">=" else h > self.theta
        return fired.astype(h.dtype)

    def reset(self, h: np.ndarray, spikes: np.ndarray) -> np.ndarray:
        """The post-reset potential for a same-step reset."""
        mode = self.profile.reset
        if mode == "to_value":
            return np.where(spikes > 0, self.v_reset, h)
        if mode == "subtract":
            return h - self.theta * spikes
        return h
