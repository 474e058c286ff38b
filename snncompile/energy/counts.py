"""Operation counts: the metric definitions and the per-layer / network containers.

Every metric is a **total over the recorded samples, summed over the T time steps**;
``per_sample`` divides by the number of samples, ``per_step`` further by T. Names follow
NeuroBench where a metric corresponds (docs/energy.md §3); :data:`METRICS` states each
definition exactly and is copied into every report.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, TypeVar

from snncompile.errors import ConfigError

_T = TypeVar("_T")

#: metric -> (unit, exact definition). Synaptic metrics come from DenseSpec, ConvSpec,
#: PoolSpec and ScaleSpec layers; neuron metrics from NeuronSpec layers.
METRICS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "InputNonzero": ("elements", "non-zero input elements, all steps"),
        "InputEvents": (
            "events",
            "Σ|x| over input steps classified as spikes or graded spikes (a 3 is three events)",
        ),
        "InputGradedEvents": ("events", "the part of InputEvents carried by graded spikes"),
        "Effective_ACs": (
            "ops",
            "steps whose inputs are all in {-1, 0, 1}: Σ over non-zero inputs of the non-zero "
            "synapses they reach (fan-out; conv: taps × output positions)",
        ),
        "Effective_MACs": (
            "ops",
            "real-valued steps: non-zero input × non-zero weight pairs (plus avg-pool "
            "scalings of real inputs)",
        ),
        "Graded_SynOps": (
            "ops",
            "graded-spike steps (integer values beyond ±1): non-zero input × non-zero weight "
            "pairs, one payload × weight product each (NeuroBench counts these as MACs)",
        ),
        "Graded_EventSynOps": (
            "ops",
            "graded-spike steps: Σ|x|·fan-out, i.e. the ACs if every unit of a graded spike "
            "were a separate binary event",
        ),
        "Dense": (
            "ops",
            "every input and every weight set to 1 (NeuroBench's Dense): Σ over all input "
            "elements of the all-ones fan-out, × T",
        ),
        "RateDense_Ops": (
            "ops",
            "papers' convention: k·C_in/g·C_out·Π L_out (conv) or in·out (dense) × T × input "
            "firing rate (non-zero fraction); ignores weight sparsity and padding",
        ),
        "WeightReads": ("words", "one weight read per synaptic op (ACs + MACs + graded)"),
        "NeuronUpdates": ("updates", "neurons × T (every neuron is updated every step)"),
        "ActiveUpdates": (
            "updates",
            "updates whose input X[t] was non-zero (all updates when inputs were not recorded)",
        ),
        "MembraneUpdates": (
            "updates",
            "NeuroBench: every neuron at t = 0, then those whose membrane V changed "
            "(neurons × T when the state was not recorded)",
        ),
        "Spikes": ("events", "Σ|s| of the outputs: binary spikes, graded spikes as value sums"),
        "SpikeMessages": ("messages", "non-zero outputs (a graded spike is one message)"),
        "GradedSpikes": ("events", "Σ|s| over outputs not in {-1, 0, 1} (own category)"),
        "Activations": ("elements", "output elements, all steps (ActivationSparsity)"),
        "NeuronOps_add": ("ops", "adds: updates·per_update.add + messages·per_spike.add"),
        "NeuronOps_mul": ("ops", "multiplies, as for adds"),
        "NeuronOps_cmp": ("ops", "compares / max / clamp, as for adds"),
        "NeuronOps_sigmoid": ("ops", "sigmoid evaluations, as for adds"),
        "NeuronOperations": (
            "ops",
            "NeuroBench's Effective Neuron Ops: MembraneUpdates × the model's worst-case "
            "cost (LIF 4 = snnTorch Leaky)",
        ),
        "NeuronDenseOps": ("ops", "NeuroBench's Neuron Dense Ops: neurons × T × the same cost"),
        "NeuronMACs": ("ops", "neuron-update MACs under the chosen convention"),
        "NeuronACs": ("ops", "neuron ACs per output spike under the 'paper' convention"),
        "StateReads": ("words", "state words read: updates × the model's state words"),
        "StateWrites": ("words", "state words written: updates × the model's state words"),
    }
)

SYNAPTIC_METRICS = (
    "InputNonzero",
    "InputEvents",
    "InputGradedEvents",
    "Effective_ACs",
    "Effective_MACs",
    "Graded_SynOps",
    "Graded_EventSynOps",
    "Dense",
    "RateDense_Ops",
    "WeightReads",
)
NEURON_METRICS = tuple(k for k in METRICS if k not in SYNAPTIC_METRICS)


def pick(items: Mapping[str, _T], key: str, missing: str, listing: str) -> _T:
    """``items[key]``, or a ConfigError ``missing`` whose hint lists the keys."""
    if key not in items:
        raise ConfigError(missing, hint=f"{listing}: {list(items)}")
    return items[key]


@dataclass(frozen=True)
class LayerCounts:
    """The counts of one layer.

    Attributes:
        name: the layer name.
        kind: ``dense``, ``conv``, ``pool``, ``scale`` or ``neuron``.
        describe: JSON-friendly static description (type, shapes, model, …).
        totals: metric -> total over ``samples`` samples, summed over T.
        samples: number of samples recorded.
        timesteps: T.
        static: per-layer constants (``neurons``, ``connections``, ``dense_per_step``,
            ``parameters``, ``state_words``).
        notes: caveats about how a count was obtained.
    """

    name: str
    kind: str
    describe: Mapping[str, Any]
    totals: Mapping[str, float]
    samples: int
    timesteps: int
    static: Mapping[str, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def get(self, metric: str) -> float:
        """Total of ``metric`` (0 when the metric does not apply to this layer)."""
        if metric not in METRICS:
            raise ConfigError(f"unknown metric {metric!r}", hint=f"use one of {sorted(METRICS)}")
        return self.totals.get(metric, 0)

    def per_sample(self, metric: str) -> float:
        """Mean of ``metric`` per sample (summed over T)."""
        return self.get(metric) / self.samples if self.samples else 0.0

    def per_step(self, metric: str) -> float:
        """Mean of ``metric`` per sample and time step."""
        return self.per_sample(metric) / self.timesteps if self.timesteps else 0.0

    @property
    def firing_rate(self) -> float | None:
        """Spikes ÷ (neurons × T), per sample; None for non-neuron layers."""
        if self.kind != "neuron":
            return None
        updates = self.get("NeuronUpdates")
        return self.get("Spikes") / updates if updates else 0.0

    def merged(self, other: LayerCounts) -> LayerCounts:
        """This layer's counts plus ``other``'s (more samples of the same layer)."""
        if (other.name, other.kind, other.timesteps) != (self.name, self.kind, self.timesteps):
            raise ConfigError(
                f"cannot merge counts of {other.name!r} ({other.kind}, T={other.timesteps}) "
                f"into {self.name!r} ({self.kind}, T={self.timesteps})",
                hint="merge runs of the same network with the same T",
            )
        keys = dict.fromkeys([*self.totals, *other.totals])
        totals = {k: self.totals.get(k, 0) + other.totals.get(k, 0) for k in keys}
        notes = tuple(dict.fromkeys([*self.notes, *other.notes]))
        return LayerCounts(
            self.name,
            self.kind,
            self.describe,
            totals,
            self.samples + other.samples,
            self.timesteps,
            self.static,
            notes,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (totals and per-sample values)."""
        return {
            "name": self.name,
            "kind": self.kind,
            "describe": dict(self.describe),
            "samples": self.samples,
            "timesteps": self.timesteps,
            "static": dict(self.static),
            "totals": dict(self.totals),
            "per_sample": {k: self.per_sample(k) for k in self.totals},
            "firing_rate": self.firing_rate,
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LayerCounts:
        """Inverse of :meth:`to_dict`."""
        return cls(
            str(data["name"]),
            str(data["kind"]),
            dict(data.get("describe", {})),
            dict(data["totals"]),
            int(data["samples"]),
            int(data["timesteps"]),
            dict(data.get("static", {})),
            tuple(data.get("notes", ())),
        )


@dataclass(frozen=True)
class NetworkCounts:
    """Counts of every layer of one network, in execution order.

    Attributes:
        layers: the per-layer counts.
        options: the counting options used (JSON-friendly).
    """

    layers: tuple[LayerCounts, ...]
    options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        shapes = {(layer.samples, layer.timesteps) for layer in self.layers}
        if len(shapes) > 1:
            raise ConfigError(
                f"layers disagree on (samples, T): {sorted(shapes)}",
                hint="count one run of one network at a time",
            )

    @property
    def samples(self) -> int:
        """Number of samples counted."""
        return self.layers[0].samples if self.layers else 0

    @property
    def timesteps(self) -> int:
        """T."""
        return self.layers[0].timesteps if self.layers else 0

    def layer(self, name: str) -> LayerCounts:
        """The counts of layer ``name``."""
        by_name = {layer.name: layer for layer in self.layers}
        return pick(by_name, name, f"no layer named {name!r} in the counts", "layers")

    def total(self, metric: str, kinds: Iterable[str] | None = None) -> float:
        """Per-sample total of ``metric`` over all layers (or those of the given kinds)."""
        chosen = set(kinds) if kinds is not None else None
        return sum(
            layer.per_sample(metric)
            for layer in self.layers
            if chosen is None or layer.kind in chosen
        )

    def totals(self) -> dict[str, float]:
        """Per-sample totals of every metric."""
        return {metric: self.total(metric) for metric in METRICS}

    @property
    def neurons(self) -> int:
        """Number of neurons in all neuron layers."""
        return int(sum(layer.static.get("neurons", 0) for layer in self.layers))

    @property
    def firing_rate(self) -> float:
        """Network-wide spikes ÷ (neurons × T)."""
        updates = self.total("NeuronUpdates")
        return self.total("Spikes") / updates if updates else 0.0

    def neurobench(self) -> dict[str, float]:
        """The NeuroBench-named workload results (per sample), for comparison.

        ``Effective_ACs``/``Effective_MACs``/``Dense`` cover the layers NeuroBench hooks
        (dense and conv; not pooling or scaling). Graded traffic, which NeuroBench labels
        MACs, is in ``Graded_SynOps`` instead.
        """
        kinds = ("dense", "conv")
        activations = self.total("Activations")
        return {
            "Effective_ACs": self.total("Effective_ACs", kinds),
            "Effective_MACs": self.total("Effective_MACs", kinds),
            "Dense": self.total("Dense", kinds),
            "MembraneUpdates": self.total("MembraneUpdates"),
            "NeuronOperations": self.total("NeuronOperations"),
            "NeuronDenseOps": self.total("NeuronDenseOps"),
            "ActivationSparsity": (
                1.0 - self.total("SpikeMessages") / activations if activations else 0.0
            ),
        }

    def merged(self, other: NetworkCounts) -> NetworkCounts:
        """Counts of this run plus ``other`` (e.g. the next batch)."""
        if [x.name for x in self.layers] != [x.name for x in other.layers]:
            raise ConfigError(
                "cannot merge counts of different networks",
                hint="merge batches of one network only",
            )
        layers = tuple(a.merged(b) for a, b in zip(self.layers, other.layers, strict=True))
        return NetworkCounts(layers, self.options)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "samples": self.samples,
            "timesteps": self.timesteps,
            "options": dict(self.options),
            "layers": [layer.to_dict() for layer in self.layers],
            "totals_per_sample": self.totals(),
            "totals_per_step": {
                k: v / self.timesteps if self.timesteps else 0.0 for k, v in self.totals().items()
            },
            "neurobench": self.neurobench(),
            "firing_rate": self.firing_rate,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NetworkCounts:
        """Inverse of :meth:`to_dict`."""
        layers = tuple(LayerCounts.from_dict(x) for x in data["layers"])
        return cls(layers, dict(data.get("options", {})))
