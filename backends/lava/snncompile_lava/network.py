"""Build a network spec into Lava processes and run it, delays compensated.

Topology: ``RingBuffer`` source → [connection → neuron population (→ its own
``RecurrentDense`` back into it)] × L, with a sink
``RingBuffer`` on every population whose spikes are recorded and one ``Monitor`` per
recorded state (each costs an OS process and ~0.5 ms per step, docs/lava.md §23).

**Delays.** Lava's source sends ``data[..., t−1]`` at step t (t = 1, 2, …) and every
connection process (Dense, Sparse, Conv) outputs at step t what it accumulated at
t − 1 (docs/lava.md §18); identity connections add nothing. A population behind ``d``
delaying connections therefore sees input sample k at Lava step k + d + 1, and its sink
and monitor store that step at index k + d. :func:`run` pads the input with
D = max(d of the recorded layers) zero steps, runs T + D steps and returns
``recorded[d : d + T]`` per layer, so ``output[t]`` corresponds to ``input[t]``.

A population must also *start* from the zero state when sample 0 arrives, although its
bias acts during the d fill steps. Custom neurons get ``start_step = d + 1`` (silent and
frozen before). The built-in LIF is used as is when its bias is zero (then nothing
moves before sample 0) and as ``LIFReset`` zeroing u and v at step d + 1 otherwise;
spikes emitted before that reach the next layer before *its* reset, so none survives.

**Graphs.** A layer reads its ``source`` (any earlier population, or the input) and sums
further ``branches`` at its a_in, as Lava adds every connection arriving at an InPort.
Each connection carries the extra ``delay`` the spec's plan checked: all paths into a
population arrive at the same step (its depth). A delay on a population's spikes is a
chain of relay populations (:class:`_Ports`: one-hop identity connection + a memoryless
neuron firing on each input spike, exact in float and fixed point, shared by every
connection needing the same source and delay); a delay on the input is an extra source
fed with the same data shifted by ``delay`` steps (graded payloads cannot be relayed by
a spiking population).
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from snncompile_loihi.fixed_synapses import conv_weights_for_lava, infer_sign_mode

from snncompile.errors import ConfigError, InputError
from snncompile_lava._compat import load_lava
from snncompile_lava._runtime import LavaStalled, Watchdog, shutdown
from snncompile_lava.errors import LavaRunError
from snncompile_lava.spec import (
    GRADED_NEURONS,
    TAGS,
    ConnPlan,
    LayerPlan,
    NetworkPlan,
    conv_geometry,
    plan_network,
)

__all__ = ["LavaNetwork", "build_network", "run", "to_lava_order", "to_spec_order"]

logger = logging.getLogger(__name__)

#: Fixed-point graded spikes carry 24-bit payloads (the Dense/Conv flag only tests > 0).
GRADED_MESSAGE_BITS = 24


def to_lava_order(x: np.ndarray, spatial: bool) -> np.ndarray:
    """[..., C, H, W] → [..., W, H, C] (a no-op for flat populations)."""
    if not spatial:
        return x
    return np.swapaxes(x, -1, -3)


def to_spec_order(x: np.ndarray, spatial: bool) -> np.ndarray:
    """[..., W, H, C] → [..., C, H, W] (the inverse of :func:`to_lava_order`)."""
    return to_lava_order(x, spatial)


@dataclass
class LavaNetwork:
    """The Lava processes of one spec, ready to run ``steps`` steps in ``tag``."""

    plan: NetworkPlan
    tag: str
    steps: int
    source: Any
    neurons: list[Any] = field(default_factory=list)
    sinks: dict[str, Any] = field(default_factory=dict)
    monitors: dict[str, Any] = field(default_factory=dict)
    model_map: dict[Any, type] = field(default_factory=dict)
    extra_sources: list[Any] = field(default_factory=list)


def _lava_shape(shape: tuple[int, ...]) -> tuple[int, ...]:
    return shape[::-1] if len(shape) == 3 else shape


def _per_neuron(value: Any, shape: tuple[int, ...], dtype: type) -> np.ndarray:
    """A scalar or per-neuron array in spec order → Lava order."""
    arr = np.broadcast_to(np.asarray(value, dtype=dtype), shape)
    return np.ascontiguousarray(to_lava_order(arr, len(shape) == 3))


def _connection(
    lav: Any,
    name: str,
    plan: ConnPlan,
    out_shape: tuple[int, ...],
    conn: Mapping[str, Any],
    tag: str,
    pre_lava: tuple[int, ...],
) -> tuple[Any, type]:
    """The connection process of ``plan`` into a population of ``out_shape`` and its
    ProcessModel class."""
    p = conn[tag]
    fixed = tag == "fixed_pt"
    nmb = GRADED_MESSAGE_BITS if plan.graded_in else 0
    w = np.asarray(p["weights"])
    kwargs: dict[str, Any] = {"num_message_bits": nmb, "name": f"{name}.{plan.connection}"}
    mode = p.get("sign_mode") or infer_sign_mode(w)
    if plan.connection == "scale":
        return _scale(lav, plan, w, p, mode, fixed, kwargs, pre_lava)
    if plan.connection == "conv":
        geo = conv_geometry(conn)
        if fixed:
            w = conv_weights_for_lava(
                w, mode, int(p.get("num_weight_bits", 8)), int(p.get("weight_exp", 0))
            )
        # OIHW cross-correlation → Lava's (C_out, kW, kH, C_in) true convolution.
        weight = np.ascontiguousarray(w[:, :, ::-1, ::-1].transpose(0, 3, 2, 1))
        proc = lav.Conv(
            weight=weight.astype(np.int32 if fixed else np.float64),
            input_shape=tuple(int(n) for n in pre_lava),
            stride=geo["stride"][::-1],
            padding=geo["padding"][::-1],
            dilation=geo["dilation"][::-1],
            groups=geo["groups"],
            **kwargs,
        )
        if tuple(proc.output_shape) != _lava_shape(out_shape):  # pragma: no cover - a bug
            raise RuntimeError(f"conv output {proc.output_shape} != {_lava_shape(out_shape)}")
        return proc, lav.PyConvModelFixed if fixed else lav.PyConvModelFloat
    if len(pre_lava) == 3:  # columns from CHW-flat (the spec) to Lava's WHC-flat order
        c, h, wd = plan.in_shape
        w = w.reshape(w.shape[0], c, h, wd).transpose(0, 3, 2, 1).reshape(w.shape[0], -1)
    if fixed:
        kwargs |= {
            "weight_exp": int(p.get("weight_exp", 0)),
            "num_weight_bits": int(p.get("num_weight_bits", 8)),
            "sign_mode": getattr(lav.SignMode, mode.upper()),
        }
    w = w.astype(np.int32 if fixed else np.float64)
    if plan.connection == "sparse":
        from scipy.sparse import csr_matrix

        proc = lav.Sparse(weights=csr_matrix(w), **kwargs)
        return proc, lav.PySparseModelBitAcc if fixed else lav.PySparseModelFloat
    proc = lav.Dense(weights=w, **kwargs)
    return proc, lav.PyDenseModelBitAcc if fixed else lav.PyDenseModelFloat


def _scale(
    lav: Any,
    plan: ConnPlan,
    w: np.ndarray,
    p: Mapping[str, Any],
    mode: str,
    fixed: bool,
    kwargs: dict[str, Any],
    pre_lava: tuple[int, ...],
) -> tuple[Any, type]:
    """A one-to-one connection with one weight: a diagonal Sparse on flat populations, a
    depthwise 1×1 Conv on (W, H, C) ones (weight_exp ≥ 0 folded into its weight, as
    for every Conv). One hop, like any connection."""
    weight = w.reshape(())
    bits, exp = int(p.get("num_weight_bits", 8)), int(p.get("weight_exp", 0))
    if len(pre_lava) == 3:
        channels = int(pre_lava[-1])
        if fixed:
            weight = conv_weights_for_lava(weight.reshape(1), mode, bits, exp)[0]
        kernel = np.full((channels, 1, 1, 1), weight, dtype=np.int32 if fixed else np.float64)
        proc = lav.Conv(
            weight=kernel,
            input_shape=tuple(int(n) for n in pre_lava),
            stride=(1, 1),
            padding=(0, 0),
            dilation=(1, 1),
            groups=channels,
            **kwargs,
        )
        return proc, lav.PyConvModelFixed if fixed else lav.PyConvModelFloat
    from scipy.sparse import csr_matrix

    n = int(np.prod(pre_lava))
    if fixed:
        kwargs |= {
            "weight_exp": exp,
            "num_weight_bits": bits,
            "sign_mode": getattr(lav.SignMode, mode.upper()),
        }
    dtype = np.int32 if fixed else np.float64
    index = np.arange(n)
    diag = csr_matrix((np.full(n, weight.item(), dtype=dtype), (index, index)), shape=(n, n))
    proc = lav.Sparse(weights=diag, **kwargs)
    return proc, lav.PySparseModelBitAcc if fixed else lav.PySparseModelFloat


def _recurrent(
    lav: Any, lay: LayerPlan, loop: Mapping[str, Any], tag: str, reset_interval: int
) -> tuple[Any, type]:
    """The population's RecurrentDense (spikes → own input, one step late) and its model."""
    from snncompile_lava import procs

    p, fixed = loop[tag], tag == "fixed_pt"
    w = np.asarray(p["weights"])
    # a multi-spike population feeds its counts back: a graded Dense
    kwargs: dict[str, Any] = {"num_message_bits": 0}
    if lay.neuron in GRADED_NEURONS:
        kwargs["num_message_bits"] = GRADED_MESSAGE_BITS
    if fixed:
        kwargs |= {
            "weight_exp": int(p.get("weight_exp", 0)),
            "num_weight_bits": int(p.get("num_weight_bits", 8)),
            "sign_mode": getattr(lav.SignMode, (p.get("sign_mode") or infer_sign_mode(w)).upper()),
        }
    proc = procs.RecurrentDense(
        weights=w.astype(np.int32 if fixed else np.float64),
        start_step=lay.depth + 1,
        reset_interval=reset_interval,
        name=f"{lay.name}.recurrent",
        **kwargs,
    )
    return proc, procs.MODELS[tag][procs.RecurrentDense]


