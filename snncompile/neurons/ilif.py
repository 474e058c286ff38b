"""``ILIF``: the inhibitory LIF (docs/neurons.md §5), ``InhibitoryLIFNeuron`` semantics.

    I[t] = c·(I[t−1] + X[t−1]·s[t−1]);   H[t] = (1 − 1/τ)·V[t−1] + X[t] − max(I[t], 0)
    s[t] = Θ(H[t] − θ);   V′[t] = H[t] − θ·s[t];   M[t] = k·(M[t−1] + s[t]·V′[t])
    V[t] = V′[t] − s[t]·sigmoid(M[t])

c = ``current_inhibition`` (0.03), k = ``membrane_inhibition`` (1.0): each stands where
the official code has its literal and multiplies the whole bracket, so k < 1 also
decays M. Soft reset only. Class defaults τ = 2 and Rectangle(α=1); the official ILIF
``train.py`` uses τ = 1.1 and Sigmoid(α=4) (see docs/neurons.md). With the official
k = 1, M never decays within a sample, so streaming use needs a reset per sample.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any, ClassVar

import torch

from snncompile.ir.native_neurons import ILIF as ILIFNode
from snncompile.neurons.base import BaseNeuron, check_number
from snncompile.neurons.functional.ilif import (
    ILIFParams,
    ILIFState,
    ilif_initial_state,
    ilif_step,
)
from snncompile.neurons.ir_export import full, population


class ILIF(BaseNeuron):
    """Inhibitory LIF with current and membrane inhibition units."""

    CONFIG_FIELDS = ("tau", "current_inhibition", "membrane_inhibition")

    recorded_states: ClassVar[tuple[str, ...]] = ("h", "v", "i", "m")
    reset_modes: ClassVar[tuple[str, ...]] = ("soft",)

    def __init__(
        self,
        tau: float = 2.0,
        current_inhibition: float = 0.03,
        membrane_inhibition: float = 1.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.tau = check_number("ILIF", "tau", tau, low=1.0, allowed="tau > 1")
        self.current_inhibition = check_number(
            "ILIF",
            "current_inhibition",
            current_inhibition,
            low=0.0,
            low_inclusive=True,
            allowed="finite numbers >= 0",
        )
        self.membrane_inhibition = check_number(
            "ILIF",
            "membrane_inhibition",
            membrane_inhibition,
            low=0.0,
            low_inclusive=True,
            allowed="finite numbers >= 0",
        )

    @property
    def params(self) -> ILIFParams:
        # CONFIG_FIELDS are ILIFParams' own fields: tau and the two inhibitions
        return ILIFParams(config=self.spike_config, **self.own_config())

    def initial_state(self, x: torch.Tensor) -> ILIFState:
        return ilif_initial_state(x)

    def step(self, x: torch.Tensor, state: ILIFState) -> tuple[torch.Tensor, ILIFState]:
        return ilif_step(x, state, self.params)

    def multistep(self, x: torch.Tensor, impl: ModuleType) -> torch.Tensor:
        return impl.ilif_multistep(
            x, self.tau, self.spike_config, self.current_inhibition, self.membrane_inhibition
        )

    def to_ir(self, shape: tuple[int, ...]) -> ILIFNode:
        """``ILIF(τ, θ, current_inhibition, membrane_inhibition)`` over the population
        ``shape`` (exact; ILIF is soft-reset only). Raises TraceError for single-step
        modules."""
        pop = population(self, shape)
        return ILIFNode(
            tau=full(pop, self.tau),
            v_threshold=full(pop, self.v_threshold),
            current_inhibition=self.current_inhibition,
            membrane_inhibition=self.membrane_inhibition,
        )
