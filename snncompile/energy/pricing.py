"""The energy model: one profile prices the counts term by term.

All energies are **estimates per sample** (one inference over T steps), in joules. A term
the profile has no constant for is never guessed: it is listed as *unpriced* with its
count and the reason. Terms (``category`` in brackets):

- **synaptic ops** [synaptic]: event-driven profiles price ``Effective_ACs`` with
  ``ac_conv``/``ac_dense`` for conv/dense layers, else ``ac``. Dense profiles
  (``event_driven: false``, e.g. a GPU) price ``Dense`` with ``mac``: every synapse,
  every step.
- **MACs** [macs]: ``Effective_MACs`` × ``mac``.
- **graded synaptic ops** [graded]: ``Graded_SynOps`` × ``graded_synop`` (else ``mac``).
- **neuron updates** [neuron]: ``ActiveUpdates`` × ``neuron_update_active`` + the rest ×
  ``neuron_update_inactive``; else ``NeuronUpdates`` × ``neuron_update``; else the
  elementary ``NeuronOps_add/mul/cmp/sigmoid`` × ``op_add/op_mul/op_cmp/op_sigmoid``.
  With ``PricingOptions(neuron="macs")`` (papers): ``NeuronMACs`` × ``mac`` +
  ``NeuronACs`` × ``ac`` instead.
- **spike traffic** [spikes]: ``SpikeMessages`` × (``spike_out`` + messages per spike ×
  (``message_out`` + hops per message × ``hop``)).
- **memory** [memory]: bytes = ``WeightReads`` (dense profiles: ``Dense``) × weight
  bits / 8 + (``StateReads`` + ``StateWrites``) × state bits / 8, × ``memory_byte``.
- **static** [static]: ``static_power`` × T × ``t_step`` × chips.

The ANN equivalent is priced in :mod:`snncompile.energy.ann_equivalent`.
"""

from __future__ import annotations

from typing import Any

from snncompile.energy.counts import LayerCounts, NetworkCounts
from snncompile.energy.estimate import CATEGORIES, Estimate, PricingOptions, Term, Unpriced
from snncompile.energy.layers import SYNAPTIC_KINDS
from snncompile.energy.profile import Constant, HardwareProfile

PJ = 1e-12
__all__ = ["CATEGORIES", "Estimate", "Ledger", "PricingOptions", "Term", "Unpriced", "price"]


class Ledger:
    """(Internal) accumulates terms keyed by (name, constant) and unpriced counts keyed by name."""

    def __init__(self, profile: HardwareProfile) -> None:
        self.profile = profile
        self.terms: dict[tuple[str, str], list[Any]] = {}
        self.unpriced: dict[str, list[Any]] = {}
        self.per_layer: dict[str, float] = {}
        self._included: dict[str, bool] = {}

    def charge(
        self,
        layer: str,
        name: str,
        category: str,
        count: float,
        unit: str,
        key: str,
        note: str = "",
    ) -> bool:
        """Price ``count`` with constant ``key``; False (nothing charged) when it is absent."""
        const = self.profile.constant(key)
        if const is None:
            return False
        if count:
            energy = count * const.value * _scale(key)
            row = self.terms.setdefault((name, key), [category, 0.0, unit, const, 0.0, note])
            row[1] += count
            row[4] += energy
            self.per_layer[layer] = self.per_layer.get(layer, 0.0) + energy
        return True

    def skip(self, name: str, category: str, count: float, unit: str, reason: str) -> None:
        if count:
            included = self._included.get(reason, False)
            row = self.unpriced.setdefault(name, [category, 0.0, unit, reason, included])
            row[1] += count

    def reason(self, term: str, key: str) -> str:
        """Why ``term`` is not priced (the profile's own reason when it states one)."""
        entry = self.profile.not_priced_entry(term)
        if entry is None:
            return f"the profile has no '{key}' constant"
        self._included[entry["reason"]] = bool(entry.get("included", False))
        return str(entry["reason"])

    def estimate(self, mode: str, options: PricingOptions) -> Estimate:
        terms = tuple(
            Term(
                name,
                cat,
                count,
                unit,
                key,
                c.value,
                _price_unit(key),
                energy,
                c.basis,
                c.cite,
                note or c.note,
                c.cite_id,
            )
            for (name, key), (cat, count, unit, c, energy, note) in self.terms.items()
        )
        unpriced = tuple(Unpriced(n, *row) for n, row in self.unpriced.items())
        p = self.profile
        return Estimate(
            p.name,
            p.title,
            p.basis,
            p.trust,
            mode,
            terms,
            unpriced,
            self.per_layer,
            options.to_dict(),
        )


