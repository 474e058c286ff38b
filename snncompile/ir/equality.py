"""Structural equality of nodes and graphs (NIR nodes compare by identity otherwise).

Floating-point arrays are equal only with the same dtype, shape and bits (NaN equals
NaN): a round trip must be lossless. Integer hyperparameters compare by value, so a
stride ``(1, 1)`` equals ``np.array([1, 1])``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from snncompile.ir.graph import Graph
from snncompile.ir.nodes import node_fields, type_name


def values_equal(a: Any, b: Any) -> bool:
    """Lossless equality of parameter and metadata values."""
    if isinstance(a, Mapping) or isinstance(b, Mapping):
        if not (isinstance(a, Mapping) and isinstance(b, Mapping)) or set(a) != set(b):
            return False
        return all(values_equal(a[k], b[k]) for k in a)
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bytes):
        a = a.decode()
    if isinstance(b, bytes):
        b = b.decode()
    if isinstance(a, str) or isinstance(b, str):
        return isinstance(a, str) and isinstance(b, str) and a == b
    x, y = np.asarray(a), np.asarray(b)
    floating = x.dtype.kind in "fc" or y.dtype.kind in "fc"
    if floating and isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and x.dtype != y.dtype:
        return False
    if x.shape != y.shape:
        return False
    if x.dtype.kind in "OSU" or y.dtype.kind in "OSU":
        return bool(np.all(x == y))
    return bool(np.array_equal(x, y, equal_nan=floating))


def node_differences(a: Any, b: Any) -> list[str]:
    """Human-readable differences between two nodes (empty when equal)."""
    if type(a) is not type(b):
        return [f"type {type_name(a)} != {type_name(b)}"]
    diffs = []
    fa, fb = node_fields(a), node_fields(b)
    for key in sorted(set(fa) | set(fb)):
        if not values_equal(fa.get(key), fb.get(key)):
            diffs.append(f"field {key}: {_short(fa.get(key))} != {_short(fb.get(key))}")
    if not values_equal(dict(a.metadata or {}), dict(b.metadata or {})):
        diffs.append(f"metadata: {dict(a.metadata or {})!r} != {dict(b.metadata or {})!r}")
    return diffs


def nodes_equal(a: Any, b: Any) -> bool:
    """True when two nodes have the same type, fields and metadata."""
    return not node_differences(a, b)


def graph_differences(a: Graph, b: Graph) -> list[str]:
    """Human-readable differences between two graphs (empty when equal)."""
    diffs = []
    only_a, only_b = sorted(set(a.nodes) - set(b.nodes)), sorted(set(b.nodes) - set(a.nodes))
    if only_a or only_b:
        diffs.append(f"node names differ: only in first {only_a}, only in second {only_b}")
    for name in sorted(set(a.nodes) & set(b.nodes)):
        diffs += [f"node {name!r}: {d}" for d in node_differences(a.nodes[name], b.nodes[name])]
    if a.edges != b.edges:
        diffs.append(f"edges differ: {list(a.edges)} != {list(b.edges)}")
    if a.profile != b.profile:
        diffs.append(f"profile differs: {a.profile} != {b.profile}")
    if not values_equal(dict(a.metadata), dict(b.metadata)):
        diffs.append(f"metadata differs: {dict(a.metadata)!r} != {dict(b.metadata)!r}")
    return diffs


def graphs_equal(a: Graph, b: Graph) -> bool:
    """True when two graphs have equal nodes, identical edge lists, profile and metadata."""
    return not graph_differences(a, b)


def _short(value: Any) -> str:
    if isinstance(value, np.ndarray):
        flat = value.ravel()[:4].tolist()
        return f"{value.dtype}{list(value.shape)} {flat}"
    return repr(value)
