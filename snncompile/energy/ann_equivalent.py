"""The ANN equivalent: the same network run once as a conventional, dense ANN.

Priced on any profile with a ``mac`` constant: every synapse once (``Dense`` / T, one
forward pass, no time steps) at ``mac`` (pooling at ``ac``), one activation per neuron
(``op_cmp``, a ReLU compare; else ``neuron_update``), and memory for each weight read
and each activation written and read at the profile's weight width.
"""

from __future__ import annotations

from snncompile.energy.counts import NetworkCounts
from snncompile.energy.layers import SYNAPTIC_KINDS
from snncompile.energy.pricing import Estimate, Ledger, PricingOptions
from snncompile.energy.profile import HardwareProfile


def price_ann_equivalent(counts: NetworkCounts, profile: HardwareProfile) -> Estimate | None:
    """The same network run once as a dense ANN on ``profile`` (None without a ``mac``)."""
    if profile.constant("mac") is None:
        return None
    ledger = Ledger(profile)
    options = PricingOptions(static=False, spikes=False)
    for layer in counts.layers:
        if layer.kind in SYNAPTIC_KINDS:
            ops = float(layer.static.get("dense_per_step", 0))
            key = "ac" if layer.kind == "pool" and profile.constant("ac") is not None else "mac"
            ledger.charge(layer.name, "ANN MACs (one pass)", "macs", ops, "ops", key)
            if layer.kind != "pool":
                ledger.charge(
                    layer.name,
                    "memory (weights)",
                    "memory",
                    ops * profile.weight_bits / 8,
                    "bytes",
                    "memory_byte",
                )
        elif layer.kind == "neuron":
            neurons = float(layer.static.get("neurons", 0))
            key = "op_cmp" if profile.constant("op_cmp") is not None else "neuron_update"
            ledger.charge(layer.name, "activations", "neuron", neurons, "ops", key)
            ledger.charge(
                layer.name,
                "memory (activations)",
                "memory",
                2 * neurons * profile.weight_bits / 8,
                "bytes",
                "memory_byte",
            )
    return ledger.estimate("ann-equivalent", options)
