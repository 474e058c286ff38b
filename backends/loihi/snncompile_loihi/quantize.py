"""``quantize_loihi``: choose Loihi 2 fixed-point parameters for every layer of a graph.

Invariant established: every layer of the returned :class:`LoihiProgram` has integer
parameters inside their hardware fields (``snncompile_loihi.limits``), so lowering
only maps them (docs/architecture.md §2: lowering never quantises).

Steps:

1. Rewrite NIR ``LIF``/``IF`` nodes as SoftLIF under their node profile
   (:func:`~snncompile_loihi.nir_neurons.native_nir_neurons`) and max pooling of spikes
   as relay populations (:func:`~snncompile_loihi.max_pool.relay_max_pools`), then
   read the graph as layers in topological order, each with its own connection and any
   branches summed into it (:func:`~snncompile_loihi.chain.extract_chain`), and refuse
   what Loihi cannot represent (:mod:`~snncompile_loihi.checks`). Every layer runs on
   the outputs of its sources (the input, or earlier layers), float and integer alike;
   branches share the layer's unit (``params.quantize_branch``).
2. Input: binary calibration data → spike input (S_in = 1); graded data on a 2^−k grid
   (k ≤ 16, payload ≤ 2^16) → S_in = 2^k, exact; other graded data → S_in = the largest
   power of two with max|x|·S_in ≤ 255. Without calibration data: graded, S_in = 256.
3. Per layer, in order (:func:`~snncompile_loihi.params.quantize_layer`): the
   state peak comes from a float run on the calibration data (max of θ, |X|, |H|, |V|),
   or without data from the bound max_row(Σ|w|·max|in| + |b|)·2. With calibration data
   and ``search=True``, the weight scale is searched over clip factors
   c ∈ {1, 1.125, 1.25, 1.5} (c > 1 saturates the largest weights to gain resolution
   for the rest): each candidate runs the layer in integers on the *float* input of
   that layer, and the one with the best spike agreement with the float layer (readout:
   the smallest mean relative error) wins; ties keep the smaller c.
4. With calibration data, the float and the quantised chains run end to end and the
   per-layer :class:`~snncompile_loihi.compare.QuantizationComparison` is attached.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np

from snncompile.errors import ConfigError, InputError, QuantizationError
from snncompile.ir.graph import Graph
from snncompile.quant.precision import round_half_away
from snncompile.reference.progress import heartbeat, reporting, resolve
from snncompile_loihi import fixed_synapses as fxs
from snncompile_loihi.chain import Chain, ChainLayer, extract_chain
from snncompile_loihi.checks import check_layer
from snncompile_loihi.compare import compare_runs
from snncompile_loihi.kernels import readout_value, run_fixed_layer, run_float_layer
from snncompile_loihi.limits import STATE_MAX
from snncompile_loihi.max_pool import relay_max_pools
from snncompile_loihi.nir_neurons import native_nir_neurons
from snncompile_loihi.params import HEADROOM, effective_float, quantize_layer
from snncompile_loihi.qgraph import LoihiProgram, QuantizedLayer

CLIP_CANDIDATES = (1.0, 1.125, 1.25, 1.5)
MAX_CALIBRATION_SAMPLES = 512
DEFAULT_INPUT_SCALE = 256
MAX_GRID_BITS = 16
GRADED_PAYLOAD_BITS = 8
TARGETS = ("lava", "netx")


def input_scale(x: np.ndarray | None) -> tuple[bool, int, str]:
    """(graded, S_in, rule) for the input layer (module docstring, step 2)."""
    if x is None:
        return True, DEFAULT_INPUT_SCALE, "no calibration data: graded, default scale 256"
    if np.all((x == 0) | (x == 1)):
        return False, 1, "binary calibration data: spike input"
    peak = float(np.abs(x).max())
    for k in range(MAX_GRID_BITS + 1):
        scaled = x * 2.0**k
        if np.array_equal(scaled, np.round(scaled)) and peak * 2**k <= 2**MAX_GRID_BITS:
            return True, 2**k, f"graded data on a 2^-{k} grid: exact scale {2**k}"
    k = max(0, int(np.floor(np.log2((2**GRADED_PAYLOAD_BITS - 1) / peak))))
    return True, 2**k, f"graded data: scale {2**k} (8-bit payloads, rounded)"


def _calibration(data: Any, chain: Chain) -> np.ndarray | None:
    if data is None:
        return None
    x = np.asarray(data, dtype=np.float64)
    want = chain.input_shape
    if x.ndim != len(want) + 2 or tuple(x.shape[2:]) != want:
        raise InputError(
            f"calibration data of shape {list(x.shape)} do not fit the model input "
            f"[T, B, {', '.join(map(str, want))}]",
            node=chain.input_name,
            hint="pass time-major calibration inputs [T, B, ...] like the real inputs",
        )
    if not np.all(np.isfinite(x)):
        raise InputError("calibration data contain NaN or Inf", hint="clean the data")
    return x[:, :MAX_CALIBRATION_SAMPLES]


def _netx_input(x: np.ndarray | None, chain: Chain) -> tuple[bool, int, str]:
    """netx's input layer is a spiking LIF: binary inputs only (none given: assumed)."""
    if x is not None and not np.all((x == 0) | (x == 1)):
        raise InputError(
            "target 'netx' needs spike (0/1) inputs, but the calibration data are graded",
            node=chain.input_name,
            hint="encode the input as spikes, or use --target lava, which takes graded input",
        )
    return False, 1, "netx: spike input"


