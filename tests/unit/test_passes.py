"""Passes: each establishes its invariant, keeps the simulated behaviour, and round-trips."""

from __future__ import annotations

import nir
import numpy as np
import pytest

from snncompile import ir
from snncompile.errors import ConfigError, IRValidationError, UnsupportedNodeError
from snncompile.ir.lowering import APPROXIMATION, lower_native, lowering_status
from snncompile.ir.testing import assert_roundtrip
from snncompile.passes import (
    NIR_PRIMITIVES_PIPELINE,
    approximable_types,
    decompose_neurons,
    fold_batchnorm,
    fold_dalif_alpha,
    infer_shapes,
    inline_identity_sums,
    remove_dead_nodes,
    run_pipeline,
)
from snncompile.reference import simulate
from tests.roundtrip.graph_zoo import ZOO, random_inputs

NATIVE_EXACT = (ir.SoftLIF, ir.PLIF, ir.DALIF)


def _same_behaviour(a: ir.Graph, b: ir.Graph, steps: int = 25) -> None:
    inputs = random_inputs(a, steps=steps, batch=3, seed=11)
    ya, yb = simulate(a, inputs), simulate(b, inputs)
    assert set(ya) == set(yb)
    for key in ya:
        np.testing.assert_allclose(yb[key], ya[key], rtol=1e-9, atol=1e-9, err_msg=key)


def test_fold_batchnorm_folds_exclusive_producers_and_rewrites_the_rest():
    graph = ZOO["batchnorm"]()
    folded = fold_batchnorm(graph)
    assert not any(isinstance(n, ir.BatchNorm) for n in folded.nodes.values())
    assert "bn" not in folded.nodes and "bn1" not in folded.nodes  # folded into conv / lin
    assert isinstance(folded.nodes["lin"], nir.Affine)  # Linear + BN shift -> Affine
    assert isinstance(folded.nodes["bn_in"], nir.Conv2d)  # fed by an Input: 1x1 conv
    assert ("conv", "lif") in folded.edges and ("lin", "if") in folded.edges
    _same_behaviour(graph, folded)
    assert_roundtrip(folded)


def test_fold_batchnorm_keeps_shared_producers():
    rng = np.random.default_rng(0)
    bn = ir.BatchNorm(rng.uniform(1, 2, 3), rng.normal(size=3), rng.normal(size=3), np.ones(3))
    nodes = {
        "in": nir.Input(np.array([2])),
        "fc": nir.Affine(rng.normal(size=(3, 2)), np.zeros(3)),
        "bn": bn,
        "out": nir.Output(np.array([3])),
        "out_raw": nir.Output(np.array([3])),
    }
    graph = ir.Graph(nodes, [("in", "fc"), ("fc", "bn"), ("bn", "out"), ("fc", "out_raw")])
    folded = fold_batchnorm(graph)
    np.testing.assert_array_equal(folded.nodes["fc"].weight, nodes["fc"].weight)
    assert isinstance(folded.nodes["bn"], nir.Affine)
    np.testing.assert_allclose(np.diag(folded.nodes["bn"].weight), bn.scale_shift()[0])
    _same_behaviour(graph, folded)
    assert_roundtrip(folded)


def test_fold_dalif_alpha():
    graph = ZOO["conv_dalif"]()
    folded = fold_dalif_alpha(graph)
    for name in ("dalif_c", "dalif_n"):
        np.testing.assert_array_equal(folded.nodes[name].alpha, 1.0)
    np.testing.assert_allclose(
        folded.nodes["conv"].weight,
        graph.nodes["conv"].weight * np.array([0.8, 1.1, 0.6])[:, None, None, None],
    )
    _same_behaviour(graph, folded)
    assert_roundtrip(folded)
    per_layer = fold_dalif_alpha(ZOO["plif_dalif"]())
    assert per_layer.nodes["dalif"].alpha.shape == (1,) and per_layer.nodes["dalif"].alpha[0] == 1
    _same_behaviour(ZOO["plif_dalif"](), per_layer)


