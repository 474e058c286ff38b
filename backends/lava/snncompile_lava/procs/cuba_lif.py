"""Current-based LIF Process with a current bias and a refractory counter.

Lava's built-in LIF adds its bias to the voltage and has no refractory period; an NIR
``CubaLIF`` whose synapse bias charges the current (Norse ``LIFCell``, SpikingJelly
``CUBALIFNode``) or that holds after a spike (snnTorch's reset delay, read as
``refractory=1``), or that subtracts the threshold on the step after a spike (snnTorch's
subtract reset, ``next_subtract`` n > 0), runs here. Float (``floating_pt``), in
``float_dtype``::

    u = α·u + (a_in + b)
    H = (β·V + b_v) + u − n·q   where k = 0;   H = V   where k > 0 (refractory: hold)
    s = (H ≥ θ) ∧ (k = 0);   V = H·(1 − s) (to 0), or V = H when n > 0
    k = refractory where s, else max(k − 1, 0)

with q = [V ≥ θ] the previous step's spike when n > 0 (V keeps H then, and there is no
refractory period). Fixed (``fixed_pt``, backends/lava/docs/fixed_point.md §7)::

    u = sat24(trunc0(u·(4096 − du)/4096) + sat24((a_in << 6) + bias))
    H = sat24(trunc0(V·(4096 − dv)/4096) + u + bias_v − n·q)   where k = 0;  H = V where k > 0
    s, V, k as in float

The current integrates in refractory steps too (the reference's CubaLIF updates i every
step). Parameters: ``alpha``, ``beta`` (float), ``du``, ``dv`` (12-bit decays, fixed;
``beta``/``dv`` one or one per neuron), ``bias_v`` (per neuron, float or integer by tag
as ``bias``), ``refractory`` (steps, both tags) and ``next_subtract`` (float or integer
by tag as ``theta``; 0: reset to 0). Absolute imports only: Lava re-executes this file
during discovery.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from snncompile_lava.procs import _base as base
from snncompile_lava.procs._arith import charge_input, leak, saturate

__all__ = ["CubaLIF", "PyCubaLIFModelFixed", "PyCubaLIFModelFloat"]


class CubaLIF(base.NeuronProcess):
    """Current-based LIF population: current u with decay and bias, potential V with
    decay and bias, refractory counter k, reset to 0 or a next-step subtraction (module
    docstring)."""

    STATES: ClassVar = {"u": 0, "v": 0, "k": 0}
    FLOAT_PARAMS: ClassVar = {
        "alpha": 0.0,
        "beta": 0.0,
        "bias_v": 0,
        "refractory": 0,
        "next_subtract": 0,
    }
    FIXED_PARAMS: ClassVar = {
        "du": 4096,
        "dv": 0,
        "bias_v": 0,
        "refractory": 0,
        "next_subtract": 0,
    }
    PER_NEURON_PARAMS: ClassVar = frozenset({"beta", "dv", "bias_v"})


@base.cpu_model(CubaLIF, base.FLOAT)
class PyCubaLIFModelFloat(base.FloatNeuronModel):
    """Float current-based LIF in ``float_dtype`` (the reference's operation order)."""

    u = base.float_var()
    k = base.float_var()
    alpha = base.float_var()
    beta = base.float_var()
    bias_v = base.float_var()
    refractory = base.float_var()
    next_subtract = base.float_var()
    du = base.fixed_var(13)  # fixed_pt only
    dv = base.fixed_var(13)  # fixed_pt only

    def update(self, a_in: np.ndarray) -> np.ndarray:
        theta, alpha, n = self.scalars("theta", "alpha", "next_subtract")
        dt = self.dtype()
        u = alpha * self.u.astype(dt) + self.charge(a_in)
        free = self.k == 0
        v = self.v.astype(dt)
        charged = self.beta.astype(dt) * v + self.bias_v.astype(dt) + u
        if n:  # the reference's order: the charge, then minus n·s[t−1]
            charged = charged - n * (v >= theta).astype(dt)
        h = np.where(free, charged, v)
        s = (h >= theta) & free
        self.u[:] = u
        self.v[:] = h if n else np.where(s, dt.type(0), h)
        self.k[:] = np.where(s, self.refractory[0], np.maximum(self.k - 1, 0))
        return s.astype(dt)


@base.cpu_model(CubaLIF, base.FIXED)
class PyCubaLIFModelFixed(base.FixedNeuronModel):
    """Fixed-point current-based LIF: 24-bit u and V, 12-bit decays, 8-bit counter."""

    u = base.fixed_var()
    k = base.fixed_var(8)
    du = base.fixed_var(13)
    dv = base.fixed_var(13)
    bias_v = base.fixed_var()
    refractory = base.fixed_var(8)
    next_subtract = base.fixed_var()
    alpha = base.float_var()  # floating_pt only
    beta = base.float_var()  # floating_pt only

    def update(self, a_in: np.ndarray) -> np.ndarray:
        theta, n = int(self.theta[0]), int(self.next_subtract[0])
        u = saturate(leak(self.u.astype(np.int64), int(self.du[0])) + charge_input(a_in, self.bias))
        v = self.v.astype(np.int64)
        pending = n * (v >= theta) if n else 0  # V kept H: V ≥ θ is the last step's spike
        charged = leak(v, self.dv.astype(np.int64)) + u + self.bias_v.astype(np.int64)
        free = self.k == 0
        h = np.where(free, saturate(charged - pending), v)
        s = (h >= theta) & free
        self.u[:] = u
        self.v[:] = h if n else np.where(s, 0, h)
        self.k[:] = np.where(s, int(self.refractory[0]), np.maximum(self.k - 1, 0))
        return s
