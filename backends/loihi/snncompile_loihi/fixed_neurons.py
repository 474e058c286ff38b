"""Integer reference of the Loihi 2 fixed-point neurons (numpy only).

The executable definition of ``backends/lava/docs/fixed_point.md``: Lava's built-in
bit-accurate LIF (docs/lava.md §17.2, including its current-wrap quirk) and snncompile's
soft-reset LIF, multi-spike LIF, CLIF and ILIF. The Lava ProcessModels in
``snncompile_lava.procs`` are a separate implementation that must match these functions
bit for bit.

Shared rules (all arithmetic exact in int64):

    X      = sat24((a_in << 6) + bias)                   input register, state units
    decay  = trunc0(v · (4096 − dv) / 4096)               12-bit leak, rounds toward 0
    s      = H ≥ θ                                        custom neurons (built-in: v > vth<<6)
    LUT(z) = round(4096 · sigmoid(clamp(z, ±2048)/256))   Q.8 in, Q0.12 out

Every ``*_step`` takes the synaptic input of one time step and the previous state and
returns ``(spikes, new_state)``; ``run_neuron`` loops a step function over time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from snncompile.errors import QuantizationError
from snncompile_loihi.limits import (
    ACT_SHIFT,
    DECAY_SHIFT,
    DECAY_UNITY,
    FRAC_BITS,
    MAX_MULT,
    MAX_SHIFT,
    REFRACTORY,
    SIGMOID_IN_FRAC,
    SIGMOID_IN_LIMIT,
    STATE_BITS,
    STATE_MAX,
    VTH_SHIFT,
)

IntArray = NDArray[np.int64]


# --------------------------------------------------------------------------- helpers


def sat24(x: ArrayLike) -> IntArray:
    """Saturate to the signed 24-bit state range [−(2²³−1), 2²³−1]."""
    return np.clip(np.asarray(x, dtype=np.int64), -STATE_MAX, STATE_MAX)


def trunc_shift(x: ArrayLike, n: int) -> IntArray:
    """trunc0(x / 2ⁿ): divide by 2ⁿ rounding toward zero, sign(x)·(|x| >> n)."""
    x = np.asarray(x, dtype=np.int64)
    return np.sign(x) * (np.abs(x) >> n)


def decay(v: ArrayLike, d: ArrayLike) -> IntArray:
    """The 12-bit leak trunc0(v·(4096 − d)/4096) (no offset, as Lava's voltage decay);
    ``d`` one decay, or one per neuron (broadcast against v's trailing axes)."""
    factor = DECAY_UNITY - np.asarray(d, dtype=np.int64)
    return trunc_shift(np.asarray(v, dtype=np.int64) * factor, DECAY_SHIFT)


def input_register(a_in: ArrayLike, bias: ArrayLike) -> IntArray:
    """X = sat24((a_in << 6) + bias): synaptic input in state units plus the bias."""
    a = np.asarray(a_in, dtype=np.int64)
    return sat24((a << ACT_SHIFT) + np.asarray(bias, dtype=np.int64))


def sigmoid_lut() -> IntArray:
    """The 4097-entry table round(4096·sigmoid((k − 2048)/256)), values 1 … 4095."""
    z = (np.arange(2 * SIGMOID_IN_LIMIT + 1, dtype=np.float64) - SIGMOID_IN_LIMIT) / 256.0
    return np.floor(4096.0 / (1.0 + np.exp(-z)) + 0.5).astype(np.int64)


_LUT = sigmoid_lut()


def sigmoid_q12(z: ArrayLike) -> IntArray:
    """Table sigmoid: Q.8 input clamped to [−8, 8], Q0.12 output."""
    z = np.clip(np.asarray(z, dtype=np.int64), -SIGMOID_IN_LIMIT, SIGMOID_IN_LIMIT)
    return _LUT[z + SIGMOID_IN_LIMIT]


def rescale(x: ArrayLike, mult: int, shift: int) -> IntArray:
    """(x · mult) >> shift, floor: a state converted to sigmoid-table units."""
    return (np.asarray(x, dtype=np.int64) * int(mult)) >> int(shift)


def sigmoid_input_scale(factor: float, *, shift: int = 24) -> tuple[int, int]:
    """(mult, shift) with mult/2^shift ≈ 256·factor: real value per state unit → Q.8.

    Args:
        factor: real sigmoid-input value of one state unit, e.g. 1/(unit·τ) for CLIF's
            H/τ or 1/unit for ILIF's M.
        shift: the right shift; larger keeps more precision while mult < 2³¹.

    Raises:
        QuantizationError: the multiplier does not fit in 31 bits or rounds to 0.
    """
    mult = round(256.0 * factor * 2**shift)
    if not 0 < mult <= MAX_MULT or not 0 <= shift <= MAX_SHIFT:
        raise QuantizationError(
            f"sigmoid input scale {factor!r} gives mult={mult}, shift={shift}; "
            f"need 0 < mult < 2**31 and 0 <= shift <= {MAX_SHIFT}",
            hint="pick a smaller shift for large factors, a larger one for small factors",
        )
    return mult, shift


def _check_range(owner: str, name: str, value: int, low: int, high: int, bits: str) -> None:
    if np.ndim(value) != 0 or float(value) != int(value):
        raise QuantizationError(
            f"{owner}: {name}={value!r} is not an integer scalar",
            hint=f"quantise {name} before building the fixed-point neuron",
        )
    if not low <= int(value) <= high:
        raise QuantizationError(
            f"{owner}: {name}={int(value)} is outside [{low}, {high}] ({bits})",
            hint=f"re-quantise {name} into its {bits} range (backends/lava/docs/fixed_point.md)",
        )


def _check_array_range(
    owner: str, name: str, value: ArrayLike, low: int, high: int, bits: str
) -> None:
    """:func:`_check_range` for a scalar or every element of an integer array."""
    arr = np.asarray(value)
    if arr.ndim == 0:
        _check_range(owner, name, arr.item(), low, high, bits)
        return
    if arr.size == 0 or not np.issubdtype(arr.dtype, np.integer):
        raise QuantizationError(
            f"{owner}: {name} is not an integer array (dtype {arr.dtype}, {arr.size} values)",
            hint=f"quantise {name} before building the fixed-point neuron",
        )
    _check_range(owner, f"min {name}", int(arr.min()), low, high, bits)
    _check_range(owner, f"max {name}", int(arr.max()), low, high, bits)


def _check_bias(owner: str, bias: ArrayLike) -> None:
    b = np.asarray(bias, dtype=np.int64)
    if b.size and int(np.abs(b).max()) > STATE_MAX:
        raise QuantizationError(
            f"{owner}: |bias| up to {int(np.abs(b).max())} exceeds 2**23 - 1",
            hint="the bias is in state units (weight LSB × 64); reduce the scale",
        )


# --------------------------------------------------------------------- built-in LIF


@dataclass(frozen=True)
class LoihiLIFParams:
    """Lava's built-in LIF (PyLifModelBitAcc): du, dv 12-bit, vth 17-bit, bias mant/exp."""

    du: int
    dv: int
    vth: int
    bias_mant: ArrayLike = 0
    bias_exp: ArrayLike = 0

    def __post_init__(self) -> None:
        _check_range("LIF", "du", self.du, 0, 4095, "12-bit unsigned")
        _check_range("LIF", "dv", self.dv, 0, 4095, "12-bit unsigned")
        _check_range("LIF", "vth", self.vth, 0, 2**17 - 1, "17-bit unsigned")
        mant, exp = np.asarray(self.bias_mant), np.asarray(self.bias_exp)
        if mant.size and (mant.min() < -4096 or mant.max() > 4095):
            raise QuantizationError(
                f"LIF: bias_mant spans [{mant.min()}, {mant.max()}], outside 13-bit [-4096, 4095]",
                hint="move magnitude into bias_exp",
            )
        if exp.size and (exp.min() < -7 or exp.max() > 7):
            raise QuantizationError(
                f"LIF: bias_exp spans [{exp.min()}, {exp.max()}], outside [-7, 7]",
                hint="Loihi's bias exponent has 3 bits; Lava accepts negative values as >>",
            )


@dataclass(frozen=True)
class LoihiLIFState:
    """Current u and voltage v (after the reset), int64 copies of the 24-bit registers."""

    u: IntArray
    v: IntArray


def loihi_lif_step(
    a_in: ArrayLike, state: LoihiLIFState, p: LoihiLIFParams
) -> tuple[IntArray, LoihiLIFState]:
    """One step of Lava's bit-accurate LIF (docs/lava.md §17.2).

        u = wrap(trunc0(u·(4096 − (du + 1))/4096) + (a_in << 6))
        v = sat24(trunc0(v·(4096 − dv)/4096) + u + bias)     bias = mant << exp (>> if exp < 0)
        s = v > (vth << 6);  v[s] = 0

    ``wrap`` reproduces Lava's code, including its second branch reading the unwrapped
    value and letting +2²³ through.
    """
    half = 1 << (STATE_BITS - 1)
    a = np.asarray(a_in, dtype=np.int64)
    u = decay(state.u, int(p.du) + 1) + (a << ACT_SHIFT)
    wrapped = np.where(u > half, u - 2 * half, u)
    u = np.where(wrapped <= -half, u + 2 * half, wrapped)
    mant = np.asarray(p.bias_mant, dtype=np.int64)
    exp = np.asarray(p.bias_exp, dtype=np.int64)
    bias = np.where(exp >= 0, mant << np.maximum(exp, 0), mant >> np.maximum(-exp, 0))
    v = sat24(decay(state.v, p.dv) + u + bias)
    s = v > (int(p.vth) << VTH_SHIFT)
    v = np.where(s, 0, v)
    return s.astype(np.int64), LoihiLIFState(u=u, v=v)


# ------------------------------------------------------------------ soft-reset LIF


@dataclass(frozen=True)
class SoftLIFParams:
    """Soft-reset LIF: dv ∈ [0, 4096] (one, or one per neuron), θ ∈ [1, 2²³−1] (state
    units), per-neuron bias."""

    dv: ArrayLike
    theta: int
    bias: ArrayLike = 0

    def __post_init__(self) -> None:
        _check_array_range("soft_lif", "dv", self.dv, 0, DECAY_UNITY, "12-bit decay, 4096 = β 0")
        _check_range("soft_lif", "theta", self.theta, 1, STATE_MAX, "24-bit state")
        _check_bias("soft_lif", self.bias)


@dataclass(frozen=True)
class SoftLIFState:
    """V after the reset (24-bit) and H, the charged pre-fire potential (recorded only)."""

    v: IntArray
    h: IntArray


def soft_lif_step(
    a_in: ArrayLike, state: SoftLIFState, p: SoftLIFParams
) -> tuple[IntArray, SoftLIFState]:
    """H = sat24(decay(V) + X);  s = H ≥ θ;  V = H − θ·s."""
    h = sat24(decay(state.v, p.dv) + input_register(a_in, p.bias))
    s = (h >= int(p.theta)).astype(np.int64)
    return s, SoftLIFState(v=h - int(p.theta) * s, h=h)


@dataclass(frozen=True)
class HardLIFParams(SoftLIFParams):
    """Hard-reset LIF: :class:`SoftLIFParams` plus, per neuron in state units, the reset
    value ``v_reset`` and ``bias_v``, added to the potential after the charge (a hard
    reset's leak toward v_reset, (1 − β)·v_r)."""

    v_reset: ArrayLike = 0
    bias_v: ArrayLike = 0

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_array_range("hard_lif", "v_reset", self.v_reset, -STATE_MAX, STATE_MAX, "24-bit")
        _check_bias("hard_lif", self.bias_v)


def hard_lif_step(
    a_in: ArrayLike, state: SoftLIFState, p: HardLIFParams
) -> tuple[IntArray, SoftLIFState]:
    """H = sat24(decay(V) + X + bias_v);  s = H ≥ θ;  V = v_reset where s, else H: the
    hard-reset LIF whose decay may differ per neuron, or that resets to v_reset ≠ 0
    (Lava's built-in LIF holds one decay and resets to 0)."""
    bias_v = np.asarray(p.bias_v, dtype=np.int64)
    h = sat24(decay(state.v, p.dv) + input_register(a_in, p.bias) + bias_v)
    s = (h >= int(p.theta)).astype(np.int64)
    return s, SoftLIFState(v=np.where(s > 0, np.asarray(p.v_reset, dtype=np.int64), h), h=h)


# ------------------------------------------------------------- multi-spike LIF


@dataclass(frozen=True)
class MultiSpikeLIFParams:
    """Multi-spike soft-reset LIF/IF (sinabs): dv ∈ [0, 4096] (one, or one per neuron),
    θ ∈ [1, 2²³−1] (state units), per-neuron bias, the count's cap ``max_spikes`` ∈
    [1, 2²³−1] (2²³−1: no cap, n ≤ H/θ anyway) and ``floor`` 1 to floor V at −θ."""

    dv: ArrayLike
    theta: int
    bias: ArrayLike = 0
    max_spikes: int = STATE_MAX
    floor: int = 0

    def __post_init__(self) -> None:
        owner = "multi_spike_lif"
        _check_array_range(owner, "dv", self.dv, 0, DECAY_UNITY, "12-bit decay, 4096 = β 0")
        _check_range(owner, "theta", self.theta, 1, STATE_MAX, "24-bit state")
        _check_range(owner, "max_spikes", self.max_spikes, 1, STATE_MAX, "24-bit payload")
        _check_range(owner, "floor", self.floor, 0, 1, "a flag")
        _check_bias(owner, self.bias)


def multi_spike_lif_step(
    a_in: ArrayLike, state: SoftLIFState, p: MultiSpikeLIFParams
) -> tuple[IntArray, SoftLIFState]:
    """One step of the multi-spike LIF (backends/lava/docs/fixed_point.md §8).

        H = sat24(decay(V, dv) + X)               X = sat24((a_in << 6) + bias)
        n = min(H // θ, max_spikes) where H ≥ θ, else 0   (the graded payload)
        V = H − θ·n;   with floor: V = max(V, −θ)

    (V + θ and V − θ are exact in integers, so max(V + θ, 0) − θ = max(V, −θ).)
    """
    h = sat24(decay(state.v, p.dv) + input_register(a_in, p.bias))
    theta = int(p.theta)
    n = np.minimum(np.maximum(h, 0) // theta, int(p.max_spikes)).astype(np.int64)
    v = h - theta * n
    if int(p.floor):
        v = np.maximum(v, -theta)
    return n, SoftLIFState(v=v, h=h)


# ------------------------------------------------------------ current-based LIF


#: The longest refractory period the own current-based LIF holds (an 8-bit counter).
REFRACTORY_MAX = REFRACTORY.hi


@dataclass(frozen=True)
class CubaLIFParams:
    """Current-based LIF with a current bias and a refractory counter: du, dv ∈ [0, 4096]
    (dv one, or one per neuron), θ ∈ [1, 2²³−1], ``bias`` (into the current, as every
    synapse bias) and ``bias_v`` (into the potential) per neuron in state units,
    ``refractory`` ∈ [0, 255] steps, ``next_subtract`` ∈ [0, 2²³−1]: 0 resets V to 0 at
    a spike; > 0 keeps V = H and subtracts it on the next step (snnTorch's subtract
    reset; no refractory period then)."""

    du: int
    dv: ArrayLike
    theta: int
    bias: ArrayLike = 0
    bias_v: ArrayLike = 0
    refractory: int = 0
    next_subtract: int = 0

    def __post_init__(self) -> None:
        _check_range("cuba_lif", "du", self.du, 0, DECAY_UNITY, "12-bit decay, 4096 = α 0")
        _check_array_range("cuba_lif", "dv", self.dv, 0, DECAY_UNITY, "12-bit decay, 4096 = β 0")
        _check_range("cuba_lif", "theta", self.theta, 1, STATE_MAX, "24-bit state")
        _check_range("cuba_lif", "refractory", self.refractory, 0, REFRACTORY_MAX, "8-bit")
        _check_range("cuba_lif", "next_subtract", self.next_subtract, 0, STATE_MAX, "24-bit state")
        if self.next_subtract and self.refractory:
            raise QuantizationError(
                "cuba_lif: a next-step subtract reset with a refractory period",
                hint="use next_subtract = 0 (reset to 0) with a refractory period",
            )
        _check_bias("cuba_lif", self.bias)
        _check_bias("cuba_lif", self.bias_v)


@dataclass(frozen=True)
class CubaLIFState:
    """Current u, V after the reset (24-bit), the refractory counter k and H (recorded
    only)."""

    u: IntArray
    v: IntArray
    k: IntArray
    h: IntArray


def cuba_lif_step(
    a_in: ArrayLike, state: CubaLIFState, p: CubaLIFParams
) -> tuple[IntArray, CubaLIFState]:
    """One step of snncompile's current-based LIF (backends/lava/docs/fixed_point.md §7).

        u = sat24(decay(u, du) + X)              X = sat24((a_in << 6) + bias)
        H = sat24(decay(V, dv) + u + bias_v − n·q)   where k = 0;  H = V where k > 0
        s = (H ≥ θ) ∧ (k = 0);   V = H·(1 − s), or V = H when n > 0
        k = refractory where s, else max(k − 1, 0)

    with n = ``next_subtract`` and q = [V ≥ θ] the previous step's spike (n > 0 keeps
    V = H, so V ≥ θ is exactly that spike; there is no refractory period then). The
    current integrates in refractory steps too; the potential holds and cannot fire.
    """
    theta, n = int(p.theta), int(p.next_subtract)
    u = sat24(decay(state.u, int(p.du)) + input_register(a_in, p.bias))
    free = state.k == 0
    pending = n * (state.v >= theta) if n else 0
    charged = sat24(decay(state.v, p.dv) + u + np.asarray(p.bias_v, dtype=np.int64) - pending)
    h = np.where(free, charged, state.v)
    s = ((h >= theta) & free).astype(np.int64)
    k = np.where(s > 0, int(p.refractory), np.maximum(state.k - 1, 0))
    return s, CubaLIFState(u=u, v=h if n else h * (1 - s), k=k, h=h)


# --------------------------------------------------------------------------- CLIF


@dataclass(frozen=True)
class CLIFFixedParams:
    """CLIF: decay, threshold, unit (state units per 1.0), H/τ table scale, bias."""

    dv: int
    theta: int
    unit: int
    h_mult: int
    h_shift: int
    bias: ArrayLike = 0

    def __post_init__(self) -> None:
        _check_range("clif", "dv", self.dv, 0, DECAY_UNITY, "12-bit decay, 4096 = β 0")
        _check_range("clif", "theta", self.theta, 1, STATE_MAX, "24-bit state")
        _check_range("clif", "unit", self.unit, 1, STATE_MAX, "24-bit state")
        _check_range("clif", "h_mult", self.h_mult, 0, MAX_MULT, "31-bit multiplier")
        _check_range("clif", "h_shift", self.h_shift, 0, MAX_SHIFT, "shift")
        _check_bias("clif", self.bias)


@dataclass(frozen=True)
class CLIFFixedState:
    """V (24-bit), m (unsigned Q11.12) and H (recorded only)."""

    v: IntArray
    m: IntArray
    h: IntArray


def clif_step(
    a_in: ArrayLike, state: CLIFFixedState, p: CLIFFixedParams
) -> tuple[IntArray, CLIFFixedState]:
    """One CLIF step (backends/lava/docs/fixed_point.md §4).

    H  = sat24(decay(V) + X)
    m′ = (m · LUT((H·h_mult) >> h_shift)) >> 12
    s  = H ≥ θ
    m  = min(m′ + (s << 12), 2²³ − 1)
    V  = sat24(H − s·(θ + ((LUT(m >> 4) · unit) >> 12)))
    """
    h = sat24(decay(state.v, p.dv) + input_register(a_in, p.bias))
    m = (state.m * sigmoid_q12(rescale(h, p.h_mult, p.h_shift))) >> FRAC_BITS
    s = (h >= int(p.theta)).astype(np.int64)
    m = np.minimum(m + (s << FRAC_BITS), STATE_MAX)
    extra = (sigmoid_q12(m >> (FRAC_BITS - SIGMOID_IN_FRAC)) * int(p.unit)) >> FRAC_BITS
    v = sat24(h - s * (int(p.theta) + extra))
    return s, CLIFFixedState(v=v, m=m, h=h)


# --------------------------------------------------------------------------- ILIF


@dataclass(frozen=True)
class ILIFFixedParams:
    """ILIF: decay, threshold, unit, c and k_m as Q·.12 integers, M table scale, bias.

    ``c12`` and ``km12`` stand where the official code has its literals 0.03 and 1:
    I = c·(I + x_prev·s_prev) and M = k_m·(M + s·V′), so k_m ≠ 1 also decays M.
    """

    dv: int
    theta: int
    unit: int
    m_mult: int
    m_shift: int
    c12: int = 123  # round(0.03·4096)
    km12: int = 4096  # 1.0
    bias: ArrayLike = 0

    def __post_init__(self) -> None:
        _check_range("ilif", "dv", self.dv, 0, DECAY_UNITY, "12-bit decay, 4096 = β 0")
        _check_range("ilif", "theta", self.theta, 1, STATE_MAX, "24-bit state")
        _check_range("ilif", "unit", self.unit, 1, STATE_MAX, "24-bit state")
        _check_range("ilif", "m_mult", self.m_mult, 0, MAX_MULT, "31-bit multiplier")
        _check_range("ilif", "m_shift", self.m_shift, 0, MAX_SHIFT, "shift")
        _check_range("ilif", "c12", self.c12, 0, 4095, "Q0.12 fraction")
        _check_range("ilif", "km12", self.km12, 0, 65535, "16-bit Q4.12 gain")
        _check_bias("ilif", self.bias)


@dataclass(frozen=True)
class ILIFFixedState:
    """V, I (current inhibition), M (membrane inhibition), x_prev, s_prev; H recorded."""

    v: IntArray
    i: IntArray
    m: IntArray
    x_prev: IntArray
    s_prev: IntArray
    h: IntArray


def ilif_step(
    a_in: ArrayLike, state: ILIFFixedState, p: ILIFFixedParams
) -> tuple[IntArray, ILIFFixedState]:
    """One ILIF step (backends/lava/docs/fixed_point.md §5).

    I  = sat24(trunc0(c12·(I + x_prev·s_prev)/4096))
    H  = sat24(decay(V) + X − max(I, 0))
    s  = H ≥ θ;   V′ = H − θ·s
    M  = sat24(trunc(km12·(M + s·V′) / 4096))
    V  = sat24(V′ − s·((LUT((M·m_mult) >> m_shift) · unit) >> 12))
    """
    x = input_register(a_in, p.bias)
    i = sat24(trunc_shift(int(p.c12) * (state.i + state.x_prev * state.s_prev), FRAC_BITS))
    h = sat24(decay(state.v, p.dv) + x - np.maximum(i, 0))
    s = (h >= int(p.theta)).astype(np.int64)
    v_soft = h - int(p.theta) * s
    m = sat24(trunc_shift(int(p.km12) * (state.m + s * v_soft), FRAC_BITS))
    extra = (sigmoid_q12(rescale(m, p.m_mult, p.m_shift)) * int(p.unit)) >> FRAC_BITS
    v = sat24(v_soft - s * extra)
    return s, ILIFFixedState(v=v, i=i, m=m, x_prev=x, s_prev=s, h=h)


# ------------------------------------------------------------------------ running

S = TypeVar("S")


def zero_state(state_type: type[S], shape: tuple[int, ...]) -> S:
    """An all-zero state of ``state_type`` (every state starts at 0)."""
    zero = np.zeros(shape, dtype=np.int64)
    return state_type(**{f.name: zero for f in fields(state_type)})  # type: ignore[arg-type]


def run_neuron(
    step: Callable[[ArrayLike, S, Any], tuple[IntArray, S]],
    a_seq: ArrayLike,
    params: Any,
    state: S,
    *,
    initial: Mapping[str, ArrayLike] | None = None,
) -> dict[str, IntArray]:
    """Loop ``step`` over time-major ``a_seq`` [T, *shape].

    Args:
        step: one of the ``*_step`` functions.
        a_seq: synaptic input per step, integer.
        params: the matching parameter dataclass.
        state: the initial state (e.g. ``zero_state(SoftLIFState, shape)``).
        initial: optional overrides of initial state fields.

    Returns:
        ``"spikes"`` and one array per state field, each [T, *shape], int64.
    """
    a_seq = np.asarray(a_seq, dtype=np.int64)
    if initial:
        state = replace(state, **{k: np.asarray(v, dtype=np.int64) for k, v in initial.items()})  # type: ignore[type-var]
    out: dict[str, list[IntArray]] = {"spikes": []}
    for t in range(a_seq.shape[0]):
        s, state = step(a_seq[t], state, params)
        out["spikes"].append(s)
        for f in fields(state):  # type: ignore[arg-type]
            out.setdefault(f.name, []).append(np.asarray(getattr(state, f.name)))
    return {k: np.stack(v) for k, v in out.items()}
