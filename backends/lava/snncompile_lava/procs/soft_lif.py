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

from typing import Any

import numpy as np

from snncompile_lava._compat import load_lava
from snncompile_lava.procs._arith import charge_input, inactive, leak, reset_due, saturate

_L = load_lava()

__all__ = ["PySoftResetLIFModelFixed", "PySoftResetLIFModelFloat", "SoftResetLIF"]


class SoftResetLIF(_L.AbstractProcess):  # type: ignore[misc,name-defined]
    """Soft-reset LIF population with one decay and threshold, per-neuron bias.

    Args:
        shape: population shape (Lava order, e.g. (N,) or (W, H, C)).
        beta: float leak factor β (``floating_pt``).
        dv: 12-bit decay, factor (4096 − dv)/4096, 0 … 4096 (``fixed_pt``).
        theta: threshold θ (float, or integer state units).
        bias: per-neuron bias b (float, or integer state units).
        v: initial V.
        float_dtype: "float64" or "float32", the precision of the float model.
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
        beta: float = 0.0,
        dv: int = 0,
        theta: float = 1.0,
        bias: Any = 0,
        v: Any = 0,
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
        self.v = _L.Var(shape=shape, init=v)
        self.bias = _L.Var(shape=shape, init=bias)
        self.theta = _L.Var(shape=(1,), init=theta)
        self.beta = _L.Var(shape=(1,), init=beta)
        self.dv = _L.Var(shape=(1,), init=dv)


@_L.implements(proc=SoftResetLIF, protocol=_L.LoihiProtocol)
@_L.requires(_L.CPU)
@_L.tag("floating_pt")
class PySoftResetLIFModelFloat(_L.PyLoihiProcessModel):  # type: ignore[misc,name-defined]
    """Float soft-reset LIF, exactly H = β·V + (a_in + b) in ``float_dtype``."""

    a_in = _L.LavaPyType(_L.PyInPort.VEC_DENSE, float)
    s_out = _L.LavaPyType(_L.PyOutPort.VEC_DENSE, float)
    v = _L.LavaPyType(np.ndarray, float)
    bias = _L.LavaPyType(np.ndarray, float)
    theta = _L.LavaPyType(np.ndarray, float)
    beta = _L.LavaPyType(np.ndarray, float)
    dv = _L.LavaPyType(np.ndarray, np.int32, precision=13)  # fixed_pt only

    def run_spk(self) -> None:
        a_in = self.a_in.recv()  # every step, or the channel stalls
        if inactive(self.time_step, self.proc_params):
            self.s_out.send(np.zeros(a_in.shape, dtype=np.float64))
            return
        if reset_due(self.time_step, self.proc_params):
            self.v[:] = 0
        dt = np.dtype(self.proc_params["float_dtype"])
        beta, theta = self.beta.astype(dt)[0], self.theta.astype(dt)[0]
        x = a_in.astype(dt) + self.bias.astype(dt)
        h = beta * self.v.astype(dt) + x
        s = (h >= theta).astype(dt)
        self.v[:] = h - s * theta  # float32 values are exact in the float64 Var
        self.s_out.send(s.astype(np.float64))


@_L.implements(proc=SoftResetLIF, protocol=_L.LoihiProtocol)
@_L.requires(_L.CPU)
@_L.tag("fixed_pt")
class PySoftResetLIFModelFixed(_L.PyLoihiProcessModel):  # type: ignore[misc,name-defined]
    """Fixed-point soft-reset LIF: 24-bit V, 12-bit decay, ``>=`` threshold."""

    a_in = _L.LavaPyType(_L.PyInPort.VEC_DENSE, np.int32, precision=24)
    s_out = _L.LavaPyType(_L.PyOutPort.VEC_DENSE, np.int32, precision=24)
    v = _L.LavaPyType(np.ndarray, np.int32, precision=24)
    bias = _L.LavaPyType(np.ndarray, np.int32, precision=24)
    theta = _L.LavaPyType(np.ndarray, np.int32, precision=24)
    dv = _L.LavaPyType(np.ndarray, np.int32, precision=13)
    beta = _L.LavaPyType(np.ndarray, float)  # floating_pt only

    def run_spk(self) -> None:
        a_in = self.a_in.recv()  # every step, or the channel stalls
        if inactive(self.time_step, self.proc_params):
            self.s_out.send(np.zeros(a_in.shape, dtype=np.int32))
            return
        if reset_due(self.time_step, self.proc_params):
            self.v[:] = 0
        theta = int(self.theta[0])
        x = charge_input(a_in, self.bias)
        h = saturate(leak(self.v.astype(np.int64), int(self.dv[0])) + x)
        s = h >= theta
        self.v[:] = h - theta * s
        self.s_out.send(s.astype(np.int32))
