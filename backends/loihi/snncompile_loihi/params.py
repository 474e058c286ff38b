"""Integer parameters of a layer for given scales (backends/lava/docs/fixed_point.md §6), checked.

``quantize_layer(layer, input_scale, clip, peak)`` picks the weight exponent and the
state unit U, rounds the weights, and converts θ, b, β (and CLIF/ILIF's τ, c, k_m) to
the integer fields of the layer's Lava model:

    S_w0 = c·limit/max|w|                 limit 254 (mixed sign) or 255
    e    = clamp(floor(log2(U_max / (64·S_w0·S_in))), −8, 7),  U_max = (2²³−1)/2/peak
    U    = floor(64·2^e·S_w0·S_in),  S_w = U/(64·2^e·S_in)     (U integer, S_w ≤ S_w0)
    w_int = round(w·S_w)  (mixed: 2·round(w·S_w/2)),  clipped to the 8-bit range
    recurrent R (spike input): e_r = ceil(log2(max|R|·U/(64·limit))), R_int = round(R·U/(64·2^e_r))

Branches (further connections summed into the same population: residual and SEW
graphs) share the population's unit U, since Lava adds their outputs at a_in before the
neuron scales nothing: for branch k with input scale S_in,k (the input's, or 1 for
spikes) 64·2^e_k·S_w,k·S_in,k = U, with e_k the smallest exponent whose mantissas hold
max|W_k|·S_w,k (conv and spatial identities: e_k ≥ 0, Lava's Conv ignores weight_exp).
A branch that would need e_k > 7, or keeps fewer than 16 mantissa steps, is refused
(QuantizationError naming the layer and the branch's synapse). An identity branch is a
scalar weight m = U/(64·S_in,k) split as w·2^e_k (w ≤ 255); to keep it exact, U is
rounded down to a multiple of 64·S_in,k·2^e_k when the layer has identity branches
(a relative change below 1/128 of the layer's weight scale). A branch through the
layer's own synapse (a spike addition feeding a synapse: W·(a + b)) reuses its integers.

``peak`` is the largest state magnitude (|X|, |H|, |V|, θ) the layer reaches in float
units, so every state keeps a factor-2 headroom below 24-bit saturation. Conv layers
keep e = 0 (Lava's Conv ignores ``weight_exp``); when the exponent range is exhausted,
S_w is scaled down instead (weight resolution traded for headroom, noted on the layer),
and fewer than 16 mantissa steps for max|w| is refused (QuantizationError).

A hard-reset layer runs on Lava's built-in LIF while its bias fits that model's 13-bit
mantissa (at bias_exp ≤ 7); a larger bias moves it to snncompile's ``hard_lif`` process
(the same equations with a 24-bit bias), noted on the layer.

``target="netx"`` restricts the choice to what a lava-dl netx file stores exactly
(docs/lava.md §10): e = 0 for every layer (netx keeps integer weights and re-derives its
own exponent), biases on the 64-unit grid (netx's bias_exp is 6, so the hard-reset
LIF's bias is mant·2⁶), and the readout becomes ``lif_accumulator``: netx's dense layer
always has a neuron, here Lava's LIF with du = dv = 4095 and the largest threshold, read
through v (v[t] = X[t] plus the ⌊·/4096⌋ residues of u and v, modelled exactly).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from snncompile.errors import QuantizationError, UnsupportedNodeError
from snncompile.quant.precision import FixedPoint, round_half_away
from snncompile_loihi.chain import Branch, ChainLayer
from snncompile_loihi.fixed_neurons import sigmoid_input_scale
from snncompile_loihi.fixed_synapses import infer_sign_mode
from snncompile_loihi.limits import (
    BIAS,
    BIAS_EXP_MAX,
    BIAS_MANT,
    C12,
    DECAY,
    DECAY_CUSTOM,
    DECAY_UNITY,
    GRADED_PAYLOAD,
    KM12,
    MAX_MULT,
    MAX_SHIFT,
    NETX_BIAS_EXP,
    REFRACTORY,
    SIGMOID_IN,
    SIGMOID_OUT,
    STATE,
    STATE_MAX,
    STATE_WRAP,
    THRESHOLD,
    VTH_BUILTIN,
    WEIGHT_EXCITATORY,
    WEIGHT_EXP_MAX,
    WEIGHT_EXP_MIN,
    WEIGHT_INHIBITORY,
    WEIGHT_LIMIT_MIXED,
    WEIGHT_LIMIT_SINGLE,
    WEIGHT_MIXED,
)
from snncompile_loihi.models import (
    CLIF_FIXED,
    CUBA_LIF,
    HARD_LIF,
    ILIF_FIXED,
    LIF_ACCUMULATOR,
    LIF_BUILTIN,
    MULTI_SPIKE_LIF,
    READOUT,
)
from snncompile_loihi.qgraph import (
    LayerScale,
    QuantizedBranch,
    QuantizedLayer,
    RecurrentWeights,
)

HEADROOM = 2.0
#: Lava Dense sign mode → the weight mantissa's format.
WEIGHT_FORMATS: dict[str, FixedPoint] = {
    "mixed": WEIGHT_MIXED,
    "excitatory": WEIGHT_EXCITATORY,
    "inhibitory": WEIGHT_INHIBITORY,
}
#: Fewer weight mantissa steps than this (for max |w|) is refused: under 4 bits.
MIN_WEIGHT_MANTISSA = 16


#: How hints name the quantiser's options: placeholder → (Python keyword, CLI flag).
OPTION_SPELLINGS: dict[str, tuple[str, str]] = {
    "clamp": ("allow_clamp=True", "--allow-clamp"),
    "calibration": ("calibration=<sample inputs [T, B, ...]>", "--calibration FILE"),
}


def option_error(message: str, node: str | None, hint: str) -> QuantizationError:
    """A QuantizationError whose ``hint`` names options as ``{clamp}`` and
    ``{calibration}``: spelt as Python keywords in ``hint``, as flags in ``cli_hint``."""

    def spelt(which: int) -> str:
        text = hint
        for key, names in OPTION_SPELLINGS.items():
            text = text.replace("{" + key + "}", names[which])
        return text

    return QuantizationError(message, node=node, hint=spelt(0), cli_hint=spelt(1))


def _error(layer: ChainLayer, what: str, hint: str) -> QuantizationError:
    return option_error(f"layer {layer.name!r}: {what}", layer.name, hint)


#: Hint text for state peaks: measured on sample inputs they are usually far below the
#: weights-only bound (checkpoints written by snncompile.save supply their example input).
_CALIBRATE = "calibrate on sample inputs ({calibration}) so the state peaks are measured"


def table_scale(factor: float) -> tuple[int, int]:
    """(mult, shift) for a state → sigmoid-table conversion, the largest exact shift ≤ 40."""
    shift = MAX_SHIFT
    if 256.0 * factor * 2**shift > MAX_MULT:
        shift = max(0, math.floor(math.log2(MAX_MULT / (256.0 * factor))))
    return sigmoid_input_scale(factor, shift=shift)


def effective_float(layer: ChainLayer) -> tuple[np.ndarray | None, np.ndarray]:
    """(W, b) with a DA-LIF α still in the neuron folded in (α·W, α·b)."""
    if layer.alpha == 1.0 or layer.weight is None:
        return layer.weight, layer.bias
    return layer.weight * layer.alpha, layer.bias * layer.alpha


def _scales(
    layer: ChainLayer,
    w: np.ndarray | None,
    s_in: float,
    clip: float,
    peak: float,
    clamp: bool,
    netx: bool,
) -> tuple[str, float, int, int, list[str]]:
    """(sign mode, S_w, e, U, notes)."""
    notes: list[str] = []
    mode = "excitatory" if w is None else infer_sign_mode(w)
    limit = WEIGHT_LIMIT_MIXED if mode == "mixed" else WEIGHT_LIMIT_SINGLE
    max_w = 0.0 if w is None else float(np.abs(w).max(initial=0.0))
    s_w0 = 1.0 if w is None else (clip * limit / max_w if max_w > 0 else 1.0)
    u_max = STATE_MAX / HEADROOM / max(peak, 1e-300)
    ideal = math.floor(math.log2(u_max / (64.0 * s_w0 * s_in)))
    exp = 0
    if w is not None:
        # Lava's Conv ignores weight_exp, and netx files store integer weights: keep 0.
        fixed = netx or layer.connection == "conv"
        low, high = (0, 0) if fixed else (WEIGHT_EXP_MIN, WEIGHT_EXP_MAX)
        exp = min(max(ideal, low), high)
        if ideal < low:  # no smaller exponent: give up weight resolution instead
            s_w0 *= 2.0 ** (ideal - low)
            notes.append(f"weight scale lowered by 2^{ideal - low} for 24-bit state headroom")
            if max_w * s_w0 < MIN_WEIGHT_MANTISSA:
                _coarse(layer, max_w * s_w0, peak, clamp)
    unit = math.floor(64.0 * 2.0**exp * s_w0 * s_in)
    if (w is None and ideal < 0) or unit < 1:
        what = (
            f"states up to {peak:.4g} (float units) do not fit 24 bits at input scale "
            f"{s_in:g} (unit {unit}): they would saturate"
        )
        if not clamp:
            raise _error(
                layer,
                what,
                f"{_CALIBRATE}, reduce the input range or the threshold/bias, or pass "
                "{clamp} to accept saturation",
            )
        warnings.warn(f"layer {layer.name!r}: {what} (allow_clamp)", stacklevel=4)
        unit = max(unit, 1)
    return mode, unit / (64.0 * 2.0**exp * s_in), exp, unit, notes


def _coarse(layer: ChainLayer, mantissa: float, peak: float, clamp: bool) -> None:
    what = (
        f"states up to {peak:.4g} (float units) leave the weights only {mantissa:.3g} "
        f"mantissa steps (< {MIN_WEIGHT_MANTISSA}) within 24-bit states"
    )
    if not clamp:
        raise _error(
            layer,
            what,
            f"{_CALIBRATE}, reduce the spread between the weights and the threshold, "
            "bias or input range, or pass {clamp} to accept coarse weights",
        )
    warnings.warn(f"layer {layer.name!r}: {what} (allow_clamp)", stacklevel=5)


def _round_weights(w: np.ndarray, s_w: float, mode: str) -> tuple[np.ndarray, int]:
    if mode == "mixed":
        ints, prec = 2 * round_half_away(w * s_w / 2.0), WEIGHT_MIXED
    else:
        ints, prec = round_half_away(w * s_w), WEIGHT_EXCITATORY
    lo, hi = (prec.lo, prec.hi) if mode != "inhibitory" else (-prec.hi, 0)
    clipped = int(np.count_nonzero((ints < lo) | (ints > hi)))
    return np.clip(ints, lo, hi), clipped


def _int_field(layer: ChainLayer, name: str, value: float, lo: int, hi: int, clamp: bool) -> int:
    n = int(round_half_away(value))
    if lo <= n <= hi:
        return n
    what = f"{name} = {value:.6g} (state units) is outside [{lo}, {hi}]"
    if not clamp:
        raise _error(
            layer,
            what,
            f"rescale the layer (weights vs {name}) or pass {{clamp}} to clamp it",
        )
    warnings.warn(f"layer {layer.name!r}: {what}; clamped (allow_clamp)", stacklevel=4)
    return min(max(n, lo), hi)


def _bias(layer: ChainLayer, b: np.ndarray, unit: int, clamp: bool) -> np.ndarray:
    ints = round_half_away(b * unit)
    if ints.size and int(np.abs(ints).max()) > STATE_MAX:
        _int_field(layer, "bias", float(np.abs(b * unit).max()), -STATE_MAX, STATE_MAX, clamp)
        ints = np.clip(ints, -STATE_MAX, STATE_MAX)
    return ints.astype(np.int64)


def _decay_field(beta: float | np.ndarray) -> int | np.ndarray:
    """dv = round((1 − β)·4096): an int, or int64 per neuron for a per-neuron β."""
    dv = round_half_away((1.0 - np.asarray(beta, dtype=np.float64)) * DECAY_UNITY)
    return int(dv) if np.ndim(dv) == 0 else dv.astype(np.int64)


def _neuron_params(
    layer: ChainLayer, b: np.ndarray, unit: int, clamp: bool, netx: bool
) -> tuple[dict[str, Any], dict[str, FixedPoint], list[str]]:
    notes: list[str] = []
    bias = _bias(layer, b, unit, clamp)
    bias_exp = NETX_BIAS_EXP if netx else None
    if layer.model is READOUT and netx and layer.beta != 0:
        raise UnsupportedNodeError(
            f"target 'netx': readout {layer.name!r} leaks (beta {layer.beta:g}, an NIR LI); "
            "netx's readout is a LIF without leak",
            node=layer.name,
            hint="export with --target lava, or end the model with a plain Affine readout",
        )
    if layer.model is READOUT and netx:
        # v > vth·64 is out of reach: |v| ≤ 2²³/HEADROOM by the choice of U.
        return _builtin_params(
            layer, DECAY_UNITY - 1, (VTH_BUILTIN.hi << 6) + 1, b * unit, clamp, bias_exp
        )
    if layer.model is READOUT:
        # memoryless (dv = 4096: V = X), or the NIR LI's leak: V = β·V + X
        dv = int(round_half_away((1.0 - layer.beta) * DECAY_UNITY))
        params = {"dv": dv, "theta": STATE_MAX, "bias": bias}
        precisions = {"state": STATE, "decay": DECAY_CUSTOM, "threshold": THRESHOLD, "bias": BIAS}
        return params, precisions, notes
    dv = _decay_field(layer.beta)
    theta = _int_field(layer, "threshold", layer.theta * unit, 1, STATE_MAX, clamp)
    precisions = {"state": STATE, "decay": DECAY_CUSTOM, "threshold": THRESHOLD, "bias": BIAS}
    if layer.model is LIF_BUILTIN:
        return _builtin_params(layer, dv, theta, b * unit if netx else bias, clamp, bias_exp)
    params: dict[str, Any] = {"dv": dv, "theta": theta, "bias": bias}
    if layer.model is HARD_LIF:  # a reset value, and the leak toward it after the charge
        zero = np.zeros(layer.shape)
        v_r = zero if layer.v_reset is None else layer.v_reset
        c = zero if layer.voltage_bias is None else layer.voltage_bias
        params |= {
            "v_reset": _bias(layer, v_r, unit, clamp),
            "bias_v": _bias(layer, c, unit, clamp),
        }
        precisions |= {"v_reset": STATE, "bias_v": BIAS}
    if layer.model is MULTI_SPIKE_LIF:  # the count's cap (none: 2²³ − 1) and the floor
        cap = STATE_MAX if layer.max_spikes is None else int(layer.max_spikes)
        params |= {"max_spikes": cap, "floor": int(layer.membrane_floor)}
        precisions |= {"max_spikes": GRADED_PAYLOAD}
    if layer.model is CUBA_LIF:
        # u keeps (4096 − du)/4096: du = 4096 − round(α_u·4096) (4096: u = X); the voltage
        # bias c on the same 24-bit state grid as the current's bias b
        du = DECAY_UNITY - int(round_half_away(layer.current_decay * DECAY_UNITY))
        c = np.zeros(layer.shape) if layer.voltage_bias is None else layer.voltage_bias
        n = layer.next_subtract  # snnTorch's next-step subtraction θ/g (0: reset to 0)
        params |= {
            "du": du,
            "bias_v": _bias(layer, c, unit, clamp),
            "refractory": int(layer.refractory),
            "next_subtract": _int_field(layer, "next_subtract", n * unit, 1, STATE_MAX, clamp)
            if n
            else 0,
        }
        precisions |= {"bias_v": BIAS, "refractory": REFRACTORY, "next_subtract": THRESHOLD}
    elif layer.model is CLIF_FIXED:
        h_mult, h_shift = table_scale(1.0 / (unit * float(layer.tau or 1.0)))
        params |= {"unit": unit, "h_mult": h_mult, "h_shift": h_shift}
        precisions |= {"sigmoid_in": SIGMOID_IN, "sigmoid_out": SIGMOID_OUT}
    elif layer.model is ILIF_FIXED:
        m_mult, m_shift = table_scale(1.0 / unit)
        c12 = int(round_half_away(float(layer.c or 0.0) * 4096))
        km12 = int(round_half_away(float(layer.k_m if layer.k_m is not None else 1.0) * 4096))
        params |= {
            "unit": unit,
            "m_mult": m_mult,
            "m_shift": m_shift,
            "c12": min(c12, 4095),
            "km12": min(km12, 65535),
        }
        precisions |= {"sigmoid_in": SIGMOID_IN, "sigmoid_out": SIGMOID_OUT, "c": C12, "k_m": KM12}
    return params, precisions, notes


def _builtin_bias_fits(bias: np.ndarray) -> bool:
    """The bias (state units) fits the built-in LIF's 13-bit mantissa at some exponent."""
    big = float(np.abs(bias).max(initial=0))
    return bool(round_half_away(big / 2.0**BIAS_EXP_MAX) <= BIAS_MANT.hi)


