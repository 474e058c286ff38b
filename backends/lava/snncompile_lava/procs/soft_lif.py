"""Soft-reset LIF Process: LIF, PLIF and soft-reset DA-LIF (α folded into the weights).

Float (``floating_pt``), in ``float_dtype`` (float64 or float32)::

    H = β·V + (a_in + b);   s = H ≥ θ;   V = H − θ·s

Fixed (``fixed_pt``, backends/lava/docs/fixed_point.md §3)::

    X = sat24((a_in << 6) + bias);  H = sat24(trunc0(V·(4096 − dv)/4096) + X)
    s = H ≥ θ;   V = H − θ·s

The Process carries both parameter sets; each ProcessModel reads its own (``beta`` for
float, ``dv`` for fixed) while ``theta`` and ``bias`` are float or integer by tag, as
Lava's ``vth``. Absolute imports only: Lava re-executes this file during discovery.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from snncompile_lava.procs import _base as base
from snncompile_lava.procs._arith import charge_input, leak, saturate

__all__ = ["PySoftResetLIFModelFixed", "PySoftResetLIFModelFloat", "SoftResetLIF"]


class SoftResetLIF(base.NeuronProcess):
    """Soft-reset LIF population with one threshold, per-neuron bias, and one decay or
    one per neuron (a trained per-channel DA-LIF β).

    States (initial value by keyword): ``v``. Parameters: ``beta`` (float leak factor
    β, ``floating_pt``) and ``dv`` (12-bit decay, factor (4096 − dv)/4096, 0 … 4096,
    ``fixed_pt``), each a scalar or an array of the population's shape. Other keywords:
    :class:`~snncompile_lava.procs._base.NeuronProcess`.
    """

    STATES: ClassVar = {"v": 0}
    FLOAT_PARAMS: ClassVar = {"beta": 0.0}
    FIXED_PARAMS: ClassVar = {"dv": 0}
    PER_NEURON_PARAMS: ClassVar = frozenset({"beta", "dv"})


class LIFFloatModel(base.FloatNeuronModel):
    """Float LIF, exactly H = β·V + (a_in + b) in ``float_dtype``, then :meth:`reset`
    (undecorated: Lava lets a decorated ProcessModel implement one Process)."""

    beta = base.float_var()
    dv = base.fixed_var(13)  # fixed_pt only

    def update(self, a_in: np.ndarray) -> np.ndarray:
        (theta,) = self.scalars("theta")
        dt = self.dtype()
        beta = self.beta.astype(dt)  # shape (1,) or the population's: broadcasts either way
        h = self.charged(beta * self.v.astype(dt) + self.charge(a_in))
        s = (h >= theta).astype(dt)
        self.v[:] = self.reset(h, s, theta)  # float32 values are exact in the float64 Var
        return s

    def charged(self, h: np.ndarray) -> np.ndarray:
        """H after the charge β·V + (a_in + b): unchanged (HardResetLIF adds b_v)."""
        return h

    def reset(self, h: np.ndarray, s: np.ndarray, theta: np.floating) -> np.ndarray:
        """V after the spikes s: the soft reset H − θ·s (HardResetLIF overrides it)."""
        return h - s * theta


@base.cpu_model(SoftResetLIF, base.FLOAT)
class PySoftResetLIFModelFloat(LIFFloatModel):
    """Float soft-reset LIF: V = H − θ·s."""


class LIFFixedModel(base.FixedNeuronModel):
    """Fixed-point LIF: 24-bit V, 12-bit decay (one or per neuron), ``>=`` threshold,
    then :meth:`reset`."""

    dv = base.fixed_var(13)
    beta = base.float_var()  # floating_pt only

    def update(self, a_in: np.ndarray) -> np.ndarray:
        theta = int(self.theta[0])
        x = charge_input(a_in, self.bias)
        h = saturate(self.charged(leak(self.v.astype(np.int64), self.dv.astype(np.int64)) + x))
        s = h >= theta
        self.v[:] = self.reset(h, s, theta)
        return s

    def charged(self, h: np.ndarray) -> np.ndarray:
        """decay(V) + X before the saturation: unchanged (HardResetLIF adds bias_v)."""
        return h

    def reset(self, h: np.ndarray, s: np.ndarray, theta: int) -> np.ndarray:
        """V after the spikes s: the soft reset H − θ·s (HardResetLIF overrides it)."""
        return h - theta * s


@base.cpu_model(SoftResetLIF, base.FIXED)
class PySoftResetLIFModelFixed(LIFFixedModel):
    """Fixed-point soft-reset LIF: V = H − θ·s."""