def test_fold_dalif_alpha_leaves_spatially_varying_alpha():
    graph = ZOO["conv_dalif"]()
    node = graph.nodes["dalif_c"]
    alpha = np.linspace(0.5, 1.5, 108).reshape(3, 6, 6)
    varied = graph.replace(nodes=dict(graph.nodes, dalif_c=ir.replace_node(node, alpha=alpha)))
    folded = fold_dalif_alpha(varied)
    np.testing.assert_array_equal(folded.nodes["dalif_c"].alpha, alpha)
    np.testing.assert_array_equal(folded.nodes["conv"].weight, graph.nodes["conv"].weight)


def test_infer_shapes_fills_conv_and_flatten():
    graph = infer_shapes(ZOO["conv_dalif"]())
    assert tuple(graph.nodes["conv"].input_shape) == (6, 6)
    np.testing.assert_array_equal(graph.nodes["flat"].input_type["input"], [3, 3, 3])
    assert ir.graphs_equal(infer_shapes(graph), graph)  # idempotent
    assert_roundtrip(graph)


def test_remove_dead_nodes_keeps_inputs_and_drops_overrides():
    graph = ZOO["mlp_softlif"]()
    nodes = dict(graph.nodes, dead=nir.Scale(np.ones(8)), spare=nir.Input(np.array([1])))
    profile = graph.profile.with_override("dead", compare=">=")
    noisy = graph.replace(nodes=nodes, edges=(*graph.edges, ("lif1", "dead")), profile=profile)
    clean = remove_dead_nodes(noisy)
    assert "dead" not in clean.nodes and "spare" in clean.nodes
    assert ("lif1", "dead") not in clean.edges and "dead" not in clean.profile.overrides
    assert remove_dead_nodes(clean) is clean


@pytest.mark.parametrize("name", sorted(ZOO))
def test_decompose_neurons_is_exact(name):
    graph = infer_shapes(ZOO[name]())
    lowered = decompose_neurons(graph)
    assert not any(isinstance(n, NATIVE_EXACT) for n in lowered.nodes.values())
    kept = [type(n) for n in lowered.nodes.values() if isinstance(n, (ir.CLIF, ir.ILIF))]
    assert len(kept) == sum(isinstance(n, (ir.CLIF, ir.ILIF)) for n in graph.nodes.values())
    _same_behaviour(graph, lowered)
    assert_roundtrip(lowered)


def test_decompose_non_leaky_and_hard_forms():
    nodes = {
        "in": nir.Input(np.array([2])),
        "soft": ir.SoftLIF(np.ones(2), np.ones(2)),
        "hard": ir.SoftLIF(np.ones(2), np.ones(2), reset="hard", v_reset=np.full(2, -0.2)),
        "out": nir.Output(np.array([2])),
    }
    graph = ir.Graph(nodes, [("in", "soft"), ("in", "hard"), ("soft", "out"), ("hard", "out")])
    lowered = decompose_neurons(graph)
    assert isinstance(lowered.nodes["soft.i"], nir.I)
    assert isinstance(lowered.nodes["hard"], nir.IF)
    assert lowered.profile.for_node("hard").compare == ">="
    _same_behaviour(graph, lowered)
    assert_roundtrip(lowered)


def test_decompose_refuses_what_it_cannot_do_exactly():
    mixed = ir.sequential(
        ("in", nir.Input(np.array([2]))),
        ("lif", ir.SoftLIF(np.array([1.0, 0.5]), np.ones(2))),
        ("out", nir.Output(np.array([2]))),
    )
    with pytest.raises(UnsupportedNodeError, match=r"mixes beta == 1 .* and beta < 1"):
        decompose_neurons(mixed)
    with pytest.raises(ConfigError, match="no approximate lowering is registered for \\['LIF'\\]"):
        decompose_neurons(ZOO["clif_ilif"](), approximate=("LIF",))


