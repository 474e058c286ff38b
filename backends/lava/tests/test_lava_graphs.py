"""Graphs on the Lava target: fan-out, summed fan-in, SEW additions and delay alignment.

Without Lava: how graphs are read (terms, branches, biases), the per-path delays the
lowering chooses (paths of 1, 2 and 3 hops), the plan's alignment check, the shared-unit
rule of a summed fan-in and the netx refusal. On Lava (marker ``lava``): the same graphs
run bit-exact against the integer reference in fixed point and spike-exact against the
float reference simulator.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import replace

import nir
import numpy as np
import pytest
from snncompile_lava.backend import LavaBackend
from snncompile_lava.lower import align_delays, lower_to_spec
from snncompile_lava.netx import check_netx
from snncompile_lava.spec import plan_network
from snncompile_loihi.chain import extract_chain
from snncompile_loihi.kernels import run_float_layer
from snncompile_loihi.quantize import quantize_loihi
from snncompile_loihi.reference import simulate_fixed
from snncompile_loihi.stage import program_of

from snncompile import ir
from snncompile.api import compile as compile_model
from snncompile.errors import ConfigError, QuantizationError, UnsupportedNodeError
from snncompile.ir import Graph
from snncompile.passes.pipeline import run_pipeline
from snncompile.reference.simulator import simulate
from tests.conformance.zoo import ZOO


def _affine(rng: np.random.Generator, n_out: int, n_in: int, gain: float = 3.0) -> nir.Affine:
    w = rng.normal(0.1, 0.6, (n_out, n_in)) * gain / np.sqrt(n_in)
    return nir.Affine(weight=w.astype(np.float32), bias=rng.uniform(0.0, 0.3, n_out))


def hops(seed: int = 11, reset: str = "soft") -> Graph:
    """Paths of 1, 2 and 3 hops into n3 and the readout::

    in -> a -> n1 -> b -> n2 -> c -> n3 -> readout -> out
    n1 -> n3 (identity, 1 hop shorter by 2), in -> d -> n3 (dense from the graded
    input, 2 steps early), n2 -> n3 (identity), n1 -> e -> readout (2 steps early)
    """
    rng = np.random.default_rng(seed)
    lif = lambda: ir.SoftLIF(np.full(8, 0.8), np.ones(8), reset=reset)  # noqa: E731
    nodes = {
        "in": nir.Input(np.array([8])),
        "a": _affine(rng, 8, 8),
        "n1": lif(),
        "b": _affine(rng, 8, 8),
        "n2": lif(),
        "c": _affine(rng, 8, 8),
        "n3": lif(),
        "readout": _affine(rng, 3, 8, 1.0),
        "out": nir.Output(np.array([3])),
        "d": _affine(rng, 8, 8, 1.0),
        "e": _affine(rng, 3, 8, 1.0),
    }
    path = ["in", "a", "n1", "b", "n2", "c", "n3", "readout", "out"]
    edges = list(itertools.pairwise(path))
    edges += [("n1", "n3"), ("in", "d"), ("d", "n3"), ("n2", "n3"), ("n1", "e"), ("e", "out")]
    return Graph(nodes, edges)


def _inputs(shape: tuple[int, ...], steps: int = 6, batch: int = 3, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = np.clip(rng.normal(0.5, 1.0, (steps, batch, *shape)), -1.0, 2.0)
    return (np.round(x * 16) / 16).astype(np.float32)


# ------------------------------------------------------------------ without Lava


def test_graph_terms_become_own_connections_and_branches():
    chain = extract_chain(run_pipeline(hops()))
    by = {lay.name: lay for lay in chain.layers}
    assert [lay.name for lay in chain.layers] == ["n1", "n2", "n3", "readout"]
    n3 = by["n3"]
    assert (n3.source, n3.synapse) == ("n2", "c")
    assert sorted((b.source or "", b.connection) for b in n3.branches) == [
        ("", "dense"),
        ("n1", "identity"),
        ("n2", "identity"),
    ]
    graph = run_pipeline(hops())
    want = graph.nodes["c"].bias + graph.nodes["d"].bias  # each synapse's bias once
    np.testing.assert_allclose(n3.bias, want)
    assert [(b.source, b.synapse) for b in by["readout"].branches] == [("n1", "e")]


def test_sew_addition_splits_into_two_connections_through_one_synapse():
    graph = run_pipeline(ZOO["sew_block"]())
    n3 = {lay.name: lay for lay in extract_chain(graph).layers}["n3"]
    assert n3.synapse == "conv3" and [b.synapse for b in n3.branches] == ["conv3"]
    assert {n3.source, n3.branches[0].source} == {"n0", "n2"}
    bias = np.asarray(graph.nodes["conv3"].bias).reshape(-1, 1, 1)
    np.testing.assert_allclose(n3.bias, np.broadcast_to(bias, n3.shape))  # once, not twice
    q = quantize_loihi(graph, _inputs((1, 6, 6)))
    lay = q.layer("n3")
    assert lay.branches[0].weights is lay.weights  # the same integers for W·(a + b)


def test_delays_align_paths_of_one_two_and_three_hops():
    graph = run_pipeline(hops())
    q = quantize_loihi(graph, _inputs((8,)))
    delays = align_delays(q)
    order = {lay.name: [b.source for b in lay.source.branches] for lay in q.layers}
    assert delays["n1"] == [0] and delays["n2"] == [0]
    # n3: own c from n2 arrives at 3; the identity branches are weighted one-hop `scale`
    # connections (n1 at 2, n2 at 3), the dense from the input arrives at 1
    want = {"n1": 1, None: 2, "n2": 0}
    assert delays["n3"] == [0, *(want[s] for s in order["n3"])]
    assert delays["readout"] == [0, 2]  # e from n1 arrives at 2, readout from n3 at 4
    plan = plan_network(lower_to_spec(q))
    assert [lay.depth for lay in plan.layers] == [1, 2, 3, 4]
    assert plan.delay == 4


def test_the_plan_refuses_connections_that_arrive_at_different_steps():
    q = quantize_loihi(run_pipeline(hops()), _inputs((8,)))
    spec = lower_to_spec(q)
    broken = copy.deepcopy(spec)
    for branch in broken["layers"][2]["branches"]:
        branch["connection"].pop("delay", None)
    with pytest.raises(ConfigError, match="arrive at different steps"):
        plan_network(broken)
    unknown = copy.deepcopy(spec)
    unknown["layers"][2]["branches"][0]["source"] = "nowhere"
    with pytest.raises(ConfigError, match="not an earlier layer"):
        plan_network(unknown)


def test_fixed_reference_sums_every_branch_at_lag_zero():
    """The integer reference against the float reference on graphs: quantisation only
    (most spikes agree; the readout is close), and its branches really contribute."""
    graph = run_pipeline(hops())
    x = _inputs((8,), steps=8, batch=8)
    q = quantize_loihi(graph, x)
    fixed = simulate_fixed(q, x, record="spikes")
    ref = simulate(graph, x, dtype=np.float64, record=["n3"])
    assert np.mean(fixed["n3"] == ref["n3"]) > 0.9
    lay = q.layer("n3")
    cut = replace(lay, source=replace(lay.source, branches=()), branches=())
    chain_only = replace(q, layers=(*q.layers[:2], cut, q.layers[3]))
    assert not np.array_equal(simulate_fixed(chain_only, x)[q.output_name], fixed[q.output_name])


def test_identity_branches_are_exact_in_the_shared_unit():
    q = quantize_loihi(run_pipeline(ZOO["resnet_block"]()), _inputs((1, 6, 6)))
    lay = q.layer("n2")
    (short,) = lay.branches
    assert short.branch.connection == "identity" and short.branch.source == "n0"
    # a spike through the identity adds exactly one unit U: w·2^e·64 = U
    assert int(short.weights) * 2**short.weight_exp * 64 == lay.scale.unit


def test_a_branch_that_cannot_share_the_unit_is_refused_naming_it():
    graph = ZOO["shortcut_1x1"]()
    nodes = dict(graph.nodes)
    short = nodes["short"]
    nodes["short"] = nir.Conv2d(
        (6, 6), np.asarray(short.weight) * 1e-3, 2, 0, 1, 1, np.asarray(short.bias)
    )
    with pytest.raises(QuantizationError, match="branch 'short'") as info:
        quantize_loihi(run_pipeline(graph.replace(nodes=nodes)), _inputs((1, 6, 6)))
    assert info.value.hint and "allow_clamp" in info.value.hint
    with pytest.warns(UserWarning, match="branch 'short'"):
        quantize_loihi(
            run_pipeline(graph.replace(nodes=nodes)), _inputs((1, 6, 6)), allow_clamp=True
        )


def test_pooling_after_a_synapse_on_a_branch_is_still_refused():
    graph = ZOO["pool_branch"]()
    cut = (("n0", "sum"), ("sum", "short"), ("short", "n1"))
    edges = [e for e in graph.edges if e not in cut]
    edges += [("n0", "short"), ("short", "sum"), ("sum", "n1")]
    nodes = dict(graph.nodes)
    nodes["short"] = nir.Conv2d(
        (6, 6), np.asarray(nodes["short"].weight), 1, 0, 1, 1, np.asarray(nodes["short"].bias)
    )
    with pytest.raises(UnsupportedNodeError) as info:
        extract_chain(run_pipeline(graph.replace(nodes=nodes, edges=edges)))
    assert info.value.node == "sum"


def test_netx_refuses_skips_naming_the_layers():
    with pytest.raises(UnsupportedNodeError) as info:
        check_netx(extract_chain(run_pipeline(hops(reset="hard"))))
    text = str(info.value)
    assert "'n3'" in text and "summed fan-in" in text
    assert "'readout'" in text
    assert info.value.node == "n3"


# ------------------------------------------------------------------ on Lava


def _export(graph: Graph, x: np.ndarray, tmp_path):
    artifact = compile_model(graph, "lava", calibration=x)
    path = artifact.save(tmp_path / "art")
    return artifact, path


def _run_both(graph: Graph, x: np.ndarray, tmp_path) -> None:
    artifact, path = _export(graph, x, tmp_path)
    q = program_of(artifact.staged)
    fixed = LavaBackend(mode="fixed").simulate_recorded(path, x, record="all")
    ref = simulate_fixed(q, x, record="all")
    np.testing.assert_array_equal(fixed[q.output_name], ref[q.output_name])
    checked = 0
    for lay in q.layers:
        for key, value in fixed.items():
            layer, _, var = key.partition("/")
            if layer == lay.name:
                np.testing.assert_array_equal(value, ref[f"{layer}:{var}"], err_msg=key)
                checked += 1
    assert checked >= 2 * len(q.layers)
    assert all(fixed[f"{lay.name}/spikes"].any() for lay in q.layers[:-1])
    floating = LavaBackend(mode="float").simulate_recorded(path, x, record="spikes")
    fref = simulate(q.graph, x, dtype=np.float64, record="spikes")
    for lay in q.layers:
        if lay.source.spiking:
            np.testing.assert_array_equal(
                floating[f"{lay.name}/spikes"], fref[lay.source.neuron_node], err_msg=lay.name
            )
    np.testing.assert_allclose(floating[q.output_name], fref[q.output_name], rtol=0, atol=1e-12)


@pytest.mark.lava
def test_lava_aligns_paths_of_one_two_and_three_hops(tmp_path):
    graph = hops()
    _run_both(graph, _inputs((8,), steps=6, batch=3), tmp_path)


@pytest.mark.lava
@pytest.mark.parametrize("name", ["resnet_block", "sew_block", "shortcut_1x1", "pool_branch"])
def test_lava_runs_residual_and_sew_blocks_exactly(name, tmp_path):
    _run_both(ZOO[name](), _inputs((1, 6, 6), steps=5, batch=2), tmp_path)


def two_sew_blocks(seed: int = 12) -> Graph:
    """Two SEW blocks in a row: the first block's spike sum ``add`` (an identity
    ``Scale``, as the tracer materialises a sum with two consumers) feeds the second
    block's conv and its addition."""
    from tests.conformance.zoo import NEURONS, _conv, _io

    rng = np.random.default_rng(seed)
    inp, out = _io((1, 6, 6), 3)
    nodes = {
        "in": inp,
        "conv0": _conv(rng, 4, 1, 6, 3.0),
        "n0": NEURONS["softlif"]((4, 6, 6)),
        "conv1": _conv(rng, 4, 4, 6, 4.0),
        "n1": NEURONS["softlif"]((4, 6, 6)),
        "add": nir.Scale(np.ones((4, 6, 6), dtype=np.float32)),
        "conv2": _conv(rng, 4, 4, 6, 3.0),
        "n2": NEURONS["softlif"]((4, 6, 6)),
        "conv3": _conv(rng, 4, 4, 6, 3.0),
        "n3": NEURONS["softlif"]((4, 6, 6)),
        "flat": nir.Flatten({"input": np.array([4, 6, 6])}, start_dim=0, end_dim=-1),
        "readout": _affine(rng, 3, 144, 1.0),
        "out": out,
    }
    path = list(nodes)
    return Graph(nodes, [*itertools.pairwise(path), ("n0", "add"), ("add", "conv3")])


