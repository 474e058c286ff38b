"""Integer reference of Lava's fixed-point connections (docs/lava.md §18), numpy only.

Dense and Sparse (``PyDenseModelBitAcc``/``PySparseModelBitAcc``) prepare their weights
once and then deliver, one step late, the shifted weighted sum of the input:

    sign_mode  = inferred unless given: excitatory if min ≥ 0, inhibitory if max ≤ 0,
                 else mixed
    w_clip     = clip(w, [−256, 255] mixed | [0, 255] exc. | [−255, 0] inh.)
    w_eff      = (w_clip >> k) << k,  k = 8 − num_weight_bits + (1 if mixed)
                 (inhibitory weights are negated around the shift)
    a          = (w_eff · s) << weight_exp   (weight_exp > 0)
               = (w_eff · s) >> −weight_exp  (weight_exp ≤ 0, floor)

Lava's Conv applies none of this (no clip, no truncation, ``weight_exp`` stored but
ignored) and wraps its output to signed 24 bits; snncompile therefore hands it
``conv_weights_for_lava`` (the same w_eff, pre-shifted by a non-negative weight_exp).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from snncompile.errors import QuantizationError
from snncompile_loihi.limits import WEIGHT_BITS

IntArray = NDArray[np.int64]

SIGN_MODES = ("mixed", "excitatory", "inhibitory")


def infer_sign_mode(weights: ArrayLike) -> str:
    """Lava's ``determine_sign_mode``: the mode the weights' signs imply."""
    w = np.asarray(weights)
    if w.size == 0 or w.min() >= 0:
        return "excitatory"
    if w.max() <= 0:
        return "inhibitory"
    return "mixed"


def effective_weights(
    weights: ArrayLike, sign_mode: str | None = None, num_weight_bits: int = WEIGHT_BITS
) -> IntArray:
    """The weights a fixed-point Dense/Sparse actually uses (clip, then drop low bits).

    With the defaults, mixed-sign weights lose their LSB: odd values round toward −∞
    to even numbers in [−256, 254].
    """
    mode = sign_mode or infer_sign_mode(weights)
    if mode not in SIGN_MODES:
        raise QuantizationError(
            f"unknown sign_mode {mode!r}", hint=f"use one of {', '.join(SIGN_MODES)}"
        )
    if not 1 <= num_weight_bits <= WEIGHT_BITS:
        raise QuantizationError(
            f"num_weight_bits={num_weight_bits} is outside [1, 8]",
            hint="Loihi synapses hold at most 8 weight bits",
        )
    w = np.asarray(weights, dtype=np.int64)
    if mode == "inhibitory":
        w = -w
    mixed = int(mode == "mixed")
    w = np.clip(w, -(2**WEIGHT_BITS) * mixed, 2**WEIGHT_BITS - 1)
    k = WEIGHT_BITS - num_weight_bits + mixed
    w = (w >> k) << k
    return -w if mode == "inhibitory" else w


def shift_by_exp(acc: ArrayLike, weight_exp: int) -> IntArray:
    """acc·2^weight_exp as Lava computes it: a left shift, or a flooring right shift."""
    acc = np.asarray(acc, dtype=np.int64)
    return acc << weight_exp if weight_exp > 0 else acc >> -weight_exp


def dense_accumulate(w_eff: ArrayLike, s: ArrayLike, weight_exp: int = 0) -> IntArray:
    """One step of Dense/Sparse: (w_eff · s) shifted by weight_exp (binary or graded s)."""
    return shift_by_exp(
        np.asarray(w_eff, dtype=np.int64) @ np.asarray(s, dtype=np.int64), weight_exp
    )


def conv_weights_for_lava(
    weights: ArrayLike,
    sign_mode: str | None = None,
    num_weight_bits: int = WEIGHT_BITS,
    weight_exp: int = 0,
) -> IntArray:
    """Conv weights with Dense's effective-weight rules and ``weight_exp`` folded in.

    Raises:
        QuantizationError: ``weight_exp < 0``. A negative exponent floors the *sum* in
            Dense, which pre-scaled weights cannot reproduce; fold it into the threshold,
            bias and unit instead.
    """
    if weight_exp < 0:
        raise QuantizationError(
            f"conv weight_exp={weight_exp} < 0 cannot be applied: Lava's Conv ignores "
            "weight_exp, and pre-shifting the weights right would floor each product "
            "instead of the sum",
            hint="use weight_exp >= 0 for conv layers and scale threshold/bias instead",
        )
    return effective_weights(weights, sign_mode, num_weight_bits) << weight_exp


def wrap24(x: ArrayLike) -> IntArray:
    """Lava Conv's output clamp: wrap to signed 24 bits (modulo, not saturation)."""
    base = 1 << 24
    return (np.asarray(x, dtype=np.int64) + base // 2) % base - base // 2