def _neuron(
    lav: Any,
    lay: LayerPlan,
    params: Mapping[str, Any],
    tag: str,
    steps: int,
    reset_interval: int = 0,
) -> tuple[Any, type]:
    """The neuron process and its ProcessModel class (per-sample reset every
    ``reset_interval`` steps when > 0)."""
    fixed = tag == "fixed_pt"
    shape, name = _lava_shape(lay.shape), f"{lay.name}.neuron"
    num = np.int64 if fixed else np.float64
    if lay.neuron == "lif_builtin":
        kw = {k: params[k] for k in ("du", "dv", "vth")}
        kw["bias_mant"] = _per_neuron(params.get("bias_mant", 0), lay.shape, num)
        if fixed:
            kw["bias_exp"] = _per_neuron(params.get("bias_exp", 0), lay.shape, np.int64)
        if reset_interval > 0 or (np.any(kw["bias_mant"]) and lay.depth > 0):
            interval = reset_interval if reset_interval > 0 else steps + 1
            proc = lav.LIFReset(
                shape=shape,
                reset_interval=interval,
                reset_offset=(lay.depth + 1) % interval,
                name=name,
                **kw,
            )
            return proc, lav.PyLifResetModelBitAcc if fixed else lav.PyLifResetModelFloat
        proc = lav.LIF(shape=shape, name=name, **kw)
        return proc, lav.PyLifModelBitAcc if fixed else lav.PyLifModelFloat
    from snncompile_lava import procs

    cls = {
        "soft_lif": procs.SoftResetLIF,
        "hard_lif": procs.HardResetLIF,
        "cuba_lif": procs.CubaLIF,
        "multi_spike_lif": procs.MultiSpikeLIF,
        "clif": procs.CLIF,
        "ilif": procs.ILIF,
    }[lay.neuron]
    kw = dict(params)
    kw["bias"] = _per_neuron(params.get("bias", 0), lay.shape, num)
    for own in ("bias_v", "v_reset"):  # cuba_lif/hard_lif: per neuron as the bias
        if own in kw:
            kw[own] = _per_neuron(kw[own], lay.shape, num)
    for decay in ("beta", "dv"):  # one per neuron (DA-LIF per channel): to Lava order
        if np.size(kw.get(decay, 0)) > 1:
            kw[decay] = _per_neuron(kw[decay], lay.shape, num)
    proc = cls(
        shape=shape, start_step=lay.depth + 1, reset_interval=reset_interval, name=name, **kw
    )
    return proc, procs.MODELS[tag][cls]


