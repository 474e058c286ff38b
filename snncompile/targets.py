"""The core's own target: ``nir`` — a NIR file, simulated by the reference simulator.

Native neurons are written as exact NIR primitive subgraphs where exact (soft- and
hard-reset LIF, PLIF, DA-LIF), and always kept losslessly in namespaced metadata, so
the file reads back as the same IR graph. CLIF and ILIF have no exact NIR form: other
tools see a flagged approximation, snncompile reads the exact node back.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from snncompile.backend import Backend, Capabilities, LiveNodeTypes, graph_input_shape
from snncompile.ir.graph import Graph
from snncompile.ir.nir_io import read_nir, write_nir
from snncompile.ir.nodes import node_classes
from snncompile.ir.topology import TOPOLOGIES
from snncompile.reference import simulate

ARTIFACT_NAME = "model.nir"


class NirBackend(Backend):
    """Writes ``model.nir`` (``nir.read`` accepts it with strict type checking)."""

    name: ClassVar[str] = "nir"
    artifact_suffix: ClassVar[str | None] = ".nir"
    capabilities: ClassVar[Capabilities] = Capabilities(
        node_types=LiveNodeTypes(node_classes),
        # every shape but max pooling of values: NIR has no max primitive, and only a
        # spike input makes it exact as a sum pool and a threshold (snncompile.ir.max_pool)
        topologies=frozenset(TOPOLOGIES) - {"maxpool_values"},
        notes={"semantics": "the reference simulator defines them (snncompile.reference)"},
    )

    def emit(self, graph: Graph, out_dir: Path) -> Path:
        path = Path(out_dir) / ARTIFACT_NAME
        write_nir(graph, path)
        return path

    @classmethod
    def read_graph(cls, path: Path) -> Graph:
        """The file is the graph (read with the ``snncompile`` dialect)."""
        return read_nir(Path(path), "snncompile")

    @classmethod
    def input_shape(cls, path: Path) -> tuple[int, ...] | None:
        return graph_input_shape(cls.read_graph(path))

    def simulate(
        self, artifact: Path, inputs: Any, steps: int | None = None
    ) -> dict[str, np.ndarray]:
        graph = read_nir(Path(artifact), "snncompile")
        x = inputs if isinstance(inputs, Mapping) else np.asarray(inputs)  # several Inputs
        if steps:
            x = {k: v[:steps] for k, v in x.items()} if isinstance(x, Mapping) else x[:steps]
        return simulate(graph, x, dtype=np.float32)
