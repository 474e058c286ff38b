"""Core mapping (issue 15 item 3): every synapse on a core, per-core limits from the
chip's profile, an error naming a layer that fits no core."""

from __future__ import annotations

import math

import numpy as np
import pytest

from snncompile.energy import (
    LOIHI2,
    ActivityRecord,
    ConvSpec,
    DenseSpec,
    NeuronSpec,
    PoolSpec,
    build_report,
    count_activity,
    estimate_resources,
)
from snncompile.energy.profile import load_profile
from snncompile.energy.resources import UNASSIGNED, ChipLimits
from snncompile.errors import ConfigError

T, B = 2, 1


def _conv_record(readout_neurons: bool = False) -> ActivityRecord:
    """conv 1→8 (16×16, pad 1) → LIF → sum-pool 2 → conv 8→16, stride 2 → LIF → fc 256→10
    (a readout without neurons unless ``readout_neurons``)."""
    rng = np.random.default_rng(3)
    w1 = rng.normal(size=(8, 1, 3, 3))
    w2 = rng.normal(size=(16, 8, 3, 3))
    w2[:, :, 0, 0] = 0.0  # pruned taps: no synapse
    w3 = rng.normal(size=(10, 256))
    x = (rng.random((T, B, 1, 16, 16)) < 0.5).astype(np.uint8)
    s1 = (rng.random((T, B, 8, 16, 16)) < 0.2).astype(np.uint8)
    p1 = s1.reshape(T, B, 8, 8, 2, 8, 2).sum(axis=(4, 6))
    s2 = (rng.random((T, B, 16, 4, 4)) < 0.2).astype(np.uint8)
    record = ActivityRecord()
    record.add("features.conv1", ConvSpec(w1, padding=1), inputs=x)
    record.add("features.lif1", NeuronSpec("LIF", (8, 16, 16)), outputs=s1)
    record.add("features.pool1", PoolSpec(2, mode="sum"), inputs=s1)
    record.add("features.conv2", ConvSpec(w2, stride=2, padding=1), inputs=p1)
    record.add("features.lif2", NeuronSpec("LIF", (16, 4, 4)), outputs=s2)
    record.add("classifier", DenseSpec(w3), inputs=s2.reshape(T, B, -1))
    if readout_neurons:
        record.add("readout", NeuronSpec("LIF", (10,)), outputs=np.zeros((T, B, 10)))
    return record


def _synaptic_connections(counts) -> int:
    return sum(int(x.static.get("connections", 0)) for x in counts.layers if x.kind != "neuron")


@pytest.mark.parametrize("groups", ["default", "explicit"])
def test_every_synapse_is_on_a_core(groups):
    counts = count_activity(_conv_record())
    explicit = {
        "features.lif1": ["features.conv1"],
        "features.lif2": ["features.pool1", "features.conv2"],
        UNASSIGNED: ["classifier"],
    }
    res = estimate_resources(counts, groups=explicit if groups == "explicit" else None)
    assert res.synapses == _synaptic_connections(counts) > 0
    names = [p.layer for p in res.placements]
    assert UNASSIGNED not in names
    assert names == ["features.lif1", "features.lif2", "classifier"]
    readout = res.placements[-1]
    assert readout.readout and readout.neurons == 10 and readout.synapses == 2560
    # consecutive cores, layer after layer, all on chip 0
    assert [p.first_core for p in res.placements] == [0, 1, 2]
    assert res.cores == 3 and res.chips == 1
    assert all(p.chip_range == "0" for p in res.placements)


def test_synapses_no_group_names_still_get_a_core():
    counts = count_activity(_conv_record())
    res = estimate_resources(
        counts, groups={"features.lif1": ["features.conv1"], "features.lif2": ["features.conv2"]}
    )
    assert res.synapses == _synaptic_connections(counts)
    assert {p.layer for p in res.placements if p.readout} == {"features.pool1", "classifier"}


def test_group_naming_an_unknown_layer_is_an_error():
    counts = count_activity(_conv_record())
    with pytest.raises(ConfigError, match="'nope'"):
        estimate_resources(counts, groups={"features.lif1": ["nope"]})


