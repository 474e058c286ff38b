"""Graph semantics (back edges, order), the node registry, native nodes and the profile."""

from __future__ import annotations

import nir
import numpy as np
import pytest

from snncompile import ir
from snncompile.ir import Graph
from snncompile.ir.node_checks import _SPECIFIC
from snncompile.ir.nodes import node_classes, population_shape, type_name
from snncompile.ir.testing import assert_roundtrip
from snncompile.reference import STEPPERS, simulate


def test_registry_is_the_single_source_of_node_types():
    assert set(ir.NODE_TYPES) == {
        "Input", "Output", "Affine", "Linear", "Scale", "Conv1d", "Conv2d", "SumPool2d",
        "AvgPool2d", "Flatten", "Delay", "Threshold", "I", "LI", "IF", "LIF", "CubaLI",
        "CubaLIF", "BatchNorm", "MaxPool2d", "SoftLIF", "PLIF", "DALIF", "CLIF", "ILIF",
    }  # fmt: skip
    # every type except Input (fed directly) is executable by the reference simulator
    assert set(node_classes()) - set(STEPPERS) == {nir.Input}
    assert set(_SPECIFIC) <= set(node_classes())
    for kind in ir.NODE_TYPES.values():
        assert kind.name == kind.cls.__name__
        assert kind.native == (kind.cls.__module__.startswith("snncompile"))


def test_native_nodes_coerce_ints_and_are_frozen():
    node = ir.SoftLIF([0, 1], [1, 1])
    assert node.beta.dtype == np.float64 and node.v_threshold.dtype == np.float64
    with pytest.raises(AttributeError):
        node.beta = np.zeros(2)  # type: ignore[misc]
    assert population_shape(node) == (2,)
    assert type_name(node) == "SoftLIF"


def test_plif_beta_is_one_minus_sigmoid_w():
    plif = ir.PLIF(np.array([0.0, -np.log(1.1 - 1)]), np.ones(2))
    np.testing.assert_allclose(plif.beta, [0.5, 1 - 1 / 1.1], rtol=1e-12)


def test_back_edges_are_canonical_and_carry_previous_step():
    """in -> a -> b -> c ~> a: the search from 'in' closes the cycle at c -> a."""
    nodes = {
        "in": nir.Input(np.array([1])),
        "a": nir.Scale(np.array([1.0])),
        "b": nir.Scale(np.array([1.0])),
        "c": nir.Scale(np.array([0.5])),
        "out": nir.Output(np.array([1])),
    }
    edges = [("in", "a"), ("a", "b"), ("b", "c"), ("c", "a"), ("c", "out")]
    graph = Graph(nodes, edges)
    assert graph.back_edges == {("c", "a")}
    assert graph.topological_order == ("in", "a", "b", "c", "out")
    # a[t] = x[t] + 0.5*a[t-1]: with x = 1, 0, 0: 1, 0.5, 0.25 (zero before t = 0)
    y = simulate(graph, np.array([1.0, 0.0, 0.0]).reshape(3, 1, 1))["out"]
    np.testing.assert_allclose(y.ravel(), [0.5, 0.25, 0.125])
    # node dict order does not matter, edge order and names do
    shuffled = Graph(dict(reversed(list(nodes.items()))), edges)
    assert shuffled.back_edges == graph.back_edges
    assert_roundtrip(graph)


def test_self_loop_is_a_back_edge():
    nodes = {
        "in": nir.Input(np.array([1])),
        "i": nir.Scale(np.array([1.0])),
        "out": nir.Output(np.array([1])),
    }
    graph = Graph(nodes, [("in", "i"), ("i", "i"), ("i", "out")])
    assert graph.back_edges == {("i", "i")}
    y = simulate(graph, np.ones((4, 1, 1)))["out"].ravel()
    np.testing.assert_array_equal(y, [1, 2, 3, 4])  # running sum through the self-loop
    assert_roundtrip(graph)


def test_summed_fan_in_and_zero_input_for_unfed_nodes():
    nodes = {
        "in": nir.Input(np.array([2])),
        "a": nir.Scale(np.array([1.0, 2.0])),
        "b": nir.Scale(np.array([10.0, 10.0])),
        "bias": nir.Affine(np.zeros((2, 2)), np.array([0.25, 0.5])),
        "out": nir.Output(np.array([2])),
    }
    edges = [("in", "a"), ("in", "b"), ("a", "out"), ("b", "out"), ("bias", "out")]
    graph = Graph(nodes, edges)
    y = simulate(graph, np.array([[[1.0, 1.0]]]))["out"]
    np.testing.assert_allclose(y[0, 0], [11.25, 12.5])
    assert_roundtrip(graph)


def test_profile_for_node_and_overrides():
    profile = ir.ExecutionProfile(dt=1e-3).with_override("lif", compare=">=", refractory=2)
    node_profile = profile.for_node("lif")
    assert node_profile.compare == ">=" and node_profile.refractory == 2
    assert node_profile.dt == 1e-3 and not node_profile.overrides
    assert profile.for_node("other").compare == ">"
    assert profile.without_node("lif").overrides == {}
    assert profile == ir.ExecutionProfile(
        dt=1e-3, overrides={"lif": {"compare": ">=", "refractory": 2}}
    )
    assert next(iter(profile.graph_fields())) == "dt"


def test_graph_is_immutable_and_replace_builds_new_graphs():
    graph = ir.sequential(("in", nir.Input(np.array([1]))), ("out", nir.Output(np.array([1]))))
    with pytest.raises(TypeError):
        graph.nodes["x"] = None  # type: ignore[index]
    other = graph.replace(metadata={"k": 1})
    assert other.metadata == {"k": 1} and graph.metadata == {}
    assert graph.predecessors("out") == ("in",) and graph.successors("in") == ("out",)
    assert graph.inputs == ("in",) and graph.outputs == ("out",)


def test_equality_is_lossless():
    a = ir.SoftLIF(np.full(2, 0.5), np.ones(2))
    assert ir.nodes_equal(a, ir.SoftLIF(np.full(2, 0.5), np.ones(2)))
    assert not ir.nodes_equal(a, ir.SoftLIF(np.full(2, 0.5, np.float32), np.ones(2)))
    assert not ir.nodes_equal(a, ir.SoftLIF(np.full(2, 0.5), np.ones(2), metadata={"x": 1}))
    assert not ir.nodes_equal(a, ir.PLIF(np.zeros(2), np.ones(2)))
    conv = nir.Conv2d((4, 4), np.ones((1, 1, 2, 2)), (1, 1), 0, 1, 1, np.zeros(1))
    same = nir.Conv2d(
        np.array([4, 4]), np.ones((1, 1, 2, 2)), np.array([1, 1]), 0, 1, 1, np.zeros(1)
    )
    assert ir.nodes_equal(conv, same)


def test_repr_is_short_and_counts_parameters():
    graph = ir.sequential(
        ("x", nir.Input(input_type={"input": np.array([3])})),
        ("fc", nir.Affine(np.ones((2, 3)), np.zeros(2))),
        ("y", nir.Output(output_type={"output": np.array([2])})),
    )
    assert repr(graph) == ("Graph(nodes=3, edges=2, inputs=['x'], outputs=['y'], parameters=8)")