def _row_sum(w: np.ndarray | None) -> float:
    """max_row Σ|w| (1 for an identity)."""
    return 1.0 if w is None else float(np.abs(w).reshape(w.shape[0], -1).sum(axis=1).max())


def _bound_peak(layer: ChainLayer, x_max: float, branch_max: list[float] | None = None) -> float:
    """Without data: max_row(Σ|w|·x_max + Σ_k Σ|W_k|·x_max,k + Σ|R| + |b|)·2, at least θ;
    divided by 1 − α_u for a leaky current (u sums its inputs geometrically)."""
    w, b = effective_float(layer)
    row = x_max * _row_sum(w)
    for branch, xm in zip(layer.branches, branch_max or [], strict=False):
        row += xm * _row_sum(branch.weight) * abs(layer.alpha)
    if layer.recurrent is not None:  # spikes ≤ 1 (counts ≤ D) through R (α folded)
        row += float(np.abs(layer.recurrent * layer.alpha).sum(axis=1).max()) * (
            layer.max_spikes or 1
        )
    row = (row + float(np.abs(b).max(initial=0))) / (1.0 - layer.current_decay)
    if layer.voltage_bias is not None:  # cuba_lif: c joins the potential, not the current
        row += float(np.abs(layer.voltage_bias).max(initial=0))
    return max(layer.theta if layer.spiking else 0.0, row * 2)


def _trace_peak(layer: ChainLayer, trace: dict[str, np.ndarray]) -> float:
    keys = ("x", "h", "v", "u") if layer.spiking else ("x", "v")  # u: a CubaLIF's current
    keys = tuple(k for k in keys if k in trace)
    peak = max(float(np.abs(trace[k]).max(initial=0.0)) for k in keys)
    return max(peak, layer.theta if layer.spiking else 0.0, 1e-12)


def _score(
    q: QuantizedLayer, x_int: np.ndarray, target: np.ndarray, extra: list[np.ndarray]
) -> float:
    """Higher is better: spike agreement, or minus the readout's relative error."""
    out = run_fixed_layer(q, x_int, extra)["out"]
    if q.source.spiking:
        return float((out == target).mean())
    y = readout_value(q, out)
    return -float(np.abs(y - target).mean() / max(float(np.abs(target).mean()), 1e-300))


def _choose(
    layer: ChainLayer,
    s_in: float,
    peak: float,
    x_int: np.ndarray | None,
    target: np.ndarray | None,
    search: bool,
    allow_clamp: bool,
    backend: str,
    branch_scales: list[float],
    extra: list[np.ndarray],
) -> tuple[QuantizedLayer, dict[str, float]]:
    def candidate(clip: float) -> QuantizedLayer:
        return quantize_layer(
            layer,
            input_scale=s_in,
            clip=clip,
            peak=peak,
            allow_clamp=allow_clamp,
            target=backend,
            branch_scales=branch_scales,
        )

    best = candidate(1.0)
    if x_int is None or target is None or not search or layer.weight is None:
        return best, {}
    scores = {1.0: _score(best, x_int, target, extra)}
    best_score = scores[1.0]
    for clip in CLIP_CANDIDATES[1:]:
        cand = candidate(clip)
        scores[clip] = _score(cand, x_int, target, extra)
        if scores[clip] > best_score:  # strictly better: ties keep the smaller clip
            best, best_score = cand, scores[clip]
    return best, {str(c): s for c, s in scores.items()}


#: Lava's fixed-point Dense/Sparse/Conv accumulate a graded input in int32 (numpy's
#: ``weights.dot(s_in)`` on int32 arrays wraps silently): every a_in must stay below this.
ACCUMULATOR_MAX = 2**31 - 1


