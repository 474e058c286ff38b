"""Test helpers: float neuron equations, a numpy simulation of network specs, process scans.

Everything here is an independent numpy statement of the semantics the Lava runs must
reproduce: the float equations of docs/neurons.md, and for fixed point the integer
reference in ``snncompile.quant`` (not the ProcessModels' own helpers).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from snncompile_lava.spec import conv_geometry, plan_network
from snncompile_loihi import fixed_neurons as fxn
from snncompile_loihi import fixed_synapses as fxs

#: The repository's golden vectors (tests/data/golden/PROVENANCE.md).
GOLDEN = Path(__file__).resolve().parents[3] / "tests" / "data" / "golden"


def golden(name: str) -> dict[str, np.ndarray]:
    """Arrays of tests/data/golden/golden_<name>.npz (docs/neurons.md §10)."""
    path = GOLDEN / f"golden_{name}.npz"
    if not path.exists():
        pytest.fail(
            f"golden data not found at {path}: tests/data/golden/PROVENANCE.md lists the files"
        )
    with np.load(path) as data:
        return dict(data)


# ----------------------------------------------------------------- float equations


def _sig(z: np.ndarray) -> np.ndarray:
    one = z.dtype.type(1.0)
    with np.errstate(over="ignore"):
        return one / (one + np.exp(-z))


def float_neuron(kind: str, x: np.ndarray, p: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Run a float neuron over time-major input X (already including the bias)."""
    dt = np.dtype(p.get("float_dtype", "float64"))
    x = x.astype(dt)
    beta, theta = dt.type(p["beta"]), dt.type(p["theta"])
    v, m, i, mi, xp, sp = (np.zeros(x.shape[1:], dt) for _ in range(6))
    out: dict[str, list[np.ndarray]] = {}
    for t in range(x.shape[0]):
        rec: dict[str, np.ndarray] = {}
        if kind == "soft_lif":
            h = beta * v + x[t]
            s = (h >= theta).astype(dt)
            v = h - s * theta
        elif kind == "multi_spike_lif":  # the count n; V floored at −θ when floor = 1
            h = beta * v + x[t]
            cap = dt.type(p.get("max_spikes") or np.inf)
            s = np.clip(np.floor(h / theta), 0, cap).astype(dt)
            v = h - theta * s
            if p.get("floor"):
                v = np.maximum(v + theta, dt.type(0)) - theta
        elif kind == "clif":
            tau = dt.type(p["tau"])
            h = beta * v + x[t]
            m = m * _sig(h / tau)
            s = (h >= theta).astype(dt)
            m = m + s
            v = (h - s * theta) - s * _sig(m)
            rec["m"] = m
        else:  # ilif
            c, k_m = dt.type(p.get("c", 0.03)), dt.type(p.get("k_m", 1.0))
            i = c * (i + xp * sp)
            h = beta * v + (x[t] - np.maximum(i, dt.type(0)))
            s = (h >= theta).astype(dt)
            v_soft = h - s * theta
            mi = k_m * (mi + s * v_soft)
            v = v_soft - s * _sig(mi)
            xp, sp = x[t], s
            rec |= {"i_inh": i, "m_inh": mi}
        rec |= {"spikes": s, "v": v}
        for k, val in rec.items():
            out.setdefault(k, []).append(val)
    return {k: np.stack(val) for k, val in out.items()}


