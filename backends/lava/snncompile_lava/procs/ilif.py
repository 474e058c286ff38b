"""ILIF Process (inhibitory LIF, docs/neurons.md §5), soft reset only.

Float (``floating_pt``), in ``float_dtype``; X = a_in + b::

    I  = c·(I + x_prev·s_prev)
    H  = β·V + (X − max(I, 0))
    s  = H ≥ θ;   V′ = H − θ·s
    M  = k_m·(M + s·V′)
    V  = V′ − s·sigmoid(M);   x_prev = X, s_prev = s

c and k_m multiply their whole brackets, where the official code has its literals 0.03
and 1 (so k_m ≠ 1 also decays M), as snncompile's IR and reference simulator do.

Fixed (``fixed_pt``, backends/lava/docs/fixed_point.md §5), c and k_m as Q·.12::

    I  = sat24(trunc0(c12·(I + x_prev·s_prev)/4096))
    H  = sat24(trunc0(V·(4096 − dv)/4096) + X − max(I, 0))
    s  = H ≥ θ;   V′ = H − θ·s
    M  = sat24(trunc0(km12·(M + s·V′)/4096))
    V  = sat24(V′ − s·((LUT((M·m_mult) >> m_shift)·unit) >> 12))
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from snncompile_lava.procs import _base as base
from snncompile_lava.procs._arith import (
    charge_input,
    float_sigmoid,
    leak,
    mul_trunc12,
    saturate,
    scale_fraction,
    table_sigmoid,
    to_table,
)

__all__ = ["ILIF", "PyILIFModelFixed", "PyILIFModelFloat"]


class ILIF(base.NeuronProcess):
    """ILIF population (states V, I, M, x_prev, s_prev).

    Parameters: ``beta``, ``c``, ``k_m``: float leak factor, current inhibition (0.03)
    and membrane inhibition (1.0, gain and decay of M) (``floating_pt``); ``dv``,
    ``unit``, ``c12``, ``km12``, ``m_mult``, ``m_shift``: 12-bit decay, state units per
    1.0, c and k_m as Q·.12 integers, and the M → table scale (``fixed_pt``). Other
    keywords: :class:`~snncompile_lava.procs._base.NeuronProcess`.
    """

    STATES: ClassVar = dict.fromkeys(("v", "i_inh", "m_inh", "x_prev", "s_prev"), 0)
    FLOAT_PARAMS: ClassVar = {"beta": 0.5, "c": 0.03, "k_m": 1.0}
    FIXED_PARAMS: ClassVar = {
        "dv": 2048,
        "unit": 1,
        "c12": 123,
        "km12": 4096,
        "m_mult": 0,
        "m_shift": 0,
    }


class _ILIFParamVars:
    """Types of the parameter Vars of both tags (each model ignores the other tag's)."""

    beta = base.float_var()
    c = base.float_var()
    k_m = base.float_var()
    dv = base.fixed_var(13)
    unit = base.fixed_var(24)
    c12 = base.fixed_var(12)
    km12 = base.fixed_var(16)
    m_mult = base.fixed_var(31, np.int64)
    m_shift = base.fixed_var(6)


@base.cpu_model(ILIF, base.FLOAT)
class PyILIFModelFloat(_ILIFParamVars, base.FloatNeuronModel):
    """Float ILIF in ``float_dtype``."""

    i_inh = base.float_var()
    m_inh = base.float_var()
    x_prev = base.float_var()
    s_prev = base.float_var()

    def update(self, a_in: np.ndarray) -> np.ndarray:
        dt = self.dtype()
        beta, c, k_m, theta = self.scalars("beta", "c", "k_m", "theta")
        x = self.charge(a_in)
        i = c * (self.i_inh.astype(dt) + self.x_prev.astype(dt) * self.s_prev.astype(dt))
        h = beta * self.v.astype(dt) + (x - np.maximum(i, dt.type(0)))
        s = (h >= theta).astype(dt)
        v_soft = h - s * theta
        m = k_m * (self.m_inh.astype(dt) + s * v_soft)
        self.v[:] = v_soft - s * float_sigmoid(m)
        self.i_inh[:], self.m_inh[:], self.x_prev[:], self.s_prev[:] = i, m, x, s
        return s


@base.cpu_model(ILIF, base.FIXED)
class PyILIFModelFixed(_ILIFParamVars, base.FixedNeuronModel):
    """Fixed-point ILIF: 24-bit V, I, M and x_prev; table sigmoid(M)."""

    i_inh = base.fixed_var()
    m_inh = base.fixed_var()
    x_prev = base.fixed_var()
    s_prev = base.fixed_var(1)

    def update(self, a_in: np.ndarray) -> np.ndarray:
        theta, unit = int(self.theta[0]), int(self.unit[0])
        x = charge_input(a_in, self.bias)
        carried = self.i_inh.astype(np.int64) + self.x_prev.astype(np.int64) * self.s_prev
        i = saturate(mul_trunc12(carried, int(self.c12[0])))
        h = saturate(leak(self.v.astype(np.int64), int(self.dv[0])) + x - np.maximum(i, 0))
        s = (h >= theta).astype(np.int64)
        v_soft = h - theta * s
        m = saturate(mul_trunc12(self.m_inh.astype(np.int64) + s * v_soft, int(self.km12[0])))
        sig_m = table_sigmoid(to_table(m, int(self.m_mult[0]), int(self.m_shift[0])))
        self.v[:] = saturate(v_soft - s * scale_fraction(sig_m, unit))
        self.i_inh[:], self.m_inh[:], self.x_prev[:], self.s_prev[:] = i, m, x, s
        return s
