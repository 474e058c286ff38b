"""verify(): every rule, with the exact wording users see (what, where, how to fix)."""

from __future__ import annotations

import re
from typing import ClassVar

import nir
import numpy as np
import pytest

from snncompile import ir
from snncompile.errors import ConfigError, IRValidationError, UnsupportedNodeError
from snncompile.ir import Graph
from snncompile.ir.testing import assert_roundtrip


def _chain(*named, **kwargs) -> Graph:
    return ir.sequential(*named, **kwargs)


def _mlp(**kwargs) -> Graph:
    return _chain(
        ("in", nir.Input(np.array([3]))),
        ("fc", nir.Affine(np.ones((2, 3)), np.zeros(2))),
        ("lif", ir.SoftLIF(np.full(2, 0.5), np.ones(2))),
        ("out", nir.Output(np.array([2]))),
        **kwargs,
    )


def _fails(graph: Graph, pattern: str) -> IRValidationError:
    with pytest.raises(IRValidationError, match=pattern) as info:
        ir.verify(graph)
    assert info.value.hint, "every validation error carries a hint"
    return info.value


def test_valid_graph_passes_and_round_trips():
    graph = _mlp()
    assert ir.verify(graph) is graph
    assert_roundtrip(graph)


def test_type_mismatch_names_both_ends_like_nir():
    graph = _chain(
        ("a", nir.Input(np.array([3]))),
        ("b", nir.Affine(np.ones((2, 2)), np.zeros(2))),
        ("out", nir.Output(np.array([2]))),
    )
    err = _fails(graph, re.escape("type mismatch: a.output: [3] -> b.input: [2]"))
    assert "(edge a (Input) -> b (Affine))" in err.message
    assert err.node == "b"


def test_type_mismatch_on_back_edge_is_reported_as_such():
    graph = Graph(
        {
            "in": nir.Input(np.array([2])),
            "lif": ir.SoftLIF(np.full(2, 0.5), np.ones(2)),
            "rec": nir.Linear(np.ones((3, 2))),
            "out": nir.Output(np.array([2])),
        },
        [("in", "lif"), ("lif", "out"), ("lif", "rec"), ("rec", "lif")],
    )
    _fails(graph, re.escape("type mismatch: rec.output: [3] -> lif.input: [2] (back edge"))


def test_dangling_and_duplicate_edges():
    graph = _mlp()
    dangling = graph.replace(edges=(*graph.edges, ("lif", "nowhere")))
    err = _fails(dangling, "dangling edge \\('lif', 'nowhere'\\): destination 'nowhere'")
    assert "nodes: [" in err.message
    duplicate = graph.replace(edges=(*graph.edges, ("fc", "lif")))
    _fails(duplicate, "duplicate edge \\('fc', 'lif'\\) appears 2 times")


def test_edges_into_inputs_and_out_of_outputs():
    graph = _mlp()
    _fails(graph.replace(edges=(*graph.edges, ("lif", "in"))), "enters Input node 'in'")
    _fails(graph.replace(edges=(*graph.edges, ("out", "fc"))), "leaves Output node 'out'")


def test_missing_input_output_and_unfed_output():
    graph = _mlp()
    nodes = {k: v for k, v in graph.nodes.items() if k != "out"}
    edges = tuple(e for e in graph.edges if "out" not in e)
    _fails(graph.replace(nodes=nodes, edges=edges), "the graph has no Output node")
    extra = dict(graph.nodes, out2=nir.Output(np.array([2])))
    _fails(graph.replace(nodes=extra), "Output node 'out2' has no incoming edge")


@pytest.mark.parametrize("name", ["", "a/b", "x:y", " pad", "."])
def test_bad_node_names(name):
    graph = _chain((name, nir.Input(np.array([2]))), ("out", nir.Output(np.array([2]))))
    _fails(graph, "invalid node name")


def test_unknown_node_type():
    class Custom:
        metadata: ClassVar[dict] = {}

    graph = Graph(
        {"in": nir.Input(np.array([2])), "c": Custom(), "out": nir.Output(np.array([2]))},
        [("in", "c"), ("c", "out")],
    )
    err = _fails(graph, "node 'c' has type .*Custom, which is not an IR node type")
    assert "SoftLIF" in err.hint


def test_non_finite_parameter_names_node_field_and_shape():
    weight = np.ones((2, 3))
    weight[1, 2] = np.nan
    graph = _mlp().replace(nodes=dict(_mlp().nodes, fc=nir.Affine(weight, np.zeros(2))))
    _fails(
        graph, re.escape("node 'fc' (Affine): parameter 'weight' float64[2, 3] has 1 non-finite")
    )


def test_population_shape_mismatch():
    bad = ir.SoftLIF(np.full(2, 0.5), np.ones(3))
    graph = _mlp().replace(nodes=dict(_mlp().nodes, lif=bad))
    _fails(graph, "parameter 'v_threshold' has shape \\[3\\] but 'beta' has shape \\[2\\]")


def test_softlif_ranges_and_soft_reset_value():
    nodes = dict(_mlp().nodes, lif=ir.SoftLIF(np.array([0.5, 1.5]), np.ones(2)))
    _fails(_mlp().replace(nodes=nodes), re.escape("'beta' float64[2] must be in [0, 1]"))
    nodes = dict(_mlp().nodes, lif=ir.SoftLIF(np.full(2, 0.5), np.ones(2), v_reset=np.ones(2)))
    _fails(_mlp().replace(nodes=nodes), "v_reset is non-zero but reset='soft'")
    nodes = dict(_mlp().nodes, lif=ir.SoftLIF(np.full(2, 0.5), np.ones(2), reset="sideways"))
    _fails(_mlp().replace(nodes=nodes), "reset='sideways' is not one of")


