"""Core mapping of a network onto a neuromorphic chip (Loihi 1, Loihi 2): which layer
goes on which cores, against the per-core limits the chip's energy profile cites.

The limits live in the chip's profile (``chip_limits`` in ``profiles/loihi2.json``,
``profiles/loihi.json``), each with its basis and citation: Loihi 2 has 128 cores per
chip, 128 KB synaptic memory per core (Intel 2021, published), 8192 neurons and 937,500
synapses per core (derived: per-chip maxima ÷ 128, upper bounds) and 4096 input axons
per core (Loihi 1's figure, Davies et al. 2018: Intel publishes none for Loihi 2; the
same conservative limit as ``snncompile_loihi.limits.MAX_FAN_IN``, checked by a test).

Model (one population per neuron layer, in the style of lava-dl's netx; no core holds
two layers):

- A neuron layer's incoming synapses are the non-zero connections of the synaptic layers
  that feed it (``connections``: every non-zero weight expanded over a conv's output
  positions, i.e. **no weight sharing**, conservative). Synaptic layers feeding no neuron
  layer (a readout) are placed on their own cores, one compartment per output.
- A layer on ``c`` cores holds ⌈N / c⌉ neurons, ⌈S / c⌉ synapses and
  ⌈S / c⌉ × (weight bits + index bits) / 8 bytes of synaptic memory per core.
- Fan-in per core (distinct input axons): a dense layer's inputs (every neuron sees them
  all); for conv and pool chains, a core holds all output channels of a tile of output
  positions, and its axons are the input channels × the input patch the tile reads
  (an upper bound: padding is ignored).
- ``c`` is the smallest core count that meets every limit. A layer whose single neuron
  already breaks a limit (its fan-in or synaptic memory) fits no core:
  :class:`~snncompile.errors.ConfigError` naming the layer.
- Cores are numbered in layer order; core ``i`` is on chip ``i // cores_per_chip``.
  chips = max(⌈cores / cores per chip⌉, ⌈neurons / neurons per chip⌉,
  ⌈synapses / synapses per chip⌉).

**Uncertainty.** Intel publishes neither how neuron state and synapses share a Loihi 2
core's SRAM nor the synapse encoding: 120 M synapses in 128 × 128 KB is ≈ 1.1 bits per
synapse, reachable only with compressed weights, so with 8-bit dense weights the memory
limit binds first. Neuron state memory is not charged, so the core count is a lower bound
on the memory side and an upper bound on the conv fan-in side: treat it as ± a factor of
two.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from snncompile.energy.counts import LayerCounts, NetworkCounts
from snncompile.energy.layers import SYNAPTIC_KINDS
from snncompile.energy.profile import HardwareProfile, load_profile
from snncompile.errors import ConfigError

#: The key of ``groups`` for synaptic layers that feed no neuron layer.
UNASSIGNED = "(unassigned synapses)"
#: Chips with a core mapping: the profiles that carry ``chip_limits``.
MAPPED_CHIPS = ("loihi", "loihi2")


@dataclass(frozen=True)
class ChipLimits:
    """Per-chip and per-core limits of a chip, with where each comes from.

    ``fan_in_per_core``, ``synapses_per_*`` and ``neurons_per_chip`` are None when the
    source gives no such limit."""

    name: str
    cores_per_chip: int
    neurons_per_core: int
    memory_per_core_bytes: int
    neurons_per_chip: int | None
    synapses_per_chip: int | None
    synapses_per_core: int | None
    fan_in_per_core: int | None = None
    sources: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_profile(cls, profile: HardwareProfile) -> ChipLimits:
        """The ``chip_limits`` block of ``profile``.

        Raises:
            ConfigError: the profile has no ``chip_limits``.
        """
        if not profile.has_chip_limits:
            raise ConfigError(
                f"energy profile {profile.name!r} has no chip_limits: no core mapping",
                hint=f"map onto one of {list(MAPPED_CHIPS)} or add chip_limits to the profile",
            )
        values: dict[str, int | None] = {}
        sources: dict[str, str] = {}
        keys = {
            "cores_per_chip": "cores_per_chip",
            "neurons_per_core": "neurons_per_core",
            "memory_per_core_bytes": "synaptic_memory_per_core_bytes",
            "neurons_per_chip": "neurons_per_chip",
            "synapses_per_chip": "synapses_per_chip",
            "synapses_per_core": "synapses_per_core",
            "fan_in_per_core": "fan_in_per_core",
        }
        for attr, key in keys.items():
            const = profile.chip_limit(key)
            values[attr] = None if const is None else int(const.value)
            if const is not None:
                sources[attr] = f"{const.basis}: {const.note} [{const.cite_id}]"
        return cls(profile.name, **values, sources=sources)  # type: ignore[arg-type]


def chip_limits(chip: str | HardwareProfile) -> ChipLimits:
    """The limits of a built-in chip (``"loihi"``, ``"loihi2"``) or of a profile.

    Raises:
        ConfigError: an unknown chip, or a profile without ``chip_limits``.
    """
    if isinstance(chip, str):
        if chip not in MAPPED_CHIPS:
            raise ConfigError(
                f"unknown chip {chip!r} for the resource estimate",
                hint=f"use one of {list(MAPPED_CHIPS)}",
            )
        chip = load_profile(chip)
    return ChipLimits.from_profile(chip)


LOIHI1 = chip_limits("loihi")
LOIHI2 = chip_limits("loihi2")
CHIPS: Mapping[str, ChipLimits] = {"loihi": LOIHI1, "loihi2": LOIHI2}


@dataclass(frozen=True)
class LayerPlacement:
    """One neuron layer (or readout) and its incoming synapses, mapped onto cores.

    ``first_core``..``first_core + cores - 1`` are global core indices; the per-core
    figures are those of the fullest core."""

    layer: str
    synaptic_layers: tuple[str, ...]
    neurons: int
    synapses: int
    memory_bytes: float
    cores: int
    limited_by: str
    neuron_utilisation: float
    memory_utilisation: float
    first_core: int = 0
    first_chip: int = 0
    last_chip: int = 0
    neurons_per_core: int = 0
    synapses_per_core: int = 0
    memory_per_core_bytes: float = 0.0
    fan_in_per_core: int = 0
    fan_in_utilisation: float | None = None
    readout: bool = False

    @property
    def core_range(self) -> str:
        """``"0–7"`` or ``"3"``."""
        last = self.first_core + self.cores - 1
        return str(self.first_core) if last == self.first_core else f"{self.first_core}–{last}"

    @property
    def chip_range(self) -> str:
        """``"0"`` or ``"0–1"`` (a layer may straddle chips)."""
        if self.first_chip == self.last_chip:
            return str(self.first_chip)
        return f"{self.first_chip}–{self.last_chip}"


@dataclass(frozen=True)
class ResourceEstimate:
    """Cores and chips needed, and where each layer goes."""

    chip: ChipLimits
    weight_bits: int
    index_bits: int
    placements: tuple[LayerPlacement, ...]

    @property
    def cores(self) -> int:
        """Total cores."""
        return sum(p.cores for p in self.placements)

    @property
    def neurons(self) -> int:
        """Total neurons (readout compartments included)."""
        return sum(p.neurons for p in self.placements)

    @property
    def synapses(self) -> int:
        """Total synapses: every synapse of the network is on exactly one placement."""
        return sum(p.synapses for p in self.placements)

    @property
    def chips(self) -> int:
        """Chips needed (by cores, neurons and synapses)."""
        c = self.chip
        need = [math.ceil(self.cores / c.cores_per_chip)]
        if c.neurons_per_chip:
            need.append(math.ceil(self.neurons / c.neurons_per_chip))
        if c.synapses_per_chip:
            need.append(math.ceil(self.synapses / c.synapses_per_chip))
        return max(1, *need)

    @property
    def fits_one_chip(self) -> bool:
        """True when one chip holds the whole network under this model."""
        return self.chips == 1

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "chip": asdict(self.chip),
            "weight_bits": self.weight_bits,
            "index_bits": self.index_bits,
            "cores": self.cores,
            "chips": self.chips,
            "fits_one_chip": self.fits_one_chip,
            "neurons": self.neurons,
            "synapses": self.synapses,
            "placements": [
                {
                    **asdict(p),
                    "synaptic_layers": list(p.synaptic_layers),
                    "core_range": p.core_range,
                    "chip_range": p.chip_range,
                }
                for p in self.placements
            ],
            "label": "estimate",
        }


def _default_groups(counts: NetworkCounts) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    pending: list[str] = []
    for layer in counts.layers:
        if layer.kind in SYNAPTIC_KINDS:
            pending.append(layer.name)
        elif layer.kind == "neuron":
            groups[layer.name] = pending
            pending = []
    if pending:
        groups[UNASSIGNED] = pending
    return groups


def _ints(value: Any, ndim: int) -> tuple[int, ...]:
    if isinstance(value, int | float):
        return (int(value),) * ndim
    return tuple(int(v) for v in value)


def _axons_model(chain: Sequence[LayerCounts]) -> Callable[[int], int]:
    """Distinct input axons of a core holding ``n`` neurons of the chain's last layer.

    Dense anywhere in the chain: the first layer's inputs (``in`` of a leading dense, or
    every input of the chain: all-ones fan-in per output × outputs is an upper bound).
    Conv/pool/scale chains: a core holds all C_out channels of a tile of ⌈n / C_out⌉
    output positions (a hypercube of side q); each layer back from the neurons widens the
    patch to (q − 1)·stride + (k − 1)·dilation + 1 per dimension; axons = input channels
    of the first layer × the patch (capped by the layer's whole input)."""
    spatial = [x for x in chain if x.kind in ("conv", "pool", "scale")]
    if any(x.kind == "dense" for x in chain) or not spatial:
        first = chain[0]
        if first.kind == "dense":
            fan_in = int(first.describe.get("in", 0))
        else:
            outs = max(int(first.static.get("output_elements", 1)), 1)
            fan_in = int(first.static.get("dense_per_step", 0))
            fan_in = max(fan_in // outs, 1) * outs  # every input of the chain
        return lambda n: fan_in
    convs = [x for x in spatial if x.kind == "conv"]
    last = spatial[-1]
    shape = convs[0].describe.get("weight_shape") if convs else None
    if shape is None:  # pool/scale only: depthwise, fan-in = kernel size per output
        rf = max(
            int(last.static.get("dense_per_step", 1))
            // max(int(last.static.get("output_elements", 1)), 1),
            1,
        )
        return lambda n: n * rf
    c_in = int(shape[1]) * int(convs[0].describe.get("groups", 1))
    ndim = len(shape) - 2
    c_out = int((convs[-1].describe.get("weight_shape") or shape)[0])
    positions = max(int(last.static.get("output_elements", 1)) // max(c_out, 1), 1)
    side_max = math.ceil(positions ** (1 / ndim))
    geometry = []
    for layer in reversed(spatial):
        d = layer.describe
        if layer.kind == "conv":
            k = _ints(d["weight_shape"][2:], ndim)
            s, dil = _ints(d.get("stride", 1), ndim), _ints(d.get("dilation", 1), ndim)
        elif layer.kind == "pool":
            k, s = _ints(d.get("kernel", 1), ndim), _ints(d.get("stride", 1), ndim)
            dil = (1,) * ndim
        else:
            k = s = dil = (1,) * ndim
        geometry.append((k, s, dil))

    def axons(n: int) -> int:
        q = min(math.ceil(math.ceil(n / c_out) ** (1 / ndim)), side_max)
        patch, whole = [q] * ndim, [side_max] * ndim
        for k, s, dil in geometry:
            patch = [(p - 1) * s[i] + (k[i] - 1) * dil[i] + 1 for i, p in enumerate(patch)]
            whole = [(p - 1) * s[i] + (k[i] - 1) * dil[i] + 1 for i, p in enumerate(whole)]
        return c_in * math.prod(min(p, w) for p, w in zip(patch, whole, strict=True))

    return axons


def _place(
    name: str,
    chain: Sequence[LayerCounts],
    neurons: int,
    limits: ChipLimits,
    bits: int,
    readout: bool,
) -> dict[str, Any]:
    """The smallest core count for one population; raises when no core can hold it."""
    synapses = int(sum(x.static.get("connections", 0) for x in chain))
    memory = synapses * bits / 8
    axons = _axons_model(chain) if chain else (lambda n: 0)
    per_neuron_bytes = math.ceil(synapses / max(neurons, 1)) * bits / 8
    feeds = ", ".join(x.name for x in chain)
    where = f"layer {name!r}" + (f" (synapses from {feeds})" if chain else "")
    if per_neuron_bytes > limits.memory_per_core_bytes:
        raise ConfigError(
            f"{where} fits no {limits.name} core: one neuron's synapses need "
            f"{per_neuron_bytes:,.0f} B, a core holds {limits.memory_per_core_bytes:,} B",
            node=name,
            hint="fewer inputs per neuron, lower weight bits, or --chip none",
        )
    if limits.fan_in_per_core and axons(1) > limits.fan_in_per_core:
        raise ConfigError(
            f"{where} fits no {limits.name} core: one neuron reads {axons(1):,} input "
            f"axons, a core takes {limits.fan_in_per_core:,}",
            node=name,
            hint="fewer inputs per neuron (split the layer or pool first), or --chip none",
        )
    need = {
        "neurons": math.ceil(neurons / limits.neurons_per_core),
        "synaptic memory": math.ceil(memory / limits.memory_per_core_bytes),
    }
    if limits.synapses_per_core:
        need["synapses"] = math.ceil(synapses / limits.synapses_per_core)
    cores = max(1, *need.values())
    # the binding limit; "one core" when a single core holds the layer with room to spare
    limited_by = max(need, key=lambda k: need[k]) if max(need.values()) > 1 else "one core"
    if limits.fan_in_per_core:
        # axons grow with neurons per core: add cores until the fullest core's fan-in fits
        base = cores
        while axons(math.ceil(neurons / cores)) > limits.fan_in_per_core:
            cores += 1
        if cores > base:
            limited_by = "fan-in"
    per_core = math.ceil(neurons / cores) if neurons else 0
    fan_in = axons(max(per_core, 1)) if chain else 0
    return {
        "synapses": synapses,
        "memory_bytes": memory,
        "cores": cores,
        "limited_by": limited_by,
        "neurons_per_core": per_core,
        "synapses_per_core": math.ceil(synapses / cores),
        "memory_per_core_bytes": math.ceil(synapses / cores) * bits / 8,
        "fan_in_per_core": fan_in,
        "readout": readout,
    }


def estimate_resources(
    counts: NetworkCounts,
    chip: str | ChipLimits | HardwareProfile = "loihi2",
    *,
    weight_bits: int = 8,
    index_bits: int = 0,
    groups: Mapping[str, Sequence[str]] | None = None,
) -> ResourceEstimate:
    """Map a network onto the cores of Loihi 1 (``"loihi"``) or Loihi 2 (``"loihi2"``).

    Args:
        counts: the network's counts (only static per-layer figures are used).
        chip: ``"loihi"``, ``"loihi2"``, a profile with ``chip_limits`` or custom
            :class:`ChipLimits`.
        weight_bits: stored bits per synaptic weight (Loihi: 1–9 bits on Loihi 1, up to 8
            on Loihi 2).
        index_bits: extra bits per synapse for sparse encodings (0: dense encoding).
        groups: neuron layer -> the synaptic layers feeding it (default: execution order);
            the key ``"(unassigned synapses)"`` lists synaptic layers feeding no neuron
            layer, each placed as its own readout population.

    Raises:
        ConfigError: an unknown chip, bits out of range, a group naming a layer the counts
            do not hold, or a layer that fits no core (the message names it).
    """
    limits = chip if isinstance(chip, ChipLimits) else chip_limits(chip)
    if not 1 <= weight_bits <= 64 or index_bits < 0:
        raise ConfigError(
            f"weight_bits={weight_bits}, index_bits={index_bits} out of range",
            hint="weight_bits in 1..64, index_bits >= 0",
        )
    by_name = {layer.name: layer for layer in counts.layers}
    bits = weight_bits + index_bits
    populations: list[tuple[str, list[LayerCounts], int, bool]] = []
    for target, sources in (groups or _default_groups(counts)).items():
        unknown = [s for s in sources if s not in by_name]
        if unknown:
            raise ConfigError(
                f"resource estimate: group {target!r} names layers the counts do not hold: "
                f"{unknown}",
                hint="pass groups whose names are layers of the counts",
            )
        chain = [by_name[s] for s in sources]
        if target == UNASSIGNED:  # each readout layer: one compartment per output
            for layer in chain:
                outputs = int(layer.static.get("output_elements", 0))
                populations.append((layer.name, [layer], outputs, True))
            continue
        neurons = int(by_name[target].static.get("neurons", 0)) if target in by_name else 0
        populations.append((target, chain, neurons, False))
    named = {s for sources in (groups or {}).values() for s in sources}
    if groups is not None:  # synapses no group names still need a core: readouts
        populations += [
            (x.name, [x], int(x.static.get("output_elements", 0)), True)
            for x in counts.layers
            if x.kind in SYNAPTIC_KINDS and x.name not in named
        ]
    placements = []
    next_core = 0
    for name, chain, neurons, readout in populations:
        p = _place(name, chain, neurons, limits, bits, readout)
        cores = p["cores"]
        placements.append(
            LayerPlacement(
                layer=name,
                synaptic_layers=tuple(x.name for x in chain),
                neurons=neurons,
                neuron_utilisation=neurons / (cores * limits.neurons_per_core),
                memory_utilisation=p["memory_bytes"] / (cores * limits.memory_per_core_bytes),
                first_core=next_core,
                first_chip=next_core // limits.cores_per_chip,
                last_chip=(next_core + cores - 1) // limits.cores_per_chip,
                fan_in_utilisation=(
                    p["fan_in_per_core"] / limits.fan_in_per_core
                    if limits.fan_in_per_core
                    else None
                ),
                **p,
            )
        )
        next_core += cores
    return ResourceEstimate(limits, weight_bits, index_bits, tuple(placements))
