"""Graded (integer) spikes are value sums and their own category; real inputs are MACs.

Dense W = [[1, 0, 2, 0], [0, 0, 3, 1], [4, 0, 0, 0]], fan-out F = [2, 0, 2, 1].

- step 0, x = [3, 0, 1, 0] (graded): Graded_SynOps = F0 + F2 = 4 payload × weight
  products; Graded_EventSynOps = 3·2 + 1·2 = 8; InputEvents = 4 (the 3 is three events).
  NeuroBench would count 2 active inputs as 4 MACs (docs/energy.md §3, limitation 1).
- step 1, x = [0.5, 0, 0, 0] (real): Effective_MACs = F0 = 2.
- step 2, x = [-1, 0, 0, 1] (spikes, NeuroBench's {-1, 0, 1} rule): Effective_ACs = 3.
"""

from __future__ import annotations

import numpy as np

from snncompile.energy import ActivityRecord, DenseSpec, NeuronSpec, count_activity

W = np.array([[1, 0, 2, 0], [0, 0, 3, 1], [4, 0, 0, 0]], dtype=float)


def test_graded_real_and_spike_rows_are_kept_apart():
    x = np.array([[3, 0, 1, 0], [0.5, 0, 0, 0], [-1, 0, 0, 1]])[:, None, :]
    record = ActivityRecord()
    record.add("fc", DenseSpec(W), inputs=x)
    fc = count_activity(record).layer("fc")
    assert fc.per_sample("Graded_SynOps") == 4
    assert fc.per_sample("Graded_EventSynOps") == 8
    assert fc.per_sample("InputEvents") == 4 + 2
    assert fc.per_sample("InputGradedEvents") == 4
    assert fc.per_sample("Effective_MACs") == 2
    assert fc.per_sample("Effective_ACs") == 3
    assert fc.per_sample("WeightReads") == 4 + 2 + 3


def test_input_kind_override_treats_scaled_spikes_as_spikes():
    x = np.array([[0.5, 0, 0.5, 0]])[:, None, :]
    record = ActivityRecord()
    record.add("fc", DenseSpec(W, input_kind="spikes"), inputs=x)
    fc = count_activity(record).layer("fc")
    assert (fc.per_sample("Effective_ACs"), fc.per_sample("Effective_MACs")) == (4, 0)


def test_graded_outputs_count_as_value_sums():
    record = ActivityRecord()
    record.add("n", NeuronSpec("LIF", (3,)), outputs=np.array([[[2, 0, 1]]]))
    n = count_activity(record).layer("n")
    assert n.per_sample("Spikes") == 3  # the 2 is two events
    assert n.per_sample("SpikeMessages") == 2
    assert n.per_sample("GradedSpikes") == 2
    assert n.firing_rate == 1.0
