"""NIR -> IR: ``from_nir`` and ``read_nir``, tolerant of foreign files (docs/nir.md §6).

Reading goes: ``nir.read(path, type_check=False)``; nested subgraphs flattened to dotted
names; the execution profile from the dialect preset (plus, for the ``snncompile``
dialect, the file's ``snncompile.profile.*`` metadata), then the caller's overrides
(graph-wide, then per node: :func:`~snncompile.ir.dialects.split_overrides`);
snncompile groups restored to their exact IR nodes; batch dimensions dropped and
scalar parameters broadcast; every contradiction between file and preset reported as a
:class:`DialectWarning`; finally :func:`verify`.
"""

from __future__ import annotations

import dataclasses
import os
import warnings
from pathlib import Path
from typing import Any

import nir
import numpy as np

from snncompile.errors import ConfigError, IRValidationError, SnnCompileError
from snncompile.ir.diagnostics import DialectWarning
from snncompile.ir.dialects import Dialect, Overrides, dialect_profile, get_dialect, split_overrides
from snncompile.ir.graph import Edge, Graph
from snncompile.ir.input_files import require_file
from snncompile.ir.lowering import lower_native
from snncompile.ir.metadata_codec import (
    GROUP_KEY,
    NODE_KEY,
    PREFIX,
    ROLE_KEY,
    decode_node,
    decode_profile,
    decode_value,
    user_metadata,
)
from snncompile.ir.nir_flatten import flatten_nir
from snncompile.ir.nir_isolated import read_nir_graph
from snncompile.ir.nir_tolerant import fix_foreign_shapes
from snncompile.ir.nodes import kind_of, replace_node
from snncompile.ir.plausibility import plausibility_notes
from snncompile.ir.profile import OVERRIDABLE, ExecutionProfile
from snncompile.ir.verify import verify

Source = str | os.PathLike[str] | nir.NIRGraph


def from_nir(
    source: Source,
    dialect: str | None = None,
    *,
    profile: ExecutionProfile | None = None,
    overrides: Overrides | None = None,
    **fields: Any,
) -> Graph:
    """The IR graph of a NIR graph or ``.nir`` file.

    Args:
        source: a ``nir.NIRGraph`` or the path of a ``.nir`` file.
        dialect: the framework that wrote it (see :mod:`snncompile.ir.dialects`). None:
            ``snncompile``, with a :class:`DialectWarning` naming that assumption when
            the file carries no snncompile metadata (it was written by another tool).
        profile: a complete execution profile replacing the preset and file profile.
        overrides: ``{"FIELD": value}`` (graph-wide) and ``{"NODE.FIELD": value}`` or
            ``{"NODE": {"FIELD": value}}`` (one node); string values are parsed by the
            field's type (:func:`~snncompile.ir.dialects.split_overrides`). They win over
            preset, file and ``profile``.
        **fields: graph-wide execution-profile fields, as in ``overrides``.

    Raises:
        CheckpointError: the file cannot be read as NIR.
        ConfigError: unknown dialect, field or node, or a value of the wrong type.
        IRValidationError: the graph is not valid IR after the tolerant fixes.
    """
    graph, notes = _guarded(source, dialect, profile, {**(overrides or {}), **fields})
    for note in notes:
        warnings.warn(note, DialectWarning, stacklevel=2)
    return graph


def read_nir(
    path: str | os.PathLike[str],
    dialect: str | None = None,
    *,
    profile: ExecutionProfile | None = None,
    overrides: Overrides | None = None,
    **fields: Any,
) -> Graph:
    """:func:`from_nir` for a file path."""
    graph, notes = _guarded(path, dialect, profile, {**(overrides or {}), **fields})
    for note in notes:
        warnings.warn(note, DialectWarning, stacklevel=2)
    return graph


#: What conversion code raises on malformed nodes: NIR's own constructors check with
#: ``assert``, numpy raises ValueError/TypeError on odd shapes and dtypes.
_MALFORMED = (
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    AttributeError,
    AssertionError,
    ArithmeticError,
    RecursionError,
)


