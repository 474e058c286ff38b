"""Counts from an IR graph simulated by the reference simulator (hand-checked numbers).

Dense graph: in (4) → fc1 (W1, 3×4, bias 0) → lif1 (SoftLIF β = 0.5, θ = 1, soft) →
fc2 (W2, 2×3) → out; T = 2, one sample::

    W1 = [[1, 0, 2, 0], [0, 0, 3, 1], [4, 0, 0, 0]]   fan-out F1 = [2, 0, 2, 1]
    x[0] = [1, 1, 0, 0] → X[0] = W1·x = [1, 0, 4], ACs 2
    x[1] = [0, 1, 1, 1] → X[1] = [2, 4, 0],        ACs 3      fc1: Effective_ACs = 5
    lif1: H[0] = [1, 0, 4] → s = [1, 0, 1], V = [0, 0, 3]
          H[1] = [0, 0, 1.5] + [2, 4, 0] = [2, 4, 1.5] → s = [1, 1, 1], V = [1, 3, 0.5]
          Spikes = 5, rate 5/6; active updates (X ≠ 0) = 2 + 2 = 4;
          MembraneUpdates = 3 + 3 (every V changed) = 6 → NeuronOperations = 24
    W2 = [[1, 0, 1], [0, 0, 0]]                      fan-out F2 = [1, 0, 1]
    fc2: s[0] = [1, 0, 1] → 2 ACs, s[1] = [1, 1, 1] → 2 ACs: Effective_ACs = 4; Dense = 12

Conv graph: in (1, 3, 3) → conv (the kernel of test_counts_conv, stride 2, padding 1) →
lif (1, 2, 2) → flat → fc (1×4) → out, with the spike input of test_counts_conv:
conv Effective_ACs = 9, Dense = 27.
"""

from __future__ import annotations

import nir
import numpy as np
import pytest

from snncompile import ir
from snncompile.energy.from_ir import (
    count_ops,
    layer_specs,
    record_activity,
    report_from_run,
    synapse_groups,
)
from snncompile.errors import InputError
from snncompile.reference import simulate
from tests.energy.test_counts_conv import W as CONV_W
from tests.energy.test_counts_conv import _spikes
from tests.roundtrip.graph_zoo import ZOO, random_inputs

W1 = np.array([[1, 0, 2, 0], [0, 0, 3, 1], [4, 0, 0, 0]], dtype=float)
W2 = np.array([[1, 0, 1], [0, 0, 0]], dtype=float)
X = np.array([[1, 1, 0, 0], [0, 1, 1, 1]], dtype=float)[:, None, :]


def _dense_graph() -> ir.Graph:
    return ir.sequential(
        ("in", nir.Input(np.array([4]))),
        ("fc1", nir.Affine(weight=W1, bias=np.zeros(3))),
        ("lif1", ir.SoftLIF(np.full(3, 0.5), np.ones(3))),
        ("fc2", nir.Affine(weight=W2, bias=np.zeros(2))),
        ("out", nir.Output(np.array([2]))),
    )


def test_dense_graph_counts_by_hand():
    graph = _dense_graph()
    recorded = simulate(graph, X, record="all")
    counts = count_ops(graph, recorded)
    assert [layer.name for layer in counts.layers] == ["fc1", "lif1", "fc2"]
    fc1, lif1, fc2 = counts.layers
    assert fc1.per_sample("Effective_ACs") == 5 and fc1.per_sample("Dense") == 24
    assert lif1.per_sample("Spikes") == 5
    assert lif1.firing_rate == pytest.approx(5 / 6)
    assert lif1.per_sample("ActiveUpdates") == 4
    assert lif1.per_sample("MembraneUpdates") == 6
    assert lif1.per_sample("NeuronOperations") == 24
    assert fc2.per_sample("Effective_ACs") == 4 and fc2.per_sample("Dense") == 12
    assert counts.neurobench()["Effective_ACs"] == 9


def test_conv_graph_counts_by_hand():
    graph = ir.sequential(
        ("in", nir.Input(np.array([1, 3, 3]))),
        (
            "conv",
            nir.Conv2d(
                input_shape=(3, 3),
                weight=CONV_W,
                stride=2,
                padding=1,
                dilation=1,
                groups=1,
                bias=np.zeros(1),
            ),
        ),
        ("lif", ir.SoftLIF(np.full((1, 2, 2), 0.5), np.ones((1, 2, 2)))),
        ("flat", nir.Flatten(input_type={"input": np.array([1, 2, 2])}, start_dim=0)),
        ("fc", nir.Affine(weight=np.ones((1, 4)), bias=np.zeros(1))),
        ("out", nir.Output(np.array([1]))),
    )
    counts = count_ops(graph, simulate(graph, _spikes(), record="all"))
    conv = counts.layer("conv")
    assert conv.per_sample("Effective_ACs") == 9 and conv.per_sample("Dense") == 27
    assert conv.static["connections"] == 7
    assert counts.layer("lif").static["neurons"] == 4
    assert counts.layer("fc").per_sample("Dense") == 3 * 4  # T · in · out


def test_report_from_run_uses_graph_groups():
    graph = _dense_graph()
    report = report_from_run(graph, simulate(graph, X, record="all"), ["cmos45-fp32", "loihi"])
    assert synapse_groups(graph) == {"lif1": ["fc1"], "(unassigned synapses)": ["fc2"]}
    placements = {p.layer: p for p in report.resources.placements}
    assert placements["lif1"].synapses == 5
    acs = next(t for t in report.estimate("loihi").terms if t.name == "synaptic ops (ACs)")
    assert acs.count == 9 and acs.energy_j == pytest.approx(9 * 23.6e-12)


def test_missing_traces_are_reported():
    graph = _dense_graph()
    recorded = simulate(graph, X)  # outputs only
    with pytest.raises(InputError, match="record='all'"):
        record_activity(graph, recorded)


@pytest.mark.parametrize("name", sorted(ZOO))
def test_every_zoo_graph_can_be_counted(name):
    graph = ZOO[name]()
    recorded = simulate(graph, random_inputs(graph, steps=3, batch=2), record="all")
    counts = count_ops(graph, recorded)
    specs = layer_specs(graph)
    assert [layer.name for layer in counts.layers] == [
        n for n in specs if n in {layer.name for layer in counts.layers}
    ]
    assert counts.samples == 2 and counts.timesteps == 3
    assert all(v >= 0 for v in counts.totals().values())
