"""Layer kernels of the Loihi chain, float and integer, vectorised over time × batch.

Float (``run_float_layer``): the equations of the IR nodes (module doc of
:mod:`snncompile_loihi.chain`), written in the same operation order as the
reference simulator so that spikes agree exactly; tests check them against
``snncompile.reference.simulate``.

Integer (``fixed_synapse`` + ``run_fixed_neuron``): Lava's bit-accurate connections
(:mod:`snncompile_loihi.fixed_synapses`) and the neuron integer reference
(:mod:`snncompile_loihi.fixed_neurons`), composed without delays: ``out[t]`` belongs
to ``in[t]``. The graph-level integer simulator ``snncompile_loihi.reference`` is built
from these functions; the Lava fixed mode must match it bit for bit.

    dense:  a = (w_eff · s) · 2^e          (left shift, or flooring right shift)
    recurrent: a += (r_eff · s[t−1]) · 2^e_r   (a second Dense into the same a_in)
    conv:   a = wrap24(correlate(s, w_eff · 2^e))     (Lava's Conv; e ≥ 0)
    neuron: X = sat24((a << 6) + bias), then the model's step (backends/lava/docs/fixed_point.md)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

from snncompile.ir.native_neurons import CLIF, ILIF, sigmoid
from snncompile_loihi import fixed_neurons as fxn
from snncompile_loihi import fixed_synapses as fxs
from snncompile_loihi.chain import Branch, ChainLayer
from snncompile_loihi.limits import STATE_MAX
from snncompile_loihi.models import CUBA_LIF, MULTI_SPIKE_LIF
from snncompile_loihi.qgraph import QuantizedBranch, QuantizedLayer

Trace = dict[str, np.ndarray]


#: Integers up to this magnitude are exact in float64 (53-bit significand).
_FLOAT64_EXACT = 2**53


def correlate2d(x: np.ndarray, w: np.ndarray, geo: Mapping[str, Any]) -> np.ndarray:
    """PyTorch conv2d without bias: x [N, C, H, W], w [C_out, C/g, kH, kW] → [N, C_out, H', W'].

    Exact for integers: when every output's bound max|x|·Σ|w| stays below 2^53, every
    product and partial sum is an integer float64 holds exactly, whatever the summation
    order, so the sum runs in float64 (BLAS: a ResNet-19 layer in seconds, not minutes)
    and is converted back; otherwise in int64. For float64 it sums like the reference
    simulator.
    """
    if x.dtype.kind in "iu" and w.dtype.kind in "iu":
        per_output = np.abs(w.astype(np.int64)).reshape(w.shape[0], -1).sum(axis=1)
        bound = int(np.abs(x).max(initial=0)) * int(per_output.max(initial=0))
        if bound < _FLOAT64_EXACT:
            y = _correlate(x.astype(np.float64), w.astype(np.float64), geo)
            return y.astype(np.int64)
    return _correlate(x, w, geo)


def _correlate(x: np.ndarray, w: np.ndarray, geo: Mapping[str, Any]) -> np.ndarray:
    (sh, sw), (ph, pw), (dh, dw) = geo["stride"], geo["padding"], geo["dilation"]
    groups = int(geo["groups"])
    c_out, c_g, kh, kw = w.shape
    if ph or pw:
        x = np.pad(x, [(0, 0), (0, 0), (ph, ph), (pw, pw)])
    view = sliding_window_view(x, (dh * (kh - 1) + 1, dw * (kw - 1) + 1), axis=(2, 3))
    view = view[:, :, ::sh, ::sw, ::dh, ::dw]
    n, c, ho, wo = view.shape[:4]
    view = view.reshape(n, groups, c // groups, ho, wo, kh, kw)
    wg = w.reshape(groups, c_out // groups, c_g, kh, kw)
    y = np.einsum("bgcxykl,gdckl->bgdxy", view, wg, optimize=True)
    return y.reshape(n, c_out, ho, wo)


# --------------------------------------------------------------------------- float


def float_connection(branch: Branch, shape: tuple[int, ...], x: np.ndarray) -> np.ndarray:
    """W·x for a batch x [N, *in_shape] (float64, no bias) → [N, *shape]."""
    if branch.connection == "identity" or branch.weight is None:
        return x.astype(np.float64, copy=False).reshape(x.shape[0], *shape)
    if branch.connection == "conv":
        return correlate2d(x, branch.weight, branch.geometry)
    y = x.reshape(x.shape[0], -1) @ branch.weight.T
    return y.reshape(x.shape[0], *shape)


def float_synapse(
    layer: ChainLayer, x: np.ndarray, extra: Sequence[np.ndarray] = (), *, bias: bool = True
) -> np.ndarray:
    """X = W·x + b (+ Σ_k W_k·x_k for the branches, inputs ``extra`` in branch order)
    for a batch x [N, *in_shape] (float64); identity passes x through. ``bias`` False
    leaves b out (a leaky current's layer adds it to the potential)."""
    b = layer.bias if bias else np.zeros_like(layer.bias)
    if layer.connection == "identity" or layer.weight is None:
        y = x.astype(np.float64, copy=False)
    elif layer.connection == "conv":
        y = correlate2d(x, layer.weight, layer.geometry) + b
    else:
        y = x.reshape(x.shape[0], -1) @ layer.weight.T
        y = (y + b.reshape(-1)).reshape(x.shape[0], *layer.shape)
    for branch, xb in zip(layer.branches, extra, strict=True):
        y = y + float_connection(branch, layer.shape, xb)
    if layer.connection == "identity" and np.any(b):
        y = y + b  # the branches' synapse biases (an identity has none)
    return y


def multi_spike_float(
    layer: ChainLayer, h: np.ndarray, theta: np.floating
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(H, n, V) of a multi-spike population from its charge H = β·V + X, in the
    reference's operations (``snncompile.reference.spiking.SpikeLogic``):
    n = clip(floor(H/θ), 0, D), V = H − θ·n, floored as max(V − f, 0) + f with f = −θ."""
    upper = np.inf if layer.max_spikes is None else layer.max_spikes
    n = np.clip(np.floor(h / theta), 0, upper).astype(h.dtype)
    v = h - theta * n
    if layer.membrane_floor:
        f = -theta
        v = np.maximum(v - f, 0).astype(v.dtype) + f
    return h, n, v


def run_float_layer(
    layer: ChainLayer, inputs: np.ndarray, extra: Sequence[np.ndarray] = ()
) -> Trace:
    """Run one layer in float64 over time-major ``inputs`` [T, B, *in_shape] (and the
    branches' inputs ``extra``, [T, B, *branch.in_shape] each).

    Returns:
        ``out`` (spikes 0/1, counts of a multi-spike population, or the readout
        value), ``x`` (synaptic input X), ``h``
        (charged potential H) and ``v`` (V after reset) for spiking layers, plus ``m``
        (CLIF), ``inhibition``/``inhibitory_memory`` (ILIF) or ``u`` (the current of an
        NIR CubaLIF: u = α_u·u + W·x, H = β·V + b + u, reset to 0; on ``cuba_lif``
        u = α_u·u + W·x + b, H = β·V + c + u (− n·s[t−1] and no reset at the spike for
        a next-step subtraction n), held while refractory), each [T, B, *shape].
    """
    steps, batch = inputs.shape[:2]
    flat = inputs.reshape(steps * batch, *inputs.shape[2:]).astype(np.float64)
    flat_extra = [e.reshape(steps * batch, *e.shape[2:]).astype(np.float64) for e in extra]
    alpha_u = np.float64(layer.current_decay)
    own_cuba = layer.model is CUBA_LIF  # b charges the current, c the potential
    # on Lava's LIF a leaky current's layer adds its bias to V instead
    xs = float_synapse(layer, flat, flat_extra, bias=alpha_u == 0 or own_cuba)
    xs = xs.reshape(steps, batch, *layer.shape)
    if not layer.spiking:
        if layer.beta == 0:
            return {"out": xs, "x": xs}
        ys = np.empty_like(xs)  # leaky readout (NIR LI): y = β·y[t−1] + X
        y = np.zeros_like(xs[0])
        for t in range(steps):
            y = np.float64(layer.beta) * y + xs[t]
            ys[t] = y
        return {"out": ys, "x": xs, "v": ys}
    beta, theta = np.asarray(layer.beta, dtype=np.float64), np.float64(layer.theta)
    zero = np.zeros((batch, *layer.shape))
    v, m, inh, mem, xp, sp, u = zero, zero, zero, zero, zero, zero, zero
    k = np.zeros(zero.shape, dtype=np.int64)  # refractory counters (CUBA_LIF)
    subtract = np.float64(layer.next_subtract)  # CUBA_LIF: n > 0 subtracts n·s[t−1]
    c = np.zeros(layer.shape) if layer.voltage_bias is None else layer.voltage_bias
    rec: dict[str, list[np.ndarray]] = {}
    s = zero
    for t in range(steps):
        x = xs[t]
        if layer.recurrent is not None:  # X[t] += R·s[t−1], as the reference's back edge
            x = x + (s.reshape(batch, -1) @ layer.recurrent.T).reshape(x.shape)
            rec.setdefault("x", []).append(x)
        extra: dict[str, np.ndarray] = {}
        if own_cuba:  # the current (with its bias), then the charge; a held V in k > 0
            u = alpha_u * u + x
            free = k == 0
            charged = beta * v + c + u  # the reference's (β·V + a·v_leak) + i
            if subtract:  # then minus n·s[t−1] (snnTorch's next-step subtract reset)
                charged = charged - subtract * s
            h = np.where(free, charged, v)
            s = ((h >= theta) & free).astype(np.float64)
            v = h if subtract else h * (1 - s)
            k = np.where(s > 0, layer.refractory, np.maximum(k - 1, 0))
            extra = {"u": u}
        elif alpha_u != 0:  # NIR CubaLIF: the current first, then the charge with it
            u = alpha_u * u + x
            h = beta * v + layer.bias + u  # the reference's order: (β·V + a·v_leak) + i
            s = (h >= theta).astype(np.float64)
            v = h * (1 - s)
            extra = {"u": u}
        elif layer.model is MULTI_SPIKE_LIF:  # counts, not 0/1 (sinabs)
            h, s, v = multi_spike_float(layer, beta * v + x, theta)
        elif layer.neuron not in (CLIF, ILIF):  # the LIF family: SoftLIF, PLIF, DALIF
            h = beta * v + (x if layer.alpha == 1.0 else np.float64(layer.alpha) * x)
            if layer.voltage_bias is not None:  # hard_lif's leak toward v_reset, after
                h = h + c
            s = (h >= theta).astype(np.float64)
            if layer.v_reset is not None:  # hard_lif: to v_reset
                v = np.where(s > 0, layer.v_reset, h)
            else:
                v = h * (1 - s) if layer.model.hard_reset else h - theta * s
        elif layer.neuron is CLIF:
            h = v * beta + x
            forming = m * sigmoid(h / np.float64(layer.tau))
            s = (h >= theta).astype(np.float64)
            m = forming + s
            v = h - theta * s - s * sigmoid(m)
            extra = {"m": m}
        else:  # ilif
            inh = np.float64(layer.c) * (inh + xp * sp)
            h = v * beta + x - np.maximum(inh, 0)
            s = (h >= theta).astype(np.float64)
            v_soft = h - theta * s
            mem = mem + s * v_soft
            if layer.k_m != 1.0:
                mem = np.float64(layer.k_m) * mem
            v = v_soft - s * sigmoid(mem)
            xp, sp = x, s
            extra = {"inhibition": inh, "inhibitory_memory": mem}
        for key, val in {"out": s, "h": h, "v": v, **extra}.items():
            rec.setdefault(key, []).append(val)
    out = {k: np.stack(val) for k, val in rec.items()}
    out.setdefault("x", xs)
    return out


# ------------------------------------------------------------------------- integer


def fixed_synapse(layer: QuantizedLayer, s: NDArray[np.int64]) -> NDArray[np.int64]:
    """The integer synaptic input a_in for a batch s [N, *in_shape] (int64)."""
    src = layer.source
    if src.connection == "identity" or layer.weights is None:
        return s.astype(np.int64, copy=False)
    if src.connection == "conv":
        w = fxs.conv_weights_for_lava(layer.weights, layer.sign_mode, 8, layer.scale.weight_exp)
        return fxs.wrap24(correlate2d(s.astype(np.int64), w, src.geometry))
    w_eff = fxs.effective_weights(layer.weights, layer.sign_mode)
    acc = s.reshape(s.shape[0], -1).astype(np.int64) @ w_eff.T
    return fxs.shift_by_exp(acc, layer.scale.weight_exp).reshape(s.shape[0], *src.shape)


def fixed_branch(
    q: QuantizedBranch, shape: tuple[int, ...], s: NDArray[np.int64]
) -> NDArray[np.int64]:
    """A branch's contribution to a_in for a batch s [N, *in_shape] (int64), as the
    Lava process it lowers to computes it: dense/sparse (w_eff·s)·2^e; conv and a
    spatial identity (a depthwise 1×1 Conv) wrap24(correlate(s, w_eff << e)); a flat
    identity (a diagonal Sparse) (w_eff·s)·2^e."""
    branch, s = q.branch, s.astype(np.int64, copy=False)
    if branch.connection == "conv":
        w = fxs.conv_weights_for_lava(q.weights, q.sign_mode, 8, q.weight_exp)
        return fxs.wrap24(correlate2d(s, w, branch.geometry))
    if branch.connection == "identity":
        w_eff = int(fxs.effective_weights(q.weights.reshape(1), q.sign_mode)[0])
        if branch.spatial:
            return fxs.wrap24(s * (w_eff << q.weight_exp)).reshape(s.shape[0], *shape)
        return fxs.shift_by_exp(s * w_eff, q.weight_exp).reshape(s.shape[0], *shape)
    w_eff = fxs.effective_weights(q.weights, q.sign_mode)
    acc = s.reshape(s.shape[0], -1) @ w_eff.T
    return fxs.shift_by_exp(acc, q.weight_exp).reshape(s.shape[0], *shape)


def neuron_params(layer: QuantizedLayer) -> Any:
    """The fixed_neurons parameter dataclass of the layer (range-checked there)."""
    return layer.fixed.params(**layer.neuron_params)


def run_fixed_layer(
    layer: QuantizedLayer, inputs: NDArray[np.int64], extra: Sequence[np.ndarray] = ()
) -> Trace:
    """Run one quantised layer over time-major integer ``inputs`` [T, B, *in_shape]
    (and its branches' integer inputs ``extra``, in branch order); Lava sums every
    connection at the population's a_in.

    Returns:
        ``out`` (spikes, or for the readout its value X = V in state units), ``a``
        (synaptic input a_in) and every state under its Lava Var name, [T, B, *shape]
        int64 (``h``, H before the threshold test, for the custom models).
    """
    steps, batch = inputs.shape[:2]
    flat = inputs.reshape(steps * batch, *inputs.shape[2:])
    a_seq = fixed_synapse(layer, flat).reshape(steps, batch, *layer.source.shape)
    for qb, xb in zip(layer.branches, extra, strict=True):
        xb_flat = np.asarray(xb).reshape(steps * batch, *np.shape(xb)[2:])
        a_seq = a_seq + fixed_branch(qb, layer.source.shape, xb_flat).reshape(a_seq.shape)
    model = layer.fixed
    params = model.params(**layer.neuron_params)
    state = fxn.zero_state(model.state, (batch, *layer.source.shape))
    names = model.state_names
    rec: dict[str, list[np.ndarray]] = {}
    loop = layer.recurrent
    r_eff = None if loop is None else fxs.effective_weights(loop.weights, loop.sign_mode)
    s = np.zeros((batch, *layer.source.shape), dtype=np.int64)
    for t in range(steps):
        a = a_seq[t]
        if loop is not None:  # a second Dense on last step's spikes, summed at a_in
            acc = s.reshape(batch, -1) @ r_eff.T  # type: ignore[union-attr]
            a = a + fxs.shift_by_exp(acc, loop.weight_exp).reshape(a.shape)
            rec.setdefault("a", []).append(a)
        s, state = model.step(a, state, params)
        rec.setdefault("spikes", []).append(s)
        for field, lava_name in names.items():
            rec.setdefault(lava_name, []).append(getattr(state, field))
        if hasattr(state, "h"):
            rec.setdefault("h", []).append(state.h)
    out = {k: np.stack(val).astype(np.int64) for k, val in rec.items()}
    out.setdefault("a", a_seq)
    out["out"] = out["spikes"] if layer.source.spiking else out["v"]
    return out


def readout_value(layer: QuantizedLayer, ints: np.ndarray) -> np.ndarray:
    """A readout's integer value in float units: X / U."""
    return np.asarray(ints, dtype=np.float64) / float(layer.scale.unit)


def saturated(trace: Mapping[str, np.ndarray]) -> bool:
    """True when any recorded 24-bit state reached the saturation bound."""
    return any(
        np.any(np.abs(trace[k]) >= STATE_MAX) for k in ("h", "v", "m_inh", "i_inh") if k in trace
    )