def _guarded(
    source: Source, dialect: str | None, profile: ExecutionProfile | None, overrides: dict[str, Any]
) -> tuple[Graph, list[str]]:
    """:func:`_from_nir`, with a malformed graph (file or foreign object) reported as an
    :class:`IRValidationError` instead of whatever numpy or nir raised on it."""
    try:
        return _from_nir(source, dialect, profile, overrides)
    except SnnCompileError:
        raise
    except _MALFORMED as exc:
        where = "the NIR graph" if isinstance(source, nir.NIRGraph) else f"{str(source)!r}"
        reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
        raise IRValidationError(
            f"{where} is not a valid NIR graph: a node or its metadata is malformed "
            f"({type(exc).__name__}{': ' + reason if reason else ''})",
            hint="the file is damaged or was written by an incompatible tool; export it "
            "again (`snncompile --debug ...` shows where it failed)",
        ) from exc


def _from_nir(
    source: Source,
    dialect: str | None,
    profile: ExecutionProfile | None,
    overrides: dict[str, Any],
) -> tuple[Graph, list[str]]:
    preset = get_dialect("snncompile" if dialect is None else dialect)
    wanted = split_overrides(overrides)  # bad names and values fail before the file is read
    ngraph = _load(source)
    nodes, edges = flatten_nir(ngraph)
    meta = dict(ngraph.metadata or {}) if isinstance(ngraph.metadata, dict) else {}
    ours = preset.name == "snncompile"
    file_profile = _profile_fields(decode_profile(meta), "graph metadata")
    notes: list[str] = []
    if dialect is None and not isinstance(source, nir.NIRGraph) and not _written_by_us(meta):
        notes.append(_assumed_dialect_note(source))
    if profile is not None:
        prof = dataclasses.replace(profile, **wanted.graph)
    else:
        prof = dialect_profile(preset.name, file_profile if ours else {}, **wanted.graph)
    if not ours:
        notes += _contradicting_profile(file_profile, prof, preset.name)
    node_overrides: dict[str, dict[str, Any]] = {}
    if ours:
        nodes, edges = _restore_groups(nodes, edges, prof, notes)
    clean: dict[str, Any] = {}
    for name, node in nodes.items():
        node_meta = node.metadata or {}
        if ours and kind_of(node) is not None:
            fields = _profile_fields(decode_profile(node_meta), f"metadata of node {name!r}")
            if fields:
                node_overrides[name] = fields
        clean[name] = replace_node(node, metadata=user_metadata(node_meta))
    for name, fields in node_overrides.items():
        merged = {**fields, **dict(prof.overrides.get(name, {}))}
        prof = prof.with_override(name, **merged)
    prof = _with_node_overrides(prof, wanted.nodes, clean)
    graph = Graph(clean, tuple(edges), prof, user_metadata(meta))
    if not ours:
        graph = _with_preset_rules(graph, preset, wanted.graph, wanted.nodes)
    graph = fix_foreign_shapes(graph)
    for name, node in graph.nodes.items():
        notes += preset.check(name, node, float(graph.node_profile(name).dt))
    graph = verify(graph)
    if not ours:
        notes += plausibility_notes(graph, preset.name)
    return graph, notes


def _with_node_overrides(
    profile: ExecutionProfile, wanted: dict[str, dict[str, Any]], nodes: dict[str, Any]
) -> ExecutionProfile:
    """``profile`` with the caller's per-node fields (they win over the file's).

    Only nodes with dynamics (stateful or spiking) have a profile: an override on another
    node would change nothing, so it is refused rather than ignored.
    """
    timed = sorted(n for n, node in nodes.items() if _has_dynamics(node))
    for name, fields in wanted.items():
        if name not in nodes or not _has_dynamics(nodes[name]):
            what = (
                f"the graph has no node {name!r}"
                if name not in nodes
                else f"node {name!r} ({type(nodes[name]).__name__}) has no dynamics, so no "
                "execution profile"
            )
            raise ConfigError(
                f"profile override for node {name!r}: {what}",
                node=name,
                hint=f"nodes with a profile: {', '.join(timed[:30]) or '(none)'}"
                f"{' ...' if len(timed) > 30 else ''} (`snncompile inspect FILE` lists all "
                "nodes); 'FIELD=VALUE' without a node sets it graph-wide",
            )
        profile = profile.with_override(name, **fields)
    return profile


