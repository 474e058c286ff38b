"""Operation counts from recorded activity, and energy and hardware estimates from them.

Counts are measured, never assumed: per layer and per sample, summed over T, from the
arrays a run recorded (:class:`ActivityRecord`). Energies are estimates: one data-file
profile per target prices the counts term by term, with every constant cited and tagged
with its basis (docs/energy.md). Torch-free.

Typical use::

    record = ActivityRecord()
    record.add("fc1", DenseSpec(w1), inputs=x)                 # [T, B, 20]
    record.add("lif1", NeuronSpec("LIF", (32,)), outputs=s1)   # [T, B, 32]
    counts = count_activity(record)
    report = build_report(counts, ["cmos45-fp32", "cmos45-int8", "loihi"])
    report.save("energy.html")
"""

from __future__ import annotations

from snncompile.energy.activity import ActivityRecord, LayerActivity
from snncompile.energy.ann_equivalent import price_ann_equivalent
from snncompile.energy.counter import Counter, CountOptions, count_activity
from snncompile.energy.counts import METRICS, LayerCounts, NetworkCounts
from snncompile.energy.layers import ConvSpec, DenseSpec, NeuronSpec, PoolSpec, ScaleSpec
from snncompile.energy.neuron_costs import NEURON_COSTS, NeuronCost, OpCounts, neuron_cost
from snncompile.energy.pricing import (
    Estimate,
    PricingOptions,
    Term,
    Unpriced,
    price,
)
from snncompile.energy.profile import (
    BUILTIN_PROFILES,
    DEFAULT_PROFILES,
    HardwareProfile,
    load_profile,
    load_profiles,
    validate_profile,
)
from snncompile.energy.report import (
    EnergyReport,
    build_report,
    report_from_record,
    validate_report,
)
from snncompile.energy.report_schema import REPORT_SCHEMA, REPORT_SCHEMA_ID
from snncompile.energy.resources import (
    LOIHI1,
    LOIHI2,
    ChipLimits,
    ResourceEstimate,
    estimate_resources,
)

__all__ = [
    "BUILTIN_PROFILES",
    "DEFAULT_PROFILES",
    "LOIHI1",
    "LOIHI2",
    "METRICS",
    "NEURON_COSTS",
    "REPORT_SCHEMA",
    "REPORT_SCHEMA_ID",
    "ActivityRecord",
    "ChipLimits",
    "ConvSpec",
    "CountOptions",
    "Counter",
    "DenseSpec",
    "EnergyReport",
    "Estimate",
    "HardwareProfile",
    "LayerActivity",
    "LayerCounts",
    "NetworkCounts",
    "NeuronCost",
    "NeuronSpec",
    "OpCounts",
    "PoolSpec",
    "PricingOptions",
    "ResourceEstimate",
    "ScaleSpec",
    "Term",
    "Unpriced",
    "build_report",
    "count_activity",
    "estimate_resources",
    "load_profile",
    "load_profiles",
    "neuron_cost",
    "price",
    "price_ann_equivalent",
    "report_from_record",
    "validate_profile",
    "validate_report",
]
