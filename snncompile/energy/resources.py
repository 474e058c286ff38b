"""Loihi core-count estimate: neurons and synaptic memory against per-core limits.

Figures (docs/lava.md §25, docs/energy.md §5):

- **Loihi 1** (Davies et al. 2018, published): 128 neurocores per chip, 1024
  compartments (neurons) per core, 128 KB synaptic memory per core; 131,072 neurons per
  chip is derived (1024 × 128). No synapse-count limit is used beyond memory.
- **Loihi 2** (Intel technology brief 2021, published): 128 neurocores, up to 1 M neurons
  and 120 M synapses per chip, 128 KB SRAM per core. **Derived** per-core limits (upper
  bounds): 8192 neurons per core (2²⁰ ÷ 128) and 937,500 synapses per core
  (120 M ÷ 128).

Model (a mapping in the style of lava-dl's netx, one population per layer, no sharing of
cores between layers):

- A neuron layer's incoming synapses are the non-zero connections of the synaptic layers
  that feed it (``connections``: every non-zero weight expanded over the output positions
  of a conv, i.e. **no weight sharing**: conservative for Loihi 2, which can share conv
  weights). Synaptic layers are assigned to the next neuron layer in execution order
  unless ``groups`` says otherwise.
- Synaptic memory = synapses × (weight bits + index bits) / 8 bytes.
- cores = max(⌈neurons / neurons per core⌉, ⌈memory / memory per core⌉,
  ⌈synapses / synapses per core⌉, 1).

**Uncertainty.** The Loihi 2 per-core limits are per-chip maxima divided by 128; Intel
publishes neither how neuron state and synapses share a core's SRAM nor the synapse
encoding. 120 M synapses in 128 × 128 KB is ≈ 1.1 bits per synapse, reachable only with
compressed low-precision weights: with 8-bit dense weights the memory limit (131,072
synapses per core) binds far earlier. Neuron state memory is not charged here, so the
estimate is a lower bound on cores; treat it as ± a factor of two.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from snncompile.energy.counts import NetworkCounts
from snncompile.energy.layers import SYNAPTIC_KINDS
from snncompile.errors import ConfigError


@dataclass(frozen=True)
class ChipLimits:
    """Per-chip and per-core limits of a Loihi generation, with where each comes from."""

    name: str
    cores_per_chip: int
    neurons_per_core: int
    memory_per_core_bytes: int
    neurons_per_chip: int
    synapses_per_chip: int | None
    synapses_per_core: int | None
    sources: Mapping[str, str] = field(default_factory=dict)


LOIHI1 = ChipLimits(
    "loihi",
    cores_per_chip=128,
    neurons_per_core=1024,
    memory_per_core_bytes=128 * 1024,
    neurons_per_chip=128 * 1024,
    synapses_per_chip=None,
    synapses_per_core=None,
    sources={
        "cores_per_chip": "Davies et al. 2018 (published)",
        "neurons_per_core": "1024 compartments per core, Davies et al. 2018 (published)",
        "memory_per_core_bytes": "128 KB synaptic state per core, Davies et al. 2018 (published)",
        "neurons_per_chip": "derived: 1024 × 128",
    },
)

LOIHI2 = ChipLimits(
    "loihi2",
    cores_per_chip=128,
    neurons_per_core=(1 << 20) // 128,
    memory_per_core_bytes=128 * 1024,
    neurons_per_chip=1 << 20,
    synapses_per_chip=120_000_000,
    synapses_per_core=120_000_000 // 128,
    sources={
        "cores_per_chip": "128 neurocores, Intel Loihi 2 brief 2021 (published)",
        "neurons_per_core": "derived: 1 M neurons per chip / 128 cores = 8192 (upper bound)",
        "memory_per_core_bytes": "128 KB SRAM per core, Intel brief 2021 (published)",
        "neurons_per_chip": "up to 1 M, Intel brief 2021 (published)",
        "synapses_per_chip": "up to 120 M, Intel brief 2021 (published)",
        "synapses_per_core": "derived: 120 M / 128 = 937,500 (upper bound)",
    },
)

CHIPS: Mapping[str, ChipLimits] = {"loihi": LOIHI1, "loihi2": LOIHI2}


@dataclass(frozen=True)
class LayerPlacement:
    """One neuron layer and its incoming synapses, mapped onto cores."""

    layer: str
    synaptic_layers: tuple[str, ...]
    neurons: int
    synapses: int
    memory_bytes: float
    cores: int
    limited_by: str
    neuron_utilisation: float
    memory_utilisation: float


@dataclass(frozen=True)
class ResourceEstimate:
    """Cores needed, whether the network fits one chip, utilisation per layer."""

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
        """Total neurons."""
        return sum(p.neurons for p in self.placements)

    @property
    def synapses(self) -> int:
        """Total synapses."""
        return sum(p.synapses for p in self.placements)

    @property
    def chips(self) -> int:
        """Chips needed (by cores, neurons and synapses)."""
        c = self.chip
        need = [
            math.ceil(self.cores / c.cores_per_chip),
            math.ceil(self.neurons / c.neurons_per_chip),
        ]
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
            "placements": [asdict(p) for p in self.placements],
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
        groups["(unassigned synapses)"] = pending
    return groups


def estimate_resources(
    counts: NetworkCounts,
    chip: str | ChipLimits = "loihi2",
    *,
    weight_bits: int = 8,
    index_bits: int = 0,
    groups: Mapping[str, Sequence[str]] | None = None,
) -> ResourceEstimate:
    """Estimate the cores a network needs on Loihi 1 (``"loihi"``) or Loihi 2.

    Args:
        counts: the network's counts (only static per-layer figures are used).
        chip: ``"loihi"``, ``"loihi2"`` or custom :class:`ChipLimits`.
        weight_bits: stored bits per synaptic weight (Loihi: 1–9 bits on Loihi 1, up to 8
            on Loihi 2).
        index_bits: extra bits per synapse for sparse encodings (0: dense encoding).
        groups: neuron layer -> the synaptic layers feeding it (default: execution order).
    """
    limits = CHIPS.get(chip) if isinstance(chip, str) else chip
    if limits is None:
        raise ConfigError(
            f"unknown chip {chip!r} for the resource estimate", hint=f"use one of {sorted(CHIPS)}"
        )
    if not 1 <= weight_bits <= 64 or index_bits < 0:
        raise ConfigError(
            f"weight_bits={weight_bits}, index_bits={index_bits} out of range",
            hint="weight_bits in 1..64, index_bits >= 0",
        )
    by_name = {layer.name: layer for layer in counts.layers}
    placements = []
    for target, sources in (groups or _default_groups(counts)).items():
        neurons = int(by_name[target].static.get("neurons", 0)) if target in by_name else 0
        synapses = int(sum(by_name[s].static.get("connections", 0) for s in sources))
        memory = synapses * (weight_bits + index_bits) / 8
        need = {
            "neurons": math.ceil(neurons / limits.neurons_per_core),
            "synaptic memory": math.ceil(memory / limits.memory_per_core_bytes),
        }
        if limits.synapses_per_core:
            need["synapses"] = math.ceil(synapses / limits.synapses_per_core)
        cores = max(1, *need.values())
        placements.append(
            LayerPlacement(
                target,
                tuple(sources),
                neurons,
                synapses,
                memory,
                cores,
                max(need, key=lambda k: need[k])
                if max(need.values()) > 0
                else "minimum of one core",
                neurons / (cores * limits.neurons_per_core),
                memory / (cores * limits.memory_per_core_bytes),
            )
        )
    return ResourceEstimate(limits, weight_bits, index_bits, tuple(placements))
