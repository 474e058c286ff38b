"""Steppers of the stateless nodes (synapses, pooling, reshapes), batch-major.

- ``Affine``: y = W·x + b (leading weight dims broadcast); ``Linear``: y = W·x
- ``Scale``: y = s ⊙ x
- ``Conv1d``/``Conv2d``: PyTorch cross-correlation with stride, padding (int, 'same',
  'valid'), dilation and groups
- ``SumPool2d``: window sums (zero padding); ``AvgPool2d``: window sum / (kH·kW)
  (padding counted, as PyTorch's default ``count_include_pad=True``)
- ``MaxPool2d``: window maxima (padding by −∞, as PyTorch), exact for any values
- ``Flatten``: reshape to the inferred output shape
- ``BatchNorm``: y = s ⊙ x + t per channel (axis 0 of the sample)
- ``Output``: identity
"""

from __future__ import annotations

from typing import Any

import nir
import numpy as np

from snncompile.ir.profile import ExecutionProfile
from snncompile.ir.shapes import Shape, conv_geometry, conv_pads, expand
from snncompile.reference.conv import conv_nd, max_pool2d, sum_pool2d


class Stateless:
    """Base of stateless steppers: ``states`` stays empty."""

    def __init__(
        self, node: Any, profile: ExecutionProfile, batch: int, dtype: np.dtype, out: Shape
    ) -> None:
        self.node = node
        self.dtype = dtype
        self.out_shape = out
        self.states: dict[str, np.ndarray] = {}
        self.setup(node, dtype)

    def setup(self, node: Any, dtype: np.dtype) -> None:
        """Cast parameters once (overridden)."""

    def step(self, x: np.ndarray) -> np.ndarray:
        return x


class AffineStep(Stateless):
    def setup(self, node: Any, dtype: np.dtype) -> None:
        self.weight = np.asarray(node.weight, dtype=dtype)
        bias = getattr(node, "bias", None)
        self.bias = None if bias is None else np.asarray(bias, dtype=dtype)

    def step(self, x: np.ndarray) -> np.ndarray:
        if self.weight.ndim == 2:
            y = x @ self.weight.T
        else:
            y = np.matmul(self.weight, x[..., None])[..., 0]
        return y if self.bias is None else y + self.bias


class ScaleStep(Stateless):
    def setup(self, node: Any, dtype: np.dtype) -> None:
        self.scale = np.asarray(node.scale, dtype=dtype)

    def step(self, x: np.ndarray) -> np.ndarray:
        return x * self.scale


class ConvStep(Stateless):
    def setup(self, node: Any, dtype: np.dtype) -> None:
        ndim = 1 if isinstance(node, nir.Conv1d) else 2
        stride, pad, dilation, groups, kernel = conv_geometry(node, ndim)
        self.args = (stride, conv_pads(pad, kernel, dilation), dilation, groups)
        self.weight = np.asarray(node.weight, dtype=dtype)
        self.bias = np.asarray(node.bias, dtype=dtype)

    def step(self, x: np.ndarray) -> np.ndarray:
        return conv_nd(x, self.weight, self.bias, *self.args).astype(self.dtype, copy=False)


class PoolStep(Stateless):
    def setup(self, node: Any, dtype: np.dtype) -> None:
        self.kernel = expand(node.kernel_size, 2)
        self.stride = expand(node.stride, 2)
        self.padding = expand(node.padding, 2)
        self.average = isinstance(node, nir.AvgPool2d)

    def step(self, x: np.ndarray) -> np.ndarray:
        y = sum_pool2d(x, self.kernel, self.stride, self.padding)
        if self.average:
            y = y / self.dtype.type(self.kernel[0] * self.kernel[1])
        return y.astype(self.dtype, copy=False)


class MaxPoolStep(Stateless):
    def setup(self, node: Any, dtype: np.dtype) -> None:
        self.kernel = expand(node.kernel_size, 2)
        self.stride = expand(node.stride, 2)
        self.padding = expand(node.padding, 2)

    def step(self, x: np.ndarray) -> np.ndarray:
        return max_pool2d(x, self.kernel, self.stride, self.padding).astype(self.dtype, copy=False)


class FlattenStep(Stateless):
    def step(self, x: np.ndarray) -> np.ndarray:
        return x.reshape((x.shape[0], *self.out_shape))


class BatchNormStep(Stateless):
    def setup(self, node: Any, dtype: np.dtype) -> None:
        scale, shift = node.scale_shift()
        self.scale = np.asarray(scale, dtype=dtype)
        self.shift = np.asarray(shift, dtype=dtype)

    def step(self, x: np.ndarray) -> np.ndarray:
        axes = (1,) * (x.ndim - 2)
        c = self.scale.shape[0]
        return x * self.scale.reshape((c, *axes)) + self.shift.reshape((c, *axes))
