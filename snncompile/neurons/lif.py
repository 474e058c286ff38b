"""``LIF``: the leaky integrate-and-fire baseline (docs/neurons.md §2).

    H[t] = (1 − 1/τ)·V[t−1] + X[t];  s[t] = Θ(H[t] − θ);  V[t] = H[t] − θ·s[t]

Defaults follow the official ``BPTTNeuron`` as the CLIF ``train.py`` builds it: τ = 2,
θ = 1, soft reset, Rectangle(α=1) surrogate. ``reset="hard"`` resets to ``v_reset``
and leaks toward it (SpikingJelly's hard-reset charge).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import torch

from snncompile.ir.native_neurons import SoftLIF
from snncompile.neurons.base import BaseNeuron, check_number
from snncompile.neurons.functional.lif import LIFParams, LIFState, lif_initial_state, lif_step
from snncompile.neurons.ir_export import full, population


class LIF(BaseNeuron):
    """Leaky integrate-and-fire neuron with a fixed time constant ``tau`` (> 1)."""

    CONFIG_FIELDS = ("tau",)

    def __init__(self, tau: float = 2.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tau = check_number(
            "LIF", "tau", tau, low=1.0, allowed="tau > 1 (β = 1 − 1/τ in (0, 1))"
        )

    @property
    def beta(self) -> float:
        """Leak factor β = 1 − 1/τ."""
        return 1.0 - 1.0 / self.tau

    def initial_state(self, x: torch.Tensor) -> LIFState:
        return lif_initial_state(x)

    def step(self, x: torch.Tensor, state: LIFState) -> tuple[torch.Tensor, LIFState]:
        return lif_step(x, state, LIFParams(beta=self.beta, config=self.spike_config))

    def multistep(self, x: torch.Tensor, impl: ModuleType) -> torch.Tensor:
        return impl.linear_lif_multistep(x, 1.0, self.beta, self.spike_config)

    def to_ir(self, shape: tuple[int, ...]) -> SoftLIF:
        """``SoftLIF(β = 1 − 1/τ, θ, reset, v_reset)`` over the population ``shape``.

        Exact: the IR node's equations are this module's (hard reset leaks toward and
        resets to ``v_reset``). Raises TraceError for single-step modules.
        """
        pop = population(self, shape)
        hard = self.reset_mode == "hard"
        return SoftLIF(
            beta=full(pop, self.beta),
            v_threshold=full(pop, self.v_threshold),
            reset="hard" if hard else "soft",
            v_reset=full(pop, self.v_reset) if hard else None,
        )
