"""Scaling the output channels of Affine/Linear/Conv nodes (exact in real arithmetic)."""

from __future__ import annotations

from typing import Any

import nir
import numpy as np

from snncompile.ir.nodes import replace_node


def scale_outputs(node: Any, scale: np.ndarray, shift: np.ndarray | None = None) -> Any:
    """``node`` with W' = scale·W and b' = scale·b (+ shift) per output channel.

    A Linear becomes an Affine when ``shift`` is given. Results keep the weight dtype.
    """
    weight = node.weight
    dtype = weight.dtype
    per_out = np.asarray(scale, dtype=np.float64).reshape((-1,) + (1,) * (weight.ndim - 1))
    new_weight = (weight.astype(np.float64) * per_out).astype(dtype)
    bias = getattr(node, "bias", None)
    if isinstance(node, nir.Linear):
        if shift is None:
            return replace_node(node, weight=new_weight)
        return nir.Affine(
            weight=new_weight, bias=np.asarray(shift).astype(dtype), metadata=dict(node.metadata)
        )
    new_bias = np.asarray(bias, dtype=np.float64) * np.asarray(scale, dtype=np.float64)
    if shift is not None:
        new_bias = new_bias + np.asarray(shift, dtype=np.float64)
    return replace_node(node, weight=new_weight, bias=new_bias.astype(np.asarray(bias).dtype))
