"""Multi-spike soft-reset LIF/IF Process (sinabs): sends its spike count as a graded payload.

Float (``floating_pt``), in ``float_dtype`` (float64 or float32), the reference's
operations (``snncompile.reference.spiking.SpikeLogic``)::

    H = β·V + (a_in + b);   n = clip(floor(H/θ), 0, D);   V = H − θ·n
    floor = 1:  V = max(V − f, 0) + f   with f = −θ

Fixed (``fixed_pt``, backends/lava/docs/fixed_point.md §8)::

    X = sat24((a_in << 6) + bias);  H = sat24(trunc0(V·(4096 − dv)/4096) + X)
    n = min(⌊H/θ⌋, D) where H ≥ θ, else 0;   V = H − θ·n;   floor = 1:  V = max(V, −θ)

The count n (0, 1, 2, …) is sent on ``s_out``, so every connection reading this
population must be graded (``num_message_bits`` > 0; the network builder sets it from
the source's neuron type). ``max_spikes`` D caps the count, 0 for no cap (fixed point:
n ≤ (2²³ − 1)/θ anyway). Absolute imports only: Lava re-executes this file during
discovery.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from snncompile_lava.procs import _base as base
from snncompile_lava.procs._arith import STATE_LIMIT, charge_input, leak, saturate

__all__ = ["MultiSpikeLIF", "PyMultiSpikeLIFModelFixed", "PyMultiSpikeLIFModelFloat"]


class MultiSpikeLIF(base.NeuronProcess):
    """Multi-spike soft-reset LIF population: one threshold, per-neuron bias, one decay or
    one per neuron.

    States (initial value by keyword): ``v``. Parameters: ``beta`` (float leak factor,
    ``floating_pt``), ``dv`` (12-bit decay, 0 … 4096, ``fixed_pt``), ``max_spikes`` (the
    count's cap D, 0 for none) and ``floor`` (1: V is floored at −θ, sinabs'
    ``min_v_mem = -threshold``), both tags. Other keywords:
    :class:`~snncompile_lava.procs._base.NeuronProcess`.
    """

    STATES: ClassVar = {"v": 0}
    FLOAT_PARAMS: ClassVar = {"beta": 0.0, "max_spikes": 0, "floor": 0}
    FIXED_PARAMS: ClassVar = {"dv": 0, "max_spikes": 0, "floor": 0}
    PER_NEURON_PARAMS: ClassVar = frozenset({"beta", "dv"})


@base.cpu_model(MultiSpikeLIF, base.FLOAT)
class PyMultiSpikeLIFModelFloat(base.FloatNeuronModel):
    """Float multi-spike LIF in ``float_dtype``: the count n is the sent payload."""

    beta = base.float_var()
    max_spikes = base.float_var()
    floor = base.float_var()
    dv = base.fixed_var(13)  # fixed_pt only

    def update(self, a_in: np.ndarray) -> np.ndarray:
        theta, cap = self.scalars("theta", "max_spikes")
        dt = self.dtype()
        cap = dt.type(np.inf) if cap == 0 else cap
        h = self.beta.astype(dt) * self.v.astype(dt) + self.charge(a_in)
        n = np.clip(np.floor(h / theta), 0, cap).astype(dt)
        v = h - theta * n
        if self.floor[0]:
            f = -theta
            v = np.maximum(v - f, 0).astype(dt) + f
        self.v[:] = v  # float32 values are exact in the float64 Var
        return n


@base.cpu_model(MultiSpikeLIF, base.FIXED)
class PyMultiSpikeLIFModelFixed(base.FixedNeuronModel):
    """Fixed-point multi-spike LIF: 24-bit V, 12-bit decay, the count n as payload."""

    dv = base.fixed_var(13)
    max_spikes = base.fixed_var()
    floor = base.fixed_var(1)
    beta = base.float_var()  # floating_pt only

    def update(self, a_in: np.ndarray) -> np.ndarray:
        theta, cap = int(self.theta[0]), int(self.max_spikes[0]) or STATE_LIMIT
        x = charge_input(a_in, self.bias)
        h = saturate(leak(self.v.astype(np.int64), self.dv.astype(np.int64)) + x)
        n = np.where(h >= theta, np.minimum(h // theta, cap), 0)
        v = h - theta * n
        if int(self.floor[0]):
            v = np.maximum(v, -theta)
        self.v[:] = v
        return n
