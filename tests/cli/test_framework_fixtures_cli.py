"""``snncompile simulate FILE.nir --dialect NAME`` reproduces each framework fixture's
output exactly (tests/data/frameworks; the API side is tests/roundtrip)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import FRAMEWORKS
from tests.roundtrip.test_framework_fixtures import FIXTURES, load_fixture


@pytest.mark.parametrize("path", FIXTURES, ids=[p.name.removesuffix(".npz") for p in FIXTURES])
def test_simulate_reproduces_the_framework_output(cli, tmp_path, path):
    fixture = load_fixture(path)
    inputs, out = tmp_path / "x.npz", tmp_path / "out.npz"
    np.savez(inputs, inputs=fixture["x"])
    settings = [arg for k, v in fixture["settings"].items() for arg in ("--set", f"{k}={v}")]
    result = cli("simulate", fixture["graph"], "--input", inputs, "--dialect",
                 fixture["dialect"], *settings, "-o", out)  # fmt: skip
    assert result.code == 0, result.err
    assert "warning" not in result.err.lower(), result.err
    last = max(fixture["layers"], key=lambda k: int(k.removeprefix("out:")))
    with np.load(out) as got:
        np.testing.assert_allclose(got["output"], fixture["layers"][last], rtol=2e-5, atol=2e-5)


@pytest.mark.parametrize("command", ["simulate", "report"])
def test_a_run_in_which_no_layer_spikes_names_the_probable_preset_mix_up(cli, tmp_path, command):
    """Norse's IF file read with the default preset integrates at dt·r and never fires
    (docs/nir.md §5); read with ``--dialect norse`` it fires and nothing is said."""
    graph = FRAMEWORKS / "norse_iaf.nir"
    with np.load(FRAMEWORKS / "norse_iaf.npz") as fixture:
        inputs = tmp_path / "x.npz"
        np.savez(inputs, inputs=fixture["x"])
    silent = cli(command, graph, "--input", inputs)
    assert silent.code == 0, silent.err
    assert "no layer spiked in this run (2 spiking node(s), 0 spikes)" in silent.err
    assert "under the 'snncompile' preset" in silent.err and "--dialect NAME" in silent.err
    chosen = cli(command, graph, "--input", inputs, "--dialect", "norse")
    assert chosen.code == 0, chosen.err
    assert "no layer spiked" not in chosen.err
