"""Recurrent populations (N → R ⇝ N) in the Loihi chain, quantiser and integer kernels."""

from __future__ import annotations

import dataclasses

import nir
import numpy as np
import pytest
from snncompile_loihi.chain import extract_chain
from snncompile_loihi.fixed_synapses import effective_weights, shift_by_exp
from snncompile_loihi.kernels import run_fixed_layer, run_float_layer
from snncompile_loihi.limits import WEIGHT_MIXED
from snncompile_loihi.quantize import quantize_loihi
from test_quant_loihi import NEURONS, _inputs, _mlp

from snncompile.errors import UnsupportedNodeError
from snncompile.ir import Graph
from snncompile.passes.pipeline import run_pipeline
from snncompile.reference import simulate


def _recurrent(kind: str, bias: bool = False, seed: int = 3) -> Graph:
    """_mlp with a recurrent Linear (or Affine) on its population 'sn'."""
    chain = _mlp(NEURONS[kind])
    rng = np.random.default_rng(seed)
    w = (rng.normal(-0.1, 0.5, (12, 12))).astype(np.float32)
    rec = nir.Affine(weight=w, bias=np.full(12, 0.1, np.float32)) if bias else nir.Linear(weight=w)
    edges = (*chain.edges, ("sn", "rec"), ("rec", "sn"))
    return chain.replace(nodes={**chain.nodes, "rec": rec}, edges=edges)


@pytest.mark.parametrize("kind", sorted(NEURONS))
def test_float_kernel_with_recurrence_equals_the_reference_simulator(kind):
    graph = run_pipeline(_recurrent(kind))
    layer = extract_chain(graph).layers[0]
    assert layer.recurrent is not None and layer.recurrent_synapse == "rec"
    x = _inputs().astype(np.float64)
    ref = simulate(graph, x, dtype=np.float64, record="spikes")
    out = run_float_layer(layer, x)["out"]
    np.testing.assert_array_equal(out, ref["sn"])
    assert 0 < out.mean() < 1
    # the recurrence matters: without it the spikes differ
    plain = run_float_layer(extract_chain(run_pipeline(_mlp(NEURONS[kind]))).layers[0], x)
    assert not np.array_equal(plain["out"], out)


@pytest.mark.parametrize("kind", sorted(NEURONS))
def test_integer_kernel_adds_the_recurrent_dense_one_step_late(kind):
    graph = run_pipeline(_recurrent(kind))
    x = _inputs()
    q = quantize_loihi(graph, x)
    layer = q.layers[0]
    loop = layer.recurrent
    assert loop is not None
    assert WEIGHT_MIXED.lo <= loop.weights.min() and loop.weights.max() <= WEIGHT_MIXED.hi
    assert np.abs(loop.weights).max() > 64  # the exponent keeps ≥ 7 bits of resolution
    x_int = np.round(x * q.input_scale).astype(np.int64)
    res = run_fixed_layer(layer, x_int)
    spikes = res["spikes"]
    forward = run_fixed_layer(dataclasses.replace(layer, recurrent=None), x_int)["a"]
    r_eff = effective_weights(loop.weights, loop.sign_mode)
    prev = np.concatenate([np.zeros_like(spikes[:1]), spikes[:-1]])
    expected = forward + shift_by_exp(prev @ r_eff.T, loop.weight_exp)
    np.testing.assert_array_equal(res["a"], expected)
    assert q.comparison is not None and q.comparison.layers[0].spike_agreement > 0.9


def test_recurrent_bias_is_refused():
    with pytest.raises(UnsupportedNodeError, match=r"'rec'.*non-zero bias") as info:
        extract_chain(run_pipeline(_recurrent("lif", bias=True)))
    assert "Linear" in (info.value.hint or "")


def test_other_back_edges_are_refused():
    chain = _mlp(NEURONS["lif"])
    self_loop = chain.replace(edges=(*chain.edges, ("sn", "sn")))  # no synapse in the loop
    with pytest.raises(UnsupportedNodeError, match=r"'sn'.*recurrent edge sn -> sn"):
        extract_chain(run_pipeline(self_loop))
