"""NeuroBench compatibility: the deterministic anchors and a recorded NeuroBench run.

The fixture (``fixtures/neurobench_fixture.npz`` + ``neurobench_results.json``) was made by
``fixtures/make_neurobench_fixture.py`` in a separate environment with NeuroBench 2.3.0 and
snnTorch; this suite needs neither. Each model's recorded arrays are fed to the counter
and the results must equal NeuroBench's on the same run.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from snncompile.energy import (
    ActivityRecord,
    ConvSpec,
    DenseSpec,
    NeuronSpec,
    count_activity,
)

FIXTURES = Path(__file__).parent / "fixtures"


def test_deterministic_anchors_of_a_20_32_10_mlp():
    """docs/energy.md §3: Dense = 4800, MembraneUpdates = 210, NeuronOperations = 840 (T = 5)."""
    rng = np.random.default_rng(0)
    steps, batch = 5, 2
    s1 = (rng.random((steps, batch, 32)) < 0.2).astype(float)
    record = ActivityRecord()
    record.add("fc1", DenseSpec(rng.normal(size=(32, 20))), inputs=rng.random((steps, batch, 20)))
    record.add("lif1", NeuronSpec("leaky", (32,)), outputs=s1)
    record.add("fc2", DenseSpec(rng.normal(size=(10, 32))), inputs=s1)
    record.add("lif2", NeuronSpec("leaky", (10,)), outputs=np.zeros((steps, batch, 10)))
    nb = count_activity(record).neurobench()
    assert nb["Dense"] == 4800 == steps * (20 * 32 + 32 * 10)
    assert nb["MembraneUpdates"] == 210 == 42 * steps
    assert nb["NeuronOperations"] == 840 == 210 * 4
    assert nb["Effective_MACs"] > 0  # real-valued input to the first layer


def _load() -> tuple[dict[str, np.ndarray], dict]:
    with np.load(FIXTURES / "neurobench_fixture.npz") as data:
        arrays = dict(data)
    meta = json.loads((FIXTURES / "neurobench_results.json").read_text())
    return arrays, meta


def _record(arrays: dict[str, np.ndarray], model: str) -> ActivityRecord:
    a = {k.removeprefix(f"{model}."): v for k, v in arrays.items() if k.startswith(f"{model}.")}
    record = ActivityRecord()
    first = "conv1" if model == "conv" else "fc1"
    spec = (
        ConvSpec(a["param.conv1.weight"], stride=2, padding=1)
        if model == "conv"
        else DenseSpec(a["param.fc1.weight"])
    )
    record.add(first, spec, inputs=a[f"{first}.inputs"])
    for name in ("lif1", "fc2", "lif2"):
        if name.startswith("fc"):
            record.add(name, DenseSpec(a[f"param.{name}.weight"]), inputs=a[f"{name}.inputs"])
        else:
            out = a[f"{name}.outputs"]
            record.add(
                name,
                NeuronSpec("LIF", out.shape[2:]),
                inputs=a[f"{name}.inputs"],
                outputs=out,
                state=a[f"{name}.state"],
            )
    return record


@pytest.mark.parametrize("model", ["mlp_spikes", "mlp_real", "conv"])
def test_counts_equal_neurobench_on_the_same_run(model):
    arrays, meta = _load()
    expected = meta["results"][model]
    ours = count_activity(_record(arrays, model)).neurobench()
    synops = expected["SynapticOperations"]
    assert ours["Effective_ACs"] == pytest.approx(synops["Effective_ACs"])
    assert ours["Effective_MACs"] == pytest.approx(synops["Effective_MACs"])
    assert ours["Dense"] == pytest.approx(synops["Dense"])
    assert ours["MembraneUpdates"] == pytest.approx(expected["MembraneUpdates"])
    neuron_ops = expected["NeuronOperations"]
    assert ours["NeuronOperations"] == pytest.approx(neuron_ops["Effective Neuron Ops"])
    assert ours["NeuronDenseOps"] == pytest.approx(neuron_ops["Neuron Dense Ops"])
    assert ours["ActivationSparsity"] == pytest.approx(expected["ActivationSparsity"])


def test_fixture_records_its_provenance():
    _, meta = _load()
    assert meta["versions"]["neurobench"] == "2.3.0"
    assert {"snntorch", "torch", "numpy"} <= set(meta["versions"])
    assert (FIXTURES / "make_neurobench_fixture.py").exists()
