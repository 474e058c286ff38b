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
from snncompile_lava.procs._arith import charge_input, leak, saturate
from snncompile_lava.procs.soft_lif import SoftResetLIF

__all__ = ["HardResetLIF", "PyHardResetLIFModelFixed", "PyHardResetLIFModelFloat"]


class HardResetLIF(SoftResetLIF):
    """Hard-reset LIF population: one threshold, per-neuron bias, one decay or one per
    neuron (``beta`` float, ``dv`` fixed), V = 0 after a spike."""


@base.cpu_model(HardResetLIF, base.FLOAT)
class PyHardResetLIFModelFloat(base.FloatNeuronModel):
    """Float hard-reset LIF, exactly H = β·V + (a_in + b) in ``float_dtype``."""

    beta = base.float_var()
    dv = base.fixed_var(13)  # fixed_pt only

    def update(self, a_in: np.ndarray) -> np.ndarray:
        (theta,) = self.scalars("theta")
        dt = self.dtype()
        h = self.beta.astype(dt) * self.v.astype(dt) + self.charge(a_in)
        s = h >= theta
        self.v[:] = np.where(s, dt.type(0), h)
        return s.astype(dt)


@base.cpu_model(HardResetLIF, base.FIXED)
class PyHardResetLIFModelFixed(base.FixedNeuronModel):
    """Fixed-point hard-reset LIF: 24-bit V, 12-bit decay per neuron, ``>=`` threshold."""

    dv = base.fixed_var(13)
    beta = base.float_var()  # floating_pt only

    def update(self, a_in: np.ndarray) -> np.ndarray:
        theta = int(self.theta[0])
        x = charge_input(a_in, self.bias)
        h = saturate(leak(self.v.astype(np.int64), self.dv.astype(np.int64)) + x)
        s = h >= theta
        self.v[:] = np.where(s, 0, h)
        return s