def float_lif_builtin(a: np.ndarray, p: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Lava's float LIF: u = u(1−du) + a; v = v(1−dv) + u + bias; s = v > vth; v[s] = 0."""
    u = np.zeros(a.shape[1:])
    v = np.zeros(a.shape[1:])
    bias = np.asarray(p.get("bias_mant", 0.0), dtype=float)
    out: dict[str, list[np.ndarray]] = {"spikes": [], "u": [], "v": []}
    for t in range(a.shape[0]):
        u = u * (1 - p["du"]) + a[t]
        v = v * (1 - p["dv"]) + u + bias
        s = v > p["vth"]
        v = np.where(s, 0.0, v)
        for k, val in (("spikes", s.astype(float)), ("u", u), ("v", v)):
            out[k].append(val)
    return {k: np.stack(val) for k, val in out.items()}


# --------------------------------------------------------------- fixed neurons


_FIXED = {
    "soft_lif": (fxn.soft_lif_step, fxn.SoftLIFParams, fxn.SoftLIFState, {"v": "v"}),
    "multi_spike_lif": (
        fxn.multi_spike_lif_step,
        fxn.MultiSpikeLIFParams,
        fxn.SoftLIFState,
        {"v": "v"},
    ),
    "clif": (fxn.clif_step, fxn.CLIFFixedParams, fxn.CLIFFixedState, {"v": "v", "m": "m"}),
    "ilif": (
        fxn.ilif_step,
        fxn.ILIFFixedParams,
        fxn.ILIFFixedState,
        {"v": "v", "i_inh": "i", "m_inh": "m", "x_prev": "x_prev", "s_prev": "s_prev"},
    ),
}


def fixed_neuron(kind: str, a: np.ndarray, p: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Integer reference run; keys use the Lava Var names."""
    shape = a.shape[1:]
    if kind == "lif_builtin":
        params = fxn.LoihiLIFParams(**p)
        out = fxn.run_neuron(
            fxn.loihi_lif_step, a, params, fxn.zero_state(fxn.LoihiLIFState, shape)
        )
        return {"spikes": out["spikes"], "u": out["u"], "v": out["v"]}
    step, ptype, stype, names = _FIXED[kind]
    out = fxn.run_neuron(step, a, ptype(**p), fxn.zero_state(stype, shape))
    return {"spikes": out["spikes"]} | {lava: out[ref] for lava, ref in names.items()}


# ------------------------------------------------------------------- connections


def correlate2d(x: np.ndarray, w: np.ndarray, geo: Mapping[str, Any]) -> np.ndarray:
    """PyTorch-style conv2d (cross-correlation) of one [C, H, W] sample, exact dtype."""
    (sh, sw), (ph, pw), (dh, dw), g = geo["stride"], geo["padding"], geo["dilation"], geo["groups"]
    c_out, c_g, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (ph, ph), (pw, pw)))
    ho = (xp.shape[1] - dh * (kh - 1) - 1) // sh + 1
    wo = (xp.shape[2] - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((c_out, ho, wo), dtype=np.result_type(x, w))
    per_group = c_out // g
    for o in range(c_out):
        chans = slice((o // per_group) * c_g, (o // per_group + 1) * c_g)
        for i in range(ho):
            for j in range(wo):
                patch = xp[chans, i * sh : i * sh + dh * (kh - 1) + 1 : dh,
                           j * sw : j * sw + dw * (kw - 1) + 1 : dw]  # fmt: skip
                out[o, i, j] = np.sum(patch * w[o])
    return out


def _connect(conn: Mapping[str, Any], tag: str, s: np.ndarray) -> np.ndarray:
    if conn["type"] == "identity":
        return s
    p = conn[tag]
    w = np.asarray(p["weights"])
    if tag == "fixed_pt":
        mode, bits, exp = p.get("sign_mode"), p.get("num_weight_bits", 8), p.get("weight_exp", 0)
        if conn["type"] == "conv":
            wl = fxs.conv_weights_for_lava(w, mode, bits, exp)
            return fxs.wrap24(correlate2d(s.astype(np.int64), wl, conv_geometry(conn)))
        return fxs.dense_accumulate(fxs.effective_weights(w, mode, bits), s.reshape(-1), exp)
    if conn["type"] == "conv":
        return correlate2d(s.astype(np.float64), w.astype(np.float64), conv_geometry(conn))
    return w.astype(np.float64) @ s.reshape(-1).astype(np.float64)


def simulate_spec(spec: Mapping[str, Any], inputs: np.ndarray, tag: str) -> dict[str, np.ndarray]:
    """Delay-free numpy run of a spec: output[t] belongs to input[t], like network.run."""
    plan = plan_network(spec, (tag,))
    out: dict[str, np.ndarray] = {}
    s = np.asarray(inputs)
    for lay, layer in zip(plan.layers, spec["layers"], strict=True):
        a = np.stack([_connect(layer["connection"], tag, s[t]) for t in range(s.shape[0])])
        a = a.reshape(s.shape[0], *lay.shape)
        p = dict(layer["neuron"][tag])
        if tag == "fixed_pt":
            res = fixed_neuron(lay.neuron, a.astype(np.int64), p)
        elif lay.neuron == "lif_builtin":
            res = float_lif_builtin(a, p)
        else:
            bias = np.broadcast_to(np.asarray(p.pop("bias", 0.0), dtype=float), lay.shape)
            dt = np.dtype(p.get("float_dtype", "float64"))
            res = float_neuron(lay.neuron, a.astype(dt) + bias.astype(dt), p)
        for key in lay.record:
            out[f"{lay.name}/{key}"] = res[key]
        s = res["spikes"]
    return out


# ------------------------------------------------------------------ process scans


def _stat(pid: int) -> tuple[str, int, int] | None:
    """(state, ppid, session) of a process, or None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return fields[0], int(fields[1]), int(fields[4])


def live_pids() -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]


def session_members(sid: int) -> list[int]:
    """Non-zombie processes whose session id is ``sid`` (a worker's own session)."""
    found = []
    for pid in live_pids():
        st = _stat(pid)
        if st and st[2] == sid and st[0] != "Z":
            found.append(pid)
    return found


def descendants(root: int) -> list[int]:
    """Non-zombie descendants of ``root``."""
    children: dict[int, list[int]] = {}
    for pid in live_pids():
        st = _stat(pid)
        if st and st[0] != "Z":
            children.setdefault(st[1], []).append(pid)
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


# ------------------------------------------------------------- direct Lava runs


class DirectRun:
    """One source fanning out to several populations, run once (batches many checks).

    ``add`` hangs a neuron process (optionally behind a connection process) on the
    source, with a sink for its spikes and one Monitor per recorded state.
    """

    def __init__(self, data: np.ndarray, tag: str) -> None:
        from snncompile_lava._compat import load_lava

        self.lava, self.tag, self.steps = load_lava(), tag, data.shape[-1]
        fixed = tag == "fixed_pt"
        self.source = self.lava.SourceRingBuffer(data=data)
        self.models: dict[Any, type] = {
            self.source: self.lava.PySendModelFixed if fixed else self.lava.PySendModelFloat
        }
        self.sinks: dict[str, Any] = {}
        self.monitors: dict[tuple[str, str], Any] = {}

    def add(
        self,
        name: str,
        neuron: Any,
        model: type,
        states: tuple[str, ...] = (),
        conn: Any = None,
        conn_model: type | None = None,
    ) -> None:
        lav, fixed = self.lava, self.tag == "fixed_pt"
        self.models[neuron] = model
        if conn is None:
            self.source.s_out.connect(neuron.a_in)
        else:
            self.models[conn] = conn_model
            self.source.s_out.connect(conn.s_in)
            conn.a_out.connect(neuron.a_in)
        sink = lav.SinkRingBuffer(shape=neuron.s_out.shape, buffer=self.steps)
        neuron.s_out.connect(sink.a_in)
        self.models[sink] = lav.PyReceiveModelFixed if fixed else lav.PyReceiveModelFloat
        self.sinks[name] = sink
        for state in states:
            mon = lav.Monitor()
            mon.probe(getattr(neuron, state), self.steps)
            self.models[mon] = lav.PyMonitorModel
            self.monitors[(name, state)] = (mon, neuron)

    def run(self) -> dict[str, np.ndarray]:
        """Time-major results: ``"<name>/spikes"`` and ``"<name>/<state>"``."""
        lav = self.lava
        cfg = lav.Loihi2SimCfg(select_tag=self.tag, exception_proc_model_map=self.models)
        out: dict[str, np.ndarray] = {}
        try:
            self.source.run(condition=lav.RunSteps(num_steps=self.steps), run_cfg=cfg)
            for name, sink in self.sinks.items():
                out[f"{name}/spikes"] = np.moveaxis(np.asarray(sink.data.get()), -1, 0)
            for (name, state), (mon, neuron) in self.monitors.items():
                out[f"{name}/{state}"] = np.asarray(mon.get_data()[neuron.name][state])
        finally:
            self.source.stop()
        return out


def deploy_through_cli(
    tmp_path: Path,
    path: Path,
    dialect: str,
    x: np.ndarray,
    settings: Mapping[str, Any] | None = None,
) -> tuple[Any, Any, dict[str, np.ndarray]]:
    """``snncompile export PATH --dialect D [--set F=V ...] --target lava --calibration``,
    then ``snncompile simulate --mode fixed|float`` on ``x``. Checks that fixed point
    equals the integer reference of the same graph's program bit for bit and float mode
    its float64 reference; returns (graph, program, {mode: output})."""
    import warnings

    from snncompile_loihi.reference import simulate_fixed
    from snncompile_loihi.stage import program_of

    import snncompile
    from snncompile.cli import main
    from snncompile.ir.nir_import import read_nir
    from snncompile.reference import simulate

    settings = dict(settings or {})
    np.savez(tmp_path / "x.npz", inputs=x)
    art = tmp_path / "art"
    argv = ["export", str(path), "--dialect", dialect, "--target", "lava"]
    for field, value in settings.items():
        argv += ["--set", f"{field}={value}"]
    assert main([*argv, "-o", str(art), "--calibration", str(tmp_path / "x.npz")]) == 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        graph = read_nir(path, dialect, overrides=settings)
    program = program_of(snncompile.compile(graph, "lava", calibration=x).staged)
    outputs = {}
    for mode in ("fixed", "float"):
        y = tmp_path / f"y-{mode}.npz"
        run = ["simulate", str(art), "--input", str(tmp_path / "x.npz"), "-o", str(y)]
        assert main([*run, "--mode", mode]) == 0
        with np.load(y) as data:
            got = outputs[mode] = data["output"]
        if mode == "fixed":
            np.testing.assert_array_equal(got, simulate_fixed(program, x)["output"])
        else:
            want = simulate(graph, x, dtype=np.float64)[graph.outputs[0]]
            np.testing.assert_array_equal(got, want.reshape(got.shape))
    return graph, program, outputs
