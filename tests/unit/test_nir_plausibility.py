"""Plausibility warnings name the probable preset mix-up (docs/nir.md §6)."""

from __future__ import annotations

import warnings
from pathlib import Path

import nir
import numpy as np
import pytest

from snncompile.ir.diagnostics import DialectWarning
from snncompile.ir.nir_import import from_nir, read_nir
from snncompile.ir.plausibility import silent_run_note

FOREIGN = Path(__file__).resolve().parents[1] / "data" / "foreign"


def _lif_graph(tau: float, threshold: float = 1.0) -> nir.NIRGraph:
    nodes = {
        "in": nir.Input(input_type={"input": np.array([2])}),
        "fc": nir.Affine(weight=np.eye(2), bias=np.zeros(2)),
        "lif": nir.LIF(
            tau=np.full(2, tau),
            r=np.ones(2),
            v_leak=np.zeros(2),
            v_threshold=np.full(2, threshold),
            v_reset=np.zeros(2),
        ),
        "out": nir.Output(output_type={"output": np.array([2])}),
    }
    edges = [("in", "fc"), ("fc", "lif"), ("lif", "out")]
    return nir.NIRGraph(nodes=nodes, edges=edges, type_check=False)


def _notes(source, dialect: str, **fields) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        from_nir(source, dialect, **fields) if isinstance(source, nir.NIRGraph) else read_nir(
            source, dialect, **fields
        )
    return [str(w.message) for w in caught if issubclass(w.category, DialectWarning)]


def test_a_time_constant_shorter_than_dt_names_the_norse_and_sinabs_conventions():
    notes = _notes(_lif_graph(tau=2e-5), "snntorch")  # dt = 1e-4
    assert any("tau = 2e-05 s" in n and "shorter than dt = 0.0001 s" in n for n in notes)
    assert any("--dialect norse" in n and "overshoots" in n for n in notes)


def test_a_true_time_constant_read_with_norses_scale_suggests_tau_scale_1():
    """Older Norse files (the NIR paper's lif_norse.nir) store the true τ: under the norse
    preset's tau_scale = 1/dt it becomes absurdly slow."""
    notes = _notes(_lif_graph(tau=5e-3), "norse")
    assert any("5 s" in n and "steps of dt" in n and "--set tau_scale=1" in n for n in notes)
    assert not _notes(_lif_graph(tau=5e-3), "norse", tau_scale=1.0)


def test_a_non_positive_threshold_is_flagged():
    notes = _notes(_lif_graph(tau=1e-3, threshold=0.0), "snntorch")
    assert any("v_threshold = 0 <= 0" in n for n in notes)


@pytest.mark.parametrize(
    ("fixture", "dialect"),
    [
        ("snntorch_lif2_zero.nir", "snntorch"),
        ("spikingjelly_lif2.nir", "spikingjelly"),
        ("spikingjelly_cubalif2.nir", "spikingjelly"),
        ("spikingjelly_if2.nir", "spikingjelly"),
    ],
)
def test_shipped_fixtures_read_with_their_own_preset_raise_no_plausibility_warning(
    fixture, dialect
):
    notes = _notes(FOREIGN / fixture, dialect)
    assert not [n for n in notes if "steps of dt" in n or "shorter than dt" in n], notes


def test_the_same_fixture_under_the_wrong_preset_is_flagged():
    notes = _notes(FOREIGN / "spikingjelly_lif2.nir", "sinabs")
    assert any("shorter than dt = 1 steps" in n and "forgets" in n for n in notes)


def test_a_silent_run_is_reported_and_a_spiking_one_is_not():
    note = silent_run_note({"lif1": 0, "lif2": 0.0}, "norse")
    assert note and "no layer spiked" in note and "'norse' preset" in note
    assert silent_run_note({"lif1": 0, "lif2": 3}, "norse") is None
    assert silent_run_note({}, None) is None
