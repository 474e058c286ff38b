"""CLIF step: the official ``ComplementaryLIFNeuron`` (docs/neurons.md §4).

Per step, with β = 1 − 1/τ, θ the threshold and m the complementary potential:

    H[t]  = β·V[t−1] + X[t]                       (hard reset: + v_reset/τ)
    m′    = m[t−1]·sigmoid(H[t]/τ)                 forming, on the pre-fire H
    s[t]  = Θ(H[t] − θ)                            (Θ(x) = 1 if x ≥ 0)
    m[t]  = m′ + s[t]                              strengthen
    V[t]  = H[t] − θ·s[t] − s[t]·sigmoid(m[t])     (soft reset, the default)
    V[t]  = H[t] − s[t]·(H[t] − v_reset) − s[t]·sigmoid(m[t])   (hard reset)

Everything stays in the autograd graph: the gradient flows through sigmoid(H/τ),
through m, and through s in both reset terms. With ``detach_reset`` the s that
multiplies the two reset terms is detached (docs/neurons.md §7: the official class ignores
the flag; snncompile honours it); the s inside m[t] = m′ + s is not a reset term and
keeps its gradient. Every state starts at 0 (V[−1] = m[−1] = 0), also for the hard
reset (the convention of docs/neurons.md §1; SpikingJelly would start V at v_reset).

The arithmetic order follows the official code (``v * (1 - 1/tau) + x``, ``v / tau``,
``v - spike * v_threshold``, then ``v - spike * sigmoid(m)``), so the float32 states
and gradients equal the golden file's bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from snncompile.neurons.functional.common import SpikeConfig, fire, reset


@dataclass(frozen=True)
class CLIFParams:
    """τ (a Python float > 1; CLIF has no learnable parameter) and the spike settings."""

    tau: float
    config: SpikeConfig = field(default_factory=SpikeConfig)

    @property
    def beta(self) -> float:
        """Leak factor β = 1 − 1/τ, computed as the official code does."""
        return 1 - 1.0 / self.tau


@dataclass(frozen=True)
class CLIFState:
    """V[t] (post-reset), m[t] (after strengthen) and H[t] (pre-fire, recorded only)."""

    v: torch.Tensor
    m: torch.Tensor
    h: torch.Tensor


def clif_initial_state(x: torch.Tensor) -> CLIFState:
    """All-zero state shaped like one time step of ``x``."""
    zero = torch.zeros_like(x)
    return CLIFState(v=zero, m=zero, h=zero)


def clif_charge(v: torch.Tensor, x: torch.Tensor, params: CLIFParams) -> torch.Tensor:
    """H = β·V + X, plus v_reset/τ for a non-zero hard reset (official ``_charging_v``)."""
    cfg = params.config
    h = v * params.beta
    if cfg.reset != "soft" and cfg.v_reset != 0.0:
        h = h + cfg.v_reset / params.tau
    return h + x


def clif_step(
    x: torch.Tensor, state: CLIFState, params: CLIFParams
) -> tuple[torch.Tensor, CLIFState]:
    """Advance one step; returns (spikes, new state). Pure and autograd-aware."""
    cfg = params.config
    h = clif_charge(state.v, x, params)
    m = state.m * torch.sigmoid(h / params.tau)
    s = fire(h, cfg)
    m = m + s
    # reset() detaches s itself when asked; the extra term must use the same s.
    s_reset = s.detach() if cfg.detach_reset else s
    v = reset(h, s, cfg) - s_reset * torch.sigmoid(m)
    return s, CLIFState(v=v, m=m, h=h)