def _builtin_params(
    layer: ChainLayer,
    dv: int,
    theta: int,
    bias: np.ndarray,
    clamp: bool,
    bias_exp: int | None = None,
) -> tuple[dict[str, Any], dict[str, FixedPoint], list[str]]:
    """Lava's LIF: du = 4095 − round(α_u·4096) (u keeps (4096 − du − 1)/4096 per step:
    du = 4095 makes u this step's input), v > vth << 6 ⇔ v ≥ 64·vth + 1.

    ``bias`` is in state units; ``bias_exp`` None picks the smallest exponent whose
    13-bit mantissa holds it, an integer fixes it (netx: 6).
    """
    notes = []
    if dv > DECAY_UNITY - 1:
        notes.append("β = 0 needs dv = 4096; the built-in LIF stops at 4095 (β = 1/4096)")
        dv = DECAY_UNITY - 1
    du = DECAY_UNITY - 1 - int(round_half_away(layer.current_decay * DECAY_UNITY))
    if du < 0:  # Lava's current decay is du + 1 >= 1: u keeps at most 4095/4096
        notes.append(f"α_u = {layer.current_decay:g} rounds to 1; du = 0 keeps 4095/4096")
        du = 0
    vth = _int_field(layer, "vth", (theta - 1) / 64.0, 0, VTH_BUILTIN.hi, clamp)
    big = float(np.abs(bias).max(initial=0))
    exp = bias_exp if bias_exp is not None else 0

    def fits(e: int) -> bool:
        return bool(round_half_away(big / 2.0**e) <= BIAS_MANT.hi)

    while bias_exp is None and not fits(exp) and exp < BIAS_EXP_MAX:
        exp += 1
    if not fits(exp):
        _int_field(
            layer,
            f"bias (mantissa at bias_exp {exp})",
            big / 2.0**exp,
            BIAS_MANT.lo,
            BIAS_MANT.hi,
            clamp,
        )
    mant = np.clip(round_half_away(bias / 2.0**exp), BIAS_MANT.lo, BIAS_MANT.hi)
    params = {"du": du, "dv": dv, "vth": vth, "bias_mant": mant, "bias_exp": exp}
    precisions = {
        "state_u": STATE_WRAP,
        "state_v": STATE,
        "decay": DECAY,
        "vth": VTH_BUILTIN,
        "bias_mant": BIAS_MANT,
    }
    return params, precisions, notes


