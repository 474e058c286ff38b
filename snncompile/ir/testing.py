"""Test helpers for graphs (also for backend test suites): equality and NIR round trips."""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import nir

from snncompile.ir.diagnostics import LossyConversionWarning, NirCompatibilityWarning
from snncompile.ir.equality import graph_differences
from snncompile.ir.graph import Graph
from snncompile.ir.native_neurons import CLIF, ILIF
from snncompile.ir.nir_io import from_nir, read_nir, to_nir, write_nir
from snncompile.ir.text import dump
from snncompile.ir.verify import verify


def assert_graphs_equal(actual: Graph, expected: Graph, what: str = "graphs") -> None:
    """Raise AssertionError listing every difference between two graphs."""
    diffs = graph_differences(actual, expected)
    if diffs:
        raise AssertionError(f"{what} differ:\n  " + "\n  ".join(diffs))


def assert_roundtrip(graph: Graph) -> Graph:
    """Assert IR -> NIR -> IR and IR -> .nir file -> IR are identities.

    Also checks that ``nir.read`` accepts the file with its default strict type checking
    (without it only when the export flagged nir's non-square-kernel bug),
    that the text dumps of all three graphs are byte-identical, and that a lossy-export
    warning appears exactly when the graph holds CLIF/ILIF nodes. Returns the graph read
    back from the file.
    """
    verify(graph)
    inexact = any(isinstance(n, (CLIF, ILIF)) for n in graph.nodes.values())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        in_memory = from_nir(to_nir(graph))
        with tempfile.TemporaryDirectory() as tmp:
            path = write_nir(graph, Path(tmp) / "graph.nir")
            nir_bug = any(issubclass(w.category, NirCompatibilityWarning) for w in caught)
            # strict type checking must accept our files (unless nir's own bug is flagged)
            nir.read(path, type_check=not nir_bug)
            from_file = read_nir(path)
    known = (LossyConversionWarning, NirCompatibilityWarning)
    lossy = [w for w in caught if issubclass(w.category, LossyConversionWarning)]
    others = [str(w.message) for w in caught if not issubclass(w.category, known)]
    if others:
        raise AssertionError(f"unexpected warnings during the round trip: {others}")
    if bool(lossy) != inexact:
        raise AssertionError(
            f"lossy-export warnings {[str(w.message) for w in lossy]} do not match the "
            f"graph's inexact nodes (CLIF/ILIF present: {inexact})"
        )
    assert_graphs_equal(in_memory, graph, "IR -> NIR -> IR")
    assert_graphs_equal(from_file, graph, "IR -> .nir file -> IR")
    text = dump(graph)
    for other in (in_memory, from_file):
        if dump(other) != text:
            raise AssertionError("text dump changed over the round trip")
    return from_file
