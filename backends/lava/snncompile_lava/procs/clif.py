"""CLIF Process (Complementary LIF, docs/neurons.md §4).

Float (``floating_pt``), in ``float_dtype``::

    H  = β·V + (a_in + b)
    m′ = m·sigmoid(H/τ)
    s  = H ≥ θ
    m  = m′ + s
    V  = (H − θ·s) − s·sigmoid(m)

Fixed (``fixed_pt``, backends/lava/docs/fixed_point.md §4), m unsigned Q11.12::

    H  = sat24(trunc0(V·(4096 − dv)/4096) + X)
    m′ = (m · LUT((H·h_mult) >> h_shift)) >> 12
    s  = H ≥ θ
    m  = min(m′ + (s << 12), 2²³ − 1)
    V  = sat24(H − s·(θ + ((LUT(m >> 4)·unit) >> 12)))
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from snncompile_lava.procs import _base as base
from snncompile_lava.procs._arith import (
    Q8_FROM_Q12,
    STATE_LIMIT,
    UNITY_SHIFT,
    charge_input,
    float_sigmoid,
    leak,
    saturate,
    scale_fraction,
    table_sigmoid,
    to_table,
)

__all__ = ["CLIF", "PyCLIFModelFixed", "PyCLIFModelFloat"]


class CLIF(base.NeuronProcess):
    """CLIF population (states V and m).

    Parameters: ``beta``, ``tau``: float leak factor β = 1 − 1/τ and τ of sigmoid(H/τ)
    (``floating_pt``); ``dv``, ``unit``, ``h_mult``, ``h_shift``: 12-bit decay, state
    units per 1.0, and the H → table scale (``fixed_pt``). Other keywords:
    :class:`~snncompile_lava.procs._base.NeuronProcess`.
    """

    STATES: ClassVar = {"v": 0, "m": 0}
    FLOAT_PARAMS: ClassVar = {"beta": 0.5, "tau": 2.0}
    FIXED_PARAMS: ClassVar = {"dv": 2048, "unit": 1, "h_mult": 0, "h_shift": 0}


class _CLIFParamVars:
    """Types of the parameter Vars of both tags (each model ignores the other tag's)."""

    dv = base.fixed_var(13)
    unit = base.fixed_var(24)
    h_mult = base.fixed_var(31, np.int64)
    h_shift = base.fixed_var(6)
    beta = base.float_var()
    tau = base.float_var()


@base.cpu_model(CLIF, base.FLOAT)
class PyCLIFModelFloat(_CLIFParamVars, base.FloatNeuronModel):
    """Float CLIF in ``float_dtype``."""

    m = base.float_var()

    def update(self, a_in: np.ndarray) -> np.ndarray:
        dt = self.dtype()
        beta, tau, theta = self.scalars("beta", "tau", "theta")
        h = beta * self.v.astype(dt) + self.charge(a_in)
        m = self.m.astype(dt) * float_sigmoid(h / tau)
        s = (h >= theta).astype(dt)
        m = m + s
        self.m[:] = m
        self.v[:] = (h - s * theta) - s * float_sigmoid(m)
        return s


@base.cpu_model(CLIF, base.FIXED)
class PyCLIFModelFixed(_CLIFParamVars, base.FixedNeuronModel):
    """Fixed-point CLIF: 24-bit V, Q11.12 m, table sigmoids."""

    m = base.fixed_var()

    def update(self, a_in: np.ndarray) -> np.ndarray:
        theta, unit = int(self.theta[0]), int(self.unit[0])
        x = charge_input(a_in, self.bias)
        h = saturate(leak(self.v.astype(np.int64), int(self.dv[0])) + x)
        sig_h = table_sigmoid(to_table(h, int(self.h_mult[0]), int(self.h_shift[0])))
        m = np.right_shift(self.m.astype(np.int64) * sig_h, UNITY_SHIFT)
        s = (h >= theta).astype(np.int64)
        m = np.minimum(m + np.left_shift(s, UNITY_SHIFT), STATE_LIMIT)
        extra = scale_fraction(table_sigmoid(np.right_shift(m, Q8_FROM_Q12)), unit)
        self.m[:] = m
        self.v[:] = saturate(h - s * (theta + extra))
        return s
