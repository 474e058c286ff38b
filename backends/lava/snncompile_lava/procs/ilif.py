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

from typing import Any

import numpy as np

from snncompile_lava._compat import load_lava
from snncompile_lava.procs._arith import (
    charge_input,
    float_sigmoid,
    inactive,
    leak,
    mul_trunc12,
    reset_due,
    saturate,
    scale_fraction,
    table_sigmoid,
    to_table,
)

_L = load_lava()

__all__ = ["ILIF", "PyILIFModelFixed", "PyILIFModelFloat"]


class ILIF(_L.AbstractProcess):  # type: ignore[misc,name-defined]
    """ILIF population (states V, I, M, x_prev, s_prev).

    Args:
        shape: population shape (Lava order).
        beta, c, k_m: float leak factor, current inhibition (0.03) and membrane
            inhibition (1.0, gain and decay of M) (``floating_pt``).
        dv, unit, c12, km12, m_mult, m_shift: 12-bit decay, state units per 1.0, c and
            k_m as Q·.12 integers, and the M → table scale (``fixed_pt``).
        theta: threshold (float, or integer state units).
        bias: per-neuron bias (float, or integer state units).
        float_dtype: "float64" or "float32".
        start_step: first Lava time step at which the population updates; before it,
            it keeps its zero state and sends no spikes (delay alignment).
        reset_interval: if > 0, every state is zeroed at steps start_step + k·interval,
            before the update (per-sample reset of back-to-back samples).
        name: Lava process name.
    """

    def __init__(
        self,
        *,
        shape: tuple[int, ...],
        beta: float = 0.5,
        c: float = 0.03,
        k_m: float = 1.0,
        dv: int = 2048,
        unit: int = 1,
        c12: int = 123,
        km12: int = 4096,
        m_mult: int = 0,
        m_shift: int = 0,
        theta: float = 1.0,
        bias: Any = 0,
        float_dtype: str = "float64",
        start_step: int = 1,
        reset_interval: int = 0,
        name: str | None = None,
    ) -> None:
        super().__init__(
            shape=shape,
            float_dtype=float_dtype,
            start_step=start_step,
            reset_interval=reset_interval,
            name=name,
        )
        self.a_in = _L.InPort(shape=shape)
        self.s_out = _L.OutPort(shape=shape)
        for state in ("v", "i_inh", "m_inh", "x_prev", "s_prev"):
            setattr(self, state, _L.Var(shape=shape, init=0))
        self.bias = _L.Var(shape=shape, init=bias)
        self.theta = _L.Var(shape=(1,), init=theta)
        self.beta = _L.Var(shape=(1,), init=beta)
        self.c = _L.Var(shape=(1,), init=c)
        self.k_m = _L.Var(shape=(1,), init=k_m)
        self.dv = _L.Var(shape=(1,), init=dv)
        self.unit = _L.Var(shape=(1,), init=unit)
        self.c12 = _L.Var(shape=(1,), init=c12)
        self.km12 = _L.Var(shape=(1,), init=km12)
        self.m_mult = _L.Var(shape=(1,), init=m_mult)
        self.m_shift = _L.Var(shape=(1,), init=m_shift)


class _ILIFParamVars(_L.PyLoihiProcessModel):  # type: ignore[misc,name-defined]
    """Types of the parameter Vars of both tags (each model ignores the other tag's)."""

    beta = _L.LavaPyType(np.ndarray, float)
    c = _L.LavaPyType(np.ndarray, float)
    k_m = _L.LavaPyType(np.ndarray, float)
    dv = _L.LavaPyType(np.ndarray, np.int32, precision=13)
    unit = _L.LavaPyType(np.ndarray, np.int32, precision=24)
    c12 = _L.LavaPyType(np.ndarray, np.int32, precision=12)
    km12 = _L.LavaPyType(np.ndarray, np.int32, precision=16)
    m_mult = _L.LavaPyType(np.ndarray, np.int64, precision=31)
    m_shift = _L.LavaPyType(np.ndarray, np.int32, precision=6)


