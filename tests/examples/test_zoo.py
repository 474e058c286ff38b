"""The shipped zoo (examples/zoo): checkpoints load and stay small; run_zoo runs a cell."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import snncompile
from snncompile.checkpoint import load_info

ZOO = Path(__file__).resolve().parents[2] / "examples" / "zoo"
if str(ZOO) not in sys.path:
    sys.path.insert(0, str(ZOO))

import run_zoo  # noqa: E402
from zoo_common import ARCHITECTURES, NEURONS, checkpoint_path, frames, load_data  # noqa: E402

MAX_BYTES = 5 * 10**6
SHIPPED = [checkpoint_path(a, n) for a in ARCHITECTURES for n in NEURONS]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_checkpoint_loads_and_is_small(path: Path) -> None:
    assert path.stat().st_size < MAX_BYTES
    model = snncompile.load(path)
    info = load_info(path)
    assert info["inputs"][0]["shape"][2:] == [3, 16, 16]
    assert info["metadata"]["test_accuracy"] > 80  # trained, not random (10 classes)
    assert sum(p.numel() for p in model.parameters()) < 20_000


def test_run_zoo_cell_is_exact_and_accurate() -> None:
    _, _, x_te, y_te = load_data()
    x, y = frames(x_te[:12]), y_te[:12]
    row = run_zoo.run_model(checkpoint_path("resnet", "clif"), ["onnx"], x, y)
    cell = row.cells["onnx"]
    assert cell.status == "bit-exact" or cell.status.startswith("exact to 1e-4"), cell.status
    assert cell.accuracy == pytest.approx(row.reference)
    assert cell.export_s is not None and cell.export_s > 0
    table = run_zoo.to_markdown([row], ["onnx"], len(y))
    assert "| | onnx |" in table


def test_refusal_is_a_cell_not_a_crash(tmp_path: Path) -> None:
    x = np.zeros((4, 2, 3, 16, 16), np.float32)
    row = run_zoo.run_model(tmp_path / "absent.pt", ["nir"], x, np.zeros(2, np.int64))
    assert row.cells["nir"].status == "missing checkpoint"
    assert "train_zoo.py" in row.note
