"""``snncompile.check``: deployable or not, every node a target cannot take, with the fix."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

import snncompile
import snncompile.neurons as sn
from snncompile.backend import installed_backends
from snncompile.checking import CheckResult
from snncompile.errors import ConfigError, InputError
from snncompile.neurons import TimeDistributed as TD

BACKENDS = installed_backends()
needs_lava = pytest.mark.skipif("lava" not in BACKENDS, reason="the lava backend is not installed")


def _mlp(mode: str = "m") -> nn.Module:
    flat = nn.Flatten(2) if mode == "m" else nn.Flatten()
    return nn.Sequential(flat, nn.Linear(16, 8), sn.LIF(step_mode=mode)).eval()


def _conv1d() -> nn.Module:
    """Two 1-D convolutions: the Lava target has no 1-D convolution connection."""
    return nn.Sequential(
        TD(nn.Conv1d(1, 2, 3, padding=1)),
        sn.LIF(),
        TD(nn.Conv1d(2, 2, 3, padding=1)),
        sn.LIF(),
    ).eval()


def test_a_deployable_model_is_truthy_with_no_problems():
    result = snncompile.check(_mlp(), torch.zeros(4, 2, 4, 4), target="nir")
    assert isinstance(result, CheckResult)
    assert result and result.deployable and result.problems == ()
    assert result.nodes == len(snncompile.trace(_mlp(), torch.zeros(4, 2, 4, 4)).nodes)
    assert "deployable to target 'nir'" in result.table()
    assert json.loads(json.dumps(result.to_dict()))["deployable"] is True


def test_a_per_step_model_checks_like_its_time_major_twin():
    result = snncompile.check(_mlp("s"), torch.zeros(2, 4, 4), target="nir")
    assert result.deployable


@needs_lava
def test_every_unsupported_node_is_named_with_the_fix():
    result = snncompile.check(_conv1d(), torch.zeros(4, 2, 1, 16), target="lava")
    assert not result and not result.deployable
    named = {(p.node, p.type, p.stage) for p in result.problems}
    assert named == {("0", "Conv1d", "target"), ("2", "Conv1d", "target")}
    for problem in result.problems:
        assert "target 'lava' has no lowering for Conv1d" in problem.reason
        assert "replace the layer" in problem.fix
        if "onnx" in BACKENDS:  # the fix names the installed targets that take it
            assert "onnx" in problem.fix
    table = result.table()
    assert "NOT deployable to target 'lava': 2 problem(s)" in table
    assert table.count("Conv1d") >= 2 and "fix:" in table
    record = result.to_dict()
    assert record["deployable"] is False and len(record["problems"]) == 2


@needs_lava
def test_a_problem_found_by_a_later_stage_is_reported_with_its_node():
    """A two-input graph reaches Lava's lowering, which takes one Input and one Output."""

    class TwoInputs(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a, self.b, self.sn = nn.Linear(4, 3), nn.Linear(4, 3), sn.LIF()

        def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            return self.sn(self.a(x) + self.b(y))

    example = (torch.zeros(4, 2, 4), torch.zeros(4, 2, 4))
    result = snncompile.check(TwoInputs().eval(), example, target="lava")
    assert not result.deployable and len(result.problems) == 1
    assert result.problems[0].stage in {"quantize", "lower"}
    assert result.problems[0].fix


def test_mixed_step_modes_are_a_trace_problem_naming_both_modules():
    model = nn.Sequential(nn.Flatten(2), nn.Linear(16, 8), sn.LIF(), sn.CLIF(step_mode="s"))
    result = snncompile.check(model, torch.zeros(4, 2, 4, 4), target="nir")
    (problem,) = result.problems
    assert problem.stage == "trace" and problem.node == "3"
    assert "'2' (LIF)" in problem.reason and "'3' (CLIF)" in problem.reason
    assert "same step_mode" in problem.fix
    assert "(model)" not in result.table() and "3" in result.table()


def test_errors_in_the_request_are_raised():
    with pytest.raises(ConfigError, match=r"unknown target"):
        snncompile.check(_mlp(), torch.zeros(4, 2, 4, 4), target="no-such-target")
    with pytest.raises(InputError, match="time-major"):
        snncompile.check(_mlp(), torch.zeros(2, 16), target="nir")
