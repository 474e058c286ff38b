"""Human-readable summaries of graphs and model files (``snncompile inspect``).

``describe(graph)`` lists every node in execution order with its type, shapes, the
number of values it stores, its neuron model, the comparison it fires on and how it
lowers to NIR primitives: ``primitive`` (it is one), ``exact`` (native, rewritten
exactly) or ``approximate`` (no exact NIR form: files get the one approximation,
:data:`snncompile.ir.lowering.APPROXIMATION`).

Counts: a graph stores *values* (weights, biases and per-neuron constants such as a
threshold broadcast to every neuron); a checkpoint's *parameters* are its torch
module's trainable values. The two differ (a scalar θ of 128 neurons is one parameter
and 128 stored values), so ``inspect`` names only the checkpoint's count "parameters".
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from snncompile.errors import ConfigError
from snncompile.ir.graph import Graph
from snncompile.ir.lowering import lowering_status
from snncompile.ir.nir_io import read_nir
from snncompile.ir.nodes import kind_of, parameter_count, type_name
from snncompile.ir.shape_inference import infer_graph_shapes


def fires_on(graph: Graph, name: str) -> str:
    """The comparison node ``name`` fires on (``>=`` or ``>``), ``-`` when it does not
    spike. Native neurons fire on H >= θ whatever the profile (docs/neurons.md §1); NIR
    primitive neurons follow the node's execution profile (docs/nir.md §4)."""
    kind = kind_of(graph.nodes[name])
    if kind is None or not kind.spiking:
        return "-"
    return ">=" if kind.native else str(graph.profile.for_node(name).compare)


def describe(graph: Graph) -> str:
    """A multi-line summary of ``graph`` (nodes, shapes, stored values, neurons with the
    comparison they fire on, NIR lowering)."""
    shapes = infer_graph_shapes(graph)
    rows = [("node", "type", "input", "output", "values", "neuron", "fires", "NIR lowering")]
    total = 0
    counts: dict[str, int] = {}
    for name in graph.topological_order:
        node = graph.nodes[name]
        kind = kind_of(node)
        params = parameter_count(node)
        total += params
        neuron = type_name(node) if kind is not None and kind.spiking else "-"
        if neuron != "-":
            counts[neuron] = counts.get(neuron, 0) + 1
        status, form = lowering_status(node)
        rows.append(
            (
                name,
                type_name(node),
                _fmt(shapes[name].input),
                _fmt(shapes[name].output),
                str(params),
                neuron,
                fires_on(graph, name),
                status if status == "primitive" else f"{status}: {form}",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        f"graph: {len(graph.nodes)} nodes, {len(graph.edges)} edges "
        f"({len(graph.back_edges)} back), {total:,} stored values (weights, biases, "
        "per-neuron constants)",
        f"inputs: {', '.join(graph.inputs)}; outputs: {', '.join(graph.outputs)}",
        "neurons: " + (", ".join(f"{k} x{v}" for k, v in sorted(counts.items())) or "none"),
        "profile (NIR primitive nodes; native neurons fire on >=): "
        + ", ".join(f"{k}={v!r}" for k, v in graph.profile.graph_fields().items()),
    ]
    for name in sorted(graph.profile.overrides):
        fields = graph.profile.overrides[name]
        lines.append(f"override {name}: " + ", ".join(f"{k}={v!r}" for k, v in fields.items()))
    lines.append("")
    for row in rows:
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines) + "\n"


def inspect_path(path: str | os.PathLike[str], *, dialect: str = "snncompile") -> str:
    """:func:`describe` of a model file; ``.nir`` files are read with ``dialect``.

    Raises:
        ConfigError: unsupported file type.
        CheckpointError: the file cannot be read.
    """
    target = Path(path)
    if target.suffix.lower() != ".nir":
        raise ConfigError(
            f"cannot inspect {str(target)!r}: unsupported file type {target.suffix or '(none)'!r}",
            hint="pass a .nir file (torch checkpoints are not supported here yet)",
        )
    return f"file: {target}\n" + describe(read_nir(target, dialect))


def _fmt(shape: tuple[int, ...] | None) -> str:
    return "?" if shape is None else "[" + ",".join(str(d) for d in shape) + "]"


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


def _shape(shape: tuple[int, ...] | None) -> list[int] | None:
    return None if shape is None else [int(d) for d in shape]
