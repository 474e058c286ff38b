"""``--dialect`` and ``--set`` on export/simulate/inspect/report, ``snncompile dialects``,
the foreign-file warning and the bad-input cases, on the shipped foreign fixtures."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

import snncompile
from snncompile import ir
from snncompile.api import load_graph
from snncompile.errors import ConfigError
from snncompile.ir.dialects import DIALECTS
from snncompile.ir.profile import OVERRIDABLE
from snncompile.reference import simulate
from tests.cli.test_bad_inputs import assert_user_error
from tests.conftest import FOREIGN
from tests.roundtrip.test_roundtrip_foreign import FIXTURES

SNNTORCH = FOREIGN / "snntorch_lif2_zero.nir"
ASSUMED = "was not written by snncompile"


def _expected(name: str) -> dict[str, np.ndarray]:
    with np.load(FOREIGN / f"{name}.npz") as data:
        return dict(data)


@pytest.fixture
def inputs(tmp_path: Path):
    """``inputs_for(name)``: the fixture's recorded input as a CLI --input file."""

    def inputs_for(name: str) -> Path:
        path = tmp_path / f"{name}-inputs.npz"
        np.savez(path, inputs=_expected(name)["input"])
        return path

    return inputs_for


def _api_output(name: str, dialect: str, overrides: dict[str, str] | None = None) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        graph = ir.read_nir(FOREIGN / f"{name}.nir", dialect, overrides=overrides)
    return simulate(graph, _expected(name)["input"], dtype=np.float32)["output"]


# ---- simulate ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_simulate_reproduces_each_fixture_with_its_dialect(cli, inputs, tmp_path, name):
    dialect = FIXTURES[name][0]
    out = tmp_path / "out.npz"
    result = cli("simulate", FOREIGN / f"{name}.nir", "--input", inputs(name), "--dialect",
                 dialect, "-o", out)  # fmt: skip
    assert result.code == 0, result.err
    assert ASSUMED not in result.err
    with np.load(out) as got:
        np.testing.assert_array_equal(got["output"], _expected(name)["roundtrip_output_spikes"])


def test_simulate_without_dialect_warns_naming_the_assumed_preset(cli, inputs):
    result = cli("simulate", SNNTORCH, "--input", inputs("snntorch_lif2_zero"))
    assert result.code == 0, result.err
    warning = next(line for line in result.err.splitlines() if ASSUMED in line)
    assert warning.startswith("warning: ")
    assert "assumed 'snncompile' preset" in warning
    assert "--dialect NAME" in warning and "snncompile dialects" in warning
    # a file snncompile wrote carries its own profile: no warning
    quiet = cli("simulate", SNNTORCH, "--input", inputs("snntorch_lif2_zero"), "--dialect",
                "snntorch")  # fmt: skip
    assert ASSUMED not in quiet.err


def test_per_node_set_changes_only_that_node(cli, inputs, tmp_path):
    """``3.reset=none`` on the output LIF: its membrane is never lowered, so it fires
    wherever it fired before, and more; the result is the API's with the same override."""
    name, out = "snntorch_lif2_zero", tmp_path / "out.npz"
    result = cli("simulate", SNNTORCH, "--input", inputs(name), "--dialect", "snntorch",
                 "--set", "3.reset=none", "-o", out)  # fmt: skip
    assert result.code == 0, result.err
    reference = _expected(name)["output_spikes"]
    with np.load(out) as got:
        spikes = got["output"]
    assert np.all(spikes >= reference) and spikes.sum() > reference.sum()
    np.testing.assert_array_equal(spikes, _api_output(name, "snntorch", {"3.reset": "none"}))


def test_graph_wide_set_restores_the_right_semantics(cli, inputs, tmp_path):
    """The norse preset misreads a SpikingJelly file (dt 1e-3, tau x 1/dt); setting dt and
    tau_scale back makes it the SpikingJelly semantics for LIF, which reproduce it."""
    name, out = "spikingjelly_lif2", tmp_path / "out.npz"
    path = FOREIGN / f"{name}.nir"
    wrong = cli("simulate", path, "--input", inputs(name), "--dialect", "norse", "-o", out)
    assert wrong.code == 0, wrong.err
    expected = _expected(name)["roundtrip_output_spikes"]
    with np.load(out) as got:
        assert not np.array_equal(got["output"], expected)
    right = cli("simulate", path, "--input", inputs(name), "--dialect", "norse", "--set",
                "dt=1e-4", "--set", "tau_scale=1", "--set", "compare=>=", "-o", out,
                "--force")  # fmt: skip
    assert right.code == 0, right.err
    with np.load(out) as got:
        np.testing.assert_array_equal(got["output"], expected)


# ---- inspect, report, export ------------------------------------------------------------


