"""MaxPool2d in the IR: checks, the exact reference, spike-input detection, NIR round trip,
energy counts.

Energy by hand: a 2×2 max pool, stride 2, on one channel 4×4 of spikes, T = 2::

    t = 0: spikes at (0,0), (0,1), (3,3)      -> 3 events, each in one window: 3 ACs
    t = 1: spikes at (2,2)                    -> 1 AC
    Effective_ACs = 4; Dense = 16 inputs × 1 window × 2 steps = 32; no weights read.
"""

from __future__ import annotations

import warnings

import nir
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from snncompile import ir
from snncompile.energy.from_ir import count_ops
from snncompile.errors import IRValidationError, UnsupportedNodeError
from snncompile.ir.lowering import lowering_status
from snncompile.ir.max_pool import spike_input
from snncompile.ir.nir_io import from_nir, to_nir
from snncompile.ir.node_checks import check_node
from snncompile.reference import simulate


def _pool(k: int, s: int, p: int = 0) -> ir.MaxPool2d:
    return ir.MaxPool2d(np.array([k, k]), np.array([s, s]), np.array([p, p]))


def _out_shape(pool: ir.MaxPool2d, shape: tuple[int, ...]) -> tuple[int, ...]:
    probe = ir.Graph({"in": nir.Input(np.array(shape)), "mp": pool}, [("in", "mp")])
    return tuple(int(d) for d in ir.infer_graph_shapes(probe)["mp"].output)


def _spiking_graph(pool: ir.MaxPool2d, shape=(2, 5, 5)) -> ir.Graph:
    """in -> SoftLIF -> pool -> out: the pool sees binary spikes."""
    return ir.sequential(
        ("in", nir.Input(np.array(shape))),
        ("lif", ir.SoftLIF(np.full(shape, 0.5), np.full(shape, 0.8))),
        ("mp", pool),
        ("out", nir.Output(np.array(_out_shape(pool, shape)))),
    )


def _with_output(pool: ir.MaxPool2d, shape) -> ir.Graph:
    """in -> pool -> out: the pool sees the user's values."""
    return ir.sequential(
        ("in", nir.Input(np.array(shape))),
        ("mp", pool),
        ("out", nir.Output(np.array(_out_shape(pool, shape)))),
    )


@pytest.mark.parametrize(("k", "s", "p"), [(2, 2, 0), (3, 1, 1), (3, 2, 1), (2, 1, 1)])
def test_reference_is_torch_max_pool_for_any_values(k, s, p):
    graph = _with_output(_pool(k, s, p), (2, 5, 5))
    x = np.random.default_rng(0).normal(-1.0, 2.0, (3, 2, 2, 5, 5))  # negative too
    got = simulate(graph, x)["out"]
    want = F.max_pool2d(torch.from_numpy(x).flatten(0, 1), k, s, p).numpy()
    np.testing.assert_array_equal(got, want.reshape(got.shape))


def test_non_square_kernel_and_stride():
    pool = ir.MaxPool2d(np.array([2, 3]), np.array([1, 2]), np.array([1, 0]))
    graph = _with_output(pool, (1, 4, 7))
    x = np.random.default_rng(1).normal(size=(2, 1, 1, 4, 7))
    want = F.max_pool2d(torch.from_numpy(x).flatten(0, 1), (2, 3), (1, 2), (1, 0)).numpy()
    np.testing.assert_array_equal(simulate(graph, x)["out"], want.reshape(2, 1, 1, 5, 3))


@pytest.mark.parametrize(
    ("pool", "match"),
    [
        (ir.MaxPool2d(np.array([2, 2]), np.array([2, 2]), np.array([2, 0])), "exceeds half"),
        (ir.MaxPool2d(np.array([0, 2]), np.array([2, 2]), np.array([0, 0])), "kernel_size"),
        (ir.MaxPool2d(np.array([2, 2]), np.array([0, 1]), np.array([0, 0])), "stride"),
        (ir.MaxPool2d(np.array([2.0, 2.0]), np.array([2, 2]), np.array([0, 0])), "kernel_size"),
    ],
)
def test_verify_refuses_bad_geometry(pool, match):
    with pytest.raises(IRValidationError, match=match):
        check_node("mp", pool, ir.ExecutionProfile())


def _graph(nodes: dict, edges: list) -> ir.Graph:
    return ir.Graph(nodes, edges)


def test_spike_input_follows_spike_preserving_nodes_only():
    pop = (1, 4, 4)
    lif = ir.SoftLIF(np.full(pop, 0.5), np.ones(pop))
    inp = nir.Input(np.array(pop))
    flat = nir.Flatten({"input": np.array(pop)}, 0, 0)  # (1, 4, 4) -> (1, 4, 4)
    g = _graph(
        {"in": inp, "lif": lif, "flat": flat, "a": _pool(2, 1), "b": _pool(2, 1)},
        [("in", "lif"), ("lif", "flat"), ("flat", "a"), ("a", "b")],
    )
    assert spike_input(g, "a") and spike_input(g, "b")
    # the input itself, a sum of two spike trains, a conv: not known to be spikes
    g2 = _graph(
        {"in": inp, "lif": lif, "lif2": lif, "sum": _pool(2, 1), "raw": _pool(2, 1)},
        [("in", "lif"), ("in", "lif2"), ("lif", "sum"), ("lif2", "sum"), ("in", "raw")],
    )
    assert not spike_input(g2, "sum") and not spike_input(g2, "raw")


