"""Traced torch models (``snncompile.trace``): ONNX equals the reference and torch.

The shipped digits checkpoints (every neuron type) and a small spiking CNN. Their outputs
are analog logits (a Linear readout of spikes), compared with a 1e-5 tolerance: a single
flipped spike would move a logit by a whole weight (~0.1).
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
import torch

import snncompile

trace = snncompile.trace

from snncompile_onnx import build_model, simulate_onnx  # noqa: E402

import snncompile.neurons as sn  # noqa: E402
from snncompile.reference import simulate  # noqa: E402

MODELS = Path(__file__).resolve().parents[3] / "examples" / "models"
CHECKPOINTS = sorted(MODELS.glob("digits_*.pt"))


def _check(model, x: np.ndarray) -> None:
    model.eval()
    graph = trace(model, torch.from_numpy(x))
    out = graph.outputs[0]
    want = simulate(graph, x, dtype=np.float32)[out]
    with torch.no_grad():
        eager = model(torch.from_numpy(x)).numpy()
    for mode in ("step", "loop"):
        got = simulate_onnx(build_model(graph, mode).model.SerializeToString(), x)[out]
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-5)
        np.testing.assert_allclose(got, eager, rtol=0, atol=1e-5)


@pytest.mark.parametrize("path", CHECKPOINTS, ids=lambda p: p.stem)
def test_digits_checkpoints(path: Path) -> None:
    x = np.random.default_rng(0).uniform(0, 1, (4, 16, 1, 8, 8)).astype(np.float32)
    _check(snncompile.load(path), x)


def test_small_spiking_cnn() -> None:
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        OrderedDict(
            conv=sn.TimeDistributed(torch.nn.Conv2d(2, 4, 3, padding=1)),
            sn1=sn.CLIF(),
            pool=sn.TimeDistributed(torch.nn.AvgPool2d(2)),
            flat=torch.nn.Flatten(2),
            fc=torch.nn.Linear(64, 5),
            sn2=sn.ILIF(),
        )
    )
    x = np.random.default_rng(1).uniform(0, 2, (5, 3, 2, 8, 8)).astype(np.float32)
    _check(model, x)