def test_an_identity_sum_between_sew_blocks_is_wired_through():
    graph = run_pipeline(two_sew_blocks())
    assert "add" not in graph.nodes
    assert {("n0", "conv2"), ("n1", "conv2"), ("n0", "conv3"), ("n1", "conv3")} <= set(graph.edges)


@pytest.mark.lava
def test_lava_runs_two_sew_blocks_in_a_row_exactly(tmp_path):
    _run_both(two_sew_blocks(), _inputs((1, 6, 6), steps=5, batch=2), tmp_path)


def dalif_per_channel_block() -> Graph:
    """The Spiking-ResNet block with trained-style per-channel DA-LIF: β per channel
    everywhere (n1 with hard reset: the own hard-reset process), and n2's α per channel
    on a summed fan-in (conv2 + the identity from n0), which no single synapse absorbs."""
    graph = ZOO["resnet_block"]()
    alpha, beta = np.array([0.6, 0.8, 1.0, 1.3]), np.array([0.3, 0.55, 0.75, 0.9])
    pop = (4, 6, 6)
    nodes = dict(graph.nodes)
    nodes["n0"] = ir.DALIF(np.ones(1), beta[::-1].copy(), np.ones(pop))
    nodes["n1"] = ir.DALIF(alpha[::-1].copy(), beta, np.ones(pop), "hard")
    nodes["n2"] = ir.DALIF(alpha, beta, np.ones(pop))
    return graph.replace(nodes=nodes)


