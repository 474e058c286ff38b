"""Tracing from stored example-input specs (for ``snncompile inspect``; the torch-free
JSON summary, ``ir_summary``, lives in :mod:`snncompile.inspection`).

:func:`trace_from_spec` traces a model with zero tensors built from a checkpoint's stored
``inputs`` entries (``{name, shape, dtype}``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from snncompile.errors import InputError
from snncompile.frontend.ir_trace import trace
from snncompile.ir.graph import Graph


def trace_from_spec(model: nn.Module, inputs: Sequence[Mapping[str, Any]]) -> Graph:
    """Trace ``model`` with zero example inputs shaped as the stored ``inputs`` specs.

    Raises:
        InputError: no spec, or a spec without a usable shape/dtype.
        TraceError: the model cannot be traced (see :func:`snncompile.trace`).
    """
    if not inputs:
        raise InputError(
            "the checkpoint stores no example input shape, so it cannot be traced",
            hint="re-save it with snncompile.save(model, path, example_input=x)",
        )
    tensors = []
    for spec in inputs:
        shape, dtype = spec.get("shape"), getattr(torch, str(spec.get("dtype", "float32")), None)
        if not isinstance(shape, (list, tuple)) or not isinstance(dtype, torch.dtype):
            raise InputError(
                f"stored input spec {dict(spec)!r} has no usable shape and dtype",
                hint="re-save the model with snncompile.save(model, path, example_input=x)",
            )
        tensors.append(torch.zeros([int(d) for d in shape], dtype=dtype))
    return trace(model, tensors[0] if len(tensors) == 1 else tensors)