def _recurrent(layer: ChainLayer, unit: int, clamp: bool) -> RecurrentWeights | None:
    """R (α folded) in the population's state unit U = 64·2^e_r·S_r (spike input):
    the smallest e_r whose mantissas hold max|R|·S_r."""
    if layer.recurrent is None:
        return None
    r = layer.recurrent * layer.alpha
    mode = infer_sign_mode(r)
    limit = WEIGHT_LIMIT_MIXED if mode == "mixed" else WEIGHT_LIMIT_SINGLE
    max_r = float(np.abs(r).max(initial=0.0))
    exp = 0 if max_r == 0 else math.ceil(math.log2(max_r * unit / (64.0 * limit)))
    if exp > WEIGHT_EXP_MAX:
        what = (
            f"recurrent weights up to {max_r:.4g} need weight_exp {exp} > {WEIGHT_EXP_MAX} "
            f"at state unit {unit}"
        )
        if not clamp:
            raise _error(
                layer,
                what,
                "reduce the recurrent weights relative to the threshold, or pass "
                "{clamp} to saturate them",
            )
        warnings.warn(f"layer {layer.name!r}: {what}; clipped (allow_clamp)", stacklevel=4)
    exp = min(max(exp, WEIGHT_EXP_MIN), WEIGHT_EXP_MAX)
    ints, clipped = _round_weights(r, unit / (64.0 * 2.0**exp), mode)
    return RecurrentWeights(ints.astype(np.int64), exp, mode, clipped)


