"""The numpy reference simulator of the IR (torch-free): the executable semantics.

Every backend is tested against :func:`simulate`.
"""

from __future__ import annotations

from snncompile.reference.simulator import STEPPERS, Observer, simulate, stepper_types

__all__ = ["STEPPERS", "Observer", "simulate", "stepper_types"]
