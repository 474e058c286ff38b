"""Hard-reset LIF Process: a decay per neuron (a trained per-channel DA-LIF/LIF β), or a
reset to a value v_r ≠ 0 with the leak toward it.

Lava's built-in LIF holds one ``dv`` per population and resets to 0, so such a
hard-reset layer runs here. Float (``floating_pt``), in ``float_dtype``::

    H = (β·V + (a_in + b)) + b_v;   s = H ≥ θ;   V = v_r where s, else H

Fixed (``fixed_pt``, backends/lava/docs/fixed_point.md §3)::

    X = sat24((a_in << 6) + bias);  H = sat24(trunc0(V·(4096 − dv)/4096) + X + bias_v)
    s = H ≥ θ;   V = v_reset where s, else H

Parameters as :class:`~snncompile_lava.procs.soft_lif.SoftResetLIF`, plus ``v_reset``
and ``bias_v`` per neuron (float or integer by tag, as ``bias``; both 0 by default: the
reset to 0 of a layer with varying β). Absolute imports only: Lava re-executes this
file during discovery.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from snncompile_lava.procs import _base as base
from snncompile_lava.procs.soft_lif import LIFFixedModel, LIFFloatModel, SoftResetLIF

__all__ = ["HardResetLIF", "PyHardResetLIFModelFixed", "PyHardResetLIFModelFloat"]


class HardResetLIF(SoftResetLIF):
    """Hard-reset LIF population: one threshold, per-neuron bias, one decay or one per
    neuron (``beta`` float, ``dv`` fixed), V = v_reset (per neuron) after a spike and
    ``bias_v`` (per neuron) added after the charge."""

    FLOAT_PARAMS: ClassVar = {"beta": 0.0, "v_reset": 0, "bias_v": 0}
    FIXED_PARAMS: ClassVar = {"dv": 0, "v_reset": 0, "bias_v": 0}
    PER_NEURON_PARAMS: ClassVar = frozenset({"beta", "dv", "v_reset", "bias_v"})


@base.cpu_model(HardResetLIF, base.FLOAT)
class PyHardResetLIFModelFloat(LIFFloatModel):
    """Float hard-reset LIF: the soft-reset model's charge plus b_v, V = v_r after a spike."""

    v_reset = base.float_var()
    bias_v = base.float_var()

    def charged(self, h: np.ndarray) -> np.ndarray:
        return h + self.bias_v.astype(h.dtype)

    def reset(self, h: np.ndarray, s: np.ndarray, theta: np.floating) -> np.ndarray:
        return np.where(s > 0, self.v_reset.astype(h.dtype), h)


@base.cpu_model(HardResetLIF, base.FIXED)
class PyHardResetLIFModelFixed(LIFFixedModel):
    """Fixed-point hard-reset LIF: the soft-reset model's charge plus bias_v (one
    saturation), V = v_reset after a spike."""

    v_reset = base.fixed_var()
    bias_v = base.fixed_var()

    def charged(self, h: np.ndarray) -> np.ndarray:
        return h + self.bias_v.astype(np.int64)

    def reset(self, h: np.ndarray, s: np.ndarray, theta: int) -> np.ndarray:
        return np.where(s, self.v_reset.astype(np.int64), h)