def test_dalif_channel_shapes():
    good = ir.DALIF(np.array([0.5]), np.full(2, 0.3), np.ones(2))
    ir.verify(_mlp().replace(nodes=dict(_mlp().nodes, lif=good)))
    bad = ir.DALIF(np.ones(3), np.full(2, 0.3), np.ones(2))
    _fails(_mlp().replace(nodes=dict(_mlp().nodes, lif=bad)), "parameter 'alpha' has shape \\[3\\]")


def test_tau_positive_and_delay_integral():
    lif = nir.LIF(np.array([1e-3, 0.0]), np.ones(2), np.zeros(2), np.ones(2), np.zeros(2))
    _fails(_mlp().replace(nodes=dict(_mlp().nodes, lif=lif)), "'tau' float64\\[2\\] must be > 0")
    delay = nir.Delay(np.array([1e-4, 1.5e-4]))
    graph = _mlp().replace(nodes=dict(_mlp().nodes, lif=delay))
    _fails(graph, "must be an integer multiple of dt=0.0001; offending value\\(s\\) \\[0.00015\\]")


def test_batchnorm_and_conv_rules():
    bn = ir.BatchNorm(np.ones(2), np.zeros(2), np.zeros(2), np.array([1.0, -1.0]))
    _fails(_mlp().replace(nodes=dict(_mlp().nodes, lif=bn)), "'running_var' .* must be >= 0")
    conv = nir.Conv2d(None, np.ones((3, 1, 2, 2)), 1, 0, 1, 2, np.zeros(3))
    graph = _chain(
        ("in", nir.Input(np.array([2, 4, 4]))), ("c", conv), ("out", nir.Output(np.array([3])))
    )
    _fails(graph, "groups=2 must be a positive divisor of C_out=3")
    conv = nir.Conv2d(None, np.ones((2, 2, 3, 3)), 1, 0, 1, 1, np.zeros(2))
    graph = _chain(
        ("in", nir.Input(np.array([3, 4, 4]))), ("c", conv), ("out", nir.Output(np.array([2])))
    )
    _fails(graph, re.escape("node 'c' (Conv2d) expects input (C=2, 2 spatial dims)"))


def test_multi_spike_requires_positive_threshold():
    lif = nir.IF(np.ones(2), np.array([1.0, 0.0]), np.zeros(2))
    graph = _mlp(profile=ir.ExecutionProfile(spike_mode="multi"))
    graph = graph.replace(nodes=dict(graph.nodes, lif=lif))
    _fails(graph, "must be > 0 under spike_mode='multi'")


def test_profile_overrides_must_name_primitive_nodes():
    _fails(_mlp(profile=ir.ExecutionProfile(overrides={"ghost": {"dt": 1.0}})), "'ghost'")
    graph = _mlp(profile=ir.ExecutionProfile(overrides={"lif": {"compare": ">"}}))
    _fails(graph, "override on native node 'lif' \\(SoftLIF\\) has no effect")


def test_reserved_and_unstorable_metadata():
    _fails(_mlp(metadata={"snncompile.dt": 1.0}), "uses the reserved prefix 'snncompile.'")
    _fails(_mlp(metadata={"obj": object()}), "cannot be stored in a .nir file")


def test_profile_field_errors_are_config_errors():
    with pytest.raises(ConfigError, match="'integrator' is 'rk4'") as info:
        ir.ExecutionProfile(integrator="rk4")
    assert "'euler'" in info.value.hint
    with pytest.raises(ConfigError, match="'dt' is -1"):
        ir.ExecutionProfile(dt=-1)
    with pytest.raises(ConfigError, match="unknown field\\(s\\) \\['speed'\\]"):
        ir.ExecutionProfile(overrides={"lif": {"speed": 2}})
    with pytest.raises(ConfigError, match="lif: execution profile field 'compare'"):
        ir.ExecutionProfile(overrides={"lif": {"compare": "=="}})


def test_dalif_export_range_is_separate_from_verify():
    node = ir.DALIF(np.array([0.5, -0.2]), np.array([0.3, 0.3]), np.ones(2))
    graph = _mlp().replace(nodes=dict(_mlp().nodes, lif=node))
    ir.verify(graph)  # trained values outside the export range are still valid IR
    with pytest.raises(UnsupportedNodeError) as info:
        ir.check_exportable(graph)
    message = str(info.value)
    assert "DA-LIF layer 'lif': alpha = -0.2 at index [1]" in message
    assert "outside the exportable range alpha > 0" in message
    node = ir.DALIF(np.ones(2), np.array([0.3, 1.0]), np.ones(2))
    with pytest.raises(UnsupportedNodeError, match=r"beta = 1\.0 .* 0 <= beta < 1"):
        ir.check_exportable(graph.replace(nodes=dict(graph.nodes, lif=node)))
    with pytest.raises(UnsupportedNodeError, match="DA-LIF layer 'lif'"):
        ir.to_nir(graph)


def test_malformed_edge_is_a_validation_error():
    with pytest.raises(IRValidationError, match="malformed edge"):
        Graph({"a": nir.Input(np.array([1]))}, [("a", "b", "c")])
