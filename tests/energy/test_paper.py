"""Papers' arithmetic with the cmos45-fp32 profile.

DA-LIF (arXiv 2502.10422) Table III, CIFAR-100 ResNet, T = 4: 56.55 M MACs × 4.6 pJ +
143.31 M ACs × 0.9 pJ = 0.2601 mJ + 0.1290 mJ = 0.3891 mJ (docs/energy.md §2).
"""

from __future__ import annotations

import pytest

from snncompile.energy import (
    LayerCounts,
    NetworkCounts,
    PricingOptions,
    load_profile,
    price,
)


def _paper_counts(macs: float, acs: float) -> NetworkCounts:
    layer = LayerCounts(
        "paper",
        "conv",
        {"type": "table"},
        {"Effective_MACs": macs, "Effective_ACs": acs, "WeightReads": macs + acs},
        samples=1,
        timesteps=4,
    )
    return NetworkCounts((layer,))


def test_dalif_table3_energy():
    est = price(
        _paper_counts(56.55e6, 143.31e6), load_profile("cmos45-fp32"), PricingOptions.paper()
    )
    terms = {t.name: t for t in est.terms}
    assert terms["MACs"].energy_j == pytest.approx(0.26013e-3)
    assert terms["synaptic ops (ACs)"].energy_j == pytest.approx(0.128979e-3)
    assert est.total_j == pytest.approx(0.3891e-3, abs=5e-8)
    assert round(est.total_j * 1e3, 4) == 0.3891
    assert terms["MACs"].price == 4.6 and terms["synaptic ops (ACs)"].price == 0.9
    assert not est.unpriced


def test_default_pricing_adds_the_memory_term():
    est = price(_paper_counts(56.55e6, 143.31e6), load_profile("cmos45-fp32"))
    memory = est.by_category()["memory"]
    # (56.55 M + 143.31 M) weight reads × 4 B × 12.5 pJ/B = 9.993 mJ: memory dominates.
    assert memory == pytest.approx(199.86e6 * 4 * 12.5e-12)
    assert memory > 20 * est.by_category()["synaptic"]


def test_int8_mac_is_cheaper_than_an_fp32_ac():
    fp32, int8 = load_profile("cmos45-fp32"), load_profile("cmos45-int8")
    assert int8.constant("mac").value < fp32.constant("ac").value
