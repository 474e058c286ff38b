"""IR <-> NIR: ``to_nir``/``write_nir`` here, ``from_nir``/``read_nir`` in ``nir_import``.

Export writes a flat NIR graph that ``nir.read(path)`` accepts with its default strict
type checking:

- NIR primitive nodes are written as they are, with per-node profile overrides as
  ``snncompile.profile.<field>`` metadata;
- native nodes become their primitive form (:mod:`snncompile.ir.lowering`) under dotted
  names ``<node>.<member>`` (one-node forms keep the node's name);
- grouped convolutions become the equivalent dense block-diagonal convolution (nir's
  type checker mis-sizes grouped inputs) and missing conv/flatten input shapes are
  filled in;
- whenever the written form differs from the IR node, the exact node is stored in the
  entry member's ``snncompile.node`` metadata, so ``from_nir(to_nir(g))`` equals ``g``.

CLIF and ILIF have no exact form: they are written as a soft-reset LIF approximation
with a :class:`LossyConversionWarning` (or an error with ``on_inexact="error"``).
MaxPool2d is written as ``SumPool2d`` + ``Threshold(0.5)`` when its input is binary
spikes and refused (:class:`UnsupportedNodeError` naming it) otherwise.

nir 1.0.8 sizes Conv2d outputs with the first kernel dimension for both axes, so its
strict type checking rejects correct graphs with non-square kernels; such exports emit a
:class:`NirCompatibilityWarning` (read them with ``nir.read(path, type_check=False)``).
"""

from __future__ import annotations

import dataclasses
import os
import warnings
from pathlib import Path
from typing import Any, Literal

import nir
import numpy as np

from snncompile.errors import ConfigError, IRValidationError, OutputError, UnsupportedNodeError
from snncompile.ir.diagnostics import LossyConversionWarning, NirCompatibilityWarning
from snncompile.ir.graph import Edge, Graph
from snncompile.ir.lowering import Lowering, check_form_applies, lower_native
from snncompile.ir.metadata_codec import (
    EXACT_KEY,
    FORMAT_KEY,
    FORMAT_VERSION,
    GROUP_KEY,
    LOWERING_KEY,
    NODE_KEY,
    ROLE_KEY,
    encode_node,
    encode_profile,
    encode_value,
)
from snncompile.ir.nir_import import from_nir, read_nir
from snncompile.ir.nodes import kind_of, replace_node, type_name
from snncompile.ir.shape_inference import NodeShapes, infer_graph_shapes
from snncompile.ir.splice import splice_edges
from snncompile.ir.verify import verify

OnInexact = Literal["warn", "error"]

__all__ = ["from_nir", "read_nir", "to_nir", "write_nir"]


def to_nir(graph: Graph, *, on_inexact: OnInexact = "warn") -> nir.NIRGraph:
    """The NIR graph of ``graph`` (verified first), lossless for snncompile readers.

    Raises:
        IRValidationError: ``graph`` is not well formed, or a member name would collide.
        UnsupportedNodeError: a DA-LIF outside its export range, a MaxPool2d of values
            that are not binary spikes, or an inexact node with ``on_inexact="error"``.
    """
    result, notes = _to_nir(graph, on_inexact)
    for category, note in notes:
        warnings.warn(note, category, stacklevel=2)
    return result


def write_nir(
    graph: Graph,
    path: str | os.PathLike[str],
    *,
    on_inexact: OnInexact = "warn",
    stored_copy: bool = False,
) -> Path:
    """Write ``graph`` as a ``.nir`` (HDF5) file and return its path.

    ``stored_copy=True`` is for the copy of the IR an artefact keeps for snncompile
    (:func:`snncompile.backend.graph_to_bytes`): a node whose NIR form does not apply in
    this graph (a MaxPool2d of values that are not spikes) is written in that form anyway,
    marked inexact; snncompile restores it exactly from metadata, other readers get a
    different graph.

    Raises:
        OutputError: the file cannot be written (disk full, no permission, ...).
    """
    result, notes = _to_nir(graph, on_inexact, stored_copy)
    for category, note in notes:
        warnings.warn(note, category, stacklevel=2)
    target = Path(path)
    try:
        nir.write(target, result)
    except OSError as exc:
        raise OutputError.from_os_error(target, exc) from exc
    return target


Note = tuple[type[Warning], str]