def test_inspect_shows_the_chosen_profile_and_overrides(cli):
    result = cli("inspect", SNNTORCH, "--dialect", "snntorch", "--set", "dt=2e-4", "--set",
                 "3.reset=none")  # fmt: skip
    assert result.code == 0, result.err
    assert "reset_timing='next_step'" in result.out and "dt=0.0002" in result.out
    assert "override 3: reset='none'" in result.out
    plain = cli("inspect", SNNTORCH)
    assert plain.code == 0 and ASSUMED in plain.err
    assert "reset_timing='same_step'" in plain.out
    as_json = cli("inspect", SNNTORCH, "--dialect", "snntorch", "--json")
    assert as_json.code == 0 and json.loads(as_json.out)["format"] == "NIR"


def test_report_measures_the_run_of_the_chosen_dialect(cli, inputs):
    name = "snntorch_lif2_zero"
    data = _expected(name)
    base = cli("report", SNNTORCH, "--input", inputs(name), "--dialect", "snntorch", "--json")
    assert base.code == 0, base.err
    spikes = data["hidden_spikes"].sum() + data["output_spikes"].sum()
    rate = spikes / (data["hidden_spikes"][0].size + data["output_spikes"][0].size) / 50
    assert json.loads(base.out)["firing_rate"] == pytest.approx(rate, abs=1e-3)
    more = cli("report", SNNTORCH, "--input", inputs(name), "--dialect", "snntorch",
               "--set", "3.reset=none", "--json")  # fmt: skip
    assert json.loads(more.out)["firing_rate"] > json.loads(base.out)["firing_rate"]


def test_export_bakes_dialect_and_overrides_into_the_file(cli, inputs, tmp_path):
    name, model = "snntorch_lif2_zero", tmp_path / "m.nir"
    result = cli("export", SNNTORCH, "--target", "nir", "-o", model, "--dialect", "snntorch",
                 "--set", "3.reset=none")  # fmt: skip
    assert result.code == 0, result.err
    graph = ir.read_nir(model)  # ours now: no warning, the profile comes from the file
    assert graph.profile.reset_timing == "next_step"
    assert dict(graph.profile.overrides["3"]) == {"reset": "none"}
    out = tmp_path / "out.npz"
    run = cli("simulate", model, "--input", inputs(name), "-o", out)
    assert run.code == 0 and ASSUMED not in run.err
    with np.load(out) as got:
        np.testing.assert_array_equal(
            got["output"], _api_output(name, "snntorch", {"3.reset": "none"})
        )


# ---- snncompile dialects ----------------------------------------------------------------


def test_dialects_lists_every_preset_and_field(cli):
    result = cli("dialects")
    assert result.code == 0, result.err
    header, _rule, *rows = result.out.splitlines()
    assert header.split() == ["field", *DIALECTS]
    table = {row.split()[0]: row.split()[1:] for row in rows[: len(OVERRIDABLE)]}
    assert list(table) == list(OVERRIDABLE)
    column = list(DIALECTS).index("sinabs")
    assert table["reset"][column] == "subtract*" and table["time_unit"][column] == "steps*"
    assert table["tau_scale"][list(DIALECTS).index("norse")] == "1000*"
    for name, dialect in DIALECTS.items():
        assert any(line.startswith(name) and dialect.note in line for line in rows)


def test_dialects_json_is_the_same_data(cli):
    result = cli("dialects", "--json")
    assert result.code == 0, result.err
    presets = json.loads(result.out)
    assert [p["name"] for p in presets] == list(DIALECTS)
    for preset in presets:
        assert list(preset["profile"]) == list(OVERRIDABLE)
        assert set(DIALECTS[preset["name"]].profile) <= set(preset["sets"])
        for field in preset["sets"]:
            wanted = DIALECTS[preset["name"]].profile.get(field)
            if wanted is not None:
                assert preset["profile"][field] == wanted
    norse = next(p for p in presets if p["name"] == "norse")
    assert norse["profile"]["tau_scale"] == 1000.0 and "tau_scale" in norse["sets"]


# ---- bad input --------------------------------------------------------------------------

COMMANDS = {
    "simulate": ["simulate", SNNTORCH, "--input", "{inputs}"],
    "inspect": ["inspect", SNNTORCH],
    "report": ["report", SNNTORCH, "--input", "{inputs}"],
    "export": ["export", SNNTORCH, "--target", "nir", "-o", "{out}"],
}

