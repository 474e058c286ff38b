"""Max pooling of spikes on Loihi: the relay rewrite (snncompile_loihi.max_pool).

The rewritten graph must equal the original in the float reference, and the relay layer
of the integer reference must fire exactly where a window holds a spike of the integer
run's previous layer (its fixed-point margin: U·1 in a window with a spike, a residue
below θ·U = U/2 otherwise)."""

from __future__ import annotations

import nir
import numpy as np
import pytest
from snncompile_loihi.chain import extract_chain
from snncompile_loihi.max_pool import WINDOW, relay_max_pools
from snncompile_loihi.quantize import quantize_loihi
from snncompile_loihi.reference import simulate_fixed

from snncompile import ir
from snncompile.errors import UnsupportedNodeError
from snncompile.passes.pipeline import run_pipeline
from snncompile.reference import simulate
from snncompile.reference.conv import max_pool2d
from tests.conformance.zoo import graded_inputs, maxpool_analog, maxpool_cnn


def test_relay_replaces_each_pool_by_a_conv_and_a_memoryless_population():
    graph = run_pipeline(maxpool_cnn())
    relayed = relay_max_pools(graph)
    assert not any(isinstance(n, ir.MaxPool2d) for n in relayed.nodes.values())
    for pool in ("mp1", "mp2"):
        conv, relay = relayed.nodes[f"{pool}.{WINDOW}"], relayed.nodes[pool]
        assert isinstance(conv, nir.Conv2d) and conv.groups == conv.weight.shape[0]
        assert np.all(conv.weight == 1) and np.all(conv.bias == 0)
        assert isinstance(relay, ir.SoftLIF) and relay.reset == "hard"
        assert np.all(relay.beta == 0) and np.all(relay.v_threshold == 0.5)
        assert relayed.predecessors(pool) == (f"{pool}.{WINDOW}",)
    assert relay_max_pools(relayed) is relayed  # nothing left to rewrite


def test_relay_graph_equals_the_original_in_the_float_reference():
    graph = run_pipeline(maxpool_cnn())
    relayed = relay_max_pools(graph)
    x = graded_inputs(graph, steps=10, batch=3)
    want = simulate(graph, x, record=["mp1", "mp2"])
    got = simulate(relayed, x, record=["mp1", "mp2"])
    for name in ("mp1", "mp2", "out"):
        np.testing.assert_array_equal(got[name], want[name], err_msg=name)
    assert 0.05 < want["mp1"].mean() < 0.95 and 0.05 < want["mp2"].mean() < 0.95


def test_chain_reads_each_relay_as_a_grouped_conv_layer():
    chain = extract_chain(relay_max_pools(run_pipeline(maxpool_cnn())))
    names = [layer.name for layer in chain.layers]
    assert names == ["lif1", "mp1", "dalif", "mp2", "lif2", "readout"]
    relay = chain.layers[1]
    assert relay.connection == "conv" and relay.geometry["groups"] == 4
    assert relay.beta == 0.0 and relay.theta == 0.5 and relay.model.hard_reset


@pytest.mark.parametrize("target", ["lava", "netx"])
def test_fixed_point_relay_is_the_max_pool_of_the_integer_spikes(target):
    graph = run_pipeline(maxpool_cnn())
    x = graded_inputs(graph, steps=10, batch=3)
    if target == "netx":
        x = {k: (v > 0.5).astype(np.float32) for k, v in x.items()}
    calibration = next(iter(x.values()))
    program = quantize_loihi(graph, calibration, target=target)
    run = simulate_fixed(program, calibration, record="spikes")
    for pool, before, (k, s, p) in (("mp1", "lif1", (2, 2, 0)), ("mp2", "dalif", (3, 1, 1))):
        spikes = run[before].astype(np.float64)
        flat = spikes.reshape(-1, *spikes.shape[2:])
        want = max_pool2d(flat, (k, k), (s, s), (p, p)).reshape(run[pool].shape)
        np.testing.assert_array_equal(run[pool], want, err_msg=pool)
        assert 0 < want.mean() < 1


@pytest.mark.parametrize("target", ["lava", "netx"])
def test_max_pool_of_non_spikes_is_refused_naming_the_pool(target):
    with pytest.raises(UnsupportedNodeError, match=r"'mp' \(MaxPool2d\).*'conv1' \(Conv2d\)") as e:
        quantize_loihi(run_pipeline(maxpool_analog()), target=target)
    assert e.value.node == "mp" and "move the pool after the neuron" in e.value.hint
