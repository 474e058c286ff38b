"""The operation counter: recorded activity in, :class:`NetworkCounts` out.

Counting rules (docs/energy.md §1; every metric is defined in :data:`counts.METRICS`):

- Synaptic layers. Each (time step, sample) row of a layer's input is classified:
  **spikes** if all its values are in {−1, 0, 1} (NeuroBench's rule), **graded** if they
  are all integers, **real** otherwise; a spec's ``input_kind`` overrides this
  (``"spikes"`` also covers constant-scaled spikes such as 0/0.5). With F the exact
  fan-out map of :mod:`snncompile.energy.fanout`, a row contributes Σ_i [x_i ≠ 0]·F[i]
  to ``Effective_ACs`` (spikes), ``Effective_MACs`` (real) or ``Graded_SynOps``
  (graded), and Σ_i |x_i|·F[i] to ``Graded_EventSynOps`` (graded). ``Dense`` is
  T·B·ΣF_all with the all-ones fan-out. Classifying per row makes a sample's counts
  independent of the other samples in its batch.
- Neuron layers. neurons × T updates; the reset-path operations of
  :mod:`snncompile.energy.neuron_costs` are charged per non-zero output (a spike); spike
  events are value sums so that a graded 3 is three events.
- Memory: one weight word per synaptic op (pooling has no weights), and the model's state
  words read and written per update. Bytes follow from a profile's bit widths.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np

from snncompile.energy.activity import ActivityRecord, LayerActivity
from snncompile.energy.counts import LayerCounts, NetworkCounts
from snncompile.energy.fanout import (
    conv_fanout,
    conv_geometry,
    conv_paper_flops,
    dense_fanout,
)
from snncompile.energy.layers import ConvSpec, DenseSpec, NeuronSpec, PoolSpec, ScaleSpec
from snncompile.energy.neuron_costs import OP_KINDS, neuron_cost
from snncompile.errors import ConfigError, InputError

_CHUNK_ELEMENTS = 1 << 22  # rows per matmul block are chosen to stay near 32 MiB


@dataclass(frozen=True)
class CountOptions:
    """Counting options.

    Attributes:
        neuron_macs: ``"multiplies"`` (every multiply of the neuron update is a MAC) or
            ``"paper"`` (the published per-model convention, e.g. CLIF's 3×; see
            :mod:`snncompile.energy.neuron_costs`).
    """

    neuron_macs: Literal["multiplies", "paper"] = "multiplies"

    def __post_init__(self) -> None:
        if self.neuron_macs not in ("multiplies", "paper"):
            raise ConfigError(
                f"CountOptions: neuron_macs={self.neuron_macs!r}",
                hint="use 'multiplies' or 'paper'",
            )

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return asdict(self)


class Counter:
    """Accumulates counts over any number of recorded batches of one network."""

    def __init__(self, options: CountOptions | None = None) -> None:
        self.options = options or CountOptions()
        self._counts: NetworkCounts | None = None

    def update(self, record: ActivityRecord) -> NetworkCounts:
        """Count one record (a batch) and add it to the running totals; returns its counts."""
        if len(record) == 0:
            raise InputError("the activity record is empty", hint="add layers with record.add()")
        layers = tuple(_count_layer(layer, self.options) for layer in record)
        counts = NetworkCounts(layers, self.options.to_dict())
        self._counts = counts if self._counts is None else self._counts.merged(counts)
        return counts

    def result(self) -> NetworkCounts:
        """The counts of everything passed to :meth:`update`."""
        if self._counts is None:
            raise InputError("nothing was counted yet", hint="call Counter.update(record) first")
        return self._counts


def count_activity(record: ActivityRecord, options: CountOptions | None = None) -> NetworkCounts:
    """Count one activity record (all layers, all samples, summed over T)."""
    counter = Counter(options)
    counter.update(record)
    return counter.result()


def _count_layer(layer: LayerActivity, options: CountOptions) -> LayerCounts:
    if isinstance(layer.spec, NeuronSpec):
        return _count_neurons(layer, layer.spec, options)
    return _count_synapses(layer)


def _row_kinds(x: np.ndarray, override: str) -> np.ndarray:
    """Per row: 0 spikes, 1 graded, 2 real."""
    if override != "auto":
        code = {"spikes": 0, "graded": 1, "real": 2}[override]
        return np.full(x.shape[0], code, dtype=np.int8)
    absx = np.abs(x)
    binary = np.all((absx == 0) | (absx == 1), axis=1)
    integer = np.all(x == np.round(x), axis=1) if x.dtype.kind == "f" else np.ones_like(binary)
    return np.where(binary, 0, np.where(integer, 1, 2)).astype(np.int8)


def _fanouts(layer: LayerActivity) -> tuple[np.ndarray, np.ndarray, dict[str, float], int]:
    """(F, F_all, static info, output elements per step) for a synaptic layer."""
    spec = layer.spec
    assert layer.inputs is not None
    trailing = tuple(int(d) for d in layer.inputs.shape[2:])
    if isinstance(spec, DenseSpec):
        n_in = int(np.prod(trailing))
        if n_in != spec.weight.shape[1]:
            raise InputError(
                f"layer {layer.name!r}: recorded input has {n_in} elements per step, the "
                f"weight {list(spec.weight.shape)} expects {spec.weight.shape[1]}",
                node=layer.name,
                hint="record the input of this layer as [T, B, in]",
            )
        fan, fan_all = dense_fanout(spec.weight), dense_fanout(spec.weight, all_ones=True)
        flops = int(spec.weight.size)
        out_elements = int(spec.weight.shape[0])
        params = {"parameters": int(spec.weight.size)}
    elif isinstance(spec, ConvSpec | PoolSpec):
        in_shape = _conv_in_shape(layer, trailing)
        weight, stride, groups = _conv_like(spec, in_shape)
        kwargs = {"stride": stride, "padding": spec.padding, "dilation": _dil(spec)}
        fan = conv_fanout(weight, in_shape, groups=groups, **kwargs)
        fan_all = conv_fanout(weight, in_shape, groups=groups, all_ones=True, **kwargs)
        out_spatial = conv_geometry(weight.shape, in_shape[1:], stride, spec.padding, _dil(spec))[3]
        flops = conv_paper_flops(weight.shape, out_spatial)
        out_elements = int(weight.shape[0] * np.prod(out_spatial))
        params = {"parameters": int(weight.size) if isinstance(spec, ConvSpec) else 0}
    else:
        assert isinstance(spec, ScaleSpec)
        try:
            scale = np.broadcast_to(spec.scale, trailing)
        except ValueError as exc:
            raise InputError(
                f"layer {layer.name!r}: scale {list(spec.scale.shape)} does not broadcast to "
                f"the recorded input {list(trailing)}",
                node=layer.name,
                hint="record the input of this layer as [T, B, *population shape]",
            ) from exc
        fan = (scale != 0).astype(np.int64).ravel()
        fan_all = np.ones_like(fan)
        flops = out_elements = int(fan.size)
        params = {"parameters": int(spec.scale.size)}
    static = {
        **params,
        "connections": int(fan.sum()),
        "dense_per_step": int(fan_all.sum()),
        "paper_flops_per_step": int(flops),
        "output_elements": out_elements,
    }
    return fan.ravel(), fan_all.ravel(), static, out_elements


def _dil(spec: ConvSpec | PoolSpec) -> Any:
    return spec.dilation if isinstance(spec, ConvSpec) else 1


def _conv_in_shape(layer: LayerActivity, trailing: tuple[int, ...]) -> tuple[int, ...]:
    declared = getattr(layer.spec, "input_shape", None)
    if declared is None:
        return trailing
    declared = tuple(int(d) for d in declared)
    if int(np.prod(declared)) != int(np.prod(trailing)):
        raise InputError(
            f"layer {layer.name!r}: recorded input {list(trailing)} does not match the "
            f"declared input shape {list(declared)}",
            node=layer.name,
            hint="record the input as [T, B, C_in, *spatial]",
        )
    return declared


def _conv_like(spec: ConvSpec | PoolSpec, in_shape: tuple[int, ...]) -> tuple[np.ndarray, Any, int]:
    if isinstance(spec, ConvSpec):
        return spec.weight, spec.stride, int(spec.groups)
    channels = int(in_shape[0])
    kernel = np.atleast_1d(np.asarray(spec.kernel)).ravel()
    if kernel.size == 1:
        kernel = np.repeat(kernel, len(in_shape) - 1)
    weight = np.ones((channels, 1, *(int(k) for k in kernel)), dtype=np.int8)
    stride = spec.stride if spec.stride is not None else tuple(int(k) for k in kernel)
    return weight, stride, channels


def _count_synapses(layer: LayerActivity) -> LayerCounts:
    spec = layer.spec
    assert layer.inputs is not None and not isinstance(spec, NeuronSpec)
    fan, fan_all, static, out_elements = _fanouts(layer)
    steps, samples = layer.timesteps, layer.samples
    x = layer.inputs.reshape(steps * samples, -1)
    kinds = _row_kinds(x, spec.input_kind)
    pairs, weighted, events, nonzero = _row_sums(x, fan)
    rows = {name: kinds == code for code, name in enumerate(("spikes", "graded", "real"))}
    totals: dict[str, float] = {
        "InputNonzero": int(nonzero.sum()),
        "InputEvents": _num(events[~rows["real"]].sum()),
        "InputGradedEvents": _num(events[rows["graded"]].sum()),
        "Effective_ACs": int(pairs[rows["spikes"]].sum()),
        "Effective_MACs": int(pairs[rows["real"]].sum()),
        "Graded_SynOps": int(pairs[rows["graded"]].sum()),
        "Graded_EventSynOps": _num(weighted[rows["graded"]].sum()),
        "Dense": int(fan_all.sum()) * steps * samples,
        "RateDense_Ops": float(static["paper_flops_per_step"] * nonzero.sum() / max(fan.size, 1)),
    }
    if isinstance(spec, PoolSpec) and spec.mode == "avg":
        totals["Effective_MACs"] += int(rows["real"].sum()) * out_elements
    has_weights = not isinstance(spec, PoolSpec)
    totals["WeightReads"] = (
        totals["Effective_ACs"] + totals["Effective_MACs"] + totals["Graded_SynOps"]
        if has_weights
        else 0
    )
    return LayerCounts(layer.name, spec.kind, spec.describe(), totals, samples, steps, static, ())


def _row_sums(
    x: np.ndarray, fan: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per row: Σ[x≠0]·F, Σ|x|·F, Σ|x|, Σ[x≠0] (float64 matmuls, exact for counts < 2⁵³)."""
    fan64 = fan.astype(np.float64)
    step = max(1, _CHUNK_ELEMENTS // max(x.shape[1], 1))
    parts: list[tuple[np.ndarray, ...]] = []
    for start in range(0, x.shape[0], step):
        absx = np.abs(x[start : start + step].astype(np.float64))
        nz = (absx != 0).astype(np.float64)
        parts.append((nz @ fan64, absx @ fan64, absx.sum(axis=1), nz.sum(axis=1)))
    if not parts:
        empty = np.zeros(0)
        return empty, empty, empty, empty
    pairs, weighted, events, nonzero = (np.concatenate(p) for p in zip(*parts, strict=True))
    return np.rint(pairs).astype(np.int64), weighted, events, np.rint(nonzero).astype(np.int64)


def _num(value: float) -> float:
    """An exact int when ``value`` is integral (JSON stays exact), else the float."""
    value = float(value)
    return int(value) if value.is_integer() else value


def _count_neurons(layer: LayerActivity, spec: NeuronSpec, options: CountOptions) -> LayerCounts:
    assert layer.outputs is not None
    steps, samples = layer.timesteps, layer.samples
    for key in ("outputs", "inputs", "state"):
        array = getattr(layer, key)
        if array is not None and int(np.prod(array.shape[2:])) != spec.size:
            raise InputError(
                f"layer {layer.name!r}: recorded {key} have {int(np.prod(array.shape[2:]))} "
                f"elements per step, the population {list(spec.shape)} has {spec.size}",
                node=layer.name,
                hint="record neuron arrays as [T, B, *population shape]",
            )
    cost = neuron_cost(spec.cost_model)
    updates = spec.size * steps * samples
    notes: list[str] = []
    out = np.abs(layer.outputs.reshape(steps, samples, -1).astype(np.float64))
    messages = int(np.count_nonzero(out)) if cost.spiking else 0
    if layer.inputs is not None:
        active = int(np.count_nonzero(layer.inputs))
    else:
        active = updates
        notes.append("inputs not recorded: every update counted as active")
    if layer.state is not None:
        state = layer.state.reshape(steps, samples, -1)
        membrane = spec.size * samples + int(np.count_nonzero(np.diff(state, axis=0)))
    else:
        membrane = updates
        notes.append("state not recorded: MembraneUpdates = neurons × T")
    totals: dict[str, float] = {
        "NeuronUpdates": updates,
        "ActiveUpdates": active,
        "MembraneUpdates": membrane,
        "Spikes": _num(out.sum()) if cost.spiking else 0,
        "SpikeMessages": messages,
        "GradedSpikes": _num(out[(out != 0) & (out != 1)].sum()) if cost.spiking else 0,
        "Activations": updates if cost.spiking else 0,
    }
    for kind in OP_KINDS:
        per_update, per_spike = getattr(cost.per_update, kind), getattr(cost.per_spike, kind)
        totals[f"NeuronOps_{kind}"] = updates * per_update + messages * per_spike
    totals["NeuronOperations"] = membrane * cost.neurobench_cost
    totals["NeuronDenseOps"] = updates * cost.neurobench_cost
    if options.neuron_macs == "paper":
        totals["NeuronMACs"] = updates * cost.paper_macs
        totals["NeuronACs"] = messages * cost.paper_acs
    else:
        totals["NeuronMACs"] = totals["NeuronOps_mul"]
        totals["NeuronACs"] = 0
    totals["StateReads"] = totals["StateWrites"] = updates * cost.state_words
    static = {"neurons": spec.size, "state_words": cost.state_words}
    describe = {**spec.describe(), "cost_model": cost.model}
    return LayerCounts(layer.name, "neuron", describe, totals, samples, steps, static, tuple(notes))