def _to_nir(
    graph: Graph, on_inexact: OnInexact, stored_copy: bool = False
) -> tuple[nir.NIRGraph, list[Note]]:
    if on_inexact not in ("warn", "error"):
        raise ConfigError(
            f"on_inexact={on_inexact!r}", hint="use on_inexact='warn' or on_inexact='error'"
        )
    verify(graph)
    shapes = infer_graph_shapes(graph)
    nodes: dict[str, Any] = {}
    entry: dict[str, str] = {}
    exit_: dict[str, str] = {}
    internal: dict[str, list[Edge]] = {}
    notes: list[Note] = []
    for name, node in graph.nodes.items():
        form = _file_form(name, node, graph, shapes[name], on_inexact, stored_copy)
        if not form.exact:
            notes.append(
                (
                    LossyConversionWarning,
                    f"node {name!r} ({type_name(node)}) has no exact NIR form; written as "
                    f"{form.note}. snncompile restores it exactly from metadata, other "
                    "readers get the approximation",
                )
            )
        if isinstance(node, nir.Conv2d) and len(set(node.weight.shape[2:])) > 1:
            notes.append(
                (
                    NirCompatibilityWarning,
                    f"node {name!r} (Conv2d) has a non-square kernel "
                    f"{list(node.weight.shape[2:])}; nir 1.0.8's strict type checking "
                    "mis-sizes its output, so read the file with nir.read(path, "
                    "type_check=False) (snncompile's reader is unaffected)",
                )
            )
        changed = form.nodes.get("") is not node
        for suffix, prim in form.nodes.items():
            full = form.full_name(name, suffix)
            if full != name and (full in graph.nodes or full in nodes):
                raise IRValidationError(
                    f"cannot export node {name!r} ({type_name(node)}): its NIR member name "
                    f"{full!r} is already used",
                    node=name,
                    hint=f"rename node {full!r}",
                )
            nodes[full] = _with_metadata(name, node, graph, form, suffix, prim, changed)
        entry[name] = form.full_name(name, form.entry)
        exit_[name] = form.full_name(name, form.exit)
        internal[name] = [(form.full_name(name, a), form.full_name(name, b)) for a, b in form.edges]
    edges = splice_edges(graph.edges, entry, exit_, internal)
    metadata = {FORMAT_KEY: FORMAT_VERSION, **encode_profile(graph.profile.graph_fields())}
    metadata.update(encode_value(dict(graph.metadata)))
    return nir.NIRGraph(nodes, edges, metadata=metadata, type_check=False), notes


def _file_form(
    name: str,
    node: Any,
    graph: Graph,
    shapes: NodeShapes,
    on_inexact: OnInexact,
    stored_copy: bool = False,
) -> Lowering:
    kind = kind_of(node)
    if kind is not None and kind.native:
        why = ""
        try:
            check_form_applies(graph, name)
        except UnsupportedNodeError as exc:
            if not stored_copy:
                raise
            why = exc.message
        form = lower_native(name, node, graph.profile, shapes.input, allow_inexact=True)
        if form is None:  # every native kind has a form; a missing one is a bug
            raise RuntimeError(f"no NIR form for native node type {type_name(node)}")
        if why:  # a stored copy: the exact node rides in the metadata
            return dataclasses.replace(form, exact=False, note=f"{form.note} (not exact: {why})")
        if not form.exact and on_inexact == "error":
            raise UnsupportedNodeError(
                f"node {name!r} ({type_name(node)}) has no exact NIR form ({form.note})",
                node=name,
                hint="pass on_inexact='warn' to write the approximation, or keep the node on "
                "a target with native support",
            )
        return form
    written = node
    if isinstance(node, (nir.Conv1d, nir.Conv2d)):
        written = _dense_conv(node, shapes.input)
    elif isinstance(node, nir.Flatten) and node.input_type.get("input") is None:
        written = replace_node(node, input_type=np.asarray(shapes.input, dtype=np.int64))
    return Lowering({"": written})


def _dense_conv(node: Any, in_shape: Any) -> Any:
    """The conv with its input shape filled in and groups expanded to a dense weight."""
    spatial = tuple(int(d) for d in in_shape[1:])
    input_shape: Any = spatial[0] if isinstance(node, nir.Conv1d) else spatial
    groups = int(node.groups)
    if groups == 1 and node.input_shape is not None:
        return node
    weight = node.weight
    if groups > 1:
        c_out, c_in_g = weight.shape[:2]
        dense = np.zeros((c_out, c_in_g * groups, *weight.shape[2:]), dtype=weight.dtype)
        c_out_g = c_out // groups
        for g in range(groups):
            rows = slice(g * c_out_g, (g + 1) * c_out_g)
            dense[rows, g * c_in_g : (g + 1) * c_in_g] = weight[rows]
        weight = dense
    return replace_node(node, input_shape=input_shape, weight=weight, groups=1, metadata={})


def _with_metadata(
    name: str, node: Any, graph: Graph, form: Lowering, suffix: str, prim: Any, changed: bool
) -> Any:
    """``prim`` with the metadata that lets snncompile restore ``node`` exactly."""
    meta: dict[str, Any] = {}
    native = changed or len(form.nodes) > 1 or suffix != ""
    if not native:
        meta.update(encode_value(dict(node.metadata or {})))
        meta.update(encode_profile(graph.profile.overrides.get(name, {})))
        return replace_node(prim, metadata=meta)
    role = "member"
    if suffix == form.entry:
        role = "entry+exit" if suffix == form.exit else "entry"
        meta[NODE_KEY] = encode_node(node)
        meta[LOWERING_KEY] = form.note or type_name(prim)
        meta[EXACT_KEY] = bool(form.exact)
    elif suffix == form.exit:
        role = "exit"
    meta[GROUP_KEY] = name
    meta[ROLE_KEY] = role
    pins = form.pins.get(suffix, {})
    own = graph.profile.graph_fields()
    meta.update(encode_profile({k: v for k, v in pins.items() if own.get(k) != v}))
    return replace_node(prim, metadata=meta)