def _identity_unit(layer: ChainLayer, unit: int, branch_scales: Sequence[float]) -> int:
    """U rounded down so that every identity branch's m = U/(64·S_in) is w·2^e exactly
    (w ≤ 255, e ≥ 0); U unchanged when it is too small to round (then w is rounded)."""
    scales = [
        s_in
        for b, s_in in zip(layer.branches, branch_scales, strict=True)
        if b.connection == "identity"
    ]
    if not scales:
        return unit
    s_big = max(scales)
    m = unit / (64.0 * min(scales))
    k = max(0, math.ceil(math.log2(m / WEIGHT_LIMIT_SINGLE))) if m > 0 else 0
    grid = int(64 * s_big) << k
    return unit if unit < grid else (unit // grid) * grid


def quantize_branch(
    layer: ChainLayer,
    branch: Branch,
    *,
    unit: int,
    input_scale: float,
    allow_clamp: bool = False,
    own: tuple[np.ndarray | None, int, str, float, float] | None = None,
) -> QuantizedBranch:
    """The integers of one branch in the population's unit U (module docstring).

    ``own`` is (weights, weight_exp, sign_mode, S_w, S_in) of the layer's own connection,
    reused when the branch goes through the same synapse at the same input scale.

    Raises:
        QuantizationError: the branch cannot share the unit (names layer and branch).
    """
    where = f"branch {branch.synapse or 'identity'!r} from {branch.source or 'the input'!r}"
    if (
        own is not None
        and own[0] is not None
        and branch.synapse is not None
        and branch.synapse == layer.synapse
        and own[4] == input_scale
    ):
        return QuantizedBranch(branch, own[0], own[1], own[2], own[3], input_scale)
    # a DA-LIF α still in the neuron scales every summand (folded, as for the own one)
    w = np.full((), layer.alpha) if branch.weight is None else branch.weight * layer.alpha
    mode = infer_sign_mode(w)
    limit = WEIGHT_LIMIT_MIXED if mode == "mixed" else WEIGHT_LIMIT_SINGLE
    max_w = float(np.abs(w).max(initial=0.0))
    per_unit = unit / (64.0 * input_scale)  # S_w,k·2^e_k
    exp = 0 if max_w == 0 else math.ceil(math.log2(max_w * per_unit / limit))
    low = 0 if branch.spatial else WEIGHT_EXP_MIN
    if exp > WEIGHT_EXP_MAX:
        what = (
            f"{where}: weights up to {max_w:.4g} need weight_exp {exp} > {WEIGHT_EXP_MAX} "
            f"to share the population's unit {unit} (summed fan-in: every branch of a "
            "population carries the same scale)"
        )
        if not allow_clamp:
            raise _error(
                layer,
                what,
                "reduce the shortcut's weights relative to the main path's (or its "
                "threshold), or pass allow_clamp=True to saturate them",
            )
        warnings.warn(f"layer {layer.name!r}: {what}; clipped (allow_clamp)", stacklevel=3)
    exp = min(max(exp, low), WEIGHT_EXP_MAX)
    s_w = per_unit / 2.0**exp
    if branch.weight is None:  # identity: one scalar weight, exact when U was rounded
        ints = np.asarray(
            min(int(round_half_away(s_w * layer.alpha)), WEIGHT_LIMIT_SINGLE), dtype=np.int64
        )
        if ints < 1:
            raise _error(
                layer,
                f"{where}: the identity weight {s_w:.4g} rounds to 0 at unit {unit}",
                "raise the layer's unit (smaller weights or threshold range)",
            )
        return QuantizedBranch(branch, ints, exp, "excitatory", s_w, input_scale)
    if max_w * s_w < MIN_WEIGHT_MANTISSA:
        what = (
            f"{where}: weights up to {max_w:.4g} keep only {max_w * s_w:.3g} mantissa steps "
            f"(< {MIN_WEIGHT_MANTISSA}) in the population's unit {unit}"
        )
        if not allow_clamp:
            raise _error(
                layer,
                what,
                "scale the branches of a summed fan-in alike, or pass allow_clamp=True "
                "to accept coarse weights",
            )
        warnings.warn(f"layer {layer.name!r}: {what} (allow_clamp)", stacklevel=3)
    ints, clipped = _round_weights(w, s_w, mode)
    return QuantizedBranch(branch, ints.astype(np.int64), exp, mode, s_w, input_scale, clipped)


def quantize_layer(
    layer: ChainLayer,
    *,
    input_scale: float,
    clip: float,
    peak: float,
    allow_clamp: bool = False,
    target: str = "lava",
    branch_scales: Sequence[float] = (),
) -> QuantizedLayer:
    """The integer parameters of ``layer`` (module docstring for the rules).

    Args:
        layer: the (checked) float layer.
        input_scale: S_in of the layer input (1 for spikes).
        clip: calibration factor c ≥ 1 (1: no weight is clipped).
        peak: largest state magnitude in float units (sets U and the weight exponent).
        allow_clamp: clamp out-of-range values with a warning instead of raising.
        target: "lava", or "netx" for the restrictions of a netx file (module docstring).
        branch_scales: S_in of each of ``layer.branches`` (the input's, or 1 for spikes).

    Raises:
        QuantizationError: a value that does not fit its field (names the layer).
    """
    netx = target == "netx"
    w, b = effective_float(layer)
    mode, s_w, exp, unit, notes = _scales(layer, w, input_scale, clip, peak, allow_clamp, netx)
    if layer.branches:
        rounded = _identity_unit(layer, unit, branch_scales)
        if rounded != unit and w is not None:
            unit, s_w = rounded, rounded / (64.0 * 2.0**exp * input_scale)
    weights, clipped = (None, 0) if w is None else _round_weights(w, s_w, mode)
    if layer.model is LIF_BUILTIN and not netx and not _builtin_bias_fits(b * unit):
        if layer.current_decay != 0:
            # a CubaLIF's leak bias c (b holds it): the same equations with 24-bit biases
            layer = replace(layer, model=CUBA_LIF, voltage_bias=layer.bias, bias=0 * layer.bias)
            b = 0 * b
            notes.append("bias beyond the built-in LIF's 13-bit mantissa: cuba_lif process")
        else:
            # the same equations with a 24-bit bias: snncompile's hard-reset process
            layer = replace(layer, model=HARD_LIF)
            notes.append("bias beyond the built-in LIF's 13-bit mantissa: hard_lif process")
    params, precisions, more = _neuron_params(layer, b, unit, allow_clamp, netx)
    if weights is not None:
        precisions = {"weights": WEIGHT_FORMATS[mode], **precisions}
    if clip > 1.0 and clipped:
        noun = "weight" if clipped == 1 else "weights"
        notes.append(f"calibration clipped {clipped} {noun} (clip factor {clip:g})")
    return QuantizedLayer(
        source=layer,
        scale=LayerScale(s_w, input_scale, exp, unit, clip),
        weights=weights,
        sign_mode=mode,
        neuron_params=params,
        precisions=precisions,
        clipped=clipped if clip > 1.0 else 0,
        notes=tuple(notes + more),
        model=LIF_ACCUMULATOR if netx and layer.model is READOUT else layer.model,
        recurrent=_recurrent(layer, unit, allow_clamp),
        branches=tuple(
            quantize_branch(
                layer,
                b,
                unit=unit,
                input_scale=s_in_b,
                allow_clamp=allow_clamp,
                own=(weights, exp, mode, s_w, input_scale),
            )
            for b, s_in_b in zip(layer.branches, branch_scales, strict=True)
        ),
    )