def _scale(key: str) -> float:
    return 1.0 if key in ("static_power", "t_step") else PJ


def _price_unit(key: str) -> str:
    return {"memory_byte": "pJ/B", "static_power": "W", "t_step": "s"}.get(key, "pJ")


def price(
    counts: NetworkCounts, profile: HardwareProfile, options: PricingOptions | None = None
) -> Estimate:
    """Price ``counts`` with ``profile`` (see the module docstring for every term)."""
    options = options or PricingOptions()
    ledger = Ledger(profile)
    for layer in counts.layers:
        if layer.kind in SYNAPTIC_KINDS:
            _price_synapses(ledger, layer, profile, options)
        elif layer.kind == "neuron":
            _price_neurons(ledger, layer, profile, options)
    if options.static:
        _price_static(ledger, counts, profile, options)
    return ledger.estimate("snn", options)


def _ac_key(profile: HardwareProfile, kind: str) -> str:
    specific = f"ac_{kind}"
    return specific if profile.constant(specific) is not None else "ac"


def _price_synapses(
    ledger: Ledger, layer: LayerCounts, profile: HardwareProfile, options: PricingOptions
) -> None:
    name = layer.name
    if not profile.event_driven:
        dense = layer.per_sample("Dense")
        if not ledger.charge(name, "dense synaptic ops", "synaptic", dense, "ops", "mac"):
            ledger.skip(
                "dense synaptic ops", "synaptic", dense, "ops", ledger.reason("MACs", "mac")
            )
        reads = dense
    else:
        acs = layer.per_sample("Effective_ACs")
        key = _ac_key(profile, layer.kind)
        if not ledger.charge(name, "synaptic ops (ACs)", "synaptic", acs, "ops", key):
            ledger.skip(
                "synaptic ops (ACs)", "synaptic", acs, "ops", ledger.reason("synaptic ops", key)
            )
        macs = layer.per_sample("Effective_MACs")
        if not ledger.charge(name, "MACs", "macs", macs, "ops", "mac"):
            ledger.skip("MACs", "macs", macs, "ops", ledger.reason("MACs", "mac"))
        graded = layer.per_sample("Graded_SynOps")
        key = "graded_synop" if profile.constant("graded_synop") is not None else "mac"
        if not ledger.charge(name, "graded synaptic ops", "graded", graded, "ops", key):
            ledger.skip(
                "graded synaptic ops", "graded", graded, "ops", ledger.reason("graded spikes", key)
            )
        reads = layer.per_sample("WeightReads")
    if options.memory and layer.kind != "pool":
        nbytes = reads * profile.weight_bits / 8
        if not ledger.charge(name, "memory (weights)", "memory", nbytes, "bytes", "memory_byte"):
            ledger.skip(
                "memory (weights)",
                "memory",
                nbytes,
                "bytes",
                ledger.reason("memory", "memory_byte"),
            )


