"""``CLIF``: the complementary LIF (docs/neurons.md §4), ``ComplementaryLIFNeuron`` semantics.

    H[t] = (1 − 1/τ)·V[t−1] + X[t];   m′ = m[t−1]·sigmoid(H[t]/τ)
    s[t] = Θ(H[t] − θ);   m[t] = m′ + s[t];   V[t] = H[t] − θ·s[t] − s[t]·sigmoid(m[t])

No learnable parameter. Defaults: τ = 2, θ = 1, soft reset, Rectangle(α=1).
``reset="hard"`` follows the official ``v_reset`` branch (charge toward v_reset,
reset to it, then − s·sigmoid(m)).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any, ClassVar

import torch

from snncompile.errors import TraceError
from snncompile.ir.native_neurons import CLIF as CLIFNode
from snncompile.neurons.base import BaseNeuron, check_number
from snncompile.neurons.functional.clif import (
    CLIFParams,
    CLIFState,
    clif_initial_state,
    clif_step,
)
from snncompile.neurons.ir_export import full, population


class CLIF(BaseNeuron):
    """Complementary LIF with a fixed time constant ``tau`` (> 1)."""

    CONFIG_FIELDS = ("tau",)

    recorded_states: ClassVar[tuple[str, ...]] = ("h", "v", "m")

    def __init__(self, tau: float = 2.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tau = check_number("CLIF", "tau", tau, low=1.0, allowed="tau > 1")

    def initial_state(self, x: torch.Tensor) -> CLIFState:
        return clif_initial_state(x)

    def step(self, x: torch.Tensor, state: CLIFState) -> tuple[torch.Tensor, CLIFState]:
        return clif_step(x, state, CLIFParams(tau=self.tau, config=self.spike_config))

    def multistep(self, x: torch.Tensor, impl: ModuleType) -> torch.Tensor:
        return impl.clif_multistep(x, self.tau, self.spike_config)

    def to_ir(self, shape: tuple[int, ...]) -> CLIFNode:
        """``CLIF(τ, θ)`` over the population ``shape`` (soft reset, exact).

        Raises:
            TraceError: ``reset="hard"`` (the official ``v_reset`` branch has no IR node),
                or a single-step module.
        """
        pop = population(self, shape)
        if self.reset_mode != "soft":
            raise TraceError(
                f"CLIF(reset={self.reset_mode!r}, v_reset={self.v_reset}) has no IR form: "
                "the IR CLIF node is the soft-reset ComplementaryLIFNeuron",
                hint="train with reset='soft' (the default); NIR export writes the "
                "soft-reset model approximately, as a soft-reset LIF with the same tau and "
                "theta (snncompile.ir.lowering.APPROXIMATION)",
            )
        return CLIFNode(tau=full(pop, self.tau), v_threshold=full(pop, self.v_threshold))
