"""Every cell of the support table (docs/targets.md) against the conformance suite.

The table is what the backends declare (``snncompile.support``); the suite
(``test_backends.test_backend_conforms``) runs every installed backend, with each of its
option variants, on every graph of :data:`tests.conformance.zoo.ZOO` and requires a
*pass* (the artefact's run equals the backend's reference run) exactly when the graph's
node types are declared and :data:`~tests.conformance.test_backends.REFUSALS` does not
list the pair, and a refusal naming a node otherwise. This module does not run the
backends again (Lava runs take seconds each); it checks, from the same expectation
tables, that

- the suite's parametrisation is every installed backend × every zoo graph;
- every cell marked supported (``yes`` or ``folded``) has at least one zoo graph that
  exhibits it (holds the node type; has the topology, :func:`graph_topologies`) and that
  the suite expects to pass on that target, so the suite's pass is the cell's evidence;
- every cell marked ``no`` is refused on every zoo graph that exhibits it;
- no graph the suite expects to pass has a topology its target does not declare (the
  table never under-states a target).

With ``tests/conformance`` green, every supported cell thus passes the suite.
"""

from __future__ import annotations

from functools import cache

import pytest

from snncompile.backend import load_backend_class
from snncompile.ir.nodes import type_name
from snncompile.ir.topology import graph_topologies
from snncompile.passes.pipeline import run_pipeline
from snncompile.support import NO, Row, support_table
from tests.conformance import test_backends
from tests.conformance.test_backends import REFUSALS, installed_backends
from tests.conformance.zoo import ZOO


@cache
def expected_to_pass(target: str, graph_name: str) -> bool:
    """The suite's expectation for (target, graph): pass, else refusal (its rules)."""
    backend = load_backend_class(target)
    lowered = run_pipeline(ZOO[graph_name]())
    declared = all(test_backends._type_declared(backend, n) for n in lowered.nodes.values())
    return declared and (target, graph_name) not in REFUSALS


@cache
def exhibits(graph_name: str) -> frozenset[str]:
    """The node type names and topologies of a zoo graph, as the user wrote it."""
    graph = ZOO[graph_name]()
    return frozenset(type_name(n) for n in graph.nodes.values()) | graph_topologies(graph)


def _cells() -> list[tuple[str, Row]]:
    table = support_table()
    return [(t, row) for t in table.targets for row in (*table.node_types, *table.topologies)]


def test_the_suite_runs_every_backend_on_every_zoo_graph():
    marks = {m.args[0]: m.args[1] for m in test_backends.test_backend_conforms.pytestmark}
    assert list(marks["graph_name"]) == sorted(ZOO)
    run = {p.values[0] for p in marks[("target", "options")]}
    assert run == set(installed_backends()) == set(support_table().targets)


@pytest.mark.parametrize(("target", "row"), _cells(), ids=lambda v: getattr(v, "name", v))
def test_each_cell_matches_the_conformance_expectations(target: str, row: Row) -> None:
    table = support_table()
    graphs = [g for g in sorted(ZOO) if row.name in exhibits(g)]
    passing = [g for g in graphs if expected_to_pass(target, g)]
    if table.supported(target, row):
        assert passing, (
            f"{target}: {row.name!r} is marked supported, but no zoo graph that has it is "
            f"expected to pass the conformance suite (graphs with it: {graphs or 'none'}): "
            "add one to tests/conformance/zoo.py, or fix the backend's declaration"
        )
    else:
        assert not passing, (
            f"{target}: {row.name!r} is marked {NO!r} but the suite expects {passing} to pass: "
            "declare it in the backend's capabilities"
        )


@pytest.mark.parametrize("target", installed_backends())
def test_passing_graphs_use_only_declared_topologies(target: str) -> None:
    declared = load_backend_class(target).capabilities.topologies
    for graph_name in sorted(ZOO):
        if expected_to_pass(target, graph_name):
            extra = graph_topologies(ZOO[graph_name]()) - declared
            assert not extra, f"{target} passes {graph_name} with undeclared topologies {extra}"


def test_refused_topologies_have_refusal_cases_where_the_zoo_has_them():
    """The topologies the Loihi targets refuse are each refused on a zoo graph."""
    for target, topology in (
        ("netx", "residual"),
        ("netx", "sew"),
        ("netx", "fan_out"),
        ("netx", "recurrence"),
        ("netx", "maxpool_values"),
        ("lava", "maxpool_values"),
        ("nir", "maxpool_values"),
    ):
        refused = [g for g in ZOO if topology in exhibits(g) and not expected_to_pass(target, g)]
        assert refused, (target, topology)
