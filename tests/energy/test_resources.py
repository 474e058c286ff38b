"""Loihi core estimate: neuron and memory limits, one chip or more."""

from __future__ import annotations

import numpy as np
import pytest

from snncompile.energy import (
    LOIHI2,
    ActivityRecord,
    DenseSpec,
    NeuronSpec,
    count_activity,
    estimate_resources,
)
from snncompile.errors import ConfigError


def _counts(n_in: int, n_out: int):
    record = ActivityRecord()
    record.add("fc", DenseSpec(np.ones((n_out, n_in), np.int8)), inputs=np.zeros((1, 1, n_in)))
    record.add("lif", NeuronSpec("LIF", (n_out,)), outputs=np.zeros((1, 1, n_out)))
    return count_activity(record)


def test_small_layer_fits_one_core():
    res = estimate_resources(_counts(20, 32))
    (p,) = res.placements
    assert (p.neurons, p.synapses, p.cores) == (32, 640, 1)
    assert p.memory_bytes == 640
    assert res.fits_one_chip and res.chips == 1
    assert p.neuron_utilisation == pytest.approx(32 / 8192)


def test_memory_limit_binds_for_8_bit_dense_weights():
    # 1000 × 1000 synapses at 8 bits = 1,000,000 B; 128 KiB per core → 8 cores.
    res = estimate_resources(_counts(1000, 1000))
    (p,) = res.placements
    assert p.cores == 8 and p.limited_by == "synaptic memory"
    # Loihi 1: 1000 neurons fit one core by count, memory still needs 8.
    assert estimate_resources(_counts(1000, 1000), "loihi").placements[0].cores == 8


def test_neuron_limit_and_multi_chip():
    res = estimate_resources(_counts(1, 20000), "loihi")
    assert res.placements[0].cores == 20 and res.placements[0].limited_by == "neurons"
    big = estimate_resources(_counts(4000, 4000), weight_bits=8)  # 16 MB of synapses
    assert big.cores == 123 and big.fits_one_chip
    bigger = estimate_resources(_counts(4096, 9000))
    # 36.9 MB / 128 KiB = 281.25 → 282 cores → 3 chips of 128 cores (cores 0–281)
    assert bigger.cores == 282 and not bigger.fits_one_chip and bigger.chips == 3
    assert bigger.placements[0].chip_range == "0–2"
    # 6000 inputs per neuron: more than the 4096 axons a core takes (issue 15)
    with pytest.raises(ConfigError, match=r"layer 'lif'.*6,000 input axons"):
        estimate_resources(_counts(6000, 6000))
    assert LOIHI2.neurons_per_core == 8192 and "derived" in LOIHI2.sources["neurons_per_core"]


def test_unknown_chip():
    with pytest.raises(ConfigError, match="unknown chip 'loihi3'"):
        estimate_resources(_counts(2, 2), "loihi3")
