"""Multi-spike LIF/IF (sinabs) on Lava: the ``multi_spike_lif`` process and its lowering.

The integer step (``fixed_neurons.multi_spike_lif_step``) is checked on hand-computed
counts, caps, floors and saturation; the Lava process against it bit for bit (fixed
point) and against the reference's spike logic in float32 and float64; the four sinabs
fixtures, under both sinabs presets, export and run through the CLI: fixed point equal to
``simulate_fixed``, float mode to the float64 reference, and how close each is to sinabs'
own recorded output. What has no exact form is refused naming the node.
"""

from __future__ import annotations

from pathlib import Path

import nir
import numpy as np
import pytest
from snncompile_loihi import fixed_neurons as fxn
from snncompile_loihi.chain import extract_chain
from snncompile_loihi.kernels import run_float_layer
from snncompile_loihi.nir_neurons import multi_spike_form, native_nir_neurons
from snncompile_loihi.quantize import (
    check_graded_accumulation,
    graded_payload_max,
    quantize_loihi,
)
from snncompile_loihi.reference import simulate_fixed
from snncompile_loihi.stage import program_of

import snncompile
from snncompile.errors import QuantizationError, UnsupportedNodeError
from snncompile.ir.graph import Graph
from snncompile.ir.nir_import import from_nir, read_nir
from snncompile.ir.profile import ExecutionProfile
from snncompile.passes.pipeline import run_pipeline
from snncompile.reference import simulate
from snncompile.reference.spiking import SpikeLogic
from tests.conftest import FRAMEWORKS

SINABS = ("sinabs_iaf", "sinabs_lif", "sinabs_iaf_expleak", "sinabs_conv_iaf")
MAX = 2**23 - 1


def _step(h_in: list[int], theta: int, **params: int) -> tuple[list[int], list[int]]:
    """One step from V = 0 with dv = 4096 on a_in chosen so that X = H exactly (bias)."""
    p = fxn.MultiSpikeLIFParams(dv=4096, theta=theta, bias=np.array(h_in), **params)
    state = fxn.zero_state(fxn.SoftLIFState, (len(h_in),))
    n, new = fxn.multi_spike_lif_step(np.zeros(len(h_in), np.int64), state, p)
    return n.tolist(), new.v.tolist()


def test_integer_step_counts_inclusively_and_subtracts_in_the_same_step():
    n, v = _step([-250, 0, 99, 100, 199, 200, 1234], theta=100)
    assert n == [0, 0, 0, 1, 1, 2, 12]
    assert v == [-250, 0, 99, 0, 99, 0, 34]


def test_integer_step_caps_the_count_and_floors_the_potential():
    n, v = _step([-250, -100, -99, 1234], theta=100, max_spikes=3)
    assert n == [0, 0, 0, 3] and v == [-250, -100, -99, 934]  # V keeps the capped rest
    n, v = _step([-250, -100, -99, 1234], theta=100, floor=1)
    assert n == [0, 0, 0, 12] and v == [-100, -100, -99, 34]


