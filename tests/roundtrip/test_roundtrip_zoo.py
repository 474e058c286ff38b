"""IR -> NIR -> IR identity on every zoo graph, and what other NIR readers see."""

from __future__ import annotations

import warnings

import h5py
import nir
import numpy as np
import pytest

from snncompile import ir
from snncompile.errors import CheckpointError, ConfigError, UnsupportedNodeError
from snncompile.ir.metadata_codec import GROUP_KEY, PROFILE_PREFIX, decode_value, encode_value
from snncompile.ir.testing import assert_roundtrip
from snncompile.passes import NIR_PRIMITIVES_PIPELINE, PIPELINE, run_pipeline
from snncompile.reference import simulate
from tests.roundtrip.graph_zoo import ZOO, random_inputs


@pytest.mark.parametrize("name", sorted(ZOO))
def test_zoo_round_trips(name):
    assert_roundtrip(ZOO[name]())


@pytest.mark.parametrize("name", sorted(ZOO))
def test_pipelines_round_trip(name):
    for passes in (PIPELINE, NIR_PRIMITIVES_PIPELINE):
        assert_roundtrip(run_pipeline(ZOO[name](), passes, verify=True))


@pytest.mark.parametrize("name", ["mlp_softlif", "plif_dalif", "conv_dalif", "soft_recurrent"])
def test_foreign_view_of_native_nodes_is_exact(name):
    """Strip the stored nodes (keep profile pins): the primitives alone behave the same."""
    graph = ZOO[name]()
    ngraph = ir.to_nir(graph)
    for node in ngraph.nodes.values():
        node.metadata = {k: v for k, v in node.metadata.items() if k.startswith(PROFILE_PREFIX)}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        primitives = ir.from_nir(ngraph)
    assert not any(ir.kind_of(n).native for n in primitives.nodes.values())
    inputs = random_inputs(graph, steps=25, batch=2, seed=5)
    expected, got = simulate(graph, inputs), simulate(primitives, inputs)
    for key in expected:
        np.testing.assert_array_equal(got[key], expected[key])


def test_written_form_of_native_nodes():
    ngraph = ir.to_nir(ZOO["mlp_softlif"]())
    assert isinstance(ngraph.nodes["lif1.li"], nir.LI)
    assert isinstance(ngraph.nodes["lif1.threshold"], nir.Threshold)
    assert isinstance(ngraph.nodes["lif1.reset"], nir.Scale)
    np.testing.assert_allclose(ngraph.nodes["lif1.reset"].scale, -0.5)  # -beta*theta
    li = ngraph.nodes["lif1.li"]
    np.testing.assert_allclose(li.tau, 2e-4)  # dt/(1-beta)
    np.testing.assert_allclose(li.r, 2.0)  # tau/dt
    assert ("lif1.reset", "lif1.li") in ngraph.edges
    lif2 = ngraph.nodes["lif2"]  # hard reset: one nir.LIF, v_leak = v_reset
    assert isinstance(lif2, nir.LIF)
    np.testing.assert_allclose(lif2.tau, 5e-4)
    np.testing.assert_allclose(lif2.v_leak, -0.07)
    np.testing.assert_allclose(lif2.v_reset, -0.07)
    assert decode_value(lif2.metadata["snncompile.profile.compare"]) == ">="
    assert decode_value(ngraph.metadata["snncompile.profile.dt"]) == 1e-4
    assert decode_value(li.metadata[GROUP_KEY]) == "lif1"


def test_clif_ilif_export_warns_or_refuses():
    graph = ZOO["clif_ilif"]()
    with pytest.warns(ir.LossyConversionWarning) as record:
        ir.to_nir(graph)
    messages = [str(w.message) for w in record]
    assert "node 'clif' (CLIF) has no exact NIR form" in messages[0]
    assert "node 'ilif' (ILIF) has no exact NIR form" in messages[1]
    with pytest.raises(UnsupportedNodeError, match="no exact NIR form"):
        ir.to_nir(graph, on_inexact="error")


