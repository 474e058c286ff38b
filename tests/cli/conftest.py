"""Fixtures of the CLI tests: a small model as checkpoint, .nir and .onnx, plus data."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from snncompile.cli import main


@dataclass(frozen=True)
class Assets:
    """Valid files shared (read-only) by the CLI tests."""

    checkpoint: Path
    nir: Path
    onnx: Path
    inputs: Path  # static [B, 1, 8, 8] inputs with labels: use --steps 4
    root: Path


@pytest.fixture(scope="session")
def assets(tmp_path_factory: pytest.TempPathFactory) -> Assets:
    import torch
    from torch import nn

    import snncompile
    import snncompile.neurons as sn

    root = tmp_path_factory.mktemp("cli-assets")
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(2), nn.Linear(64, 10), sn.LIF())
    checkpoint = root / "model.pt"
    snncompile.save(model, checkpoint, example_input=torch.rand(4, 2, 1, 8, 8))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        snncompile.compile(checkpoint, "nir").save(root / "model.nir")
        snncompile.compile(checkpoint, "onnx").save(root / "model.onnx")
    rng = np.random.default_rng(0)
    inputs = root / "inputs.npz"
    np.savez(inputs, inputs=rng.random((6, 1, 8, 8), dtype=np.float32), labels=np.arange(6))
    return Assets(checkpoint, root / "model.nir", root / "model.onnx", inputs, root)


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """Run ``main(argv)`` in-process; returns exit code, stdout and stderr."""

    def run(*argv: object) -> Result:
        capsys.readouterr()
        code = main([str(a) for a in argv])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run
