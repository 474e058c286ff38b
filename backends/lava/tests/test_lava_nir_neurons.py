"""Foreign NIR files on Lava: NIR LIF/IF rewritten as SoftLIF under their node profile,
NIR CubaLIF read as Lava's LIF with a current (``nir_neurons.cuba_form``).

The rewrite (:mod:`snncompile_loihi.nir_neurons`) must be exact in the float reference
(float32 and float64, spike for spike, on inputs away from threshold ties); a CubaLIF
layer's float64 kernel must spike as the reference's CubaLIF under every synapse order;
the Lava run in fixed point must equal the integer reference bit for bit; what has no
exact form is refused naming the node.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import nir
import numpy as np
import pytest
from snncompile_loihi.nir_neurons import native_nir_neurons
from snncompile_loihi.reference import simulate_fixed
from snncompile_loihi.stage import program_of

import snncompile
from snncompile.errors import QuantizationError, UnsupportedNodeError
from snncompile.ir import SoftLIF
from snncompile.ir.nir_import import read_nir
from snncompile.passes.pipeline import run_pipeline
from snncompile.quant.precision import round_half_away
from snncompile.reference import simulate
from tests.conftest import FOREIGN, FRAMEWORKS

DT = 1e-3  # the norse preset's dt; norse files store dt·τ (tau_scale = 1/dt)


def _write_foreign(path: Path) -> Path:
    """A Norse-style file: in[5] -> Affine -> LIF (τ 5 ms, reset to 0) -> Affine -> IF -> out.

    Under the norse preset the LIF's gain is g = dt/τ = 0.2 (θ/g = 5 after the rewrite) and
    the IF integrates at unit gain.
    """
    rng = np.random.default_rng(5)
    w1 = rng.normal(0.4, 1.0, (8, 5)).astype(np.float32)
    w2 = rng.normal(0.3, 0.8, (4, 8)).astype(np.float32)
    nodes = {
        "in": nir.Input(np.array([5])),
        "fc1": nir.Affine(w1, np.full(8, 0.1, np.float32)),
        "lif": nir.LIF(
            tau=np.full(8, 5e-3 * DT, np.float32),
            r=np.ones(8, np.float32),
            v_leak=np.zeros(8, np.float32),
            v_threshold=np.ones(8, np.float32),
            v_reset=np.zeros(8, np.float32),
        ),
        "fc2": nir.Linear(w2),
        "if": nir.IF(
            r=np.ones(4, np.float32),
            v_threshold=np.full(4, 1.5, np.float32),
            v_reset=np.zeros(4, np.float32),
        ),
        "out": nir.Output(np.array([4])),
    }
    edges = [("in", "fc1"), ("fc1", "lif"), ("lif", "fc2"), ("fc2", "if"), ("if", "out")]
    nir.write(path, nir.NIRGraph(nodes, edges))
    return path


def _inputs() -> np.ndarray:
    x = np.random.default_rng(7).normal(0.6, 1.2, (20, 4, 5))
    return (np.round(np.clip(x, -2, 3) * 8) / 8).astype(np.float32)


def _read(path: Path, **overrides: object) -> snncompile.ir.Graph:
    return run_pipeline(read_nir(path, "norse", overrides=overrides))


def test_rewrite_is_exact_in_the_float_reference(tmp_path: Path) -> None:
    graph = _read(_write_foreign(tmp_path / "f.nir"))
    native = native_nir_neurons(graph)
    assert isinstance(native.nodes["lif"], SoftLIF) and native.nodes["lif"].reset == "hard"
    assert isinstance(native.nodes["if"], SoftLIF)
    np.testing.assert_array_equal(native.nodes["if"].beta, 1.0)
    x = _inputs()
    for dtype in (np.float32, np.float64):
        want = simulate(graph, x, dtype=dtype, record=["lif", "out"])
        got = simulate(native, x, dtype=dtype, record=["lif", "out"])
        for key in ("lif", "out"):
            np.testing.assert_array_equal(got[key], want[key], err_msg=f"{key} {dtype}")
    assert 0.05 < want["lif"].mean() < 0.95 and want["out"].any()


def test_strict_compare_is_the_next_float32_threshold(tmp_path: Path) -> None:
    """An IF at unit gain charged to exactly θ: '>' does not fire, '>=' does, rewritten too."""
    nodes = {
        "in": nir.Input(np.array([1])),
        "if": nir.IF(np.ones(1), np.ones(1), np.zeros(1)),
        "out": nir.Output(np.array([1])),
    }
    path = tmp_path / "tie.nir"
    nir.write(path, nir.NIRGraph(nodes, [("in", "if"), ("if", "out")]))
    x = np.array([0.5, 0.5, 1.0, 0.25], np.float32).reshape(4, 1, 1)
    for compare, want in ((">", [0, 0, 1, 0]), (">=", [0, 1, 1, 0])):
        graph = _read(path, compare=compare)
        np.testing.assert_array_equal(simulate(graph, x)["out"].ravel(), want)
        np.testing.assert_array_equal(simulate(native_nir_neurons(graph), x)["out"].ravel(), want)


def test_same_step_subtract_reset_is_the_soft_lif(tmp_path: Path) -> None:
    graph = _read(_write_foreign(tmp_path / "f.nir"), reset="subtract")
    native = native_nir_neurons(graph)
    assert native.nodes["lif"].reset == "soft" and native.nodes["if"].reset == "soft"
    x = _inputs()
    np.testing.assert_array_equal(simulate(native, x)["out"], simulate(graph, x)["out"])
    program = program_of(snncompile.compile(graph, "lava", calibration=x).staged)
    assert [lay.fixed.name for lay in program.layers] == ["soft_lif", "soft_lif"]


@pytest.mark.parametrize(
    ("field", "value", "why"),
    [
        ("membrane_floor", "-threshold", "membrane_floor"),
        ("spike_mode", "multi", "multi-spike"),
        ("reset", "none", "no reset"),
    ],
)
def test_profiles_without_an_exact_form_are_refused_by_node(
    tmp_path: Path, field: str, value: object, why: str
) -> None:
    graph = _read(_write_foreign(tmp_path / "f.nir"), **{f"lif.{field}": value})
    with pytest.raises(UnsupportedNodeError, match=rf"NIR LIF node 'lif' exactly: .*{why}") as info:
        snncompile.compile(graph, "lava").save(tmp_path / "art")
    assert info.value.node == "lif"
    assert not (tmp_path / "art").exists()


def test_refractory_lif_runs_on_cuba_lif_exactly(tmp_path: Path) -> None:
    """A refractory period with a reset to 0 (same step, or snnTorch's next step) keeps the
    NIR LIF/IF for the chain, which runs it on cuba_lif with α_u = 0 (u = X): the float64
    kernel spikes as the reference, and a neuron never fires twice within the period."""
    from snncompile_loihi.chain import extract_chain

    path = _write_foreign(tmp_path / "f.nir")
    x = _inputs()
    for timing in ("same_step", "next_step"):
        graph = _read(path, **{"lif.refractory": 2, "if.refractory": 1, "reset_timing": timing})
        assert isinstance(native_nir_neurons(graph).nodes["lif"], nir.LIF)
        layers = extract_chain(native_nir_neurons(graph)).layers
        assert [(lay.model.name, lay.refractory) for lay in layers] == [
            ("cuba_lif", 2),
            ("cuba_lif", 1),
        ]
        want = simulate(graph, x, dtype=np.float64, record=["lif", "if"])
        got = _float_chain(graph, x)
        for name, period in (("lif", 2), ("if", 1)):
            np.testing.assert_array_equal(got[name], want[name], err_msg=(timing, name))
            spikes = want[name]
            assert spikes.any()
            for lag in range(1, period + 1):  # the period really suppresses spikes
                assert not (spikes[lag:] * spikes[:-lag]).any()
        free = _float_chain(_read(path), x)  # and without it the neurons do fire so
        assert (free["lif"][1:] * free["lif"][:-1]).any()
    program = program_of(snncompile.compile(graph, "lava", calibration=x).staged)
    assert [q.neuron_params["refractory"] for q in program.layers] == [2, 1]
    assert [q.neuron_params["du"] for q in program.layers] == [4096, 4096]


def test_refractory_without_a_reset_to_zero_or_on_netx_is_refused(tmp_path: Path) -> None:
    path = _write_foreign(tmp_path / "f.nir")
    graph = _read(path, **{"lif.refractory": 2, "lif.reset": "subtract"})
    with pytest.raises(UnsupportedNodeError, match=r"'lif'.*refractory=2 with reset='subtract'"):
        snncompile.compile(graph, "lava")
    graph = _read(path, **{"lif.refractory": 300})
    with pytest.raises(UnsupportedNodeError, match=r"'lif'.*refractory=300 beyond the 255"):
        snncompile.compile(graph, "lava")
    graph = _read(path, **{"lif.refractory": 1})
    with pytest.raises(UnsupportedNodeError, match=r"'lif'.*refractory=1 \(netx") as info:
        snncompile.compile(graph, "netx")
    assert info.value.node == "lif"


def test_next_step_subtract_runs_on_cuba_lif_and_is_refused_on_netx(tmp_path: Path) -> None:
    """snnTorch's subtract reset keeps the node for cuba_lif (n = θ/g, the threshold
    nudged above θ/g for '>'), whose float kernel spikes as the reference; netx refuses
    it."""
    from snncompile_loihi.chain import extract_chain

    path = _write_foreign(tmp_path / "f.nir")
    x = _inputs()
    for node in ("lif", "if"):
        graph = _read(path, **{f"{node}.reset": "subtract", f"{node}.reset_timing": "next_step"})
        assert isinstance(native_nir_neurons(graph).nodes[node], nir.LIF | nir.IF)  # kept
        layer = {lay.name: lay for lay in extract_chain(native_nir_neurons(graph)).layers}[node]
        theta = {"lif": 5.0, "if": 1.5}[node]  # θ/g: the LIF's gain is 0.2
        assert layer.model.name == "cuba_lif" and layer.next_subtract == theta
        assert layer.theta == np.nextafter(np.float32(theta), np.float32(np.inf))
        want = simulate(graph, x, dtype=np.float64, record=[node])[node]
        np.testing.assert_array_equal(_float_chain(graph, x)[node], want, err_msg=node)
        assert (want[1:] * want[:-1]).any()  # fires on consecutive steps: V kept H
        with pytest.raises(UnsupportedNodeError, match=rf"NIR \w+ node '{node}'.*next step"):
            native_nir_neurons(graph, target="netx")
    program = program_of(snncompile.compile(graph, "lava", calibration=x).staged)
    assert [q.neuron_params.get("next_subtract", 0) for q in program.layers] == [
        0,
        program.layers[-1].neuron_params["theta"],  # θ on the 24-bit grid (nudge lost)
    ]


def test_reset_to_a_nonzero_value_runs_on_hard_lif(tmp_path: Path) -> None:
    """A reset to v_r ≠ 0 keeps the NIR LIF/IF for hard_lif (v_r' = v_r/g, no leak toward
    it), in either reset timing: the float kernel spikes as the reference, the integer
    program holds v_r on the state grid; netx refuses it, and so does a refractory
    period with it (cuba_lif resets to 0)."""
    from snncompile_loihi.chain import extract_chain

    path = _write_foreign(tmp_path / "f.nir")
    model = nir.read(path)
    model.nodes["lif"].v_reset = np.full(8, -0.5, np.float32)
    model.nodes["if"].v_reset = np.linspace(-0.6, 0.4, 4).astype(np.float32)
    nir.write(path, model)
    x = _inputs()
    for timing in ("same_step", "next_step"):
        graph = _read(path, reset_timing=timing)
        layers = {lay.name: lay for lay in extract_chain(native_nir_neurons(graph)).layers}
        assert [lay.model.name for lay in layers.values()] == ["hard_lif", "hard_lif"]
        np.testing.assert_array_equal(layers["lif"].v_reset, np.full(8, -2.5))  # v_r/g
        assert layers["if"].voltage_bias is None  # NIR's leak goes to v_leak = 0
        want = simulate(graph, x, dtype=np.float64, record=["lif", "if"])
        got = _float_chain(graph, x)
        for name in ("lif", "if"):
            np.testing.assert_array_equal(got[name], want[name], err_msg=(timing, name))
            assert want[name].any()
    default = simulate(_read(_write_foreign(tmp_path / "zero.nir")), x, dtype=np.float64)
    assert not np.array_equal(default["out"], want["if"])  # the reset value matters
    program = program_of(snncompile.compile(graph, "lava", calibration=x).staged)
    lif = program.layers[0]
    v_r = int(round_half_away(-2.5 * lif.scale.unit))  # the quantiser's rounding
    assert lif.neuron_params["v_reset"].tolist() == [v_r] * 8
    with pytest.raises(UnsupportedNodeError, match=r"node '(lif|if)'.*v_reset != 0 \(netx"):
        native_nir_neurons(graph, target="netx")
    with pytest.raises(UnsupportedNodeError, match=r"'lif'.*refractory=1 with a reset to"):
        native_nir_neurons(_read(path, **{"lif.refractory": 1}))


def _leaky_foreign(tmp_path: Path) -> Path:
    """The foreign file with its LIF leaking toward v_leak = −0.3 (c' = a·v_leak/g)."""
    path = _write_foreign(tmp_path / "leak.nir")
    model = nir.read(path)
    model.nodes["lif"].v_leak = np.full(8, -0.3, np.float32)
    nir.write(path, model)
    return path


def test_leak_toward_v_leak_runs_on_cuba_lif(tmp_path: Path) -> None:
    """An NIR LIF leaking toward v_leak ≠ 0 is kept and runs on cuba_lif with the
    constant c' = a·v_leak/g added before its input, as the reference adds it: the float
    kernel spikes as the reference with a reset to 0 and with snnTorch's subtract reset;
    a same-step subtract reset, a reset to v_reset ≠ 0 and netx are refused by name."""
    from snncompile_loihi.chain import extract_chain

    path, x = _leaky_foreign(tmp_path), _inputs()
    for fields in ({}, {"lif.reset": "subtract", "lif.reset_timing": "next_step"}):
        graph = _read(path, **fields)
        assert isinstance(native_nir_neurons(graph).nodes["lif"], nir.LIF)  # kept
        lif = extract_chain(native_nir_neurons(graph)).layers[0]
        assert lif.model.name == "cuba_lif" and lif.current_decay == 0
        np.testing.assert_allclose(lif.voltage_bias, np.full(8, -0.3), rtol=1e-6)  # c/g
        want = simulate(graph, x, dtype=np.float64, record=["lif"])["lif"]
        np.testing.assert_array_equal(_float_chain(graph, x)["lif"], want, err_msg=str(fields))
        assert want.any()
    without = simulate(_read(_write_foreign(tmp_path / "f.nir")), x, dtype=np.float64)
    assert not np.array_equal(without["out"], simulate(_read(path), x, dtype=np.float64)["out"])
    refused = {
        "same-step subtract": {"lif.reset": "subtract"},
        "netx": {},
    }
    for why, fields in refused.items():
        target = "netx" if why == "netx" else "lava"
        with pytest.raises(UnsupportedNodeError, match=rf"'lif'.*v_leak != 0.*{why}"):
            native_nir_neurons(_read(path, **fields), target=target)
    model = nir.read(path)
    model.nodes["lif"].v_reset = np.full(8, 0.1, np.float32)
    nir.write(path, model)
    with pytest.raises(UnsupportedNodeError, match=r"'lif'.*v_leak != 0 with a reset to"):
        native_nir_neurons(_read(path))


@pytest.mark.lava
def test_leak_toward_v_leak_runs_on_lava(tmp_path: Path) -> None:
    """The leaking LIF on Lava: fixed point the integer reference bit for bit, float mode
    the float64 reference of the foreign graph spike for spike."""
    path, x = _leaky_foreign(tmp_path), _inputs()
    foreign = read_nir(path, "norse")
    for mode in ("fixed", "float"):
        artifact = snncompile.compile(
            path, "lava", calibration=x, dialect="norse", options={"mode": mode}
        )
        got = artifact.run(x)["out"]
        program = program_of(artifact.staged)
        assert program.layers[0].fixed.name == "cuba_lif"
        if mode == "fixed":
            np.testing.assert_array_equal(got, simulate_fixed(program, x)["out"])
        else:
            np.testing.assert_array_equal(got, simulate(foreign, x, dtype=np.float64)["out"])
        assert got.any()


def test_norse_cuba_lif_with_a_biased_synapse_runs_on_cuba_lif() -> None:
    """Norse's LIFCell file: its Affine biases charge the CubaLIF's current (α = 0.8),
    which Lava's LIF cannot (its bias is added to v): both layers run on cuba_lif, the
    synapse bias in the current (``bias``), none in the potential (v_leak = 0)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        graph = read_nir(FRAMEWORKS / "norse_lif.nir", "norse")
    with np.load(FRAMEWORKS / "norse_lif.npz") as data:
        x = data["x"]
    program = program_of(snncompile.compile(graph, "lava", calibration=x).staged)
    for q in program.layers:
        assert q.fixed.name == "cuba_lif"
        assert np.any(q.neuron_params["bias"]) and not np.any(q.neuron_params["bias_v"])
        assert q.neuron_params["du"] == 4096 - 3277  # α = 0.8


@pytest.mark.lava
@pytest.mark.parametrize("mode", ["fixed", "float"])
def test_foreign_file_runs_on_lava(tmp_path: Path, mode: str) -> None:
    """Fixed: bit-exact with the integer reference; float: spike for spike with the float64
    reference of the foreign graph itself (the rewrite is exact)."""
    path = _write_foreign(tmp_path / "f.nir")
    x = _inputs()
    artifact = snncompile.compile(
        path, "lava", calibration=x, dialect="norse", options={"mode": mode}
    )
    artifact.save(tmp_path / "art")
    got = artifact.run(x)["out"]
    program = program_of(artifact.staged)
    if mode == "fixed":
        np.testing.assert_array_equal(got, simulate_fixed(program, x)["out"])
        assert got.any()
    else:
        foreign = read_nir(path, "norse")
        np.testing.assert_array_equal(got, simulate(foreign, x, dtype=np.float64)["out"])


@pytest.mark.lava
@pytest.mark.parametrize("name", ["norse_lifbox", "spikingjelly_if", "spikingjelly_lif"])
def test_framework_fixture_deploys_through_the_cli(tmp_path: Path, name: str) -> None:
    """A framework's own LIF/IF file (tests/data/frameworks): export --dialect NAME
    --target lava, then simulate: the integer reference bit for bit, and here the
    framework's own output too."""
    from snncompile.cli import main

    with np.load(FRAMEWORKS / f"{name}.npz") as data:
        x, dialect = data["x"], str(data["dialect"])
        framework_out, settings = data["out:3"], json.loads(str(data["settings"]))
    assert settings == {}
    np.savez(tmp_path / "x.npz", inputs=x)
    art, y = tmp_path / "art", tmp_path / "y.npz"
    argv = ["export", str(FRAMEWORKS / f"{name}.nir"), "--dialect", dialect]
    assert (
        main([*argv, "--target", "lava", "-o", str(art), "--calibration", str(tmp_path / "x.npz")])
        == 0
    )
    assert main(["simulate", str(art), "--input", str(tmp_path / "x.npz"), "-o", str(y)]) == 0
    with np.load(y) as data:
        got = data["output"]
    graph = read_nir(FRAMEWORKS / f"{name}.nir", dialect)
    program = program_of(snncompile.compile(graph, "lava", calibration=x).staged)
    np.testing.assert_array_equal(got, simulate_fixed(program, x)["output"])
    np.testing.assert_array_equal(got, framework_out)
    assert framework_out.any()


#: framework fixtures on cuba_lif: a bias into the current (Norse LIFCell, SpikingJelly
#: CUBALIFNode), snnTorch's reset delay (refractory=1; RLeaky/RSynaptic also fold their
#: recurrent bias, present from t = 0 under recurrent_t0="bias", into the constant bias)
#: or snnTorch's next-step subtract reset; with the fraction of the framework's output
#: (neuron, step) values the fixed-point run reproduces (measured; float mode: all)
CUBA_LIF_FIXTURES = {
    "norse_lif": 1.0,
    "spikingjelly_cubalif": 1.0,
    "snntorch_synaptic_zero": 1.0,
    "snntorch_rleaky_zero": 1.0,
    "snntorch_rsynaptic_zero": 1.0,
    "snntorch_leaky_subtract": 0.986,
    "snntorch_synaptic_subtract": 0.996,
    "snntorch_rleaky_subtract": 0.993,
    "snntorch_rsynaptic_subtract": 1.0,
}


@pytest.mark.lava
@pytest.mark.parametrize("name", sorted(CUBA_LIF_FIXTURES))
def test_cuba_lif_fixture_deploys_through_the_cli(tmp_path: Path, name: str) -> None:
    """export --dialect NAME [--set FIELD=VALUE] --target lava, then simulate in both
    modes: every layer on cuba_lif; fixed point the integer reference bit for bit, float
    mode the reference's float64 run and the framework's own recorded output (fixed
    point: the measured share of it)."""
    from lava_testlib import deploy_through_cli

    with np.load(FRAMEWORKS / f"{name}.npz") as data:
        x, dialect = data["x"], str(data["dialect"])
        framework_out, settings = data["out:3"], json.loads(str(data["settings"]))
    assert framework_out.any()
    path = FRAMEWORKS / f"{name}.nir"
    _, program, got = deploy_through_cli(tmp_path, path, dialect, x, settings)
    assert {q.fixed.name for q in program.layers} == {"cuba_lif"}
    assert (got["fixed"] == framework_out).mean() >= CUBA_LIF_FIXTURES[name] - 1e-3
    np.testing.assert_array_equal(got["float"], framework_out)


@pytest.mark.lava
def test_norse_conv_fixture_runs_on_lava(tmp_path: Path) -> None:
    """Norse's Conv2d -> LIFBoxCell -> strided Conv2d -> LIFBoxCell file: float mode gives
    Norse's own spikes exactly, fixed point the integer reference bit for bit (and most of
    Norse's spikes: weights quantised)."""
    with np.load(FRAMEWORKS / "norse_conv_lifbox.npz") as data:
        x, norse_out = data["x"], data["out:3"]
    path = FRAMEWORKS / "norse_conv_lifbox.nir"
    for mode in ("fixed", "float"):
        artifact = snncompile.compile(
            path, "lava", calibration=x, dialect="norse", options={"mode": mode}
        )
        artifact.save(tmp_path / mode)
        got = artifact.run(x)["output"]
        assert got.shape == norse_out.shape == (30, 3, 4, 2, 2)
        if mode == "fixed":
            program = program_of(artifact.staged)
            np.testing.assert_array_equal(got, simulate_fixed(program, x)["output"])
            assert (got == norse_out).mean() > 0.95
        else:
            np.testing.assert_array_equal(got, norse_out)
    assert norse_out.any()


def _lava_column() -> dict[str, str]:
    """{fixture: its ``--target lava`` cell} from the fixture table of docs/nir.md §11."""
    text = (Path(__file__).resolve().parents[3] / "docs" / "nir.md").read_text("utf-8")
    table = text.split("<!-- fixtures:", 1)[1].split("\n\n", 1)[0]
    header, _, *rows = table.splitlines()[1:]
    column = [c.strip() for c in header.split("|")].index("`--target lava` (first preset)")
    return {row.split("|")[3].split("`")[1]: row.split("|")[column].strip() for row in rows}


@pytest.mark.parametrize("name", sorted(_lava_column()))
def test_docs_lava_column_matches_the_fixture(name: str) -> None:
    """A fixture marked "deploys" quantises for Lava (clamping only where the cell says
    so, and then it must: without clamping the quantiser refuses); one marked
    "refused: WHY" is refused naming a node."""
    claim = _lava_column()[name]
    with np.load(FRAMEWORKS / f"{name}.npz") as data:
        x, dialect = data["x"], str(data["dialect"])
        settings = json.loads(str(data["settings"]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        graph = read_nir(FRAMEWORKS / f"{name}.nir", dialect, overrides=settings)
    options = {"allow_clamp": "--allow-clamp" in claim}
    if claim.startswith("deploys"):
        program = program_of(
            snncompile.compile(graph, "lava", calibration=x, options=options).staged
        )
        assert program.comparison is not None
        for lay in program.comparison.layers:
            assert lay.spike_agreement > 0.9 if lay.spiking else lay.rel_error < 0.05, lay
        if options["allow_clamp"]:
            with pytest.raises(QuantizationError):
                snncompile.compile(graph, "lava", calibration=x)
        return
    assert claim.startswith("refused: "), claim
    with pytest.raises(UnsupportedNodeError) as info:
        snncompile.compile(graph, "lava", calibration=x)
    assert info.value.node in graph.nodes


@pytest.mark.lava
def test_leaky_readout_runs_on_lava(tmp_path: Path) -> None:
    """Norse's LIF → LI readout file: the LI is the readout population with its leak.
    Fixed point equals the integer reference bit for bit; float equals the foreign
    graph's float64 reference and Norse's own output (to float32 rounding)."""
    with np.load(FRAMEWORKS / "norse_lifbox_readout.npz") as data:
        x, norse_out = data["x"], data["out:3"]
    path = FRAMEWORKS / "norse_lifbox_readout.nir"
    foreign = read_nir(path, "norse")
    assert isinstance(foreign.nodes["3"], nir.LI)
    for mode in ("fixed", "float"):
        artifact = snncompile.compile(
            path, "lava", calibration=x, dialect="norse", options={"mode": mode}
        )
        artifact.save(tmp_path / mode)
        got = artifact.run(x)["output"]
        program = program_of(artifact.staged)
        if mode == "fixed":
            np.testing.assert_array_equal(got, simulate_fixed(program, x)["output"])
            np.testing.assert_allclose(got, norse_out, rtol=0, atol=0.05 * np.abs(norse_out).max())
        else:
            want = simulate(foreign, x, dtype=np.float64)["output"]
            np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)
            np.testing.assert_allclose(got, norse_out, rtol=2e-5, atol=2e-5)


def test_leaky_readout_chain_equals_the_li_reference() -> None:
    """Without Lava: the chain's float readout (LI gain and leak folded into the
    connection, β in the population) equals the float64 reference of the foreign LI."""
    from snncompile_loihi.chain import extract_chain
    from snncompile_loihi.kernels import run_float_layer

    with np.load(FRAMEWORKS / "norse_lifbox_readout.npz") as data:
        x = data["x"]
    graph = run_pipeline(read_nir(FRAMEWORKS / "norse_lifbox_readout.nir", "norse"))
    chain = extract_chain(native_nir_neurons(graph))
    hidden, readout = chain.layers
    assert readout.beta > 0 and not readout.spiking
    spikes = run_float_layer(hidden, x.astype(np.float64))["out"]
    want = simulate(graph, x, dtype=np.float64)["output"]
    got = run_float_layer(readout, spikes)["out"]
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    assert np.abs(want).max() > 0.1


# ---------------------------------------------------------------------------- CubaLIF


def _write_cuba(path: Path, bias: float = 0.0, **cuba: np.ndarray) -> Path:
    """A Norse-style CubaLIF file: in[5] -> Linear -> CubaLIF[8] -> Linear -> CubaLIF[4].

    Under the norse preset (τ stored as dt·τ): τ_syn 5 ms, τ_mem 10 ms at dt = 1 ms give
    α = 0.8, β = 0.9; r = w_in = 1, so g = g_s·g_m = 1·0.1 (``jump``) and θ' = 10.
    """
    rng = np.random.default_rng(11)
    w1 = rng.normal(0.15, 0.5, (8, 5)).astype(np.float32)
    w2 = rng.normal(0.5, 0.8, (4, 8)).astype(np.float32)

    def cuba_lif(n: int) -> nir.CubaLIF:
        params = {
            "tau_syn": np.full(n, 5e-3 * DT, np.float32),
            "tau_mem": np.full(n, 1e-2 * DT, np.float32),
            "r": np.ones(n, np.float32),
            "v_leak": np.zeros(n, np.float32),
            "v_threshold": np.ones(n, np.float32),
            "v_reset": np.zeros(n, np.float32),
            "w_in": np.ones(n, np.float32),
        }
        params.update({k: np.asarray(v, np.float32)[:n] for k, v in cuba.items()})
        return nir.CubaLIF(**params)

    first = (
        nir.Affine(w1, np.full(8, bias, np.float32)) if bias else nir.Linear(w1)
    )  # a bias charges the current: refused
    nodes = {
        "in": nir.Input(np.array([5])),
        "fc1": first,
        "cuba1": cuba_lif(8),
        "fc2": nir.Linear(w2),
        "cuba2": cuba_lif(4),
        "out": nir.Output(np.array([4])),
    }
    edges = [("in", "fc1"), ("fc1", "cuba1"), ("cuba1", "fc2"), ("fc2", "cuba2"), ("cuba2", "out")]
    nir.write(path, nir.NIRGraph(nodes, edges))
    return path


def _float_chain(graph: snncompile.ir.Graph, x: np.ndarray) -> dict[str, np.ndarray]:
    """Every layer's float64 kernel output, run on the previous layer's spikes."""
    from snncompile_loihi.chain import extract_chain
    from snncompile_loihi.kernels import run_float_layer

    out, spikes = {}, x.astype(np.float64)
    for layer in extract_chain(native_nir_neurons(graph)).layers:
        trace = run_float_layer(layer, spikes)
        out[layer.name] = spikes = trace["out"]
        out[f"{layer.name}:x"] = trace["x"]
        if "u" in trace:  # the layers with a current
            out[f"{layer.name}:u"] = trace["u"]
    return out


@pytest.mark.parametrize("order", ["jump", "syn_first", "jump_decay"])
@pytest.mark.parametrize("compare", [">", ">="])
@pytest.mark.parametrize("v_leak", [0.0, -0.4])
@pytest.mark.parametrize("reset", ["to_value", "subtract"])
def test_cuba_lif_kernel_equals_the_reference(
    tmp_path: Path, order: str, compare: str, v_leak: float, reset: str
) -> None:
    """The chain's float64 kernel (Lava's LIF with a current, θ' = θ/g, a·v_leak/g its
    bias; cuba_lif for snnTorch's next-step subtract reset) spikes as the reference's
    float64 CubaLIF under each synapse order."""
    theta = {"jump": 1.0, "syn_first": 0.2, "jump_decay": 0.16}[order]  # θ/g = 10
    leak = np.full(8, v_leak * theta)  # the same drive in θ' units for every order
    path = _write_cuba(tmp_path / "c.nir", v_threshold=np.full(8, theta), v_leak=leak)
    timing = "next_step" if reset == "subtract" else "same_step"
    graph = _read(path, synapse_order=order, compare=compare, reset=reset, reset_timing=timing)
    x = _inputs()
    want = simulate(graph, x, dtype=np.float64, record=["cuba1", "cuba2"])
    got = _float_chain(graph, x)
    for name in ("cuba1", "cuba2"):
        np.testing.assert_array_equal(got[name], want[name], err_msg=name)
        assert 0.05 < want[name].mean() < 0.95, (name, want[name].mean())
    # the current keeps α = 0.8 of itself: u is not this step's input alone
    u, x_in = got["cuba1:u"], got["cuba1:x"]
    np.testing.assert_allclose(u[1:], 0.8 * u[:-1] + x_in[1:], rtol=0, atol=1e-6)
    assert not np.allclose(u, x_in)


def test_cuba_lif_kernel_exact_decay_unit_gain(tmp_path: Path) -> None:
    """Rockpool's order and discretisation (jump_decay: the input gain is α; exact
    decays; unit gains) with a binary reset to 0: the kernel spikes as the reference."""
    path = _write_cuba(tmp_path / "c.nir")
    settings = {"spike_mode": "binary", "reset": "to_value", "tau_scale": 1000.0}
    graph = run_pipeline(read_nir(path, "rockpool", overrides=settings))
    assert graph.profile.for_node("cuba1").synapse_order == "jump_decay"
    x = _inputs()
    want = simulate(graph, x, dtype=np.float64, record=["cuba1", "cuba2"])
    got = _float_chain(graph, x)
    for name in ("cuba1", "cuba2"):
        np.testing.assert_array_equal(got[name], want[name], err_msg=name)
        assert 0.05 < want[name].mean() < 0.95, (name, want[name].mean())


def test_cuba_lif_form_and_integer_fields(tmp_path: Path) -> None:
    """α, β, g and θ' of the form; du/dv of the quantised built-in LIF."""
    from snncompile_loihi.nir_neurons import cuba_form

    graph = _read(_write_cuba(tmp_path / "c.nir"))
    for order, gain in (("jump", 0.1), ("syn_first", 0.02), ("jump_decay", 0.016)):
        profile = graph.profile.with_override("cuba1", synapse_order=order)
        form = cuba_form("cuba1", graph.nodes["cuba1"], profile.for_node("cuba1"))
        np.testing.assert_allclose([form.alpha, form.beta, form.gain], [0.8, 0.9, gain], 1e-6)
        assert form.threshold == np.nextafter(1.0 / form.gain, np.inf)  # compare ">"
    program = program_of(snncompile.compile(graph, "lava", calibration=_inputs()).staged)
    for q in program.layers:
        assert q.fixed.name == "lif_builtin"
        # u keeps (4096 − du − 1)/4096 = round(0.8·4096)/4096, v (4096 − dv)/4096
        assert (q.neuron_params["du"], q.neuron_params["dv"]) == (4095 - 3277, 410)


@pytest.mark.parametrize(
    ("setting", "why"),
    [
        ({"cuba1.membrane_floor": "-threshold"}, "membrane_floor"),
        ({"cuba1.spike_mode": "multi"}, "multi-spike"),
        ({"cuba1.reset": "subtract"}, "a same-step subtract reset; Lava's LIF"),
        ({"cuba1.reset": "none"}, "no reset"),
    ],
)
def test_cuba_lif_profiles_without_an_exact_form_are_refused(
    tmp_path: Path, setting: dict[str, object], why: str
) -> None:
    graph = _read(_write_cuba(tmp_path / "c.nir"), **setting)
    with pytest.raises(UnsupportedNodeError, match=rf"NIR CubaLIF node 'cuba1' exactly: .*{why}"):
        snncompile.compile(graph, "lava").save(tmp_path / "art")
    assert not (tmp_path / "art").exists()


@pytest.mark.parametrize(
    ("params", "why"),
    [
        ({"v_reset": np.full(8, -0.5)}, "v_reset != 0"),
        ({"tau_syn": np.linspace(4e-6, 6e-6, 8)}, "current decay varies"),
        ({"tau_mem": np.linspace(9e-6, 11e-6, 8)}, "voltage decay varies"),
        ({"r": np.linspace(1, 2, 8)}, "input gain varies"),
        ({"v_threshold": np.linspace(1, 2, 8)}, "threshold varies"),
        ({"tau_syn": np.full(8, 5e-7)}, r"current decay alpha = -1 outside \[0, 1\)"),
    ],
)
def test_cuba_lif_parameters_without_an_exact_form_are_refused(
    tmp_path: Path, params: dict[str, np.ndarray], why: str
) -> None:
    graph = _read(_write_cuba(tmp_path / "c.nir", **params))
    with pytest.raises(
        UnsupportedNodeError, match=rf"CubaLIF node 'cuba1' exactly: .*{why}"
    ) as info:
        snncompile.compile(graph, "lava")
    assert info.value.node == "cuba1"


def test_cuba_lif_current_bias_and_refractory_run_on_cuba_lif(tmp_path: Path) -> None:
    """A synapse bias into the current, or a refractory period, moves exactly that layer
    to cuba_lif; the float64 kernel spikes as the reference; netx stays refused."""
    from snncompile_loihi.chain import extract_chain

    x = _inputs()
    path = _write_cuba(tmp_path / "c.nir", bias=0.1, v_leak=np.full(8, -0.4))
    syn_first = _write_cuba(  # θ/g = 10 under syn_first too
        tmp_path / "s.nir", bias=0.1, v_leak=np.full(8, -0.08), v_threshold=np.full(8, 0.2)
    )
    for source, settings, models in (
        (path, {}, ["cuba_lif", "lif_builtin"]),
        (path, {"cuba2.refractory": 2}, ["cuba_lif", "cuba_lif"]),
        (syn_first, {"synapse_order": "syn_first"}, ["cuba_lif", "lif_builtin"]),
    ):
        graph = _read(source, **settings)
        layers = extract_chain(native_nir_neurons(graph)).layers
        assert [lay.model.name for lay in layers] == models
        assert layers[0].voltage_bias is not None and np.all(layers[0].voltage_bias < 0)
        want = simulate(graph, x, dtype=np.float64, record=["cuba1", "cuba2"])
        got = _float_chain(graph, x)
        for name in ("cuba1", "cuba2"):
            np.testing.assert_array_equal(got[name], want[name], err_msg=(settings, name))
            assert 0.02 < want[name].mean() < 0.95, (settings, name, want[name].mean())
    graph = _read(path)
    with pytest.raises(UnsupportedNodeError, match=r"'cuba1'.*netx"):
        snncompile.compile(graph, "netx")
    graph = _read(_write_cuba(tmp_path / "c.nir"))
    with pytest.raises(UnsupportedNodeError, match=r"'cuba1'.*netx"):
        snncompile.compile(graph, "netx")


@pytest.mark.lava
@pytest.mark.parametrize("mode", ["fixed", "float"])
@pytest.mark.parametrize("v_leak", [0.0, -0.4])
def test_cuba_lif_runs_on_lava(tmp_path: Path, mode: str, v_leak: float) -> None:
    """Fixed: bit-exact with the integer reference (du from α, a·v_leak/g Lava's bias);
    float: spike for spike with the float64 reference of the foreign CubaLIF graph."""
    path = _write_cuba(tmp_path / "c.nir", v_leak=np.full(8, v_leak))
    x = _inputs()
    artifact = snncompile.compile(
        path, "lava", calibration=x, dialect="norse", options={"mode": mode}
    )
    artifact.save(tmp_path / "art")
    got = artifact.run(x)["out"]
    if mode == "fixed":
        np.testing.assert_array_equal(got, simulate_fixed(program_of(artifact.staged), x)["out"])
        assert 0.05 < got.mean() < 0.95
    else:
        want = simulate(read_nir(path, "norse"), x, dtype=np.float64)["out"]
        np.testing.assert_array_equal(got, want)


@pytest.mark.lava
def test_cuba_lif_with_a_leak_bias_beyond_the_builtin_mantissa_runs_on_cuba_lif(
    tmp_path: Path,
) -> None:
    """A leak bias a·v_leak/g beyond the built-in LIF's 13-bit mantissa moves the layer to
    cuba_lif (hard_lif has no current): fixed point the integer reference bit for bit,
    float mode the float64 reference spike for spike."""
    path = _write_cuba(tmp_path / "c.nir", tau_mem=np.full(8, 1.1e-3 * DT), v_leak=np.full(8, -3.0))
    x = _inputs()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the short tau_mem
        graph = _read(path)
    for mode in ("fixed", "float"):
        artifact = snncompile.compile(graph, "lava", calibration=x, options={"mode": mode})
        program = program_of(artifact.staged)
        assert program.layers[0].fixed.name == "cuba_lif"
        assert "cuba_lif process" in " ".join(program.layers[0].notes)
        assert not np.any(program.layers[0].neuron_params["bias"])
        artifact.save(tmp_path / f"art-{mode}")
        got = artifact.run(x)["out"]
        if mode == "fixed":
            np.testing.assert_array_equal(got, simulate_fixed(program, x)["out"])
            assert got.any()
        else:
            np.testing.assert_array_equal(got, simulate(graph, x, dtype=np.float64)["out"])


def test_spikingjelly_cuba_lif_fixture_kernels_equal_the_framework() -> None:
    """Without Lava: the chain's float64 kernels of SpikingJelly's CUBALIFNode file
    (α = 0.7/0.6, β = 0.9/0.8, gains 1) give the reference's and SpikingJelly's own
    spikes in both layers."""
    with np.load(FOREIGN / "spikingjelly_cubalif2.npz") as data:
        x, hidden, output = data["input"], data["hidden_spikes"], data["output_spikes"]
    graph = run_pipeline(read_nir(FOREIGN / "spikingjelly_cubalif2.nir", "spikingjelly"))
    want = simulate(graph, x, dtype=np.float64, record=["_1", "_3"])
    got = _float_chain(graph, x)
    for name, framework in (("_1", hidden), ("_3", output)):
        np.testing.assert_array_equal(got[name], want[name], err_msg=name)
        np.testing.assert_array_equal(got[name], framework, err_msg=name)


@pytest.mark.lava
def test_spikingjelly_cuba_lif_fixture_deploys_through_the_cli(tmp_path: Path) -> None:
    """SpikingJelly's CUBALIFNode file (tests/data/foreign): export --dialect spikingjelly
    --target lava; fixed point equals the integer reference bit for bit, float mode equals
    SpikingJelly's own recorded spikes."""
    from lava_testlib import deploy_through_cli

    path = FOREIGN / "spikingjelly_cubalif2.nir"
    with np.load(FOREIGN / "spikingjelly_cubalif2.npz") as data:
        x, framework = data["input"], data["output_spikes"]
    graph, _, got = deploy_through_cli(tmp_path, path, "spikingjelly", x)
    assert all(isinstance(graph.nodes[n], nir.CubaLIF) for n in ("_1", "_3"))
    assert (got["fixed"] == framework).mean() > 0.95
    np.testing.assert_array_equal(got["float"], framework)


@pytest.mark.parametrize("path", sorted(FOREIGN.glob("*.nir")), ids=lambda p: p.stem)
def test_every_shipped_foreign_file_quantises_for_lava(path: Path) -> None:
    """The five files of tests/data/foreign (hard-reset LIF, IF and CubaLIF) compile for
    Lava under their framework's preset; the integer program gives most of the
    framework's output spikes on the recorded input (measured: 98.25–99 %)."""
    dialect = "snntorch" if path.stem.startswith("snntorch") else "spikingjelly"
    with np.load(path.with_suffix(".npz")) as data:
        x, want = data["input"].astype(np.float32), data["output_spikes"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        graph = read_nir(path, dialect)
    program = program_of(snncompile.compile(graph, "lava", calibration=x).staged)
    assert {q.fixed.name for q in program.layers} == {"lif_builtin"}
    got = simulate_fixed(program, x)["output"]
    assert want.any() and (got == want).mean() >= 0.98