def test_a_varying_alpha_on_a_summed_fan_in_is_folded_into_every_connection():
    graph = run_pipeline(dalif_per_channel_block())
    assert not np.all(graph.nodes["n2"].alpha == 1)  # no exclusive producer to fold into
    n2 = next(lay for lay in extract_chain(graph).layers if lay.name == "n2")
    assert n2.alpha == 1.0 and n2.beta.shape == (4, 6, 6)
    (shortcut,) = n2.branches
    assert shortcut.source == "n0" and shortcut.connection == "conv"
    assert shortcut.geometry["groups"] == 4
    np.testing.assert_array_equal(shortcut.weight.reshape(4), [0.6, 0.8, 1.0, 1.3])
    # the folded float64 chain equals the reference simulator spike for spike
    x = _inputs((1, 6, 6), steps=5, batch=2)
    ref = simulate(graph, x, dtype=np.float64, record="spikes")
    values: dict[str | None, np.ndarray] = {None: x.astype(np.float64)}
    for lay in extract_chain(graph).layers:
        extra = [values[b.source] for b in lay.branches]
        values[lay.neuron_node] = run_float_layer(lay, values[lay.source], extra)["out"]
    for name in ("n0", "n1", "n2"):
        np.testing.assert_array_equal(values[name], ref[name], err_msg=name)


def test_netx_refuses_a_decay_per_channel_naming_the_layer():
    graph = run_pipeline(ZOO["conv_dalif"]())
    with pytest.raises(UnsupportedNodeError, match=r"'netx'.*'dalif_c'.*beta varies"):
        check_netx(extract_chain(graph, "netx"))


@pytest.mark.lava
def test_lava_runs_per_channel_dalif_exactly(tmp_path):
    """Soft and hard reset with a decay per channel and a folded per-channel α: Lava
    fixed point bit-exact against the integer reference, float spike-exact."""
    _run_both(dalif_per_channel_block(), _inputs((1, 6, 6), steps=5, batch=2), tmp_path)
