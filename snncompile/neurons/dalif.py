"""``DALIF``: dual adaptive LIF, the project's specification (docs/neurons.md §6).

    α = tanh(a), β = tanh(b);  V′[t] = β·V[t−1] + α·X[t];  s[t] = Θ(V′[t] − θ)
    V[t] = V′[t] − θ·s[t] (soft, default)  or  V′[t]·(1 − s[t]) (hard, to 0)

Raw parameters a = b = 1.0 at init (α = β = tanh 1 ≈ 0.7616), one scalar pair per
layer by default or one per channel with ``channels=C`` (channel axis 1 of each step,
i.e. axis 2 of the [T, B, C, ...] input). Rectangle(α=1) surrogate. Training may
reach α ≤ 0 or β ∉ [0, 1); export rejects those (docs/neurons.md §6).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import torch
from torch import nn

from snncompile.errors import ConfigError, InputError, TraceError
from snncompile.ir.native_neurons import DALIF as DALIFNode
from snncompile.neurons.base import BaseNeuron, check_number
from snncompile.neurons.functional.dalif import dalif_params, dalif_step
from snncompile.neurons.functional.lif import LIFState, lif_initial_state
from snncompile.neurons.ir_export import full, numpy_of, population


class DALIF(BaseNeuron):
    """Dual adaptive LIF with learnt input gain α = tanh(a) and leak β = tanh(b)."""

    CONFIG_FIELDS = ("channels", "a_init", "b_init")

    def __init__(
        self,
        channels: int | None = None,
        a_init: float = 1.0,
        b_init: float = 1.0,
        **kwargs: Any,
    ) -> None:
        if kwargs.get("reset") == "hard" and kwargs.get("v_reset", 0.0) != 0.0:
            raise ConfigError(
                f"DALIF: v_reset={kwargs['v_reset']} is not allowed; DA-LIF's hard reset is to 0",
                hint="drop v_reset (docs/neurons.md §6 fixes the hard reset at 0)",
            )
        super().__init__(**kwargs)
        if channels is not None and (
            isinstance(channels, bool) or not isinstance(channels, int) or channels < 1
        ):
            raise ConfigError(
                f"DALIF: channels={channels!r} must be a positive int or None",
                hint="None gives one (a, b) pair per layer; C gives one per channel",
            )
        self.channels = channels
        a0 = check_number("DALIF", "a_init", a_init, allowed="finite numbers")
        b0 = check_number("DALIF", "b_init", b_init, allowed="finite numbers")
        shape = () if channels is None else (channels,)
        self.a = nn.Parameter(torch.full(shape, a0))
        self.b = nn.Parameter(torch.full(shape, b0))
        self.a_init, self.b_init = a0, b0

    @property
    def alpha(self) -> torch.Tensor:
        """Input gain α = tanh(a) (detached)."""
        return torch.tanh(self.a.detach())

    @property
    def beta(self) -> torch.Tensor:
        """Leak β = tanh(b) (detached)."""
        return torch.tanh(self.b.detach())

    def _raw(self, x_step: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """a and b shaped to broadcast over one step [B, C, ...]."""
        a, b = self.a.to(x_step.dtype), self.b.to(x_step.dtype)
        if self.channels is not None:
            view = (self.channels,) + (1,) * (x_step.dim() - 2)
            a, b = a.view(view), b.view(view)
        return a, b

    def _check_features(self, x_step: torch.Tensor) -> None:
        if self.channels is not None and (x_step.dim() < 2 or x_step.shape[1] != self.channels):
            raise InputError(
                f"DALIF(channels={self.channels}): each step has shape {tuple(x_step.shape)}, "
                f"expected [B, {self.channels}, ...]",
                hint="set channels to the size of the channel axis, or channels=None",
            )

    def initial_state(self, x: torch.Tensor) -> LIFState:
        return lif_initial_state(x)

    def step(self, x: torch.Tensor, state: LIFState) -> tuple[torch.Tensor, LIFState]:
        a, b = self._raw(x)
        return dalif_step(x, state, a, b, self.spike_config)

    def multistep(self, x: torch.Tensor, impl: ModuleType) -> torch.Tensor:
        a, b = self._raw(x[0])
        p = dalif_params(a, b, self.spike_config)
        return impl.linear_lif_multistep(x, p.alpha, p.beta, self.spike_config)

    def to_ir(self, shape: tuple[int, ...]) -> DALIFNode:
        """``DALIF(α = tanh a, β = tanh b, θ, reset)`` over the population ``shape``.

        α and β are computed by torch in the parameters' dtype (as the forward pass does)
        and keep their granularity: shape ``(1,)`` per layer, ``(C,)`` per channel (C =
        ``shape[0]``). The export range α > 0, 0 <= β < 1 is checked at lowering, not here.

        Raises:
            TraceError: ``channels`` differs from ``shape[0]``, or a single-step module.
        """
        pop = population(self, shape)
        if self.channels is not None and pop[0] != self.channels:
            raise TraceError(
                f"DALIF(channels={self.channels}) receives a population of shape {list(pop)}, "
                f"whose channel axis has {pop[0]} entries",
                hint="set channels to the size of the channel axis (axis 2 of [T, B, C, ...])",
            )
        alpha, beta = numpy_of(self.alpha).reshape(-1), numpy_of(self.beta).reshape(-1)
        return DALIFNode(
            alpha=alpha,
            beta=beta,
            v_threshold=full(pop, self.v_threshold),
            reset="hard" if self.reset_mode == "hard" else "soft",
        )
