"""LIF step (docs/neurons.md §2), generalised with an input gain α for PLIF and DA-LIF.

Per step, with β the leak factor (1 − 1/τ for LIF) and L the leak target
(``v_reset`` for a hard reset, else 0):

    H[t] = β·V[t−1] + (1 − β)·L + α·X[t]
    s[t] = Θ(H[t] − θ)                     (Θ(x) = 1 if x ≥ 0)
    V[t] = H[t] − θ·s[t]                   (soft reset)
    V[t] = H[t] − s[t]·(H[t] − v_reset)    (hard reset)

α and β are Python floats or tensors (0-dim, or broadcastable per channel) and may
require grad (PLIF's β = 1 − sigmoid(w), DA-LIF's α = tanh(a), β = tanh(b)).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from snncompile.neurons.functional.common import SpikeConfig, fire, reset

Scalar = float | torch.Tensor


@dataclass(frozen=True)
class LIFParams:
    """β (leak factor), α (input gain) and the spike settings."""

    beta: Scalar
    alpha: Scalar = 1.0
    config: SpikeConfig = field(default_factory=SpikeConfig)


@dataclass(frozen=True)
class LIFState:
    """V[t] (post-reset) and H[t] (pre-fire, recorded only; not read by the next step)."""

    v: torch.Tensor
    h: torch.Tensor


def lif_initial_state(x: torch.Tensor) -> LIFState:
    """All-zero state shaped like one time step of ``x``."""
    zero = torch.zeros_like(x)
    return LIFState(v=zero, h=zero)


def lif_step(x: torch.Tensor, state: LIFState, params: LIFParams) -> tuple[torch.Tensor, LIFState]:
    """Advance one step; returns (spikes, new state). Pure and autograd-aware."""
    cfg = params.config
    h = params.beta * state.v + params.alpha * x
    if cfg.leak_target != 0.0:
        h = h + (1 - params.beta) * cfg.leak_target
    s = fire(h, cfg)
    return s, LIFState(v=reset(h, s, cfg), h=h)