@_L.implements(proc=ILIF, protocol=_L.LoihiProtocol)
@_L.requires(_L.CPU)
@_L.tag("floating_pt")
class PyILIFModelFloat(_ILIFParamVars):
    """Float ILIF in ``float_dtype``."""

    a_in = _L.LavaPyType(_L.PyInPort.VEC_DENSE, float)
    s_out = _L.LavaPyType(_L.PyOutPort.VEC_DENSE, float)
    v = _L.LavaPyType(np.ndarray, float)
    i_inh = _L.LavaPyType(np.ndarray, float)
    m_inh = _L.LavaPyType(np.ndarray, float)
    x_prev = _L.LavaPyType(np.ndarray, float)
    s_prev = _L.LavaPyType(np.ndarray, float)
    bias = _L.LavaPyType(np.ndarray, float)
    theta = _L.LavaPyType(np.ndarray, float)

    def run_spk(self) -> None:
        a_in = self.a_in.recv()  # every step, or the channel stalls
        if inactive(self.time_step, self.proc_params):
            self.s_out.send(np.zeros(a_in.shape, dtype=np.float64))
            return
        if reset_due(self.time_step, self.proc_params):
            self.v[:] = 0
            self.i_inh[:] = 0
            self.m_inh[:] = 0
            self.x_prev[:] = 0
            self.s_prev[:] = 0
        dt = np.dtype(self.proc_params["float_dtype"])
        beta, c, k_m, theta = (p.astype(dt)[0] for p in (self.beta, self.c, self.k_m, self.theta))
        x = a_in.astype(dt) + self.bias.astype(dt)
        i = c * (self.i_inh.astype(dt) + self.x_prev.astype(dt) * self.s_prev.astype(dt))
        h = beta * self.v.astype(dt) + (x - np.maximum(i, dt.type(0)))
        s = (h >= theta).astype(dt)
        v_soft = h - s * theta
        m = k_m * (self.m_inh.astype(dt) + s * v_soft)
        self.v[:] = v_soft - s * float_sigmoid(m)
        self.i_inh[:], self.m_inh[:], self.x_prev[:], self.s_prev[:] = i, m, x, s
        self.s_out.send(s.astype(np.float64))


@_L.implements(proc=ILIF, protocol=_L.LoihiProtocol)
@_L.requires(_L.CPU)
@_L.tag("fixed_pt")
class PyILIFModelFixed(_ILIFParamVars):
    """Fixed-point ILIF: 24-bit V, I, M and x_prev; table sigmoid(M)."""

    a_in = _L.LavaPyType(_L.PyInPort.VEC_DENSE, np.int32, precision=24)
    s_out = _L.LavaPyType(_L.PyOutPort.VEC_DENSE, np.int32, precision=24)
    v = _L.LavaPyType(np.ndarray, np.int32, precision=24)
    i_inh = _L.LavaPyType(np.ndarray, np.int32, precision=24)
    m_inh = _L.LavaPyType(np.ndarray, np.int32, precision=24)
    x_prev = _L.LavaPyType(np.ndarray, np.int32, precision=24)
    s_prev = _L.LavaPyType(np.ndarray, np.int32, precision=1)
    bias = _L.LavaPyType(np.ndarray, np.int32, precision=24)
    theta = _L.LavaPyType(np.ndarray, np.int32, precision=24)

    def run_spk(self) -> None:
        a_in = self.a_in.recv()  # every step, or the channel stalls
        if inactive(self.time_step, self.proc_params):
            self.s_out.send(np.zeros(a_in.shape, dtype=np.int32))
            return
        if reset_due(self.time_step, self.proc_params):
            self.v[:] = 0
            self.i_inh[:] = 0
            self.m_inh[:] = 0
            self.x_prev[:] = 0
            self.s_prev[:] = 0
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
        self.s_out.send(s.astype(np.int32))
