"""The snncompile intermediate representation (torch-free).

A :class:`Graph` of NIR nodes and native nodes (``SoftLIF``, ``PLIF``, ``DALIF``,
``CLIF``, ``ILIF``, ``BatchNorm``, ``MaxPool2d``) with an :class:`ExecutionProfile`. See
``NODE_TYPES`` for the node set, :func:`verify` for the well-formedness rules,
:func:`to_nir` / :func:`from_nir` for NIR exchange and :func:`dump` for text dumps.
"""

from __future__ import annotations

from snncompile.ir.diagnostics import (
    DialectWarning,
    LossyConversionWarning,
    NirCompatibilityWarning,
)
from snncompile.ir.dialects import DIALECTS, dialect_profile
from snncompile.ir.equality import graph_differences, graphs_equal, nodes_equal
from snncompile.ir.export_checks import check_dalif_exportable, check_exportable
from snncompile.ir.graph import Graph, sequential
from snncompile.ir.lowering import lower_native, lowering_status
from snncompile.ir.native_layers import BatchNorm, MaxPool2d
from snncompile.ir.native_neurons import CLIF, DALIF, ILIF, PLIF, SoftLIF
from snncompile.ir.nir_io import from_nir, read_nir, to_nir, write_nir
from snncompile.ir.nodes import NODE_TYPES, NodeKind, kind_of, node_fields, replace_node
from snncompile.ir.profile import ExecutionProfile
from snncompile.ir.shape_inference import infer_graph_shapes
from snncompile.ir.text import dump
from snncompile.ir.verify import verify

__all__ = [
    "CLIF",
    "DALIF",
    "DIALECTS",
    "ILIF",
    "NODE_TYPES",
    "PLIF",
    "BatchNorm",
    "DialectWarning",
    "ExecutionProfile",
    "Graph",
    "LossyConversionWarning",
    "MaxPool2d",
    "NirCompatibilityWarning",
    "NodeKind",
    "SoftLIF",
    "check_dalif_exportable",
    "check_exportable",
    "dialect_profile",
    "dump",
    "from_nir",
    "graph_differences",
    "graphs_equal",
    "infer_graph_shapes",
    "kind_of",
    "lower_native",
    "lowering_status",
    "node_fields",
    "nodes_equal",
    "read_nir",
    "replace_node",
    "sequential",
    "to_nir",
    "verify",
    "write_nir",
]
