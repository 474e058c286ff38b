"""Number formatting shared by the Markdown and HTML reports (deterministic, locale-free)."""

from __future__ import annotations

import math

_ENERGY_UNITS = ((1.0, "J"), (1e-3, "mJ"), (1e-6, "µJ"), (1e-9, "nJ"), (1e-12, "pJ"))


def energy(joules: float) -> str:
    """``0.0003891`` → ``"389.1 µJ"`` (4 significant digits)."""
    if joules == 0:
        return "0 J"
    for scale, unit in _ENERGY_UNITS:
        if abs(joules) >= scale:
            return f"{joules / scale:.4g} {unit}"
    return f"{joules / 1e-15:.4g} fJ"


def count(value: float) -> str:
    """Counts: exact with thousands separators when integral, one decimal from 1000 on."""
    if value == 0:
        return "0"
    if abs(value) >= 1e12:
        exponent = math.floor(math.log10(abs(value)))
        return f"{value / 10**exponent:.4g}e{exponent}"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.1f}" if abs(value) >= 1000 else f"{value:.4g}"


def rate(value: float | None) -> str:
    """A fraction as a percentage with 2 decimals (``"–"`` for None)."""
    return "–" if value is None else f"{100 * value:.2f} %"


def price(value: float, unit: str) -> str:
    """A unit price: ``"0.9 pJ"``, ``"0.23 W"``, ``"0.000153 s"``."""
    return f"{value:g} {unit}"