def _with_preset_rules(
    graph: Graph,
    preset: Dialect,
    user_graph: dict[str, Any],
    user_nodes: dict[str, dict[str, Any]],
) -> Graph:
    """``graph`` with the per-node fields the preset's framework implies for it; a field
    the user set, graph-wide or on that node, wins."""
    profile = graph.profile
    for name, fields in preset.node_rules(graph).items():
        mine = user_nodes.get(name, {})
        kept = {k: v for k, v in fields.items() if k not in user_graph and k not in mine}
        if kept:
            profile = profile.with_override(name, **kept)
    return graph.replace(profile=profile)


def _has_dynamics(node: Any) -> bool:
    kind = kind_of(node)
    return kind is not None and (kind.stateful or kind.spiking)


def _written_by_us(meta: dict[str, Any]) -> bool:
    """Whether the graph metadata has snncompile's namespace (every export writes it)."""
    return any(isinstance(k, str) and k.startswith(PREFIX) for k in meta)


def _assumed_dialect_note(source: Source) -> str:
    fields = dialect_profile("snncompile").graph_fields()
    return (
        f"{str(source)!r} was not written by snncompile (no snncompile.* metadata): read "
        f"with the assumed 'snncompile' preset (dt={fields['dt']} {fields['time_unit']}, "
        f"integrator={fields['integrator']}, reset={fields['reset']}, "
        f"reset_timing={fields['reset_timing']}, compare={fields['compare']!r}); if another "
        "framework wrote it, choose "
        "its preset with --dialect NAME (API: dialect=NAME); `snncompile dialects` lists "
        "them"
    )


#: hints for a NIR path that is missing, a directory, empty
_PATH_HINTS = (
    "check the path; NIR files are HDF5 files usually named *.nir",
    "pass the .nir file itself",
    "the write was interrupted or the copy failed; export it again",
)


def _load(source: Source) -> nir.NIRGraph:
    if isinstance(source, nir.NIRGraph):
        return _plain_arrays(source)
    path = Path(source)
    shown = str(path)
    require_file(path, f"NIR file {shown!r}", _PATH_HINTS, dir_subject=f"NIR path {shown!r}")
    return read_nir_graph(path)


def _plain_arrays(graph: nir.NIRGraph) -> nir.NIRGraph:
    """``graph`` with array-likes that are not numpy arrays (the torch tensors that the
    Norse and sinabs exporters leave in memory) converted to numpy, at every depth."""
    nodes: dict[str, Any] = {}
    for name, node in graph.nodes.items():
        if isinstance(node, nir.NIRGraph):
            nodes[name] = _plain_arrays(node)
            continue
        changes = {
            field.name: _plain(getattr(node, field.name))
            for field in dataclasses.fields(node)
            if field.name != "metadata" and _has_tensor(getattr(node, field.name))
        }
        nodes[name] = dataclasses.replace(node, **changes) if changes else node
    return nir.NIRGraph(
        nodes=nodes, edges=list(graph.edges), metadata=graph.metadata, type_check=False
    )


def _is_tensor(value: Any) -> bool:
    return hasattr(value, "detach") and hasattr(value, "numpy")  # torch, without importing it


def _has_tensor(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_is_tensor(v) for v in value.values())
    return _is_tensor(value)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return np.asarray(value.detach().cpu().numpy()) if _is_tensor(value) else value


def _profile_fields(fields: dict[str, Any], where: str) -> dict[str, Any]:
    """``snncompile.profile.*`` fields read from a file, checked before use."""
    unknown = sorted(set(fields) - set(OVERRIDABLE))
    if unknown:
        raise IRValidationError(
            f"{where}: unknown execution profile field(s) {unknown} (snncompile.profile.* keys)",
            hint="the file is damaged or was written by a newer snncompile; upgrade "
            f"snncompile or remove the keys (known: {', '.join(OVERRIDABLE)})",
        )
    for key, value in fields.items():
        if not (value is None or isinstance(value, (str, int, float))):
            raise IRValidationError(
                f"{where}: execution profile field {key!r} holds a "
                f"{type(value).__name__}, expected a number or a string",
                hint="the file is damaged; export it again",
            )
    return fields


