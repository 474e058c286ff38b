"""The numpy reference simulator of the IR (torch-free): the executable semantics.

Every backend is tested against :func:`simulate`. The names below load the simulator on
first use, so that ``snncompile.reference.progress`` (imported by every CLI command) stays
light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = [
    "FED",
    "STEPPERS",
    "Observer",
    "back_edge_start",
    "neuron_stepper",
    "simulate",
    "stepper_types",
]

if TYPE_CHECKING:
    from snncompile.reference.simulator import (
        FED,
        STEPPERS,
        Observer,
        back_edge_start,
        neuron_stepper,
        simulate,
        stepper_types,
    )


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("snncompile.reference.simulator"), name)
    raise AttributeError(f"module 'snncompile.reference' has no attribute {name!r}")
