"""Lossless encoding of IR values, nodes and profiles into NIR (HDF5) metadata.

HDF5 (through ``nir.write``) stores strings, numbers, non-scalar numeric arrays and
nested dicts. Everything else is wrapped in a dict with a ``__kind__`` marker:
None, 0-d arrays, tuples/lists (as JSON, which round-trips Python floats exactly) and
string arrays. NumPy scalars read back from HDF5 decode to Python scalars.

Reserved keys (all under the ``snncompile.`` prefix) written on export:

=========================== ==============================================================
``snncompile.format``        format version of these keys (graph metadata)
``snncompile.profile.<f>``   execution-profile field ``f`` (graph: graph-wide value;
                             node: a per-node override)
``snncompile.node``          the exact IR node a written node (or group) stands for
``snncompile.group``         name of the IR node a written node belongs to
``snncompile.role``          ``entry`` / ``exit`` / ``entry+exit`` / ``member`` in its group
``snncompile.lowering``      one-line description of the written form
``snncompile.exact``         False when the written primitives only approximate the node
=========================== ==============================================================
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np

from snncompile.ir.nodes import NODE_TYPES, make_node, node_fields, type_name

PREFIX = "snncompile."
FORMAT_KEY = "snncompile.format"
FORMAT_VERSION = 1
PROFILE_PREFIX = "snncompile.profile."
NODE_KEY = "snncompile.node"
GROUP_KEY = "snncompile.group"
ROLE_KEY = "snncompile.role"
LOWERING_KEY = "snncompile.lowering"
EXACT_KEY = "snncompile.exact"
_KIND = "__kind__"


def encode_value(value: Any) -> Any:
    """``value`` in a form ``nir.write`` stores and :func:`decode_value` restores."""
    if value is None:
        return {_KIND: "none"}
    if isinstance(value, Mapping):
        return {str(k): encode_value(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        kind = "tuple" if isinstance(value, tuple) else "list"
        items = [v.item() if isinstance(v, np.generic) else v for v in value]
        return {_KIND: kind, "json": json.dumps(items)}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "SUO":
            return {_KIND: "strarray", "json": json.dumps(value.astype(str).tolist())}
        if value.ndim == 0:
            return {_KIND: "array0d", "value": value.reshape(1)}
        return value
    return value


def decode_value(value: Any) -> Any:
    """Inverse of :func:`encode_value` (also normalises values read back by h5py).

    Raises:
        ValueError: a malformed ``__kind__`` wrapper (a damaged file).
    """
    if isinstance(value, Mapping):
        kind = value.get(_KIND)
        if kind is None:
            return {str(k): decode_value(v) for k, v in value.items()}
        kind = decode_value(kind)
        if not isinstance(kind, str):
            raise ValueError(f"malformed encoded value: {_KIND} is {kind!r}")
        if kind == "none":
            return None
        if kind in ("tuple", "list"):
            items = json.loads(_json_text(value))
            if not isinstance(items, list):
                raise ValueError(f"malformed encoded {kind}: {items!r:.80}")
            return tuple(items) if kind == "tuple" else items
        if kind == "strarray":
            return np.asarray(json.loads(_json_text(value)), dtype=str)
        if kind == "array0d":
            if "value" not in value or np.asarray(value["value"]).size != 1:
                raise ValueError("malformed encoded 0-d array")
            return np.asarray(value["value"]).reshape(())
        return {str(k): decode_value(v) for k, v in value.items()}
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray) and value.dtype.kind in "OS":  # h5py string arrays
        items = [v.decode() if isinstance(v, bytes) else str(v) for v in value.ravel()]
        return np.asarray(items, dtype=str).reshape(value.shape)
    return value


def _json_text(value: Mapping[str, Any]) -> str:
    text = decode_value(value.get("json"))
    if not isinstance(text, str):
        raise ValueError(f"malformed encoded value: 'json' is {type(text).__name__}")
    return text


def encode_node(node: Any) -> dict[str, Any]:
    """An IR node as ``{"type", "fields", "metadata"}`` (for ``snncompile.node``)."""
    encoded: dict[str, Any] = {
        "type": type_name(node),
        "fields": {k: encode_value(v) for k, v in node_fields(node).items()},
    }
    if node.metadata:
        encoded["metadata"] = encode_value(dict(node.metadata))
    return encoded


def decode_node(data: Mapping[str, Any]) -> Any:
    """Inverse of :func:`encode_node`.

    Raises:
        KeyError: the stored type is not an IR node type (the caller reports it).
    """
    name = decode_value(data["type"])
    if name not in NODE_TYPES:
        raise KeyError(name)
    fields = {k: decode_value(v) for k, v in dict(data.get("fields", {})).items()}
    metadata = decode_value(data.get("metadata", {}))
    return make_node(name, fields, metadata)


def encode_profile(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Profile fields as ``snncompile.profile.<field>`` metadata entries (None omitted)."""
    return {PROFILE_PREFIX + k: encode_value(v) for k, v in fields.items() if v is not None}


def decode_profile(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """The ``snncompile.profile.*`` entries of ``metadata`` as profile fields."""
    return {
        key[len(PROFILE_PREFIX) :]: decode_value(value)
        for key, value in metadata.items()
        if key.startswith(PROFILE_PREFIX)
    }


def user_metadata(metadata: Mapping[str, Any] | None) -> dict[str, Any]:
    """``metadata`` without the reserved ``snncompile.`` keys, decoded."""
    return {k: decode_value(v) for k, v in (metadata or {}).items() if not k.startswith(PREFIX)}
