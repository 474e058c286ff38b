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

from typing import Any

import numpy as np

from snncompile_lava._compat import load_lava
from snncompile_lava.procs._arith import (
    Q8_FROM_Q12,
    STATE_LIMIT,
    UNITY_SHIFT,
    charge_input,
    float_sigmoid,
    inactive,
    leak,
    reset_due,
    saturate,
    scale_fraction,
    table_sigmoid,
    to_table,
)

_L = load_lava()

__all__ = ["CLIF", "PyCLIFModelFixed", "PyCLIFModelFloat"]


class CLIF(_L.AbstractProcess):  # type: ignore[misc,name-defined]
    """CLIF population (states V and m).

    Args:
        shape: population shape (Lava order).
        beta, tau: float leak factor β = 1 − 1/τ and τ of sigmoid(H/τ) (``floating_pt``).
        dv, unit, h_mult, h_shift: 12-bit decay, state units per 1.0, and the H → table
            scale (``fixed_pt``).
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
        tau: float = 2.0,
        dv: int = 2048,
        unit: int = 1,
        h_mult: int = 0,
        h_shift: int = 0,
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
        self.v = _L.Var(shape=shape, init=0)
        self.m = _L.Var(shape=shape, init=0)
        self.bias = _L.Var(shape=shape, init=bias)
        self.theta = _L.Var(shape=(1,), init=theta)
        self.beta = _L.Var(shape=(1,), init=beta)
        self.tau = _L.Var(shape=(1,), init=tau)
        self.dv = _L.Var(shape=(1,), init=dv)
        self.unit = _L.Var(shape=(1,), init=unit)
        self.h_mult = _L.Var(shape=(1,), init=h_mult)
        self.h_shift = _L.Var(shape=(1,), init=h_shift)


class _CLIFParamVars(_L.PyLoihiProcessModel):  # type: ignore[misc,name-defined]
    """Types of the parameter Vars of both tags (each model ignores the other tag's)."""

    dv = _L.LavaPyType(np.ndarray, np.int32, precision=13)
    unit = _L.LavaPyType(np.ndarray, np.int32, precision=24)
    h_mult = _L.LavaPyType(np.ndarray, np.int64, precision=31)
    h_shift = _L.LavaPyType(np.ndarray, np.int32, precision=6)
    beta = _L.LavaPyType(np.ndarray, float)
    tau = _L.LavaPyType(np.ndarray, float)


@_L.implements(proc=CLIF, protocol=_L.LoihiProtocol)
@_L.requires(_L.CPU)
@_L.tag("floating_pt")
class PyCLIFModelFloat(_CLIFParamVars):
    """Float CLIF in ``float_dtype``."""

    a_in = _L.LavaPyType(_L.PyInPort.VEC_DENSE, float)
    s_out = _L.LavaPyType(_L.PyOutPort.VEC_DENSE, float)
    v = _L.LavaPyType(np.ndarray, float)
    m = _L.LavaPyType(np.ndarray, float)
    bias = _L.LavaPyType(np.ndarray, float)
    theta = _L.LavaPyType(np.ndarray, float)

    def run_spk(self) -> None:
        a_in = self.a_in.recv()  # every step, or the channel stalls
        if inactive(self.time_step, self.proc_params):
            self.s_out.send(np.zeros(a_in.shape, dtype=np.float64))
            return
        if reset_due(self.time_step, self.proc_params):
            self.v[:] = 0
            self.m[:] = 0
        dt = np.dtype(self.proc_params["float_dtype"])
        beta, tau, theta = (p.astype(dt)[0] for p in (self.beta, self.tau, self.theta))
        x = a_in.astype(dt) + self.bias.astype(dt)
        h = beta * self.v.astype(dt) + x
        m = self.m.astype(dt) * float_sigmoid(h / tau)
        s = (h >= theta).astype(dt)
        m = m + s
        self.m[:] = m
        self.v[:] = (h - s * theta) - s * float_sigmoid(m)
        self.s_out.send(s.astype(np.float64))


@_L.implements(proc=CLIF, protocol=_L.LoihiProtocol)
@_L.requires(_L.CPU)
@_L.tag("fixed_pt")
class PyCLIFModelFixed(_CLIFParamVars):
    """Fixed-point CLIF: 24-bit V, Q11.12 m, table sigmoids."""

    a_in = _L.LavaPyType(_L.PyInPort.VEC_DENSE, np.int32, precision=24)
    s_out = _L.LavaPyType(_L.PyOutPort.VEC_DENSE, np.int32, precision=24)
    v = _L.LavaPyType(np.ndarray, np.int32, precision=24)
    m = _L.LavaPyType(np.ndarray, np.int32, precision=24)
    bias = _L.LavaPyType(np.ndarray, np.int32, precision=24)
    theta = _L.LavaPyType(np.ndarray, np.int32, precision=24)

    def run_spk(self) -> None:
        a_in = self.a_in.recv()  # every step, or the channel stalls
        if inactive(self.time_step, self.proc_params):
            self.s_out.send(np.zeros(a_in.shape, dtype=np.int32))
            return
        if reset_due(self.time_step, self.proc_params):
            self.v[:] = 0
            self.m[:] = 0
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
        self.s_out.send(s.astype(np.int32))
