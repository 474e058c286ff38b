"""Issue 7: runs of every kind feed the same counter, and the same model counts the same.

(a) float64: the torch run (``record_torch``) and the reference simulator spike
identically, so every NetworkCounts total and every layer's counts are equal.
(b) the quantised digits model: the integer reference (``simulate_fixed``) and a real Lava
fixed-point run, both read through ``layer_traces``, count exactly the same.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch
from snncompile_loihi.quantize import quantize_loihi
from snncompile_loihi.reference import simulate_fixed
from torch import nn

import snncompile
from snncompile import neurons as sn
from snncompile.api import load_graph
from snncompile.energy.counts import NetworkCounts
from snncompile.energy.from_ir import count_ops, layer_traces
from snncompile.frontend.activity import record_torch
from snncompile.reference import simulate

REPO = Path(__file__).resolve().parents[2]
MODEL = REPO / "examples" / "models" / "digits_lif.pt"
DATA = REPO / "examples" / "data" / "digits_test.npz"
T = 4


def _digits(n: int, start: int = 0) -> np.ndarray:
    """[T, n, 1, 8, 8] float64: static test images repeated over T steps."""
    with np.load(DATA) as data:
        images = data["inputs"][start : start + n].astype(np.float64)
    return np.repeat(images[None], T, axis=0)


def _as_dict(counts: NetworkCounts) -> tuple[dict, dict]:
    layers = {layer.name: dict(layer.totals) for layer in counts.layers}
    return dict(counts.totals()), layers


def _assert_same_counts(a: NetworkCounts, b: NetworkCounts) -> None:
    totals_a, layers_a = _as_dict(a)
    totals_b, layers_b = _as_dict(b)
    assert list(layers_a) == list(layers_b)
    for name in layers_a:
        assert layers_a[name] == layers_b[name], name
    assert totals_a == totals_b
    assert a.neurobench() == b.neurobench()
    assert a.to_dict() == b.to_dict()


class _TinyConv(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = sn.TimeDistributed(nn.Conv2d(1, 4, 3, padding=1))
        self.sn1 = sn.LIF(tau=2.0)
        self.pool = sn.TimeDistributed(nn.Sequential(nn.AvgPool2d(2), nn.Conv2d(4, 4, 3)))
        self.sn2 = sn.LIF(tau=3.0, reset="hard")
        self.flat = nn.Flatten(start_dim=2)
        self.fc = nn.Linear(16, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.flat(self.sn2(self.pool(self.sn1(self.conv(x))))))


def _torch_vs_reference(model: nn.Module, x: np.ndarray) -> None:
    model = model.double().eval()
    xt = torch.from_numpy(x)
    graph = snncompile.trace(model, xt)
    from_torch = record_torch(model, xt)
    from_ref = simulate(graph, x, record="all")
    spiking = [n for n in from_ref if n in graph.nodes and n.startswith("sn")]
    assert spiking
    for name in spiking:
        np.testing.assert_array_equal(from_torch[name], from_ref[name])
    counts_torch, counts_ref = count_ops(graph, from_torch), count_ops(graph, from_ref)
    assert counts_ref.totals()["Spikes"] > 0
    _assert_same_counts(counts_torch, counts_ref)


def test_torch_and_reference_counts_agree_digits():
    _torch_vs_reference(snncompile.load(MODEL), _digits(32))


def test_torch_and_reference_counts_agree_tiny_conv():
    torch.manual_seed(0)
    model = _TinyConv()
    with torch.no_grad():
        model.conv.module.weight.mul_(3.0)
    rng = np.random.default_rng(0)
    _torch_vs_reference(model, rng.uniform(0.0, 1.0, size=(T, 6, 1, 8, 8)))


def test_record_torch_keys_match_reference():
    model = snncompile.load(MODEL).double().eval()
    x = _digits(2)
    graph = snncompile.trace(model, torch.from_numpy(x))
    recorded = record_torch(model, torch.from_numpy(x))
    reference = simulate(graph, x, record="all")
    assert set(reference) - {"output"} <= set(recorded)
    for key, value in recorded.items():
        if key in reference:
            assert value.shape == reference[key].shape, key


@pytest.fixture(scope="module")
def quantised():
    graph = load_graph(MODEL)
    calibration = _digits(8, start=100)
    return graph, calibration, quantize_loihi(graph, calibration)


def test_layer_traces_from_fixed_reference(quantised):
    _, _, qgraph = quantised
    x = _digits(10)
    fixed = simulate_fixed(qgraph, x, record="all")
    traces = layer_traces(qgraph.graph, fixed, qgraph.quantize_input(x))
    np.testing.assert_array_equal(traces["sn1"], fixed["sn1:spikes"])
    np.testing.assert_array_equal(traces["sn1:v"], fixed["sn1:v"])
    assert "readout" not in traces and "sn1:a" not in traces
    counts = count_ops(qgraph.graph, traces, neuron_inputs=False)
    spikes = int(fixed["sn1"].sum())  # totals are per sample
    assert spikes > 0 and counts.totals()["Spikes"] == pytest.approx(spikes / x.shape[1])


@pytest.mark.lava
@pytest.mark.skipif(importlib.util.find_spec("lava") is None, reason="lava-nc not installed")
def test_fixed_reference_and_lava_counts_agree(quantised, tmp_path):
    from snncompile_lava.backend import LavaBackend

    graph, calibration, qgraph = quantised
    x = _digits(10)
    backend = LavaBackend(mode="fixed", calibration=calibration)
    staged = backend.quantize(graph, calibration)
    artifact = backend.emit(staged, tmp_path / "lava")
    lava = backend.simulate_recorded(artifact, x, record="all")
    fixed = simulate_fixed(staged, x, record="all")
    q_in = qgraph.quantize_input(x)
    counts_fixed = count_ops(
        qgraph.graph, layer_traces(qgraph.graph, fixed, q_in), neuron_inputs=False
    )
    counts_lava = count_ops(
        qgraph.graph, layer_traces(qgraph.graph, lava, q_in), neuron_inputs=False
    )
    assert counts_fixed.totals()["Spikes"] > 0
    _assert_same_counts(counts_fixed, counts_lava)