def test_decompose_approximates_only_on_request_with_the_one_approximation():
    graph = ZOO["clif_ilif"]()
    assert approximable_types() == ["CLIF", "ILIF"]
    lowered = decompose_neurons(graph, approximate=("CLIF",))
    assert "clif" not in lowered.nodes and isinstance(lowered.nodes["clif.li"], nir.LI)
    assert isinstance(lowered.nodes["ilif"], ir.ILIF)
    # the same form the NIR export writes
    node = graph.nodes["clif"]
    form = lower_native("clif", node, graph.profile, allow_inexact=True)
    assert not form.exact and APPROXIMATION in form.note
    assert lowered.nodes["clif.li"].tau.tolist() == form.nodes["li"].tau.tolist()
    assert lowering_status(node) == (
        "native-only",
        f"no exact NIR form; NIR files get the approximation: {APPROXIMATION}",
    )


def test_pipeline_dumps_every_stage_and_verifies(tmp_path, monkeypatch):
    graph = ZOO["batchnorm"]()
    out = run_pipeline(graph, NIR_PRIMITIVES_PIPELINE, verify=True, dump_dir=tmp_path)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names[0] == "00-input.txt" and names[-1] == "06-decompose_neurons.txt"
    assert (tmp_path / "06-decompose_neurons.txt").read_text() == ir.dump(out)
    _same_behaviour(graph, out)

    def broken(g):
        return g.replace(edges=(*g.edges, ("out", "lif")))

    monkeypatch.delenv("SNNCOMPILE_VERIFY", raising=False)
    run_pipeline(graph, [("broken", broken)])  # unchecked: no error
    monkeypatch.setenv("SNNCOMPILE_VERIFY", "1")
    with pytest.raises(IRValidationError, match="after pass 'broken': edge \\('out', 'lif'\\)"):
        run_pipeline(graph, [("broken", broken)])


def _sum_graph(consumer_is_output: bool = False, gain: float = 1.0) -> ir.Graph:
    """in -> a, b (two Affine+LIF paths) summed by ``s`` = Scale(gain) -> c, d -> out."""
    rng = np.random.default_rng(5)

    def affine(n_out: int, n_in: int) -> nir.Affine:
        return nir.Affine(rng.normal(0.3, 1.0, (n_out, n_in)), rng.uniform(0, 0.2, n_out))

    def lif(n: int) -> ir.SoftLIF:
        return ir.SoftLIF(np.full(n, 0.8), np.ones(n))

    nodes = {
        "in": nir.Input(input_type={"input": np.array([3])}),
        "fa": affine(4, 3), "a": lif(4), "fb": affine(4, 3), "b": lif(4),
        "s": nir.Scale(np.full(4, gain)),
        "fc": affine(4, 4), "c": lif(4), "fd": affine(2, 4),
        "out": nir.Output(output_type={"output": np.array([4 if consumer_is_output else 2])}),
    }  # fmt: skip
    edges = [("in", "fa"), ("fa", "a"), ("in", "fb"), ("fb", "b"), ("a", "s"), ("b", "s")]
    if consumer_is_output:
        return ir.Graph(nodes, [*edges, ("s", "out"), ("s", "fc"), ("fc", "c"), ("c", "fd")])
    edges += [("s", "fc"), ("fc", "c"), ("c", "fd"), ("s", "fd"), ("fd", "out")]
    return ir.Graph(nodes, edges)


def test_an_identity_sum_is_wired_through_exactly():
    graph = _sum_graph()
    inlined = inline_identity_sums(graph)
    assert "s" not in inlined.nodes
    assert {("a", "fc"), ("b", "fc"), ("a", "fd"), ("b", "fd")} <= set(inlined.edges)
    x = np.random.default_rng(0).normal(0.5, 1.0, (6, 2, 3))
    want = simulate(graph, x, dtype=np.float64)
    got = simulate(inlined, x, dtype=np.float64)
    np.testing.assert_array_equal(got["out"], want["out"])


def test_a_sum_that_scales_or_feeds_an_output_is_kept():
    assert inline_identity_sums(scaled := _sum_graph(gain=2.0)) is scaled
    assert inline_identity_sums(to_output := _sum_graph(consumer_is_output=True)) is to_output
