"""Hard-reset LIF Process with a decay per neuron (a trained per-channel DA-LIF/LIF β).

Lava's built-in LIF holds one ``dv`` per population, so a hard-reset layer whose β
varies runs here. Float (``floating_pt``), in ``float_dtype``::

    H = β·V + (a_in + b);   s = H ≥ θ;   V = H·(1 − s)   (to 0)

Fixed (``fixed_pt``, backends/lava/docs/fixed_point.md §3)::

    X = sat24((a_in << 6) + bias);  H = sat24(trunc0(V·(4096 − dv)/4096) + X)
    s = H ≥ θ;   V = H·(1 − s)

Parameters as :class:`~snncompile_lava.procs.soft_lif.SoftResetLIF`. Absolute imports
only: Lava re-executes this file during discovery.
"""

from __future__ import annotations

import numpy as np

from snncompile_lava.procs import _base as base
from snncompile_lava.procs.soft_lif import LIFFixedModel, LIFFloatModel, SoftResetLIF

__all__ = ["HardResetLIF", "PyHardResetLIFModelFixed", "PyHardResetLIFModelFloat"]


class HardResetLIF(SoftResetLIF):
    """Hard-reset LIF population: one threshold, per-neuron bias, one decay or one per
    neuron (``beta`` float, ``dv`` fixed), V = 0 after a spike."""


@base.cpu_model(HardResetLIF, base.FLOAT)
class PyHardResetLIFModelFloat(LIFFloatModel):
    """Float hard-reset LIF: the soft-reset model's charge, V = 0 after a spike."""

    def reset(self, h: np.ndarray, s: np.ndarray, theta: np.floating) -> np.ndarray:
        return np.where(s > 0, h.dtype.type(0), h)


@base.cpu_model(HardResetLIF, base.FIXED)
class PyHardResetLIFModelFixed(LIFFixedModel):
    """Fixed-point hard-reset LIF: the soft-reset model's charge, V = 0 after a spike."""

    def reset(self, h: np.ndarray, s: np.ndarray, theta: int) -> np.ndarray:
        return np.where(s, 0, h)
