"""Pieces shared by every neuron's step function: the spike config and firing.

Conventions (docs/neurons.md §1): fire on H − θ ≥ 0 (inclusive), soft reset
subtracts θ, hard reset sets V to ``v_reset``; the spike in the reset term is not
detached unless ``detach_reset``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import torch

from snncompile.neurons.surrogate import Rectangle, Surrogate

ResetMode = Literal["soft", "hard"]


@dataclass(frozen=True)
class SpikeConfig:
    """Threshold, reset and surrogate settings common to every model.

    Attributes:
        v_threshold: θ; a spike is emitted when H ≥ θ.
        surrogate: backward of the Heaviside.
        reset: ``"soft"`` (V = H − θ·s) or ``"hard"`` (V = H·(1 − s) + v_reset·s).
        v_reset: reset value (hard reset only); the hard-reset charge also leaks
            toward it: H = β·V + (1 − β)·v_reset + X (SpikingJelly's convention).
        detach_reset: treat s in the reset term as a constant in the backward.
        smooth: emit graded spikes ``surrogate.primitive(H − θ)`` instead of the
            Heaviside, so that the backward is the exact derivative of the forward.
            For gradient checks only.
    """

    v_threshold: float = 1.0
    surrogate: Surrogate = field(default_factory=Rectangle)
    reset: ResetMode = "soft"
    v_reset: float = 0.0
    detach_reset: bool = False
    smooth: bool = False

    @property
    def leak_target(self) -> float:
        """Value the charge leaks toward: v_reset for a hard reset, else 0."""
        return self.v_reset if self.reset == "hard" else 0.0


def spike_value(x: torch.Tensor, cfg: SpikeConfig) -> torch.Tensor:
    """Forward value of the spike at x = H − θ, without autograd (Θ(x) or primitive)."""
    if cfg.smooth:
        return cfg.surrogate.primitive(x)
    return (x >= 0).to(x.dtype)


class _SpikeFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, cfg: SpikeConfig) -> torch.Tensor:  # type: ignore[override]
        ctx.save_for_backward(x)
        ctx.cfg = cfg
        return spike_value(x, cfg)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:  # type: ignore[override]
        (x,) = ctx.saved_tensors
        return grad * ctx.cfg.surrogate.derivative(x), None


def fire(h: torch.Tensor, cfg: SpikeConfig) -> torch.Tensor:
    """s = Θ(h − θ) with the surrogate gradient (autograd-aware)."""
    return _SpikeFunction.apply(h - cfg.v_threshold, cfg)


def reset(h: torch.Tensor, s: torch.Tensor, cfg: SpikeConfig) -> torch.Tensor:
    """Post-reset potential: V = H − θ·s (soft) or V = H − s·(H − v_reset) (hard).

    The hard reset is written arithmetically (not with ``where``) so that a NaN or
    Inf in H propagates into V instead of being reset away.
    """
    sr = s.detach() if cfg.detach_reset else s
    if cfg.reset == "soft":
        return h - cfg.v_threshold * sr
    return h - sr * (h - cfg.v_reset)
