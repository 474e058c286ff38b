"""Machine-readable graph summaries and tracing from stored example-input specs (for
``snncompile inspect``).

:func:`ir_summary` gives per node what ``snncompile.inspection.describe`` prints (type,
shapes, parameter count, neuron model, NIR lowering status) as JSON-able data;
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
from snncompile.ir.lowering import lowering_status
from snncompile.ir.nodes import kind_of, parameter_count, type_name
from snncompile.ir.shape_inference import infer_graph_shapes


def ir_summary(graph: Graph) -> dict[str, Any]:
    """Nodes (execution order), edges, parameter total and neuron counts of ``graph``."""
    shapes = infer_graph_shapes(graph)
    rows = []
    neurons: dict[str, int] = {}
    for name in graph.topological_order:
        node = graph.nodes[name]
        kind = kind_of(node)
        spiking = kind is not None and kind.spiking
        if spiking:
            neurons[type_name(node)] = neurons.get(type_name(node), 0) + 1
        status, form = lowering_status(node)
        rows.append(
            {
                "name": name,
                "type": type_name(node),
                "input": _shape(shapes[name].input),
                "output": _shape(shapes[name].output),
                "parameters": parameter_count(node),
                "neuron": type_name(node) if spiking else None,
                "nir_lowering": status,
                "nir_form": form,
            }
        )
    return {
        "nodes": rows,
        "edges": [list(edge) for edge in graph.edges],
        "parameters": sum(row["parameters"] for row in rows),
        "neurons": dict(sorted(neurons.items())),
        "inputs": list(graph.inputs),
        "outputs": list(graph.outputs),
    }


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


def _shape(shape: tuple[int, ...] | None) -> list[int] | None:
    return None if shape is None else [int(d) for d in shape]
