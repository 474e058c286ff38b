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


def _int_pair(value: Any) -> np.ndarray:
    """An int or a sequence of ints as an int64 array (left as given: verify checks it)."""
    array = np.asarray(value)
    return array.astype(np.int64) if array.dtype.kind in "iub" else array


@dataclass(frozen=True, eq=False)
class MaxPool2d:
    r"""2-D max pooling over (C, H, W) samples, PyTorch semantics (``nn.MaxPool2d`` with
    dilation 1, ``ceil_mode=False``): implicit padding by −∞, so a window's maximum is
    over its real elements.

    .. math::
        y[c, i, j] = \max_{a < k_H,\ b < k_W} \tilde x[c, s_H i + a - p_H, s_W j + b - p_W]

    where x̃ is x padded with −∞.

    Padding is at most half the kernel (p <= k // 2, as PyTorch requires), so every window
    holds at least one real element. On binary spikes x ∈ {0, 1} the maximum is "at least
    one spike in the window": y = [Σ_window x >= 1] = [SumPool2d(x) >= 0.5], which is
    how NIR and Loihi write it (:mod:`snncompile.ir.max_pool`); other inputs keep the
    exact maximum only where a target computes it (reference, ONNX).

    Attributes:
        kernel_size: (k_H, k_W) or one int, >= 1.
        stride: (s_H, s_W) or one int, >= 1.
        padding: (p_H, p_W) or one int, 0 <= p <= k // 2.
    """

    kernel_size: np.ndarray
    stride: np.ndarray
    padding: np.ndarray
    metadata: dict[str, Any] = field(default_factory=dict, kw_only=True)

    def __post_init__(self) -> None:
        for name in ("kernel_size", "stride", "padding"):
            object.__setattr__(self, name, _int_pair(getattr(self, name)))
        object.__setattr__(self, "metadata", dict(self.metadata))
