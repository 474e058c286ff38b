"""``simulate_fixed``: the integer reference of a quantised graph (Loihi 2 fixed point).

The executable definition that the Lava backend's ``fixed_pt`` mode must match bit for
bit, spikes and every state. Semantics, per layer of the
:class:`~snncompile_loihi.qgraph.LoihiProgram` in order (each reading its sources: the
input or earlier layers' spikes), without delays (``out[t]`` belongs to ``in[t]``;
Lava's one-step-per-hop delays, and the extra delays that align the paths of a graph,
are compensated by the runtime):

    in_0[t] = round(x[t]·S_in) (graded input) or x[t] (spikes)
    a[t]    = Σ over the layer's connections (its own, then its branches):
              Dense: (w_int · in[t]) · 2^e   (flooring right shift for e < 0)
              Conv:  wrap24(correlate(in[t], w_int · 2^e))
              identity branch: (w·in[t])·2^e, wrap24 on [C, H, W] (a depthwise 1×1 Conv)
    neuron  = fixed_neurons.{soft_lif, loihi_lif, clif, ilif}_step on a[t]
              (X = sat24((a << 6) + bias); 12-bit truncating decays; 24-bit saturation;
              the built-in LIF's current wraps; thresholds compared exactly, ≥)
    readout = a memoryless soft-reset population (dv = 4096, θ = 2²³ − 1): V[t] = X[t],
              returned as X[t] / U in float units

Every state is zero at t = 0 of each sample (a per-sample reset). The neuron steps are
:mod:`snncompile_loihi.fixed_neurons`; the composition is
:mod:`snncompile_loihi.kernels`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import numpy as np

from snncompile.errors import ConfigError, InputError
from snncompile.quant.stage import QuantizedGraph
from snncompile.reference.progress import ProgressHook, resolve
from snncompile.reference.simulator import simulate
from snncompile_loihi.compare import QuantizationComparison, compare_runs
from snncompile_loihi.kernels import readout_value
from snncompile_loihi.qgraph import LoihiProgram
from snncompile_loihi.quantize import run_layer
from snncompile_loihi.stage import check_program, program_of

__all__ = ["as_program", "compare_quantized", "simulate_fixed"]


def _check(qgraph: LoihiProgram, inputs: np.ndarray) -> np.ndarray:
    x = np.asarray(inputs)
    want = qgraph.input_shape
    if x.ndim != len(want) + 2 or tuple(x.shape[2:]) != want:
        raise InputError(
            f"inputs of shape {list(x.shape)} do not fit the model input "
            f"[T, B, {', '.join(map(str, want))}]",
            node=qgraph.input_name,
            hint="pass time-major inputs [T, B, ...]",
        )
    if x.dtype.kind not in "biuf" or not np.all(np.isfinite(x)):
        raise InputError("inputs must be finite numbers", hint="clean the input data")
    return x


def as_program(qgraph: LoihiProgram | QuantizedGraph) -> LoihiProgram:
    """The Loihi program of ``qgraph`` (a program, or the stage's Loihi QuantizedGraph),
    after checking every integer against its declared FixedPoint.

    Raises:
        QuantizationError: a value outside its declared FixedPoint (names node and field).
        ConfigError: a QuantizedGraph of another scheme.
    """
    if isinstance(qgraph, QuantizedGraph):
        qgraph.check()
        return program_of(qgraph)
    check_program(qgraph)
    return qgraph


def simulate_fixed(
    qgraph: LoihiProgram | QuantizedGraph,
    inputs: np.ndarray,
    *,
    record: str | Collection[str] | None = None,
    progress: ProgressHook | None = None,
) -> dict[str, np.ndarray]:
    """Run the quantised graph in integers on time-major ``inputs`` [T, B, *input_shape].

    Args:
        qgraph: the result of :func:`snncompile_loihi.quantize.quantize_loihi`, or the
            quantisation stage's Loihi QuantizedGraph; its integers are checked against
            their declared FixedPoint first.
        inputs: float inputs (quantised here with the graph's input rule).
        record: ``"spikes"`` (every spiking layer's spikes, keyed by layer name),
            ``"all"`` (spikes plus every state, keyed ``"<layer>:<Lava Var>"``, plus
            ``"<layer>:a"``, the integer synaptic input), or a collection of layer names.
        progress: called as ``progress(done, layers)`` (default: the context's hook).

    Returns:
        ``{output name: [T, B, *output_shape] float64}`` (spikes, or the readout value
        X/U) plus the recorded integer traces ([T, B, *shape] int64).

    Raises:
        InputError: inputs of the wrong shape, not finite, or not representable.
        ConfigError: unknown layer names in ``record``.
        QuantizationError: an integer outside its declared FixedPoint (node, field).
    """
    qgraph = as_program(qgraph)
    x = _check(qgraph, inputs)
    names = [lay.name for lay in qgraph.layers]
    if record in (None, "spikes", "all"):
        wanted = set(names) if record else set()
    elif isinstance(record, str) or not set(record) <= set(names):
        raise ConfigError(
            f"record={record!r} is not 'spikes', 'all' or a collection of layer names",
            hint=f"layers: {', '.join(names)}",
        )
    else:
        wanted = set(record)
    hook = resolve(progress, "simulate_fixed")
    if hook is not None:
        hook(0, len(names))
    spikes: dict[str | None, np.ndarray] = {None: qgraph.quantize_input(x)}
    out: dict[str, np.ndarray] = {}
    for index, lay in enumerate(qgraph.layers):
        res = run_layer(lay, spikes)
        if lay.name in wanted:
            if lay.source.spiking:
                out[lay.name] = res["spikes"]
            if record not in ("spikes",):
                out |= {f"{lay.name}:{k}": v for k, v in res.items() if k not in ("out",)}
        s = res["out"]
        if hook is not None:
            hook(index + 1, len(names))
    last = qgraph.output_layer
    value = s.astype(np.float64) if last.source.spiking else readout_value(last, s)
    out[qgraph.output_name] = value.reshape(*value.shape[:2], *qgraph.output_shape)
    return out


def float_layer_outputs(
    qgraph: LoihiProgram, inputs: np.ndarray, dtype: type = np.float64
) -> dict[str, np.ndarray]:
    """Per-layer outputs of the *float* reference simulator (the IR definition).

    Spiking layers: the neuron node's spikes; the readout: its synapse node's value.
    """
    nodes = {
        lay.name: lay.source.neuron_node or lay.source.synapse or lay.name for lay in qgraph.layers
    }
    traces = simulate(qgraph.graph, inputs, dtype=dtype, record=sorted(set(nodes.values())))
    return {name: traces[node] for name, node in nodes.items()}


def compare_quantized(
    qgraph: LoihiProgram | QuantizedGraph,
    inputs: np.ndarray,
    *,
    fixed: Mapping[str, np.ndarray] | None = None,
) -> QuantizationComparison:
    """Per-layer float-versus-fixed comparison on ``inputs``, end to end.

    The float side is :func:`snncompile.reference.simulate` (float64), the fixed side
    :func:`simulate_fixed` (or ``fixed``, per-layer outputs already computed, e.g. by
    the Lava backend: spikes per layer and the readout in float units).
    """
    qgraph = as_program(qgraph)
    x = _check(qgraph, inputs)
    ref = float_layer_outputs(qgraph, x)
    if fixed is None:
        run = simulate_fixed(qgraph, x, record="spikes")
        fixed = {lay.name: run[lay.name] for lay in qgraph.layers if lay.source.spiking}
        last = qgraph.output_layer
        if not last.source.spiking:
            fixed[last.name] = run[qgraph.output_name].reshape(ref[last.name].shape)
    spiking = {lay.name: lay.source.spiking for lay in qgraph.layers}
    return compare_runs(ref, fixed, spiking)
