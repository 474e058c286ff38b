"""ILIF step: the official ``InhibitoryLIFNeuron`` (inhibitory LIF, docs/neurons.md §5).

Per step, with β = 1 − 1/τ, θ the threshold, c the current inhibition (0.03 in the
official code) and k the membrane inhibition (1 in the official code):

    I[t]  = c·(I[t−1] + x_prev·s_prev)             current inhibition (x_prev = X[t−1])
    H[t]  = β·V[t−1] + (X[t] − max(I[t], 0))       charge
    s[t]  = Θ(H[t] − θ)                            (Θ(x) = 1 if x ≥ 0)
    V′[t] = H[t] − θ·s[t]                          soft reset
    M[t]  = k·(M[t−1] + s[t]·V′[t])                membrane inhibition
    V[t]  = V′[t] − s[t]·sigmoid(M[t])             inhibitory reset
    x_prev ← X[t],  s_prev ← s[t]

c and k sit exactly where the official code has its literals
(``0.03*(self.inhibition + ...)`` and ``1*(self.inhibitory_memory + spike*self.v)``):
each multiplies its whole bracket, so k also decays M (M never decays for k = 1), and
the extra reset is sigmoid(M) itself, without a gain. For k = 1 the multiply is
skipped (it is exact), so the official model is reproduced bit for bit.

Nothing is detached: the gradient reaches X[t−1] through I and s through both reset
terms. The clamp is torch's ``clamp(min=0)``, whose gradient is 1 at exactly I = 0
(the first steps). With ``detach_reset`` the s of the two reset terms (θ·s and
s·sigmoid(M)) is detached, as for every model (docs/neurons.md §7); the s in M and in I keeps its
gradient. ILIF is soft-reset only. Every state starts at 0.

Name clash: SpikingJelly's ``ILIFNode`` is the *Integer* LIF; this is the inhibitory
one. The arithmetic order follows the official code (``x - clamp(I, min=0)`` before
the charge), so the float32 states equal the golden file's bit for bit; gradients
differ in the last bits only because SpikingJelly's Sigmoid surrogate multiplies its
factors in another order than :class:`~snncompile.neurons.surrogate.Sigmoid`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from snncompile.errors import ConfigError
from snncompile.neurons.functional.common import SpikeConfig, fire, reset


def check_ilif_config(config: SpikeConfig) -> None:
    """Raise :class:`ConfigError` (a ValueError) unless ``config`` uses the soft reset."""
    if config.reset != "soft":
        raise ConfigError(
            f"ILIF supports only the soft reset, got reset={config.reset!r}",
            hint='use reset="soft" (the official InhibitoryLIFNeuron subtracts θ)',
        )


@dataclass(frozen=True)
class ILIFParams:
    """τ, the spike settings (soft reset only) and the two inhibition strengths.

    Attributes:
        tau: membrane time constant (Python float > 1); β = 1 − 1/τ.
        config: threshold, surrogate and reset settings; ``reset`` must be "soft".
        current_inhibition: c, gain and decay of I: I[t] = c·(I[t−1] + x_prev·s_prev).
        membrane_inhibition: k, gain and decay of M: M[t] = k·(M[t−1] + s[t]·V′[t]).
    """

    tau: float
    config: SpikeConfig = field(default_factory=SpikeConfig)
    current_inhibition: float = 0.03
    membrane_inhibition: float = 1.0

    def __post_init__(self) -> None:
        check_ilif_config(self.config)

    @property
    def beta(self) -> float:
        """Leak factor β = 1 − 1/τ, computed as the official code does."""
        return 1 - 1.0 / self.tau


@dataclass(frozen=True)
class ILIFState:
    """State after a step.

    Attributes:
        v: V[t], after both reset terms.
        i: I[t], the current inhibition before the clamp.
        m: M[t], the membrane inhibition.
        x_prev: X[t], read by the next step's current inhibition.
        s_prev: s[t], read by the next step's current inhibition.
        h: H[t], pre-fire potential (recorded only; not read by the next step).
    """

    v: torch.Tensor
    i: torch.Tensor
    m: torch.Tensor
    x_prev: torch.Tensor
    s_prev: torch.Tensor
    h: torch.Tensor


def ilif_initial_state(x: torch.Tensor) -> ILIFState:
    """All-zero state shaped like one time step of ``x``."""
    zero = torch.zeros_like(x)
    return ILIFState(v=zero, i=zero, m=zero, x_prev=zero, s_prev=zero, h=zero)


def ilif_step(
    x: torch.Tensor, state: ILIFState, params: ILIFParams
) -> tuple[torch.Tensor, ILIFState]:
    """Advance one step; returns (spikes, new state). Pure and autograd-aware."""
    cfg = params.config
    i = params.current_inhibition * (state.i + state.x_prev * state.s_prev)
    h = state.v * params.beta + (x - torch.clamp(i, min=0))
    s = fire(h, cfg)
    v_soft = reset(h, s, cfg)  # V′ = H − θ·s (s detached here if detach_reset)
    m = state.m + s * v_soft
    if params.membrane_inhibition != 1.0:  # skip the ×1 of the official code (exact)
        m = m * params.membrane_inhibition
    s_reset = s.detach() if cfg.detach_reset else s
    v = v_soft - s_reset * torch.sigmoid(m)
    return s, ILIFState(v=v, i=i, m=m, x_prev=x, s_prev=s, h=h)
