"""Typed fixed-point precisions: what an integer field holds and how values get there.

A :class:`FixedPoint` describes one integer register or parameter field:

    real value = integer · step · 2^−frac          (before any per-layer scale)
    integer    ∈ [lo, hi], lo = −2^(width−1) (signed) or 0, hi = 2^(width−1) − 1 or 2^width − 1

``step`` > 1 marks fields whose low bits are forced to zero (Loihi's mixed-sign 8-bit
weights are 9-bit signed values with step 2: even numbers in [−256, 254]). ``rounding``
says how real values become integers (``nearest``: half away from zero; ``even``: half
to even, as numpy's ``rint`` and ONNX ``QuantizeLinear``; ``trunc0``:
toward zero; ``floor``) and ``saturation`` what happens beyond the range (``saturate``:
clamp; ``wrap``: two's-complement modulo 2^width).

Precisions are data: the quantiser records one per field and layer, the manifest prints
them (``describe``), and the integer reference applies the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

Rounding = Literal["nearest", "even", "trunc0", "floor"]
Saturation = Literal["saturate", "wrap"]
ROUNDINGS: tuple[str, ...] = ("nearest", "even", "trunc0", "floor")
SATURATIONS: tuple[str, ...] = ("saturate", "wrap")


def round_half_away(x: ArrayLike) -> NDArray[np.int64]:
    """Round to the nearest integer, ties away from zero (sign(x)·floor(|x| + 0.5))."""
    a = np.asarray(x, dtype=np.float64)
    return (np.sign(a) * np.floor(np.abs(a) + 0.5)).astype(np.int64)


@dataclass(frozen=True)
class FixedPoint:
    """One integer field: width, binary point, granularity, rounding and overflow rule.

    Attributes:
        width: total bits, sign included when ``signed``.
        frac: fractional bits: the integer n stands for n·2^−frac.
        signed: two's complement (True) or unsigned.
        rounding: how real values are rounded into the field.
        saturation: what happens to results beyond [lo, hi].
        step: integer granularity (values are multiples of ``step``).

    Invariants: ``width >= 1``, ``frac >= 0``, ``step >= 1``.
    """

    width: int
    frac: int = 0
    signed: bool = True
    rounding: Rounding = "nearest"
    saturation: Saturation = "saturate"
    step: int = 1

    def __post_init__(self) -> None:
        if self.width < 1 or self.frac < 0 or self.step < 1:
            raise ValueError(f"invalid FixedPoint {self!r}")
        if self.rounding not in ROUNDINGS or self.saturation not in SATURATIONS:
            raise ValueError(f"invalid FixedPoint rounding/saturation {self!r}")

    @property
    def lo(self) -> int:
        """Smallest representable integer (a multiple of ``step``)."""
        raw = -(1 << (self.width - 1)) if self.signed else 0
        return -((-raw) // self.step) * self.step

    @property
    def hi(self) -> int:
        """Largest representable integer (a multiple of ``step``)."""
        raw = (1 << (self.width - 1)) - 1 if self.signed else (1 << self.width) - 1
        return (raw // self.step) * self.step

    def to_int(self, real: ArrayLike) -> NDArray[np.int64]:
        """Integers for ``real`` (already scaled to field units): rounded, NOT range-checked."""
        x = np.asarray(real, dtype=np.float64) * (2.0**self.frac) / self.step
        if self.rounding == "nearest":
            n = round_half_away(x)
        elif self.rounding == "even":
            n = np.rint(x).astype(np.int64)
        elif self.rounding == "trunc0":
            n = np.trunc(x).astype(np.int64)
        else:
            n = np.floor(x).astype(np.int64)
        return n * self.step

    def fits(self, ints: ArrayLike) -> bool:
        """True when every integer lies in [lo, hi]."""
        n = np.asarray(ints, dtype=np.int64)
        return bool(n.size == 0 or (n.min() >= self.lo and n.max() <= self.hi))

    def overflow(self, ints: ArrayLike) -> NDArray[np.int64]:
        """Apply the field's overflow rule: clamp (saturate) or modulo 2^width (wrap)."""
        n = np.asarray(ints, dtype=np.int64)
        if self.saturation == "saturate":
            return np.clip(n, self.lo, self.hi)
        base = 1 << self.width
        offset = base // 2 if self.signed else 0
        return (n + offset) % base - offset

    def describe(self) -> str:
        """Short form, e.g. ``s24 sat trunc0`` or ``s9/2 nearest`` or ``u12.12``."""
        text = f"{'s' if self.signed else 'u'}{self.width}"
        if self.frac:
            text += f".{self.frac}"
        if self.step > 1:
            text += f"/{self.step}"
        return f"{text} {self.rounding} {'sat' if self.saturation == 'saturate' else 'wrap'}"
