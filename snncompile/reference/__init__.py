"""The numpy reference simulator of the IR (torch-free): the executable semantics.

Every backend is tested against :func:`simulate`.
"""

from __future__ import annotations

from snncompile.reference.simulator import (
    FED,
    STEPPERS,
    Observer,
    back_edge_start,
    neuron_stepper,
    simulate,
    stepper_types,
)

__all__ = [
    "FED",
    "STEPPERS",
    "Observer",
    "back_edge_start",
    "neuron_stepper",
    "simulate",
    "stepper_types",
]
