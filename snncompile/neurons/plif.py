"""``PLIF``: parametric LIF with a learnt leak (docs/neurons.md §3).

One learnable 0-dim parameter ``w`` per module: 1/τ = sigmoid(w), so β = 1 − sigmoid(w)
stays in (0, 1). ``tau`` is the initial time constant: w = −ln(τ − 1) (0 for τ = 2).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import torch
from torch import nn

from snncompile.ir.native_neurons import PLIF as PLIFNode
from snncompile.ir.native_neurons import SoftLIF
from snncompile.neurons.base import BaseNeuron, check_number
from snncompile.neurons.functional.lif import LIFState, lif_initial_state
from snncompile.neurons.functional.plif import plif_params, plif_step, plif_w_from_tau
from snncompile.neurons.ir_export import full, numpy_of, population


class PLIF(BaseNeuron):
    """LIF whose leak 1/τ = sigmoid(w) is learnt; ``tau`` (> 1) sets the initial value."""

    def __init__(self, tau: float = 2.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.init_tau = check_number("PLIF", "tau", tau, low=1.0, allowed="tau > 1")
        self.w = nn.Parameter(torch.tensor(plif_w_from_tau(self.init_tau)))

    @property
    def tau(self) -> float:
        """Current time constant 1 / sigmoid(w)."""
        return float(1.0 / torch.sigmoid(self.w.detach()))

    def initial_state(self, x: torch.Tensor) -> LIFState:
        return lif_initial_state(x)

    def step(self, x: torch.Tensor, state: LIFState) -> tuple[torch.Tensor, LIFState]:
        return plif_step(x, state, self.w.to(x.dtype), self.spike_config)

    def multistep(self, x: torch.Tensor, impl: ModuleType) -> torch.Tensor:
        beta = plif_params(self.w.to(x.dtype), self.spike_config).beta
        return impl.linear_lif_multistep(x, 1.0, beta, self.spike_config)

    def get_config(self) -> dict[str, Any]:
        return {"tau": self.init_tau, **self.base_config()}

    def to_ir(self, shape: tuple[int, ...]) -> PLIFNode | SoftLIF:
        """The IR node over the population ``shape`` (``w`` and β in ``w``'s dtype).

        Soft reset: ``PLIF(w, θ)`` with the trained raw ``w`` repeated. Hard reset (no
        native PLIF form): ``SoftLIF(β = 1 − sigmoid(w), θ, "hard", v_reset)``, with β
        computed by torch in ``w``'s dtype exactly as the forward pass computes it, so
        the two use the same β. Raises TraceError for single-step modules.
        """
        pop = population(self, shape)
        w = self.w.detach()
        dtype = numpy_of(w).dtype
        if self.reset_mode == "soft":
            return PLIFNode(
                w=full(pop, numpy_of(w), dtype), v_threshold=full(pop, self.v_threshold)
            )
        beta = numpy_of(plif_params(w, self.spike_config).beta)
        return SoftLIF(
            beta=full(pop, beta, dtype),
            v_threshold=full(pop, self.v_threshold),
            reset="hard",
            v_reset=full(pop, self.v_reset),
        )