def _flatten(net: LavaNetwork, port: Any, shape: tuple[int, ...], name: str) -> Any:
    """A same-step Flatten process behind ``port`` (OutPort.flatten() breaks on numpy 2.4)."""
    from snncompile_lava import procs

    flat = procs.Flatten(shape=tuple(int(n) for n in shape), name=f"{name}.flatten")
    port.connect(flat.s_in)
    net.model_map[flat] = procs.MODELS[net.tag][procs.Flatten]
    return flat.s_out


def _source_data(
    plan: NetworkPlan, inputs: np.ndarray, steps: int, fixed: bool, delay: int = 0
) -> np.ndarray:
    """Inputs [T, *shape] → the source's [*lava_shape, steps] buffer, zero padded
    (``delay`` zero steps first: a source read ``delay`` steps late)."""
    spatial = plan.input_spatial
    x = inputs if spatial else inputs.reshape(inputs.shape[0], -1)
    data = np.zeros((steps, *x.shape[1:]), dtype=np.int32 if fixed else np.float64)
    n = max(0, min(x.shape[0], steps - delay))
    data[delay : delay + n] = x[:n]
    return np.ascontiguousarray(np.moveaxis(to_lava_order(data, spatial), 0, -1))


def build_network(
    spec: Mapping[str, Any],
    inputs: np.ndarray,
    *,
    tag: str,
    steps: int,
    plan: NetworkPlan | None = None,
    reset_interval: int = 0,
) -> LavaNetwork:
    """Build the Lava processes of ``spec`` for ``tag``, fed by ``inputs``.

    Args:
        spec: the network spec (validated here).
        inputs: [T, *input_shape] input samples (0/1 unless the input is graded).
        tag: "floating_pt" or "fixed_pt".
        steps: Lava steps to run (T plus the delay padding); sizes sinks and monitors.
        plan: ``plan_network(spec, (tag,))`` when the caller has it already.
        reset_interval: if > 0, ``inputs`` hold samples of this many steps back to
            back and every population zeroes its state at the start of each sample
            (its own delay included).
    """
    plan = plan or plan_network(spec, (tag,))
    conv = any(
        c.connection == "conv" or (c.connection == "scale" and len(c.in_shape) == 3)
        for lay in plan.layers
        for c in lay.connections
    )
    lav = load_lava(conv=conv or _spatial_relays(plan))
    fixed = tag == "fixed_pt"
    source = lav.SourceRingBuffer(data=_source_data(plan, inputs, steps, fixed))
    net = LavaNetwork(plan=plan, tag=tag, steps=steps, source=source)
    net.model_map[source] = lav.PySendModelFixed if fixed else lav.PySendModelFloat
    ports = _Ports(net, lav, plan, inputs, reset_interval, spec["layers"])
    for lay, spec_layer in zip(plan.layers, spec["layers"], strict=True):
        neuron, model = _neuron(lav, lay, spec_layer["neuron"][tag], tag, steps, reset_interval)
        net.model_map[neuron] = model
        conns = [
            spec_layer["connection"],
            *(b["connection"] for b in spec_layer.get("branches", ())),
        ]
        for k, (cplan, conn_spec) in enumerate(zip(lay.connections, conns, strict=True)):
            pre, pre_lava = ports.get(cplan.source, cplan.delay)
            if cplan.connection == "identity":
                pre.connect(neuron.a_in)
                continue
            name = lay.name if k == 0 else f"{lay.name}.b{k}"
            conn, conn_model = _connection(lav, name, cplan, lay.shape, conn_spec, tag, pre_lava)
            net.model_map[conn] = conn_model
            if len(pre_lava) == 3 and cplan.connection in ("dense", "sparse"):
                pre = _flatten(net, pre, pre_lava, name)
            pre.connect(conn.s_in)
            conn.a_out.connect(neuron.a_in)  # Lava sums every connection at a_in
        if lay.recurrent:  # Lava sums both connections at a_in
            loop, loop_model = _recurrent(lav, lay, spec_layer["recurrent"], tag, reset_interval)
            net.model_map[loop] = loop_model
            neuron.s_out.connect(loop.s_in)
            loop.a_out.connect(neuron.a_in)
        net.neurons.append(neuron)
        ports.add(lay, neuron)
        if "spikes" in lay.record:
            sink = lav.SinkRingBuffer(shape=neuron.s_out.shape, buffer=steps)
            neuron.s_out.connect(sink.a_in)
            net.sinks[lay.name] = sink
            net.model_map[sink] = lav.PyReceiveModelFixed if fixed else lav.PyReceiveModelFloat
        for state in (r for r in lay.record if r != "spikes"):
            # Lava's PyMonitorModel declares one RefPort, so one Monitor per probed Var.
            monitor = lav.Monitor()
            monitor.probe(getattr(neuron, state), steps)
            net.monitors[f"{lay.name}/{state}"] = monitor
            net.model_map[monitor] = lav.PyMonitorModel
    return net


