"""Neuron-update costs per model: CLIF and ILIF do more work; the paper convention."""

from __future__ import annotations

import numpy as np
import pytest

from snncompile.energy import (
    ActivityRecord,
    CountOptions,
    NeuronSpec,
    count_activity,
    neuron_cost,
)


@pytest.mark.parametrize(
    ("model", "worst", "words"),
    [
        ("LIF", 4, 1),
        ("PLIF", 4, 1),
        ("IF", 3, 1),
        ("DALIF", 5, 1),
        ("CLIF", 10, 2),
        ("ILIF", 12, 4),
    ],
)
def test_worst_case_costs_and_state(model, worst, words):
    cost = neuron_cost(model)
    assert cost.neurobench_cost == worst
    assert cost.state_words == words


def test_clif_and_ilif_cost_more_than_lif():
    lif, clif, ilif = (neuron_cost(m) for m in ("LIF", "CLIF", "ILIF"))
    assert clif.per_update.sigmoid == 1 and clif.per_spike.sigmoid == 1
    assert ilif.per_spike.sigmoid == 1
    assert lif.per_update.total < clif.per_update.total <= ilif.per_update.total
    assert neuron_cost("synaptic").neurobench_cost == 6  # NeuroBench Synaptic, subtract


def _clif_record() -> ActivityRecord:
    # 2 neurons, T = 3, 1 sample, 2 spikes.
    record = ActivityRecord()
    record.add("clif", NeuronSpec("CLIF", (2,)), outputs=np.array([[[1, 0]], [[0, 0]], [[0, 1]]]))
    return record


def test_clif_counts_charge_the_reset_path_per_spike():
    layer = count_activity(_clif_record()).layer("clif")
    # 6 updates: add 1, mul 3, cmp 1, sigmoid 1 each; 2 spikes: add 3, sigmoid 1 each.
    assert layer.get("NeuronOps_add") == 6 + 2 * 3
    assert layer.get("NeuronOps_mul") == 18
    assert layer.get("NeuronOps_sigmoid") == 6 + 2
    assert layer.get("NeuronMACs") == 18
    assert layer.get("StateReads") == 12


def test_clif_paper_convention_is_three_times_lif():
    options = CountOptions(neuron_macs="paper")
    clif = count_activity(_clif_record(), options).layer("clif")
    assert clif.get("NeuronMACs") == 3 * 6  # T·N·3
    assert clif.get("NeuronACs") == 3 * 2  # 3 per output spike
    record = ActivityRecord()
    record.add("lif", NeuronSpec("LIF", (2,)), outputs=np.array([[[1, 0]], [[0, 0]], [[0, 1]]]))
    lif = count_activity(record, options).layer("lif")
    assert (lif.get("NeuronMACs"), lif.get("NeuronACs")) == (6, 2)


def test_hard_reset_to_a_nonzero_value_costs_one_more_add():
    spec = NeuronSpec("LIF", (1,), reset="hard", v_reset_nonzero=True)
    assert spec.cost_model == "LIF-hard"
    assert neuron_cost(spec.cost_model).neurobench_cost == 5
