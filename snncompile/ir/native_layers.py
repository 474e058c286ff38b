"""Native non-spiking layers that have no single NIR primitive."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from snncompile.ir.native_neurons import as_param


@dataclass(frozen=True, eq=False)
class BatchNorm:
    r"""Inference-mode batch normalisation over channel axis 0 of the sample shape.

    .. math::
        y = \gamma \odot \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}} + b
          = s \odot x + t,\qquad s = \frac{\gamma}{\sqrt{\sigma^2 + \epsilon}},\ t = b - s\mu

    with every per-channel vector broadcast over the remaining axes. The pass
    ``fold_batchnorm`` folds it into a preceding Affine/Linear/Conv; otherwise it is
    rewritten as an exact diagonal Affine (1-D samples) or 1×1 Conv (C, ...).

    Attributes:
        weight: γ, shape (C,).
        bias: b, shape (C,).
        running_mean: μ, shape (C,).
        running_var: σ², shape (C,), >= 0.
        eps: ε > 0.
    """

    weight: np.ndarray
    bias: np.ndarray
    running_mean: np.ndarray
    running_var: np.ndarray
    eps: float = 1e-5
    metadata: dict[str, Any] = field(default_factory=dict, kw_only=True)

    def __post_init__(self) -> None:
        for name in ("weight", "bias", "running_mean", "running_var"):
            object.__setattr__(self, name, as_param(getattr(self, name)))
        object.__setattr__(self, "metadata", dict(self.metadata))

    def scale_shift(self) -> tuple[np.ndarray, np.ndarray]:
        """The per-channel (s, t) with y = s·x + t, in the dtype of ``weight``."""
        dtype = self.weight.dtype
        scale = (self.weight / np.sqrt(self.running_var + self.eps)).astype(dtype)
        shift = (self.bias - scale * self.running_mean).astype(dtype)
        return scale, shift
