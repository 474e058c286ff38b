"""Arithmetic shared by the custom ProcessModels (numpy only, no side effects).

Deliberately independent of ``snncompile_loihi.fixed_neurons``: the tests compare the
two implementations, so neither may call the other. Semantics:
``backends/lava/docs/fixed_point.md``.

Lava's ProcessModel discovery executes every module of this directory as a fresh,
package-less module (docs/lava.md §16), so this file uses absolute imports only and does
nothing at import time beyond defining functions and one table.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

I64 = NDArray[np.int64]
FloatArray = NDArray[np.floating]

STATE_LIMIT = (1 << 23) - 1  # 24-bit signed states saturate at ±(2**23 − 1)
UNITY_SHIFT = 12  # decays and Q0.12 fractions
ACT_SHIFT = 6  # a_in << 6, as Lava's LIF
TABLE_HALF = 2048  # table input ±8.0 in Q.8
Q8_FROM_Q12 = 4  # CLIF's m is Q.12; the table reads Q.8


def _build_table() -> I64:
    # k = 0 … 4096 ↔ z = (k − 2048)/256; round half up in float64.
    z = np.linspace(-8.0, 8.0, 2 * TABLE_HALF + 1)
    return np.floor(4096.0 / (1.0 + np.exp(-z)) + 0.5).astype(np.int64)


SIGMOID_TABLE = _build_table()


def saturate(x: I64) -> I64:
    """Clamp to the signed 24-bit state range."""
    return np.minimum(np.maximum(x, -STATE_LIMIT), STATE_LIMIT)


def mul_trunc12(x: I64, factor: int) -> I64:
    """trunc0(x·factor / 4096): a Q0.12 product rounded toward zero."""
    prod = x * factor
    mag = np.abs(prod) >> UNITY_SHIFT
    return np.where(prod < 0, -mag, mag)


def leak(v: I64, dv: int | I64) -> I64:
    """The 12-bit voltage decay: trunc0(v·(4096 − dv)/4096), one dv or one per neuron."""
    return mul_trunc12(v, (1 << UNITY_SHIFT) - dv)


def charge_input(a_in: np.ndarray, bias: np.ndarray) -> I64:
    """Input register X = sat24((a_in << 6) + bias)."""
    return saturate(np.left_shift(a_in.astype(np.int64), ACT_SHIFT) + bias.astype(np.int64))


def table_sigmoid(z: I64) -> I64:
    """Q.8 input, clamped to ±8.0; Q0.12 output from :data:`SIGMOID_TABLE`."""
    return SIGMOID_TABLE[np.clip(z, -TABLE_HALF, TABLE_HALF) + TABLE_HALF]


def to_table(x: I64, mult: int, shift: int) -> I64:
    """(x·mult) >> shift, flooring: a state in table input units."""
    return np.right_shift(x * mult, shift)


def scale_fraction(frac_q12: I64, unit: int) -> I64:
    """(frac·unit) >> 12 for a non-negative Q0.12 fraction: a sigmoid in state units."""
    return np.right_shift(frac_q12 * unit, UNITY_SHIFT)


def float_sigmoid(z: FloatArray) -> FloatArray:
    """1/(1 + exp(−z)) in z's own dtype (exp overflow to inf gives exactly 0)."""
    one = z.dtype.type(1.0)
    with np.errstate(over="ignore"):
        return one / (one + np.exp(-z))


def inactive(time_step: int, proc_params: Any) -> bool:
    """True before the population's ``start_step``: it then keeps its zero state and is silent.

    The network builder sets ``start_step = depth + 1`` so that a population behind
    ``depth`` delaying connections starts from the zero state exactly when the first
    input sample reaches it, even with a bias (docs: README "Delays").
    """
    return time_step < int(proc_params.get("start_step", 1))


def reset_due(time_step: int, proc_params: Any) -> bool:
    """True at the first step of every sample: states are zeroed before the update.

    With ``reset_interval = T`` > 0, samples of T steps are run back to back; a
    population starting at ``start_step`` begins sample k at step start_step + k·T
    (delays compensated as for sample 0), so it resets exactly there.
    """
    interval = int(proc_params.get("reset_interval", 0))
    offset = time_step - int(proc_params.get("start_step", 1))
    return interval > 0 and offset >= 0 and offset % interval == 0
