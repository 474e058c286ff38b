"""Hand-computed counts on a tiny dense network, and per-sample normalisation.

Network: input (4) → Dense W (3×4) → LIF (3), T = 2, one sample::

    W = [[1, 0, 2, 0],      fan-out of each input column (non-zero weights):
         [0, 0, 3, 1],      F = [2, 0, 2, 1]; all-ones fan-out: 3 per input
         [4, 0, 0, 0]]

    x[0] = [1, 1, 0, 0] → ACs = F0 + F1 = 2 + 0 = 2
    x[1] = [0, 1, 1, 1] → ACs = F1 + F2 + F3 = 0 + 2 + 1 = 3      Effective_ACs = 5
    Dense = T · Σ F_all = 2 · 12 = 24;  RateDense_Ops = (4·3) · T · 5/(4·T) = 15

    LIF outputs s[0] = [1, 0, 0], s[1] = [0, 1, 1]: Spikes = 3, rate = 3/(3·2) = 0.5
    updates = 3·2 = 6; adds = 6·1 + 3 spikes·1 = 9, muls = 6, compares = 6
    NeuronOperations (state not recorded) = 6 · 4 = 24
    with V[0] = [0, .5, .2], V[1] = [0, .5, 0]: MembraneUpdates = 3 + 1 = 4 → 16
"""

from __future__ import annotations

import numpy as np
import pytest

from snncompile.energy import ActivityRecord, DenseSpec, NeuronSpec, count_activity
from snncompile.errors import ConfigError, InputError

W = np.array([[1, 0, 2, 0], [0, 0, 3, 1], [4, 0, 0, 0]], dtype=float)
X = np.array([[1, 1, 0, 0], [0, 1, 1, 1]], dtype=float)[:, None, :]  # [T=2, B=1, 4]
S = np.array([[1, 0, 0], [0, 1, 1]], dtype=float)[:, None, :]
V = np.array([[0, 0.5, 0.2], [0, 0.5, 0.0]])[:, None, :]


def _record(batch: int = 1, state: bool = False) -> ActivityRecord:
    record = ActivityRecord()
    record.add("fc", DenseSpec(W), inputs=np.repeat(X, batch, axis=1))
    record.add(
        "lif",
        NeuronSpec("LIF", (3,)),
        outputs=np.repeat(S, batch, axis=1),
        state=np.repeat(V, batch, axis=1) if state else None,
    )
    return record


def test_dense_layer_counts_by_hand():
    fc = count_activity(_record()).layer("fc")
    assert fc.per_sample("Effective_ACs") == 5
    assert fc.per_sample("Effective_MACs") == 0
    assert fc.per_sample("Dense") == 24
    assert fc.per_sample("RateDense_Ops") == pytest.approx(15)
    assert fc.per_sample("InputEvents") == 5
    assert fc.per_sample("WeightReads") == 5
    assert fc.static["connections"] == 5  # non-zero weights
    assert fc.static["dense_per_step"] == 12


def test_neuron_layer_counts_by_hand():
    lif = count_activity(_record()).layer("lif")
    assert lif.per_sample("Spikes") == 3
    assert lif.firing_rate == pytest.approx(0.5)
    assert lif.per_sample("NeuronUpdates") == 6
    assert (lif.get("NeuronOps_add"), lif.get("NeuronOps_mul"), lif.get("NeuronOps_cmp")) == (
        9,
        6,
        6,
    )
    assert lif.per_sample("NeuronOperations") == 24
    assert lif.per_sample("StateReads") == lif.per_sample("StateWrites") == 6
    assert "state not recorded" in " ".join(lif.notes)


def test_membrane_updates_follow_the_recorded_state():
    lif = count_activity(_record(state=True)).layer("lif")
    assert lif.per_sample("MembraneUpdates") == 4
    assert lif.per_sample("NeuronOperations") == 16


def test_per_sample_values_do_not_depend_on_the_batch_size():
    one, five = count_activity(_record(1)), count_activity(_record(5))
    assert five.samples == 5
    assert five.totals() == one.totals()
    assert five.layer("fc").get("Effective_ACs") == 25  # totals scale with B


def test_counter_merges_batches():
    from snncompile.energy import Counter

    counter = Counter()
    counter.update(_record(1))
    counter.update(_record(2))
    merged = counter.result()
    assert merged.samples == 3
    assert merged.layer("fc").get("Effective_ACs") == 15
    assert merged.total("Effective_ACs") == 5


def test_record_save_and_load_roundtrip(tmp_path):
    path = tmp_path / "activity.npz"
    _record(state=True).save(path)
    loaded = ActivityRecord.load(path)
    assert count_activity(loaded).totals() == count_activity(_record(state=True)).totals()


def test_bad_records_are_user_errors():
    record = ActivityRecord()
    with pytest.raises(InputError, match="no recorded inputs"):
        record.add("fc", DenseSpec(W))
    with pytest.raises(InputError, match=r"time-major \[T, B, \.\.\.\]"):
        record.add("fc", DenseSpec(W), inputs=np.ones(4))
    record.add("fc", DenseSpec(W), inputs=X)
    with pytest.raises(InputError, match=r"has \[T, B\] = \[3, 1\]"):
        record.add("lif", NeuronSpec("LIF", (3,)), outputs=np.zeros((3, 1, 3)))
    with pytest.raises(ConfigError, match="added twice"):
        record.add("fc", DenseSpec(W), inputs=X)
    bad = ActivityRecord()
    bad.add("fc", DenseSpec(W), inputs=np.ones((2, 1, 5)))
    with pytest.raises(InputError, match="expects 4"):
        count_activity(bad)
    with pytest.raises(ConfigError, match="unknown neuron model 'GLIF'"):
        NeuronSpec("GLIF", (3,))
