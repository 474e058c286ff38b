"""Model metadata (``metadata_props``): provenance and what a runner needs to know.

Keys (all strings; JSON where structured), written in this fixed order:

| key | value |
|---|---|
| ``snncompile.version`` | version of the snncompile distribution |
| ``snncompile.backend`` | ``onnx <snncompile-onnx version>`` |
| ``snncompile.mode`` | ``step``, ``unrolled`` or ``loop`` |
| ``snncompile.steps`` | T for ``unrolled``, else empty |
| ``snncompile.layout`` | ``[batch, ...]`` (step) or ``[time, batch, ...]`` |
| ``snncompile.profile`` | the execution profile, JSON (graph fields and per-node overrides) |
| ``snncompile.neuron_types`` | JSON list of the neuron node types present, sorted |
| ``snncompile.source_sha256`` | sha256 of ``snncompile.ir.dump(graph)`` (the graph lowered) |
| ``snncompile.states`` | JSON list ``{name, next, node, var, shape}`` (step mode: the loop API) |
| ``snncompile.quantize`` | ``none`` or ``int8`` |
| ``snncompile.weight_scales`` | JSON ``{layer: scale}`` of the int8 layers (int8 only) |
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
from collections.abc import Mapping, Sequence
from typing import Any

from snncompile.ir.graph import Graph
from snncompile.ir.nodes import kind_of, type_name
from snncompile.ir.text import dump
from snncompile.quant.int8 import Int8Weight
from snncompile_onnx.context import StateSpec

PREFIX = "snncompile."


def distribution_version(name: str) -> str:
    """The installed version of distribution ``name`` (``0.0.0+unknown`` if not installed)."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "0.0.0+unknown"


def source_hash(graph: Graph) -> str:
    """sha256 (hex) of the stable text dump of ``graph``."""
    return hashlib.sha256(dump(graph).encode("utf-8")).hexdigest()


def profile_json(graph: Graph) -> str:
    """The execution profile as canonical JSON."""
    fields: dict[str, Any] = dict(graph.profile.graph_fields())
    fields["overrides"] = {k: dict(v) for k, v in sorted(graph.profile.overrides.items())}
    return json.dumps(fields, sort_keys=True)


def neuron_types(graph: Graph) -> list[str]:
    """Sorted type names of the neuron (and threshold) nodes in ``graph``."""
    found = set()
    for node in graph.nodes.values():
        kind = kind_of(node)
        if kind is not None and kind.family in ("neuron", "threshold"):
            found.add(type_name(node))
    return sorted(found)


def states_json(states: Sequence[StateSpec]) -> str:
    """The state table, JSON."""
    rows = [
        {"name": s.name, "next": s.next_name, "node": s.node, "var": s.var, "shape": list(s.shape)}
        for s in states
    ]
    return json.dumps(rows)


def build_metadata(
    graph: Graph,
    *,
    mode: str,
    steps: int | None,
    states: Sequence[StateSpec],
    quantize: str | None,
    weights: Mapping[str, Int8Weight],
) -> list[tuple[str, str]]:
    """The ``(key, value)`` pairs, in a fixed order."""
    props = [
        ("version", distribution_version("snncompile")),
        ("backend", f"onnx {distribution_version('snncompile-onnx')}"),
        ("mode", mode),
        ("steps", "" if steps is None else str(steps)),
        ("layout", "[batch, ...]" if mode == "step" else "[time, batch, ...]"),
        ("profile", profile_json(graph)),
        ("neuron_types", json.dumps(neuron_types(graph))),
        ("source_sha256", source_hash(graph)),
        ("states", states_json(states)),
        ("quantize", quantize or "none"),
    ]
    if quantize:
        scales = {name: float(w.scale) for name, w in sorted(weights.items())}
        props.append(("weight_scales", json.dumps(scales)))
    return [(PREFIX + key, value) for key, value in props]


def read_metadata(props: Mapping[str, str]) -> dict[str, Any]:
    """Decode the ``snncompile.*`` entries of a model's metadata (JSON values parsed)."""
    out: dict[str, Any] = {}
    for key, value in props.items():
        if not key.startswith(PREFIX):
            continue
        short = key[len(PREFIX) :]
        if short in ("profile", "neuron_types", "states", "weight_scales"):
            out[short] = json.loads(value)
        elif short == "steps":
            out[short] = int(value) if value else None
        else:
            out[short] = value
    return out