BAD = {
    "unknown-dialect": (["--dialect", "keras"], ["unknown NIR dialect 'keras'", *DIALECTS]),
    "unknown-field": (["--set", "speed=2"], ["unknown execution profile field 'speed'",
                                             *OVERRIDABLE]),
    "unknown-node-field": (["--set", "3.colour=red"], ["field 'colour'", "reset_timing"]),
    "wrong-type-number": (["--set", "dt=fast"], ["field 'dt' expects a number, got 'fast'"]),
    "wrong-type-choice": (["--set", "3.reset=zero"],
                          ["field 'reset' expects one of 'to_value', 'subtract', 'none'"]),
    "wrong-type-int": (["--set", "refractory=1.5"], ["field 'refractory' expects an integer"]),
    "out-of-range": (["--set", "dt=-1"], ["'dt' is -1.0, expected a finite value > 0"]),
    "unknown-node": (["--set", "lif9.dt=1e-3"], ["no node 'lif9'", "nodes with a profile: 1, 3"]),
    "stateless-node": (["--set", "2.dt=1e-3"], ["node '2' (Affine) has no dynamics", "1, 3"]),
    "not-key-value": (["--set", "dt"], ["'dt' is not FIELD=VALUE"]),
    "twice": (["--set", "dt=1e-3", "--set", "dt=2e-3"], ["sets 'dt' twice"]),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BAD))
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_bad_dialect_or_set_is_a_user_error(cli, inputs, tmp_path, command, case):
    extra, fragments = BAD[case]
    out = tmp_path / "never.nir"
    argv = [str(a).format(inputs=inputs("snntorch_lif2_zero"), out=out) for a in COMMANDS[command]]
    result = cli(*argv, *extra)
    assert_user_error(result, *fragments)
    assert not out.exists()


@pytest.mark.parametrize("command", ["inspect", "export", "report", "simulate"])
def test_dialect_options_apply_to_nir_inputs_only(cli, assets, tmp_path, command):
    argv = {
        "inspect": ["inspect", assets.checkpoint],
        "export": ["export", assets.checkpoint, "--target", "nir", "-o", tmp_path / "m.nir"],
        "report": ["report", assets.checkpoint, "--input", assets.inputs, "--steps", "4"],
        "simulate": ["simulate", assets.onnx, "--input", assets.inputs, "--steps", "4"],
    }[command]
    result = cli(*argv, "--dialect", "snntorch", "--set", "dt=1e-3")
    assert_user_error(result, "--dialect and --set applies to .nir inputs only")
    assert not (tmp_path / "m.nir").exists()


# ---- API --------------------------------------------------------------------------------


def test_api_compile_and_load_graph_take_dialect_and_overrides():
    name = "snntorch_lif2_zero"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        artifact = snncompile.compile(
            SNNTORCH, "nir", dialect="snntorch", overrides={"3.reset": "none", "dt": 1e-4}
        )
        nested = load_graph(SNNTORCH, dialect="snntorch", overrides={"3": {"reset": "none"}})
    assert dict(artifact.graph.profile.overrides["3"]) == {"reset": "none"}
    assert nested.profile == artifact.graph.profile
    got = artifact.run(_expected(name)["input"])["output"]
    np.testing.assert_array_equal(got, _api_output(name, "snntorch", {"3.reset": "none"}))
    with pytest.warns(ir.DialectWarning, match="assumed 'snncompile' preset"):
        load_graph(SNNTORCH)


def test_api_refuses_dialect_for_other_models_and_bad_values(assets):
    with pytest.raises(ConfigError, match=r"applies to \.nir inputs only"):
        snncompile.compile(assets.checkpoint, "nir", dialect="snntorch")
    with pytest.raises(ConfigError, match=r"applies to \.nir inputs only"):
        load_graph(assets.checkpoint, overrides={"dt": 1e-3})
    with pytest.raises(ConfigError, match="field 'dt' expects a number, got bool True"):
        load_graph(SNNTORCH, dialect="snntorch", overrides={"dt": True})
    with pytest.raises(ConfigError, match="field 'max_spikes' expects an integer or none"):
        load_graph(SNNTORCH, dialect="snntorch", overrides={"max_spikes": "many"})


def test_docs_preset_table_matches_the_presets():
    from snncompile.ir.dialects import describe_dialects

    text = (Path(__file__).resolve().parents[2] / "docs" / "nir.md").read_text("utf-8")
    table = text.split("<!-- presets:", 1)[1].split("\n\n", 1)[0]
    rows = {
        line.split("|")[1].strip().strip("`"): line.split("|")[2].strip()
        for line in table.splitlines()[3:]
    }
    assert list(rows) == list(DIALECTS)
    for preset in describe_dialects():
        shown = [
            f"`{k}={v:g}`" if isinstance(v, float) else f"`{k}={v}`"
            for k, v in ((k, preset["profile"][k]) for k in preset["sets"])
        ]
        assert rows[preset["name"]] == (", ".join(shown) or rows["snncompile"]), preset["name"]
