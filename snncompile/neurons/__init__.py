"""Spiking neuron modules: LIF and PLIF baselines, ILIF, CLIF and DA-LIF.

Every module takes time-major input ``[T, B, ...]`` (``step_mode="m"``) or one step
``[B, ...]`` (``step_mode="s"``) and returns spikes of the same shape and dtype.
"""

from __future__ import annotations

from torch import nn

from snncompile.neurons.base import BaseNeuron
from snncompile.neurons.clif import CLIF
from snncompile.neurons.dalif import DALIF
from snncompile.neurons.ilif import ILIF
from snncompile.neurons.layers import TimeDistributed
from snncompile.neurons.lif import LIF
from snncompile.neurons.plif import PLIF
from snncompile.neurons.surrogate import ATan, Rectangle, Sigmoid, Surrogate, make_surrogate

NEURON_TYPES: dict[str, type[BaseNeuron]] = {
    "LIF": LIF,
    "PLIF": PLIF,
    "ILIF": ILIF,
    "CLIF": CLIF,
    "DALIF": DALIF,
}


def reset(module: nn.Module) -> None:
    """Reset every neuron inside ``module`` (carried state and recordings)."""
    for m in module.modules():
        if isinstance(m, BaseNeuron):
            m.reset()


__all__ = [
    "CLIF",
    "DALIF",
    "ILIF",
    "LIF",
    "NEURON_TYPES",
    "PLIF",
    "ATan",
    "BaseNeuron",
    "Rectangle",
    "Sigmoid",
    "Surrogate",
    "TimeDistributed",
    "make_surrogate",
    "reset",
]