def _contradicting_profile(
    file_profile: dict[str, Any], profile: ExecutionProfile, dialect: str
) -> list[str]:
    fields = profile.graph_fields()
    return [
        f"{dialect} dialect: the file records execution profile field {key!r} = {value!r} "
        f"(snncompile metadata) but the preset uses {fields[key]!r}; read it with "
        "dialect='snncompile' to use the file's value"
        for key, value in file_profile.items()
        if key in fields and value != fields[key]
    ]


def _restore_groups(
    nodes: dict[str, Any], edges: list[Edge], profile: ExecutionProfile, notes: list[str]
) -> tuple[dict[str, Any], list[Edge]]:
    """Replace each intact snncompile group by the exact IR node stored in its entry."""
    groups: dict[str, list[str]] = {}
    for name, node in nodes.items():
        group = decode_value((node.metadata or {}).get(GROUP_KEY))
        if isinstance(group, str):
            groups.setdefault(group, []).append(name)
    owner: dict[str, str] = {}
    internal: set[Edge] = set()
    restored: dict[str, Any] = {}
    for group, members in groups.items():
        result = _restore_one(group, members, nodes, edges, profile)
        if isinstance(result, str):
            notes.append(result)
            continue
        node, inner = result
        restored[group] = node
        owner.update({m: group for m in members})
        internal |= inner
    out_nodes: dict[str, Any] = {}
    for name, node in nodes.items():
        if name in owner:
            group = owner[name]
            if group not in out_nodes:
                out_nodes[group] = restored[group]
        else:
            out_nodes[name] = node
    out_edges = [(owner.get(s, s), owner.get(d, d)) for s, d in edges if (s, d) not in internal]
    return out_nodes, out_edges


def _restore_one(
    group: str, members: list[str], nodes: dict[str, Any], edges: list[Edge], profile: Any
) -> tuple[Any, set[Edge]] | str:
    """(node, internal edges) of an intact group, or a note explaining why it is kept."""
    kept = f"snncompile group {group!r} kept as NIR primitives {sorted(members)}: "
    roles = {m: decode_value(nodes[m].metadata.get(ROLE_KEY)) for m in members}
    entries = [m for m in members if NODE_KEY in nodes[m].metadata]
    exits = [m for m, r in roles.items() if isinstance(r, str) and r in ("exit", "entry+exit")]
    if len(entries) != 1 or len(exits) != 1:
        return kept + "its entry/exit markers are missing or repeated"
    try:
        node = decode_node(nodes[entries[0]].metadata[NODE_KEY])
    except (KeyError, TypeError, ValueError, AssertionError) as exc:
        return kept + f"its stored node cannot be decoded ({type(exc).__name__}: {exc})"
    if group in nodes and group not in members:
        return kept + f"another node is already named {group!r}"
    inner: set[Edge] = set()
    form = None
    kind = kind_of(node)
    if kind is not None and kind.native and kind.family == "neuron":
        try:
            form = lower_native(group, node, profile, allow_inexact=True)
        except SnnCompileError as exc:
            return kept + f"its stored node has no NIR form ({exc.message})"
    if form is not None:
        expected = {form.full_name(group, s) for s in form.nodes}
        if expected != set(members):
            return kept + f"its members differ from the expected {sorted(expected)}"
        inner = {(form.full_name(group, a), form.full_name(group, b)) for a, b in form.edges}
        if not inner <= set(edges):
            return kept + "its internal edges were changed"
    member_set = set(members)
    if form is None:  # a form that needs shapes (MaxPool2d): the edges among its members
        inner = {(src, dst) for src, dst in edges if src in member_set and dst in member_set}
    for src, dst in edges:
        if (src, dst) in inner:
            continue
        if dst in member_set and src not in member_set and dst != entries[0]:
            return kept + f"edge {src!r} -> {dst!r} enters a member other than the entry"
        if src in member_set and dst not in member_set and src != exits[0]:
            return kept + f"edge {src!r} -> {dst!r} leaves a member other than the exit"
    return node, inner
