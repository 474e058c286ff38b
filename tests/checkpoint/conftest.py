"""Fixtures of the checkpoint tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from torch import nn

import snncompile


@pytest.fixture
def roundtrip(tmp_path) -> Callable[..., tuple[nn.Module, nn.Module, torch.Tensor]]:
    """save → load; returns (original in eval mode, loaded, example input)."""

    def run(model: nn.Module, x: torch.Tensor, **kwargs: object):
        path = tmp_path / "model.pt"
        snncompile.save(model, path, example_input=x, **kwargs)
        loaded = snncompile.load(path)
        return model.eval(), loaded, x

    return run
