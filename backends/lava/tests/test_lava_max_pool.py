"""Max pooling of spikes on Lava: relay populations, their extra hop compensated.

A pool is the graph's output here, so the relay's spikes are what Lava returns: float
mode equals the float reference spike for spike, fixed mode the integer reference bit for
bit, both at lag 0 (the relay adds one connection; the runtime reads it one step later).
"""

from __future__ import annotations

from pathlib import Path

import nir
import numpy as np
import pytest
from snncompile_lava.backend import LavaBackend

import snncompile
from snncompile import ir
from snncompile.errors import UnsupportedNodeError
from snncompile.reference import simulate
from tests.conformance.zoo import maxpool_analog


def _pool_at_output() -> ir.Graph:
    """in[2,6,6] -> conv -> LIF (hard) -> max 2 -> out[4,3,3]: the relay is the output."""
    rng = np.random.default_rng(11)
    w = (rng.normal(0.1, 0.6, (4, 2, 3, 3)) * 0.9).astype(np.float32)
    return ir.sequential(
        ("in", nir.Input(np.array([2, 6, 6]))),
        ("conv", nir.Conv2d((6, 6), w, 1, 1, 1, 1, np.full(4, 0.1, np.float32))),
        ("lif", ir.SoftLIF(np.full((4, 6, 6), 0.7), np.ones((4, 6, 6)), reset="hard")),
        ("mp", ir.MaxPool2d(np.array([2, 2]), np.array([2, 2]), np.array([0, 0]))),
        ("out", nir.Output(np.array([4, 3, 3]))),
    )


def _inputs() -> np.ndarray:
    x = np.random.default_rng(3).normal(0.5, 1.0, (8, 2, 2, 6, 6))
    return (np.round(np.clip(x, -1, 2) * 16) / 16).astype(np.float32)


@pytest.mark.lava
@pytest.mark.parametrize("mode", ["float", "fixed"])
def test_pool_output_equals_the_reference_at_lag_0(mode: str, tmp_path: Path) -> None:
    graph, x = _pool_at_output(), _inputs()
    artifact = snncompile.compile(graph, target="lava", calibration=x, options={"mode": mode})
    artifact.save(tmp_path / "art")
    got = artifact.run(x)["out"]
    want = artifact.backend.reference_run(artifact.graph, x)["out"]
    np.testing.assert_array_equal(got, want)
    assert 0.05 < want.mean() < 0.95
    if mode == "float":  # the relay is exact: it is the max pool of the IR
        np.testing.assert_array_equal(want, simulate(graph, x)["out"])


def test_manifest_counts_the_relay_hop(tmp_path: Path) -> None:
    import json

    artifact = snncompile.compile(_pool_at_output(), target="lava", calibration=_inputs())
    artifact.save(tmp_path / "art")
    manifest = json.loads((tmp_path / "art" / "manifest.json").read_text())
    # conv, then the relay's window conv: the relay is read one step later than lif
    assert manifest["delays"]["layers"] == {"lif": 1, "mp": 2}
    assert manifest["delays"]["total"] == 2
    assert manifest["output"]["layer"] == "mp" and manifest["output"]["kind"] == "spikes"


def test_max_pool_of_conv_values_is_refused_before_writing(tmp_path: Path) -> None:
    assert "MaxPool2d" in {c.__name__ for c in LavaBackend.capabilities.node_types}
    with pytest.raises(UnsupportedNodeError, match=r"'mp' \(MaxPool2d\)") as info:
        snncompile.compile(maxpool_analog(), target="lava").save(tmp_path / "art")
    assert "move the pool after the neuron" in info.value.hint
    assert not (tmp_path / "art").exists()