def _spatial_relays(plan: NetworkPlan) -> bool:
    """True when a delayed connection reads a [C, H, W] population (relays are Convs)."""
    shapes = {lay.name: lay.shape for lay in plan.layers}
    return any(
        c.delay and c.source is not None and len(shapes[c.source]) == 3
        for lay in plan.layers
        for c in lay.connections
    )


class _Ports:
    """The out-ports connections read: the input (delayed by extra sources fed with
    shifted data) and every population (delayed by relay populations).

    A relay is a one-hop identity connection (weight 1) into a memoryless soft-reset
    population that fires on its one input spike: float β = 0, θ = 0.5; fixed dv = 4096,
    θ = 1 (X = 1 << 6 = 64 ≥ 1, then V decays to 0). It repeats its source's spikes one
    step later, exactly in both modes; it starts and resets like any population at its
    own depth (its source's depth + its index in the chain). A ``multi_spike_lif`` source
    sends counts: its relays are memoryless ``multi_spike_lif`` populations behind graded
    connections (:meth:`_count_relay`), repeating each count n exactly.
    """

    def __init__(
        self,
        net: LavaNetwork,
        lav: Any,
        plan: NetworkPlan,
        inputs: np.ndarray,
        reset: int,
        spec_layers: Any = (),
    ) -> None:
        self.net, self.lav, self.plan, self.inputs, self.reset = net, lav, plan, inputs, reset
        src = net.source.s_out
        self.ports: dict[tuple[str | None, int], tuple[Any, tuple[int, ...]]] = {
            (None, 0): (src, tuple(src.shape))
        }
        self.layers: dict[str, LayerPlan] = {}
        #: the spec's layers by name (a count relay reads its source's fixed θ)
        self.spec_layers: dict[str, Mapping[str, Any]] = {
            str(layer["name"]): layer for layer in spec_layers
        }

    def _count_relay(self, lay: LayerPlan, params: dict[str, Any], fixed: bool) -> dict[str, Any]:
        """A relay of spike counts: a memoryless ``multi_spike_lif`` with θ = one input
        unit (fixed: 64, as X = n << 6; float: 1), so n = ⌊X/θ⌋ is the count and V = 0.

        Raises:
            ConfigError: in fixed point, a source whose counts can exceed 2¹⁷ − 1 (64·n
                would saturate the 24-bit state).
        """
        if not fixed:
            return params | {"theta": 1.0}
        spec_layer = self.spec_layers[lay.name]["neuron"]["fixed_pt"]
        theta = int(spec_layer["theta"])
        bound = min(int(spec_layer.get("max_spikes") or (1 << 23) - 1), ((1 << 23) - 1) // theta)
        if bound > _relay_count_limit():
            raise ConfigError(
                f"network spec, layer {lay.name!r}: a delayed connection reads its spike "
                f"counts (up to {bound}), beyond the {_relay_count_limit()} a relay repeats "
                "exactly in 24 bits",
                node=lay.name,
                hint=f"cap the count: max_spikes <= {_relay_count_limit()}",
            )
        return params | {"theta": 64}

    def add(self, lay: LayerPlan, neuron: Any) -> None:
        self.layers[lay.name] = lay
        self.ports[(lay.name, 0)] = (neuron.s_out, tuple(neuron.s_out.shape))

    def get(self, source: str | None, delay: int) -> tuple[Any, tuple[int, ...]]:
        key = (source, delay)
        if key in self.ports:
            return self.ports[key]
        net, lav, fixed = self.net, self.lav, self.net.tag == "fixed_pt"
        if source is None:
            data = _source_data(self.plan, self.inputs, net.steps, fixed, delay)
            extra = lav.SourceRingBuffer(data=data)
            net.model_map[extra] = lav.PySendModelFixed if fixed else lav.PySendModelFloat
            net.extra_sources.append(extra)
            self.ports[key] = (extra.s_out, tuple(extra.s_out.shape))
            return self.ports[key]
        pre, pre_lava = self.get(source, delay - 1)
        lay = self.layers[source]
        counts = lay.neuron in GRADED_NEURONS
        relay_plan = LayerPlan(
            index=-1,
            name=f"{source}.relay{delay}",
            connection="scale",
            neuron="multi_spike_lif" if counts else "soft_lif",
            in_shape=lay.shape,
            shape=lay.shape,
            depth=lay.depth + delay,
            graded_in=counts,
            record=(),
        )
        one = {"floating_pt": {"weights": np.asarray(1.0)}, "fixed_pt": {"weights": np.asarray(1)}}
        cplan = ConnPlan(source, "scale", lay.shape, counts)
        conn, conn_model = _connection(
            lav, relay_plan.name, cplan, lay.shape, one, net.tag, pre_lava
        )
        params = (
            {"dv": 4096, "theta": 1, "bias": 0}
            if fixed
            else {"beta": 0.0, "theta": 0.5, "bias": 0.0}
        )
        if counts:  # n → X = 64·n (float: n) → n = ⌊X/θ⌋, V = 0
            params = self._count_relay(lay, params, fixed)
        neuron, model = _neuron(lav, relay_plan, params, net.tag, net.steps, self.reset)
        net.model_map[conn], net.model_map[neuron] = conn_model, model
        pre.connect(conn.s_in)
        conn.a_out.connect(neuron.a_in)
        self.ports[key] = (neuron.s_out, tuple(neuron.s_out.shape))
        return self.ports[key]


def _relay_count_limit() -> int:
    """The largest count a fixed-point count relay repeats exactly: 64·n ≤ 2²³ − 1."""
    return ((1 << 23) - 1) >> 6


def _check_inputs(plan: NetworkPlan, inputs: np.ndarray, tag: str) -> np.ndarray:
    x = np.asarray(inputs)
    if x.ndim != len(plan.input_shape) + 1 or x.shape[1:] != plan.input_shape:
        raise InputError(
            f"inputs have shape {x.shape}, expected [T, {list(plan.input_shape)}]",
            hint="pass time-major inputs, one sample per step",
        )
    if not np.all(np.isfinite(x)):
        raise InputError("inputs contain NaN or Inf", hint="clean the input data")
    if not plan.graded and not np.all((x == 0) | (x == 1)):
        raise InputError(
            "the spec declares binary input, but inputs are not all 0/1",
            hint='set "graded": true in the spec input, or binarise the input',
        )
    if tag == "fixed_pt" and not np.array_equal(x, np.round(x)):
        raise InputError(
            "fixed_pt graded inputs must be integers", hint="quantise the input payload to integers"
        )
    return x


def _read(net: LavaNetwork, total: int) -> dict[str, np.ndarray]:
    """Sink and monitor contents, aligned: [T, *spec_shape] per recorded quantity."""
    fixed = net.tag == "fixed_pt"
    out: dict[str, np.ndarray] = {}
    for lay, neuron in zip(net.plan.layers, net.neurons, strict=True):
        spatial, d = len(lay.shape) == 3, lay.depth
        if lay.name in net.sinks:
            data = np.moveaxis(np.asarray(net.sinks[lay.name].data.get()), -1, 0)
            spikes = to_spec_order(data, spatial)[d : d + total]
            counts = lay.neuron in GRADED_NEURONS  # multi-spike counts may exceed 255
            out[f"{lay.name}/spikes"] = np.rint(spikes).astype(np.int32 if counts else np.uint8)
        for state in lay.record:
            if state != "spikes":
                recorded = net.monitors[f"{lay.name}/{state}"].get_data()[neuron.name][state]
                data = to_spec_order(np.asarray(recorded), spatial)[d : d + total]
                out[f"{lay.name}/{state}"] = np.rint(data).astype(np.int64) if fixed else data
    return out


def run(
    spec: Mapping[str, Any],
    inputs: np.ndarray,
    *,
    tag: str = "fixed_pt",
    steps: int | None = None,
    timings: dict[str, float] | None = None,
    timeout: float | None = None,
    reset_interval: int = 0,
) -> dict[str, np.ndarray]:
    """Run ``spec`` on Lava in this process and return the recorded, aligned outputs.

    Prefer :func:`snncompile_lava.worker.run_in_worker` (a torch-free subprocess); this
    function is what the worker calls.

    Args:
        spec: the network spec.
        inputs: [T, *input_shape] samples; ``steps`` (default T) of them are used.
        tag: "floating_pt" or "fixed_pt".
        steps: number of input samples to simulate (≤ T).
        timings: if given, filled with seconds spent in build, compile, run, read, stop.
        timeout: seconds the Lava run may take before it is stopped (None: no limit).
            A ProcessModel that raises stops the run at once either way; both need the
            main thread (elsewhere use the worker, whose own timeout always works).
        reset_interval: if > 0, ``inputs`` are samples of this many steps concatenated
            in time; every population zeroes its state at the start of each sample, so
            one Lava run serves a whole batch (see :func:`build_network`).

    Returns:
        ``{"<layer>/spikes": uint8 [T, *shape] (int32 counts for a multi-spike
        population), "<layer>/<state>": [T, *shape]}`` with
        ``[t]`` corresponding to ``inputs[t]``; fixed states are int64, float states
        float64.
    """
    if tag not in TAGS:
        raise ConfigError(f"unknown tag {tag!r}", hint=f"use one of {TAGS}")
    plan = plan_network(spec, (tag,))
    x = _check_inputs(plan, inputs, tag)
    total = x.shape[0] if steps is None else int(steps)
    if not 1 <= total <= x.shape[0]:
        raise InputError(
            f"steps={steps} but inputs hold {x.shape[0]} samples",
            hint="pass 1 <= steps <= len(inputs)",
        )
    lava_steps = total + plan.delay
    t = {"start": time.perf_counter()}
    if reset_interval < 0:
        raise ConfigError(
            f"reset_interval={reset_interval} < 0", hint="use 0 (no reset) or the sample length"
        )
    net = build_network(
        spec, x[:total], tag=tag, steps=lava_steps, plan=plan, reset_interval=reset_interval
    )
    lav = load_lava()
    cfg = lav.Loihi2SimCfg(select_tag=tag, exception_proc_model_map=net.model_map)
    t["build"] = time.perf_counter()
    out: dict[str, np.ndarray] | None = None
    reports: list[str] = []
    dog: Watchdog | None = None
    try:
        try:
            net.source.create_runtime(run_cfg=cfg)
            t["compile"] = time.perf_counter()
            dog = Watchdog(net.source.runtime, timeout)
            with dog:
                net.source.run(condition=lav.RunSteps(num_steps=lava_steps))
            t["run"] = time.perf_counter()
            out = _read(net, total)
            t["read"] = time.perf_counter()
        finally:  # always: a run left standing leaks processes and shared memory
            reports = shutdown(net.source, failed=out is None)
    except Exception as exc:
        what = "stopped" if isinstance(exc, LavaStalled) else f"{type(exc).__name__}: {exc}"
        details = reports or ([dog.reason] if dog is not None and dog.reason else [])
        raise LavaRunError(
            f"Lava run failed ({tag}, {lava_steps} steps): {what}"
            + "".join(f"\n--- from a Lava process ---\n{r}" for r in details),
            hint="read the Lava process output above; run the spec through "
            "snncompile_lava.worker.run_in_worker to isolate Lava from this process",
        ) from exc
    t["stop"] = time.perf_counter()
    if timings is not None:
        keys = list(t)
        timings.update({k: t[k] - t[p] for p, k in itertools.pairwise(keys)})
        timings["lava_steps"] = float(lava_steps)
    logger.debug("ran %d Lava steps in %.3f s", lava_steps, t["stop"] - t["start"])
    if out is None:  # pragma: no cover - unreachable: a failed run raised above
        raise RuntimeError("Lava run produced no output")
    return out