def test_integer_step_saturates_and_decays_like_the_soft_lif():
    p = fxn.MultiSpikeLIFParams(dv=1024, theta=1000)
    state = fxn.SoftLIFState(v=np.array([4000, -4000, 0]), h=np.zeros(3, np.int64))
    n, new = fxn.multi_spike_lif_step(np.array([10, 0, 2**20]), state, p)
    # H = trunc0(V·3072/4096) + (a << 6): 3000 + 640, −3000, and 2**26 saturated
    np.testing.assert_array_equal(new.h, [3640, -3000, MAX])
    np.testing.assert_array_equal(n, [3, 0, MAX // 1000])
    np.testing.assert_array_equal(new.v, [640, -3000, MAX % 1000])
    soft, _ = fxn.soft_lif_step(np.array([10, 0, 2**20]), state, fxn.SoftLIFParams(1024, 1000))
    np.testing.assert_array_equal(np.minimum(n, 1), soft)  # a binary spike where n > 0


@pytest.mark.parametrize(
    ("field", "value"), [("max_spikes", 0), ("max_spikes", 2**23), ("floor", 2), ("theta", 0)]
)
def test_integer_parameters_out_of_range_are_refused(field: str, value: int):
    params = {"dv": 0, "theta": 10, field: value}
    with pytest.raises(QuantizationError, match=f"multi_spike_lif: {field}"):
        fxn.MultiSpikeLIFParams(**params)


# ------------------------------------------------------------------- the process


def _float_reference(x: np.ndarray, beta: np.ndarray, theta: float, dtype: str, **fields):
    """The reference's spike logic (SpikeLogic) on H = β·V + X in ``dtype``."""
    dt = np.dtype(dtype)
    profile = ExecutionProfile(spike_mode="multi", reset="subtract", compare=">=", **fields)
    logic = SpikeLogic(np.full(x.shape[1], theta), np.zeros(x.shape[1]), profile, (x.shape[1],), dt)
    v, out = np.zeros(x.shape[1], dt), {"spikes": [], "v": []}
    for t in range(x.shape[0]):
        n, _, v = logic.fire(beta.astype(dt) * v + x[t].astype(dt), v)
        out["spikes"].append(n)
        out["v"].append(v)
    return {k: np.stack(val) for k, val in out.items()}


@pytest.mark.lava
def test_process_matches_the_reference_in_float_and_the_integer_step_in_fixed_point():
    """Float32 and float64 (with and without the floor, with a cap) equal the reference
    spike logic bit for bit, counts and V; fixed point equals ``multi_spike_lif_step``."""
    from lava_testlib import DirectRun
    from snncompile_lava import procs

    cls, n, steps = procs.MultiSpikeLIF, 24, 30
    rng = np.random.default_rng(8)
    x = rng.normal(0.4, 1.5, (steps, n))
    x[:, 0] = 1.0  # H = θ exactly: one spike per step
    beta = rng.uniform(0.6, 1.0, n)
    beta[:4] = 1.0  # IF neurons
    cases = {
        f"{dt}-{name}": (dt, fields)
        for dt in ("float64", "float32")
        for name, fields in {
            "plain": {},
            "floor": {"membrane_floor": "-threshold"},
            "cap": {"max_spikes": 2, "membrane_floor": "-threshold"},
        }.items()
    }
    frun = DirectRun(np.ascontiguousarray(x.T), "floating_pt")
    for key, (dt, fields) in cases.items():
        extra = {
            "max_spikes": fields.get("max_spikes", 0),
            "floor": int("membrane_floor" in fields),
        }
        proc = cls(shape=(n,), beta=beta, theta=0.5, float_dtype=dt, **extra)
        frun.add(key, proc, procs.MODELS["floating_pt"][cls], ("v",))
    a = rng.integers(-60, 200, (steps, n))
    a[:, 0] = 2**20  # saturates: the largest count ⌊(2²³ − 1)/θ⌋
    fixed = {
        "plain": {"dv": rng.integers(0, 4097, n), "theta": 3000,
                  "bias": rng.integers(-500, 500, n)},
        "floor-cap": {"dv": 410, "theta": 2000, "bias": -300, "max_spikes": 3, "floor": 1},
    }  # fmt: skip
    run = DirectRun(np.ascontiguousarray(a.T.astype(np.int32)), "fixed_pt")
    for name, p in fixed.items():
        run.add(name, cls(shape=(n,), **p), procs.MODELS["fixed_pt"][cls], ("v",))
    fout, out = frun.run(), run.run()
    for key, (dt, fields) in cases.items():
        want = _float_reference(x, beta, 0.5, dt, **fields)
        for state in ("spikes", "v"):
            np.testing.assert_array_equal(fout[f"{key}/{state}"], want[state], err_msg=key)
    assert fout["float64-plain/spikes"].max() >= 4 and fout["float64-plain/v"].min() < -0.5
    assert fout["float64-cap/spikes"].max() == 2 and fout["float64-floor/v"].min() == -0.5
    for name, p in fixed.items():
        ref = fxn.run_neuron(
            fxn.multi_spike_lif_step,
            a,
            fxn.MultiSpikeLIFParams(**p),
            fxn.zero_state(fxn.SoftLIFState, (n,)),
        )
        for state in ("spikes", "v"):
            np.testing.assert_array_equal(out[f"{name}/{state}"], ref[state], err_msg=name)
    assert out["plain/spikes"][:, 0].max() == MAX // 3000
    assert out["floor-cap/spikes"].max() == 3 and out["floor-cap/v"].min() == -2000


# -------------------------------------------------------------------- the fixtures


def _fixture(name: str, preset: str) -> dict[str, object]:
    """x, the dialect and sinabs' recorded output (the last layer) of one fixture run:
    ``NAME.npz`` (sinabs preset) or ``NAME.from_nir.npz`` (sinabs.from_nir)."""
    suffix = ".npz" if preset == "sinabs" else ".from_nir.npz"
    with np.load(FRAMEWORKS / f"{name}{suffix}") as data:
        last = max((k for k in data.files if k.startswith("out:")), key=lambda k: int(k[4:]))
        fixture = {"x": data["x"], "dialect": str(data["dialect"]), "out": data[last]}
    assert fixture["dialect"] == preset
    return fixture


#: measured on the recorded inputs (fixed point: quantised weights): the share of
#: sinabs' counts the fixed-point run reproduces, or for the LI readout its largest
#: error relative to the output's range
FIXED_AGREEMENT = {
    ("sinabs_iaf", "sinabs"): 0.970,
    ("sinabs_iaf", "sinabs-from-nir"): 0.970,
    ("sinabs_lif", "sinabs"): 0.933,
    ("sinabs_lif", "sinabs-from-nir"): 0.933,
    ("sinabs_iaf_expleak", "sinabs"): 0.899,
    ("sinabs_iaf_expleak", "sinabs-from-nir"): 0.895,
    ("sinabs_conv_iaf", "sinabs"): 0.975,
    ("sinabs_conv_iaf", "sinabs-from-nir"): 0.962,
}


@pytest.mark.lava
@pytest.mark.parametrize("preset", ["sinabs", "sinabs-from-nir"])
@pytest.mark.parametrize("name", SINABS)
def test_sinabs_fixture_deploys_through_the_cli(tmp_path: Path, name: str, preset: str) -> None:
    """export --dialect PRESET --target lava, then simulate in both modes: the hidden
    populations on multi_spike_lif; fixed point the integer reference bit for bit, float
    mode the float64 reference and sinabs' own output (counts exactly; the LI readout to
    float32 rounding); fixed point sinabs' output as far as measured (FIXED_AGREEMENT)."""
    from lava_testlib import deploy_through_cli

    fixture = _fixture(name, preset)
    x, sinabs_out = fixture["x"], fixture["out"]
    path = FRAMEWORKS / f"{name}.nir"
    _, program, got = deploy_through_cli(tmp_path, path, preset, x)
    spiking = [q for q in program.layers if q.source.spiking]
    assert spiking and {q.fixed.name for q in spiking} == {"multi_spike_lif"}
    floor = preset == "sinabs-from-nir" and name != "sinabs_lif"  # from_nir floors IF only
    assert all(q.neuron_params["floor"] == floor for q in spiking)
    counts = name != "sinabs_iaf_expleak"
    if counts:
        agreement = float((got["fixed"] == sinabs_out).mean())
    else:
        span = float(np.abs(sinabs_out).max())
        agreement = 1 - float(np.abs(got["fixed"] - sinabs_out).max()) / span
    assert agreement >= FIXED_AGREEMENT[name, preset] - 1e-3, agreement
    if counts:  # measured: sinabs' counts exactly
        np.testing.assert_array_equal(got["float"], sinabs_out)
    else:  # sinabs runs in float32
        np.testing.assert_allclose(got["float"], sinabs_out, rtol=2e-5, atol=2e-5)
    if counts:
        assert sinabs_out.max() >= 2  # the fixture really sends counts above 1


def test_the_from_nir_floor_changes_the_fixture_output():
    """The floor matters on these inputs: sinabs.from_nir's IAF output differs from the
    unfloored network's, and the chain's float64 kernels reproduce each (floor or not)."""
    a, b = _fixture("sinabs_iaf", "sinabs"), _fixture("sinabs_iaf", "sinabs-from-nir")
    assert not np.array_equal(a["out"], b["out"])
    for fixture in (a, b):
        graph = run_pipeline(read_nir(FRAMEWORKS / "sinabs_iaf.nir", fixture["dialect"]))
        outs: dict[str | None, np.ndarray] = {None: fixture["x"].astype(np.float64)}
        for lay in extract_chain(native_nir_neurons(graph)).layers:
            outs[lay.neuron_node] = run_float_layer(lay, outs[lay.source])["out"]
            assert lay.membrane_floor == (fixture["dialect"] == "sinabs-from-nir")
        np.testing.assert_array_equal(outs[lay.neuron_node], fixture["out"])


# -------------------------------------------------------------------- refusals


def _if_graph(theta: float = 1.0, **overrides: object) -> Graph:
    """in[3] -> Linear -> IF[4] (θ) -> Linear -> IF[2] -> out under the sinabs preset
    with ``overrides``."""
    rng = np.random.default_rng(2)
    nodes = {
        "in": nir.Input(np.array([3])),
        "fc1": nir.Linear(rng.normal(0.5, 1.0, (4, 3)).astype(np.float32)),
        "if1": nir.IF(r=np.ones(4, np.float32), v_threshold=np.full(4, theta, np.float32),
                      v_reset=np.zeros(4, np.float32)),
        "fc2": nir.Linear(rng.normal(0.5, 1.0, (2, 4)).astype(np.float32)),
        "if2": nir.IF(r=np.ones(2, np.float32), v_threshold=np.ones(2, np.float32),
                      v_reset=np.zeros(2, np.float32)),
        "out": nir.Output(np.array([2])),
    }  # fmt: skip
    edges = [("in", "fc1"), ("fc1", "if1"), ("if1", "fc2"), ("fc2", "if2"), ("if2", "out")]
    return from_nir(nir.NIRGraph(nodes=nodes, edges=edges), "sinabs", overrides=overrides)


@pytest.mark.parametrize(
    ("profile", "target", "match"),
    [
        ({"reset": "to_value"}, "lava", "reset='to_value'"),
        ({"reset_timing": "next_step"}, "lava", "next step"),
        ({"refractory": 2}, "lava", "refractory=2"),
        ({"max_spikes": 2**24}, "lava", "max_spikes=16777216 outside"),
        ({}, "netx", "netx files hold binary spikes only"),
    ],
)
def test_multi_spike_without_exact_form_is_refused_by_name(profile, target, match):
    graph = _if_graph(**{f"if1.{k}": v for k, v in profile.items()})
    with pytest.raises(UnsupportedNodeError, match=match) as info:
        native_nir_neurons(graph, target)
    assert info.value.node == "if1" and info.value.hint


def test_multi_spike_cubalif_is_refused_by_name():
    node = nir.CubaLIF(
        tau_syn=np.full(2, 5.0), tau_mem=np.full(2, 10.0), r=np.ones(2), v_leak=np.zeros(2),
        v_threshold=np.ones(2), w_in=np.ones(2),
    )  # fmt: skip
    from snncompile_loihi.nir_neurons import cuba_form

    profile = ExecutionProfile(spike_mode="multi", reset="to_value", integrator="exact")
    with pytest.raises(UnsupportedNodeError, match="only NIR LIF and IF have a multi-spike"):
        cuba_form("c", node, profile)


def test_multi_spike_form_keeps_the_gain_rewrite_and_the_floor():
    node = nir.IF(r=np.full(2, 4.0), v_threshold=np.full(2, 2.0), v_reset=np.zeros(2))
    profile = ExecutionProfile(
        dt=0.5, spike_mode="multi", reset="subtract", membrane_floor="-threshold", max_spikes=3
    )
    form = multi_spike_form("n", node, profile)  # g = dt·r = 2: θ' = θ/g = 1
    np.testing.assert_array_equal(form.threshold, [1.0, 1.0])
    np.testing.assert_array_equal(form.beta, [1.0, 1.0])
    assert form.floor and form.max_spikes == 3
    chain = extract_chain(native_nir_neurons(_if_graph(**{"if1.max_spikes": 4})))
    assert [lay.model.name for lay in chain.layers] == ["multi_spike_lif"] * 2
    assert chain.layers[0].max_spikes == 4 and not chain.layers[0].membrane_floor


def test_counts_that_could_overflow_lava_accumulation_are_refused_naming_the_layer():
    """A connection reading counts is bounded by max_row Σ|w_eff|·2^e·n_max, n_max =
    min(D, ⌊(2²³ − 1)/θ⌋): accepted for the real bound, refused naming the reading layer
    and the fix where Lava's int32 sum could wrap; a cap D bounds the payload."""
    x = (np.random.default_rng(4).random((12, 2, 3)) < 0.6).astype(np.float64)
    program = quantize_loihi(run_pipeline(_if_graph()), x)
    hidden, reader = program.layers
    bound = graded_payload_max(hidden)
    assert bound == (2**23 - 1) // hidden.neuron_params["theta"] > 1
    check_graded_accumulation(reader, {"if1": bound})
    with pytest.raises(QuantizationError, match="int32") as info:
        check_graded_accumulation(reader, {"if1": 2**23 - 1})
    assert info.value.node == "if2" and "max_spikes" in str(info.value.hint)
    capped = quantize_loihi(run_pipeline(_if_graph(**{"if1.max_spikes": 5})), x)
    assert graded_payload_max(capped.layers[0]) == 5


# ------------------------------------------------------------------ spec and relays


def _count_spec(delay: int) -> dict[str, object]:
    """in[3] -> dense -> multi_spike_lif[4] -> dense (``delay`` extra steps) -> soft_lif[2]."""
    from snncompile_lava.spec import FORMAT, VERSION

    w1 = np.array([[3, 1, 0], [2, 2, 2], [0, 5, 1], [1, 0, 4]])
    w2 = np.array([[2, -2, 2, 4], [2, 2, -2, 2]])
    hidden = {
        "floating_pt": {"beta": 0.75, "theta": 1.0, "max_spikes": 0, "floor": 1},
        "fixed_pt": {"dv": 1024, "theta": 64, "max_spikes": 2**23 - 1, "floor": 1},
    }
    reader = {"floating_pt": {"beta": 0.5, "theta": 2.0}, "fixed_pt": {"dv": 2048, "theta": 128}}
    conn2 = {"type": "dense", "floating_pt": {"weights": w2.astype(float)},
             "fixed_pt": {"weights": w2}, "delay": delay}  # fmt: skip
    return {
        "format": FORMAT,
        "version": VERSION,
        "input": {"shape": [3], "graded": False},
        "layers": [
            {
                "name": "a",
                "connection": {
                    "type": "dense",
                    "floating_pt": {"weights": w1 * 1.0},
                    "fixed_pt": {"weights": w1},
                },
                "neuron": {"type": "multi_spike_lif", **hidden},
                "record": ["spikes", "v"],
            },
            {
                "name": "b",
                "source": "a",
                "connection": conn2,
                "neuron": {"type": "soft_lif", **reader},
                "record": ["spikes", "v"],
            },
        ],
    }


def test_connections_reading_counts_are_planned_graded():
    from snncompile_lava.spec import plan_network

    plan = plan_network(_count_spec(0))
    assert [lay.graded_in for lay in plan.layers] == [False, True]


@pytest.mark.lava
@pytest.mark.parametrize("tag", ["fixed_pt", "floating_pt"])
def test_delayed_counts_are_relayed_exactly(tag: str) -> None:
    """A delayed connection from a multi-spike population goes through count relays
    (memoryless multi_spike_lif): the result equals the undelayed network and the
    delay-free numpy run of the spec, counts above 1 included."""
    from lava_testlib import simulate_spec
    from snncompile_lava.network import run

    x = (np.random.default_rng(3).random((16, 3)) < 0.7).astype(np.float64)
    want = simulate_spec(_count_spec(0), x, tag)
    assert want["a/spikes"].max() >= 2 and want["b/spikes"].any()
    for delay in (0, 2):
        got = run(_count_spec(delay), x, tag=tag)
        for key, value in want.items():
            np.testing.assert_array_equal(got[key], value, err_msg=f"{key}, delay {delay}")


@pytest.mark.lava
def test_a_recurrent_multi_spike_population_feeds_its_counts_back() -> None:
    """IF ⟲ Linear under sinabs-from-nir: the recurrent Dense is graded too, so Lava's
    fixed point equals simulate_fixed and its float mode the float64 reference, with
    counts above 1 on the back edge."""
    rng = np.random.default_rng(1)
    cell = {"r": np.ones(5, np.float32), "v_reset": np.zeros(5, np.float32)}
    nodes = {
        "in": nir.Input(np.array([3])),
        "fc1": nir.Linear(rng.normal(0.6, 1, (5, 3)).astype(np.float32)),
        "if1": nir.IF(v_threshold=np.full(5, 0.7, np.float32), **cell),
        "rec": nir.Linear(rng.normal(0, 0.3, (5, 5)).astype(np.float32)),
        "fc2": nir.Linear(rng.normal(0.3, 1, (2, 5)).astype(np.float32)),
        "if2": nir.IF(r=np.ones(2, np.float32), v_threshold=np.ones(2, np.float32),
                      v_reset=np.zeros(2, np.float32)),
        "out": nir.Output(np.array([2])),
    }  # fmt: skip
    edges = [("in", "fc1"), ("fc1", "if1"), ("if1", "rec"), ("rec", "if1")]
    edges += [("if1", "fc2"), ("fc2", "if2"), ("if2", "out")]
    graph = from_nir(nir.NIRGraph(nodes=nodes, edges=edges), "sinabs-from-nir")
    x = (rng.random((15, 2, 3)) < 0.7).astype(np.float64)
    want = simulate(graph, x, dtype=np.float64, record=["if1"])
    assert want["if1"].max() >= 2
    for mode in ("fixed", "float"):
        artifact = snncompile.compile(graph, "lava", calibration=x, options={"mode": mode})
        program = program_of(artifact.staged)
        assert program.layers[0].recurrent is not None
        got = artifact.run(x)["out"]
        ref = simulate_fixed(program, x)["out"] if mode == "fixed" else want["out"]
        np.testing.assert_array_equal(got, ref, err_msg=mode)


@pytest.mark.lava
def test_a_count_relay_that_would_saturate_is_refused() -> None:
    """θ = 1 lets the hidden population send up to 2²³ − 1 per step; a fixed-point relay
    repeats at most 2¹⁷ − 1 (64·n in 24 bits): refused naming the layer, before running;
    a cap within the limit builds."""
    from snncompile_lava.network import run

    from snncompile.errors import ConfigError

    spec = _count_spec(1)
    spec["layers"][0]["neuron"]["fixed_pt"]["theta"] = 1
    x = np.ones((4, 3))
    with pytest.raises(ConfigError, match="relay") as info:
        run(spec, x, tag="fixed_pt")
    assert info.value.node == "a" and "max_spikes" in str(info.value.hint)
    spec["layers"][0]["neuron"]["fixed_pt"]["max_spikes"] = 2**17 - 1
    assert run(spec, x, tag="fixed_pt")["b/spikes"].shape == (4, 2)