def test_nir_threshold_counts_only_under_binary_spikes():
    pop = (1, 4, 4)
    nodes = {
        "in": nir.Input(np.array(pop)),
        "th": nir.Threshold(np.full(pop, 0.5)),
        "mp": _pool(2, 2),
    }
    g = _graph(nodes, [("in", "th"), ("th", "mp")])
    assert spike_input(g, "mp")
    multi = g.replace(profile=ir.ExecutionProfile(spike_mode="multi"))
    assert not spike_input(multi, "mp")


def test_nir_form_is_strict_sumpool_threshold_and_round_trips(tmp_path):
    graph = _spiking_graph(_pool(3, 2, 1))
    written = to_nir(graph)
    members = {k: type(v).__name__ for k, v in written.nodes.items()}
    assert members["mp.sum"] == "SumPool2d" and members["mp"] == "Threshold"
    np.testing.assert_array_equal(written.nodes["mp"].threshold, 0.5)
    path = tmp_path / "mp.nir"
    ir.write_nir(graph, path)
    nir.read(path)  # strict type checking accepts the file
    back = ir.read_nir(path)
    assert ir.graphs_equal(back, graph), ir.graph_differences(back, graph)
    assert lowering_status(graph.nodes["mp"])[0] == "exact"


def test_a_foreign_reader_gets_a_graph_that_simulates_identically():
    """Without snncompile's metadata the primitives stay: SumPool2d + Threshold(0.5)."""
    graph = _spiking_graph(_pool(2, 2, 0), (2, 4, 4))
    written = to_nir(graph)
    stripped = nir.NIRGraph(
        {k: _bare(v) for k, v in written.nodes.items()},
        written.edges,
        metadata=written.metadata,
        type_check=False,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        foreign = from_nir(stripped)
    assert not any(isinstance(n, ir.MaxPool2d) for n in foreign.nodes.values())
    x = (np.random.default_rng(2).random((6, 3, 2, 4, 4)) < 0.6).astype(float)
    want = simulate(graph, x)["out"]
    got = simulate(foreign, x)["out"]
    np.testing.assert_array_equal(got, want)
    assert want.max() == 1 and want.min() == 0


def _bare(node):
    """The node without snncompile's group metadata (profile pins kept)."""
    meta = {k: v for k, v in (node.metadata or {}).items() if "profile" in k}
    return ir.replace_node(node, metadata=meta)


def test_nir_refuses_max_pool_of_non_spikes_naming_the_layer():
    graph = _with_output(_pool(2, 2), (2, 4, 4))
    with pytest.raises(UnsupportedNodeError, match=r"'mp' \(MaxPool2d\).*not binary spikes") as e:
        to_nir(graph)
    assert e.value.node == "mp"
    assert "move the pool after the neuron" in e.value.hint


def test_energy_counts_by_hand():
    graph = _spiking_graph(_pool(2, 2), (1, 4, 4))
    spikes = np.zeros((2, 1, 1, 4, 4))
    spikes[0, 0, 0, 0, 0] = spikes[0, 0, 0, 0, 1] = spikes[0, 0, 0, 3, 3] = 1
    spikes[1, 0, 0, 2, 2] = 1
    recorded = simulate(graph, spikes, record="all")  # θ 0.8 < 1: the LIF repeats them
    np.testing.assert_array_equal(recorded["lif"], spikes)
    pool = count_ops(graph, recorded).layer("mp")
    assert pool.kind == "pool" and pool.describe["type"] == "maxpool"
    assert pool.per_sample("Effective_ACs") == 4
    assert pool.per_sample("Dense") == 32
    assert pool.per_sample("WeightReads") == 0


def test_an_artefact_stores_max_pool_of_non_spikes_losslessly(tmp_path):
    """Artefacts keep their IR as .nir (graph_to_bytes): there the pool is written in its
    spike form marked inexact, and snncompile reads back the exact node."""
    from snncompile.backend import graph_from_bytes, graph_to_bytes
    from snncompile.ir.metadata_codec import EXACT_KEY

    graph = _with_output(_pool(3, 2, 1), (2, 5, 5))
    data = graph_to_bytes(graph)
    assert ir.graphs_equal(graph_from_bytes(data, tmp_path), graph)
    (tmp_path / "g.nir").write_bytes(data)
    entry = nir.read(tmp_path / "g.nir").nodes["mp.sum"]
    assert not bool(entry.metadata[EXACT_KEY])