def test_edited_group_falls_back_to_primitives_with_a_warning():
    ngraph = ir.to_nir(ZOO["mlp_softlif"]())
    ngraph.edges.append(("fc1", "lif1.threshold"))  # an edge into a non-entry member
    with pytest.warns(ir.DialectWarning, match="group 'lif1' kept as NIR primitives"):
        graph = ir.from_nir(ngraph)
    assert "lif1.li" in graph.nodes and "lif1" not in graph.nodes


def test_nested_subgraphs_are_flattened():
    """in -> g{input -> fc -> lif -> output} -> out, and an edge addressing 'g.lif'."""
    rng = np.random.default_rng(2)
    one = np.ones(3)
    inner = nir.NIRGraph(
        {
            "input": nir.Input(np.array([2])),
            "fc": nir.Affine(rng.normal(size=(3, 2)), np.zeros(3)),
            "lif": nir.LIF(1e-3 * one, 10 * one, 0 * one, one, 0 * one),
            "output": nir.Output(np.array([3])),
        },
        [("input", "fc"), ("fc", "lif"), ("lif", "output")],
        type_check=False,
    )
    outer = nir.NIRGraph(
        {
            "in": nir.Input(np.array([2])),
            "g": inner,
            "out": nir.Output(np.array([3])),
            "probe": nir.Output(np.array([3])),
        },
        [("in", "g"), ("g", "out"), ("g.lif", "probe")],
        type_check=False,
    )
    graph = ir.from_nir(outer)
    assert set(graph.nodes) == {"in", "g.fc", "g.lif", "out", "probe"}
    assert set(graph.edges) == {
        ("in", "g.fc"),
        ("g.fc", "g.lif"),
        ("g.lif", "out"),
        ("g.lif", "probe"),
    }
    assert_roundtrip(graph)


def test_metadata_codec_round_trips_awkward_values():
    values = {"none": None, "tuple": (1, 2.5, "x"), "list": [True], "a0": np.array(3.5), "s": ""}
    decoded = decode_value(encode_value(values))
    assert decoded["none"] is None and decoded["tuple"] == (1, 2.5, "x")
    assert decoded["list"] == [True] and decoded["a0"].shape == () and decoded["s"] == ""
    graph = ZOO["mlp_softlif"]().replace(metadata=values)
    assert_roundtrip(graph)


def test_read_errors(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        ir.read_nir(tmp_path / "missing.nir")
    bad = tmp_path / "bad.nir"
    bad.write_bytes(b"not hdf5")
    with pytest.raises(CheckpointError, match=r"cannot read .* as a NIR graph") as info:
        ir.read_nir(bad)
    assert "nir.write" in info.value.hint
    with pytest.raises(ConfigError, match="unknown NIR dialect 'keras'"):
        ir.read_nir(bad, dialect="keras")


def test_profile_overrides_win_over_file(tmp_path):
    path = ir.write_nir(ZOO["recurrent"](), tmp_path / "rec.nir")
    graph = ir.read_nir(path, dt=1e-3, integrator="exact")
    assert graph.profile.dt == 1e-3 and graph.profile.integrator == "exact"
    assert graph.profile.for_node("lif").compare == ">="  # per-node file overrides kept
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        full = ir.read_nir(path, profile=ir.ExecutionProfile(dt=2e-4))
    assert full.profile.dt == 2e-4 and full.profile.for_node("lif").compare == ">="


def test_foreign_string_array_metadata_is_decoded(tmp_path):
    graph = nir.NIRGraph(
        {"i": nir.Input(np.array([2])), "s": nir.Scale(np.ones(2)), "o": nir.Output(np.array([2]))},
        [("i", "s"), ("s", "o")],
        type_check=False,
    )
    path = tmp_path / "meta.nir"
    nir.write(path, graph)
    with h5py.File(path, "r+") as f:  # variable-length strings read back as object arrays
        group = f["node/nodes/s"].create_group("metadata")
        group.create_dataset("names", data=[b"a", b"bc"], dtype=h5py.string_dtype())
    imported = ir.read_nir(path)
    np.testing.assert_array_equal(imported.nodes["s"].metadata["names"], ["a", "bc"])
    assert_roundtrip(imported)
