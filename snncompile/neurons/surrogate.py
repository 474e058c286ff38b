"""Surrogate gradients: Heaviside forward, smooth derivative backward.

Every surrogate acts on x = H − θ. ``derivative(x)`` is the backward dΘ/dx;
``primitive(x)`` is a smooth function whose derivative it is, used only in the
*smooth* mode that makes the hand-written backward checkable with finite
differences (``torch.autograd.gradcheck``).

| name        | derivative                           | default α |
|-------------|--------------------------------------|-----------|
| rectangle   | (1/α)·1[|x| ≤ α/2]  (closed window)  | 1.0       |
| sigmoid     | α·σ(αx)·(1 − σ(αx))                  | 4.0       |
| atan        | (α/2) / (1 + (π/2·α·x)²)             | 2.0       |

``rectangle`` is the CLIF repository's ``Rectangle``; ``sigmoid`` and ``atan`` are
SpikingJelly's ``Sigmoid`` and ``ATan``.
"""

from __future__ import annotations

import abc
import math
from typing import Any, ClassVar

import torch

from snncompile.errors import ConfigError


class Surrogate(abc.ABC):
    """A surrogate gradient with one shape parameter ``alpha`` (> 0)."""

    name: ClassVar[str]
    default_alpha: ClassVar[float]

    def __init__(self, alpha: float | None = None) -> None:
        alpha = self.default_alpha if alpha is None else alpha
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)):
            raise ConfigError(
                f"surrogate {self.name!r}: alpha must be a number, got {alpha!r}",
                hint=f"pass a positive float, e.g. alpha={self.default_alpha}",
            )
        if not (math.isfinite(alpha) and alpha > 0):
            raise ConfigError(
                f"surrogate {self.name!r}: alpha must be finite and > 0, got {alpha}",
                hint=f"pass a positive float, e.g. alpha={self.default_alpha}",
            )
        self.alpha = float(alpha)

    @abc.abstractmethod
    def derivative(self, x: torch.Tensor) -> torch.Tensor:
        """dΘ/dx used in the backward pass."""

    @abc.abstractmethod
    def primitive(self, x: torch.Tensor) -> torch.Tensor:
        """A smooth step whose derivative is :meth:`derivative` (smooth mode only)."""

    def config(self) -> dict[str, Any]:
        """JSON-serialisable description, inverse of :func:`make_surrogate`."""
        return {"name": self.name, "alpha": self.alpha}

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.alpha == self.alpha  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((self.name, self.alpha))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(alpha={self.alpha})"


class Rectangle(Surrogate):
    """(1/α)·1[|x| ≤ α/2]: a closed window of width α and height 1/α."""

    name = "rectangle"
    default_alpha = 1.0

    def derivative(self, x: torch.Tensor) -> torch.Tensor:
        return (x.abs() <= self.alpha / 2).to(x.dtype) / self.alpha

    def primitive(self, x: torch.Tensor) -> torch.Tensor:
        return (x / self.alpha + 0.5).clamp(0.0, 1.0)


class Sigmoid(Surrogate):
    """α·σ(αx)·(1 − σ(αx)), peak α/4 at x = 0."""

    name = "sigmoid"
    default_alpha = 4.0

    def derivative(self, x: torch.Tensor) -> torch.Tensor:
        sg = torch.sigmoid(self.alpha * x)
        return self.alpha * sg * (1.0 - sg)

    def primitive(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.alpha * x)


class ATan(Surrogate):
    """(α/2) / (1 + (π/2·α·x)²), peak α/2 at x = 0."""

    name = "atan"
    default_alpha = 2.0

    def derivative(self, x: torch.Tensor) -> torch.Tensor:
        return (self.alpha / 2) / (1 + (math.pi / 2 * self.alpha * x).square())

    def primitive(self, x: torch.Tensor) -> torch.Tensor:
        return torch.atan(math.pi / 2 * self.alpha * x) / math.pi + 0.5


SURROGATES: dict[str, type[Surrogate]] = {cls.name: cls for cls in (Rectangle, Sigmoid, ATan)}


def make_surrogate(spec: str | Surrogate | dict[str, Any], alpha: float | None = None) -> Surrogate:
    """Build a surrogate from a name (with optional ``alpha``), a config dict or an object.

    Raises:
        ConfigError: unknown name or bad alpha.
    """
    if isinstance(spec, Surrogate):
        if alpha is not None:
            raise ConfigError(
                f"surrogate_alpha={alpha} given together with a surrogate object {spec!r}",
                hint="set alpha on the object itself, e.g. Sigmoid(alpha=4.0)",
            )
        return spec
    if isinstance(spec, dict):
        return make_surrogate(spec.get("name", ""), spec.get("alpha"))
    if not isinstance(spec, str) or spec.lower() not in SURROGATES:
        raise ConfigError(
            f"unknown surrogate {spec!r}",
            hint=f"use one of {sorted(SURROGATES)} or a snncompile.neurons.surrogate.Surrogate",
        )
    return SURROGATES[spec.lower()](alpha)