def _price_neurons(
    ledger: Ledger, layer: LayerCounts, profile: HardwareProfile, options: PricingOptions
) -> None:
    name = layer.name
    updates = layer.per_sample("NeuronUpdates")
    if options.neuron == "macs":
        ok = ledger.charge(
            name, "neuron MACs", "neuron", layer.per_sample("NeuronMACs"), "ops", "mac"
        )
        ok &= ledger.charge(
            name, "neuron ACs", "neuron", layer.per_sample("NeuronACs"), "ops", "ac"
        )
        if not ok:
            ledger.skip(
                "neuron MACs",
                "neuron",
                layer.per_sample("NeuronMACs"),
                "ops",
                ledger.reason("MACs", "mac"),
            )
    elif options.neuron == "profile":
        _price_updates(ledger, layer, profile, updates)
    if options.spikes:
        messages = layer.per_sample("SpikeMessages")
        hops = (
            options.hops_per_spike
            if options.hops_per_spike is not None
            else profile.default("hops_per_spike", 1)
        )
        msgs = (
            options.messages_per_spike
            if options.messages_per_spike is not None
            else profile.default("messages_per_spike", 1)
        )
        charged = ledger.charge(name, "spikes out", "spikes", messages, "spikes", "spike_out")
        charged |= ledger.charge(
            name, "spike messages", "spikes", messages * msgs, "messages", "message_out"
        )
        charged |= ledger.charge(name, "NoC hops", "spikes", messages * msgs * hops, "hops", "hop")
        if not charged:
            ledger.skip(
                "spike traffic",
                "spikes",
                messages,
                "spikes",
                ledger.reason("spike traffic", "spike_out"),
            )
    if options.memory:
        nbytes = (
            (layer.per_sample("StateReads") + layer.per_sample("StateWrites"))
            * profile.state_bits
            / 8
        )
        if not ledger.charge(name, "memory (state)", "memory", nbytes, "bytes", "memory_byte"):
            ledger.skip(
                "memory (state)", "memory", nbytes, "bytes", ledger.reason("memory", "memory_byte")
            )


def _price_updates(
    ledger: Ledger, layer: LayerCounts, profile: HardwareProfile, updates: float
) -> None:
    name = layer.name
    if profile.constant("neuron_update_active") is not None:
        active = layer.per_sample("ActiveUpdates")
        ledger.charge(
            name, "neuron updates (active)", "neuron", active, "updates", "neuron_update_active"
        )
        if not ledger.charge(
            name,
            "neuron updates (inactive)",
            "neuron",
            updates - active,
            "updates",
            "neuron_update_inactive",
        ):
            ledger.skip(
                "neuron updates (inactive)",
                "neuron",
                updates - active,
                "updates",
                ledger.reason("neuron updates", "neuron_update_inactive"),
            )
        return
    if ledger.charge(name, "neuron updates", "neuron", updates, "updates", "neuron_update"):
        return
    if profile.constant("op_add") is None:
        ledger.skip(
            "neuron updates",
            "neuron",
            updates,
            "updates",
            ledger.reason("neuron updates", "neuron_update"),
        )
        return
    for kind in ("add", "mul", "cmp", "sigmoid"):
        count = layer.per_sample(f"NeuronOps_{kind}")
        if not ledger.charge(name, f"neuron {kind}", "neuron", count, "ops", f"op_{kind}"):
            ledger.skip(
                f"neuron {kind}",
                "neuron",
                count,
                "ops",
                ledger.reason("neuron updates", f"op_{kind}"),
            )


def _price_static(
    ledger: Ledger, counts: NetworkCounts, profile: HardwareProfile, options: PricingOptions
) -> None:
    power = profile.constant("static_power")
    if power is None:
        ledger.skip(
            "static", "static", counts.timesteps, "steps", ledger.reason("static", "static_power")
        )
        return
    step = profile.constant("t_step")
    if options.t_step_s is not None:
        step = Constant(options.t_step_s, "derived", "user option", "set by the user", "user")
    if step is None:
        ledger.skip(
            "static",
            "static",
            counts.timesteps,
            "steps",
            "the profile has no 't_step'; pass PricingOptions(t_step_s=…)",
        )
        return
    seconds = counts.timesteps * step.value * options.chips
    energy = power.value * seconds
    note = (
        f"{power.value} W × T={counts.timesteps} × {step.value:g} s × {options.chips} chip(s); "
        f"t_step: {step.note}"
    )
    ledger.terms[("static", "static_power")] = ["static", seconds, "chip·s", power, energy, note]
    ledger.per_layer["(static)"] = energy
