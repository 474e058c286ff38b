"""DA-LIF step: the project's specification (docs/neurons.md §6).

    α = tanh(a),  β = tanh(b)        (raw a = b = 1.0 at init)
    V′[t] = β·V[t−1] + α·X[t]
    s[t]  = Θ(V′[t] − θ)
    V[t]  = V′[t] − θ·s[t]           (soft, default)
    V[t]  = V′[t]·(1 − s[t])         (hard: reset to 0)

a and b are 0-dim (per layer) or broadcastable per channel. V′ is the H of
:func:`~snncompile.neurons.functional.lif.lif_step`, which this delegates to.
"""

from __future__ import annotations

import torch

from snncompile.neurons.functional.common import SpikeConfig
from snncompile.neurons.functional.lif import LIFParams, LIFState, lif_step


def dalif_params(a: torch.Tensor, b: torch.Tensor, config: SpikeConfig) -> LIFParams:
    """LIF parameters α = tanh(a), β = tanh(b) (hard reset goes to 0)."""
    if config.reset == "hard" and config.v_reset != 0.0:
        raise ValueError("DA-LIF's hard reset is to 0")  # internal: the module validates
    return LIFParams(beta=torch.tanh(b), alpha=torch.tanh(a), config=config)


def dalif_step(
    x: torch.Tensor, state: LIFState, a: torch.Tensor, b: torch.Tensor, config: SpikeConfig
) -> tuple[torch.Tensor, LIFState]:
    """Advance one step; returns (spikes, new state)."""
    return lif_step(x, state, dalif_params(a, b, config))