def test_conv_fan_in_per_core_by_hand():
    # conv1 (C_in 1, 3×3, stride 1) feeding 8×16×16 neurons. A core of n neurons holds all
    # 8 channels of ⌈n/8⌉ positions, a q×q tile with q = ⌈√⌈n/8⌉⌉; its axons are
    # 1 × (q + 2)². With at most 50 axons per core: q ≤ 5, 25 positions, 200 neurons.
    limits = ChipLimits("test", 128, 8192, 128 * 1024, None, None, None, fan_in_per_core=50)
    full = _conv_record()
    first_layers = ActivityRecord()
    for name in ("features.conv1", "features.lif1"):
        layer = full[name]
        first_layers.add(name, layer.spec, inputs=layer.inputs, outputs=layer.outputs)
    res = estimate_resources(count_activity(first_layers), limits)
    (first,) = res.placements
    # cores: smallest c with ⌈2048 / c⌉ ≤ 200 → c = 11 (⌈2048/11⌉ = 187: 24 positions, q 5)
    assert first.cores == 11 and first.limited_by == "fan-in"
    assert first.neurons_per_core == math.ceil(2048 / 11)
    assert first.fan_in_per_core == 1 * (5 + 2) ** 2 == 49
    # pool (k2 s2) then conv (k3 s2) into 16×4×4: one core holds every neuron (q = 4);
    # the patch widens to (4 - 1)·2 + 3 = 9 through the conv and (9 - 1)·2 + 2 = 18
    # through the pool: 8 channels × 18² (padding ignored: an upper bound)
    groups = {"features.lif2": ["features.pool1", "features.conv2"]}
    whole = estimate_resources(count_activity(full), groups=groups)
    assert whole.placements[0].cores == 1
    assert whole.placements[0].fan_in_per_core == 8 * 18 * 18


def test_a_neuron_with_too_many_inputs_fits_no_core_and_the_error_names_it():
    record = ActivityRecord()
    record.add("encoder.fc", DenseSpec(np.ones((4, 5000))), inputs=np.zeros((1, 1, 5000)))
    record.add("encoder.lif", NeuronSpec("LIF", (4,)), outputs=np.zeros((1, 1, 4)))
    counts = count_activity(record)
    with pytest.raises(
        ConfigError,
        match=r"layer 'encoder\.lif' \(synapses from encoder\.fc\)"
        r" fits no loihi2 core: one neuron reads 5,000 input axons",
    ) as info:
        estimate_resources(counts)
    assert info.value.node == "encoder.lif"
    # the report names it too, rather than a silent zero
    with pytest.raises(ConfigError, match=r"encoder\.lif"):
        build_report(counts, ["cmos45-fp32"], chip="loihi2")
    assert build_report(counts, ["cmos45-fp32"], chip=None).resources is None


def test_a_neuron_whose_synapses_exceed_a_core_memory_fits_no_core():
    limits = ChipLimits("tiny", 4, 1024, 1000, None, None, None)  # 1000 B per core
    record = ActivityRecord()
    record.add("fc", DenseSpec(np.ones((2, 1200))), inputs=np.zeros((1, 1, 1200)))
    record.add("lif", NeuronSpec("LIF", (2,)), outputs=np.zeros((1, 1, 2)))
    with pytest.raises(ConfigError, match=r"layer 'lif'.*1,200 B, a core holds 1,000 B"):
        estimate_resources(count_activity(record), limits)


def test_limits_come_from_the_profile_with_citations():
    profile = load_profile("loihi2")
    assert LOIHI2.cores_per_chip == profile.chip_limit("cores_per_chip").value == 128
    assert LOIHI2.fan_in_per_core == 4096
    assert "[davies2018]" in LOIHI2.sources["fan_in_per_core"]
    assert LOIHI2.sources["neurons_per_core"].startswith("derived")
    with pytest.raises(ConfigError, match="no chip_limits"):
        estimate_resources(count_activity(_conv_record()), load_profile("cmos45-fp32"))


def test_the_profile_fan_in_is_the_backend_limit():
    limits = pytest.importorskip("snncompile_loihi.limits")
    assert LOIHI2.fan_in_per_core == limits.MAX_FAN_IN
    assert load_profile("loihi").chip_limit("fan_in_per_core").value == limits.MAX_FAN_IN


def test_markdown_and_html_show_the_mapping_without_unassigned_rows():
    report = build_report(count_activity(_conv_record()), ["cmos45-fp32", "loihi2"])
    md = report.to_markdown()
    assert "(unassigned synapses)" not in md and "resources.py" not in md
    assert "## loihi2 core mapping (estimate)" in md
    assert "| classifier (readout) | classifier | 1 (2) | 0 |" in md
    assert "fan_in_per_core: reported:" in md
    doc = report.to_dict()
    assert doc["resources"]["placements"][1]["synaptic_layers"] == [
        "features.pool1",
        "features.conv2",
    ]
    pytest.importorskip("matplotlib")
    html = report.to_html()
    assert "(unassigned synapses)" not in html and "core mapping" in html