def graded_payload_max(q: QuantizedLayer) -> int:
    """The largest count a multi-spike population can send: min(D, ⌊(2²³ − 1)/θ⌋), since
    H ≤ 2²³ − 1 (saturated) and n = ⌊H/θ⌋ ≤ D."""
    p = q.neuron_params
    return int(min(int(p["max_spikes"]), STATE_MAX // int(p["theta"])))


def _accumulator_bound(weights: np.ndarray, sign_mode: str, exp: int) -> int:
    """max over outputs of Σ|w_eff|·2^max(e, 0): Dense shifts the int32 sum left for
    e > 0, Conv holds the weights pre-shifted; a scalar (identity branch) is one weight."""
    w = np.asarray(weights)
    w = w.reshape(1, 1) if w.ndim == 0 else w.reshape(w.shape[0], -1)
    w_eff = fxs.effective_weights(w, sign_mode)
    return int(np.abs(w_eff).sum(axis=1).max(initial=0)) << max(exp, 0)


def check_graded_accumulation(q: QuantizedLayer, payload: Mapping[str | None, int]) -> None:
    """Refuse a layer whose connections could overflow Lava's int32 accumulation when
    they read multi-spike counts (``payload``: the largest count per source population,
    :func:`graded_payload_max`; a multi-spike population's recurrent connection reads its
    own): the bound is Σ_connections max_row Σ|w_eff|·2^max(e, 0)·n_max.

    Raises:
        QuantizationError: naming the layer and the multi-spike sources, with the fix.
    """
    src = q.source
    conns = [(src.source, q.weights, q.sign_mode, q.scale.weight_exp)]
    conns += [(qb.branch.source, qb.weights, qb.sign_mode, qb.weight_exp) for qb in q.branches]
    graded = [c[0] for c in conns if c[0] in payload]
    loop = q.recurrent if q.fixed.graded else None  # its own counts, fed back
    if not graded and loop is None:
        return
    total = 0
    for source, weights, mode, exp in conns:
        if weights is None or source is None:  # an unweighted identity, or the input
            continue  # (whose graded payloads the input rule bounds)
        total += _accumulator_bound(weights, mode, exp) * payload.get(source, 1)
    if loop is not None:
        graded.append(src.neuron_node)
        total += _accumulator_bound(loop.weights, loop.sign_mode, loop.weight_exp) * (
            graded_payload_max(q)
        )
    if total > ACCUMULATOR_MAX:
        names = ", ".join(repr(g) for g in graded)
        most = max(payload.get(g) or graded_payload_max(q) for g in graded)
        raise QuantizationError(
            f"layer {q.name!r}: the spike counts of {names} (up to "
            f"{most} per step) times its weights can reach "
            f"{total} > 2**31 - 1, beyond Lava's int32 synaptic accumulation",
            node=q.name,
            hint="cap the counts: --set NODE.max_spikes=D on the multi-spike nodes "
            f"{names} (D small enough that max_row Σ|w|·D fits 31 bits)",
        )


def quantize_loihi(
    graph: Graph,
    calibration: Any = None,
    *,
    allow_clamp: bool = False,
    search: bool = True,
    target: str = "lava",
) -> LoihiProgram:
    """Quantise ``graph`` for Loihi 2 fixed point (Lava ``fixed_pt``).

    Args:
        graph: a float IR graph after the generic pass pipeline.
        calibration: sample inputs, time-major [T, B, *input_shape] (at most the first
            512 samples are used); None chooses scales from the weights alone.
        allow_clamp: apply the documented clamps (``checks``, saturation, range
            clamps) with a warning instead of raising.
        search: with calibration data, search the per-layer clip factor.
        target: "lava" (lowered by the Lava backend) or "netx": only what a lava-dl netx
            file stores exactly (``params`` module docstring); the input must be
            spikes, since netx's input layer is a spiking LIF.

    Returns:
        The :class:`LoihiProgram` (with a float-vs-fixed comparison when calibrated); its
        ``graph`` is ``graph`` with every NIR LIF/IF rewritten as SoftLIF and every
        MaxPool2d as a relay.

    Raises:
        UnsupportedNodeError: a node or topology the Lava target cannot lower (a
            MaxPool2d of values that are not spikes among them).
        QuantizationError: a value Loihi cannot represent (names the layer and the fix).
        InputError: calibration data of the wrong shape or not finite.
    """
    if target not in TARGETS:
        raise ConfigError(f"unknown quantisation target {target!r}", hint=f"use one of {TARGETS}")
    graph = relay_max_pools(native_nir_neurons(graph, target), target)
    chain = extract_chain(graph, target)
    x = _calibration(calibration, chain)
    graded, s_in, rule = input_scale(x)
    if target == "netx":
        graded, s_in, rule = _netx_input(x, chain)
    float_traces: dict[str, dict[str, np.ndarray]] = {}
    layers: list[QuantizedLayer] = []
    chosen: dict[str, Any] = {}
    x_int = None if x is None else (round_half_away(x * s_in) if graded else x.astype(np.int64))
    # each layer's float and integer outputs by layer name (None: the network input)
    fin: dict[str | None, np.ndarray] = {} if x is None else {None: x}
    iin: dict[str | None, np.ndarray] = {} if x_int is None else {None: x_int}
    x_max = 1.0 if x is None or not graded else float(np.abs(x).max(initial=0.0))
    # the largest count each multi-spike population sends (binary spikes: 1, not listed)
    payload: dict[str | None, int] = {}
    # a calibrated run takes seconds per layer: the CLI's bar (on a terminal) moves at
    # least once a second, one unit per layer and one for the float-vs-fixed comparison;
    # the runs inside report nothing (reporting(None)): one bar, not one per layer
    hook = resolve(None, "quantise (loihi)", unit="layer") if x is not None else None
    total = len(chain.layers) + 1
    for index, raw in enumerate(chain.layers):
        with heartbeat(hook, index, total, f"layer {raw.name}"), reporting(None):
            layer = check_layer(raw, allow_clamp=allow_clamp)
            scale_in = float(s_in) if raw.source is None else 1.0
            branch_scales = [float(s_in) if b.source is None else 1.0 for b in raw.branches]
            if fin:
                trace = run_float_layer(raw, fin[raw.source], [fin[b.source] for b in raw.branches])
                float_traces[raw.name] = trace
                peak = _trace_peak(layer, trace)
            else:
                trace = None
                peak = _bound_peak(
                    layer,
                    x_max if raw.source is None else payload.get(raw.source, 1.0),
                    [
                        x_max if b.source is None else payload.get(b.source, 1.0)
                        for b in raw.branches
                    ],
                )
            q, scores = _choose(
                layer,
                scale_in,
                peak,
                iin.get(raw.source),
                None if trace is None else trace["out"],
                search,
                allow_clamp,
                target,
                branch_scales,
                [iin[b.source] for b in raw.branches] if iin else [],
            )
            check_graded_accumulation(q, payload)
            if q.fixed.graded and raw.neuron_node is not None:  # counts: their bound
                payload[raw.neuron_node] = graded_payload_max(q)
            layers.append(q)
            chosen[q.name] = {"clip": q.scale.clip, "peak": peak, "scores": scores}
            if trace is not None and raw.neuron_node is not None:
                fin[raw.neuron_node] = trace["out"]
                iin[raw.neuron_node] = trace["out"].astype(np.int64)
    qgraph = LoihiProgram(
        graph=graph,
        input_name=chain.input_name,
        input_shape=chain.input_shape,
        input_graded=graded,
        input_scale=int(s_in),
        layers=tuple(layers),
        output_name=chain.output_name,
        output_shape=chain.output_shape,
        calibration={
            "target": target,
            "method": ("search" if search else "max-abs") if x is not None else "weights-only",
            "samples": 0 if x is None else int(x.shape[1]),
            "steps": 0 if x is None else int(x.shape[0]),
            "headroom": HEADROOM,
            "candidates": list(CLIP_CANDIDATES) if x is not None and search else [1.0],
            "input_rule": rule,
            "layers": chosen,
        },
    )
    if x is None:
        return qgraph
    with heartbeat(hook, total - 1, total, "float vs fixed"), reporting(None):
        fixed = run_fixed_chain(qgraph, x)
        comparison = compare_runs(
            {k: v["out"] for k, v in float_traces.items()},
            fixed,
            {lay.name: lay.source.spiking for lay in layers},
        )
    if hook is not None:
        hook(total, total)
    return dataclasses.replace(qgraph, comparison=comparison)


def run_fixed_chain(qgraph: LoihiProgram, x: np.ndarray) -> dict[str, np.ndarray]:
    """End-to-end integer run: per layer its spikes, or the readout value in float units."""
    spikes: dict[str | None, np.ndarray] = {None: qgraph.quantize_input(x)}
    out: dict[str, np.ndarray] = {}
    for lay in qgraph.layers:
        res = run_layer(lay, spikes)
        out[lay.name] = res["out"] if lay.source.spiking else readout_value(lay, res["out"])
    return out


def run_layer(lay: QuantizedLayer, spikes: dict[str | None, np.ndarray]) -> dict[str, np.ndarray]:
    """Run ``lay`` on the integer outputs ``spikes`` of its sources (by layer name, None
    for the input) and store its own output there under its neuron node's name."""
    src = lay.source
    res = run_fixed_layer(lay, spikes[src.source], [spikes[b.source] for b in src.branches])
    if src.neuron_node is not None:
        spikes[src.neuron_node] = res["out"]
    return res
