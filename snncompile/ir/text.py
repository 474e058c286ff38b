"""A stable, deterministic text dump of a graph, for debugging and golden tests.

The same graph gives byte-identical text on every run and platform: nodes appear in
execution order (ties by name), fields in declaration order, metadata keys sorted,
edges in list order with back edges marked. Arrays are summarised by dtype, shape, a
12-hex-digit SHA-256 of their little-endian bytes and their first four values.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import numpy as np

from snncompile.errors import SnnCompileError
from snncompile.ir.graph import Graph
from snncompile.ir.nodes import node_fields, type_name

FORMAT_VERSION = 1
_PREVIEW = 4


def array_digest(array: np.ndarray) -> str:
    """12 hex digits of SHA-256 over dtype, shape and little-endian bytes of ``array``."""
    data = np.ascontiguousarray(array)
    if data.dtype.byteorder == ">":
        data = data.astype(data.dtype.newbyteorder("<"))
    h = hashlib.sha256(f"{data.dtype.str}{list(data.shape)}".encode())
    h.update(data.tobytes())
    return h.hexdigest()[:12]


def format_value(value: Any) -> str:
    """Deterministic one-line rendering of a field or metadata value."""
    small_ints = isinstance(value, np.ndarray) and value.dtype.kind in "iu" and value.size <= 8
    if small_ints and value.ndim <= 1:  # sizes, strides, shapes: render like tuples
        return format_value(value.tolist())
    if isinstance(value, np.ndarray):
        flat = value.ravel()[:_PREVIEW]
        preview = ", ".join(_scalar(v) for v in flat.tolist())
        more = ", ..." if value.size > _PREVIEW else ""
        shape = ",".join(str(d) for d in value.shape)
        return f"{value.dtype}[{shape}] #{array_digest(value)} [{preview}{more}]"
    if isinstance(value, Mapping):
        items = ", ".join(f"{k}: {format_value(value[k])}" for k in sorted(value, key=str))
        return "{" + items + "}"
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    if isinstance(value, bytes):
        value = value.decode()
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return repr(value)
    return _scalar(value)


def _scalar(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, bytes):
        return repr(value.decode())
    if isinstance(value, str):
        return repr(value)
    return str(value)


def _shapes(graph: Graph) -> dict[str, tuple[str, str]]:
    from snncompile.ir.shape_inference import infer_graph_shapes

    try:
        inferred = infer_graph_shapes(graph)
    except (SnnCompileError, TypeError):
        return {}
    fmt = lambda s: "?" if s is None else "[" + ",".join(map(str, s)) + "]"  # noqa: E731
    return {name: (fmt(s.input), fmt(s.output)) for name, s in inferred.items()}


def dump(graph: Graph) -> str:
    """The text dump of ``graph`` (ends with a newline)."""
    lines = [f"snncompile-ir {FORMAT_VERSION}"]
    prof = " ".join(f"{k}={format_value(v)}" for k, v in graph.profile.graph_fields().items())
    lines.append(f"profile {prof}")
    for name in sorted(graph.profile.overrides):
        fields = graph.profile.overrides[name]
        lines.append(
            f"override {name} " + " ".join(f"{k}={format_value(fields[k])}" for k in sorted(fields))
        )
    for key in sorted(graph.metadata):
        lines.append(f"metadata {key} = {format_value(graph.metadata[key])}")
    shapes = _shapes(graph)
    order = list(graph.topological_order) if not _has_bad_names(graph) else sorted(graph.nodes)
    for name in order:
        node = graph.nodes[name]
        in_s, out_s = shapes.get(name, ("?", "?"))
        lines.append(f"node {name}: {type_name(node)} in={in_s} out={out_s}")
        for field, value in node_fields(node).items():
            lines.append(f"  {field} = {format_value(value)}")
        meta = node.metadata or {}
        for key in sorted(meta):
            lines.append(f"  metadata {key} = {format_value(meta[key])}")
    back = graph.back_edges if not _has_bad_names(graph) else frozenset()
    for src, dst in graph.edges:
        lines.append(f"edge {src} -> {dst}" + ("  (back)" if (src, dst) in back else ""))
    return "\n".join(lines) + "\n"


def _has_bad_names(graph: Graph) -> bool:
    names = set(graph.nodes)
    return any(not isinstance(n, str) for n in names) or any(
        s not in names or d not in names for s, d in graph.edges
    )
