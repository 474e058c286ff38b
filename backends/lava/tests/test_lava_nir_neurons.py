"""Foreign NIR files on Lava: NIR LIF/IF rewritten as SoftLIF under their node profile.

The rewrite (:mod:`snncompile_loihi.nir_neurons`) must be exact in the float reference
(float32 and float64, spike for spike, on inputs away from threshold ties); the Lava run
in fixed point must equal the integer reference bit for bit; what has no exact form is
refused naming the node.
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
from snncompile.errors import UnsupportedNodeError
from snncompile.ir import SoftLIF
from snncompile.ir.nir_import import read_nir
from snncompile.passes.pipeline import run_pipeline
from snncompile.reference import simulate
from tests.conftest import FRAMEWORKS

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
        ("refractory", 2, "refractory=2"),
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


def test_next_step_subtract_and_nonzero_reset_are_refused(tmp_path: Path) -> None:
    path = _write_foreign(tmp_path / "f.nir")
    graph = _read(path, **{"if.reset": "subtract", "if.reset_timing": "next_step"})
    with pytest.raises(UnsupportedNodeError, match=r"NIR IF node 'if'.*next step"):
        native_nir_neurons(graph)
    model = nir.read(path)
    model.nodes["lif"].v_reset = np.full(8, -0.5, np.float32)
    nir.write(path, model)
    with pytest.raises(UnsupportedNodeError, match=r"'lif'.*v_reset != 0"):
        native_nir_neurons(_read(path))


def test_cuba_lif_stays_refused_by_name() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        graph = read_nir(FRAMEWORKS / "norse_lif.nir", "norse")
    with pytest.raises(UnsupportedNodeError, match=r"'1' of type CubaLIF"):
        snncompile.compile(graph, "lava")


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
    so); one marked "refused: WHY" is refused naming a node."""
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
