"""The fx tracer keeps neurons, TimeDistributed and torch layers as leaves."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import snncompile.neurons as sn
from snncompile.errors import TraceError
from snncompile.frontend import module_hint, stack_hint, trace


class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = sn.TimeDistributed(nn.Conv2d(2, 2, 3, padding=1))
        self.sn = sn.CLIF()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.sn(self.conv(x)) + x


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.block = Block()
        self.head = nn.Sequential(nn.Flatten(2), nn.Linear(2 * 4 * 4, 3), sn.ILIF())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.block(x))


def test_leaves_and_module_paths():
    gm = trace(Net(), (sn.BaseNeuron, sn.TimeDistributed))
    calls = [(n.op, n.target) for n in gm.graph.nodes if n.op != "placeholder"]
    assert [t for op, t in calls if op == "call_module"] == [
        "block.conv",
        "block.sn",
        "head.0",
        "head.1",
        "head.2",
    ]
    add = next(n for n in gm.graph.nodes if n.op == "call_function")
    assert module_hint(add) == " in module 'block' (Block)"
    assert "test_fx.py" in stack_hint(add) and "return self.sn(self.conv(x)) + x" in stack_hint(add)
    x = torch.rand(3, 2, 2, 4, 4)
    model = Net().eval()
    gm = trace(model, (sn.BaseNeuron, sn.TimeDistributed))
    assert torch.equal(gm(x), model(x))


def test_neurons_without_leaf_types_are_still_leaves_via_to_ir_or_fail_clearly():
    """Without leaf_types a neuron is only a leaf if it has ``to_ir``; otherwise fx traces
    into it and fails on its data-dependent checks, which is reported as a TraceError."""
    model = nn.Sequential(nn.Linear(2, 2), sn.LIF())
    if callable(getattr(sn.LIF(), "to_ir", None)):
        assert [n.op for n in trace(model).graph.nodes].count("call_module") == 2
    else:
        with pytest.raises(TraceError, match=r"cannot trace Sequential\.forward"):
            trace(model)


def test_non_module_is_refused():
    with pytest.raises(TraceError, match=r"expected an nn\.Module"):
        trace(lambda x: x)  # type: ignore[arg-type]
