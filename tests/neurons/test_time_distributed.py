"""TimeDistributed equals applying the inner layer at every step."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from snncompile.errors import ConfigError, InputError
from snncompile.neurons import TimeDistributed


@pytest.mark.parametrize(
    ("layer", "step_shape"),
    [
        (nn.Conv2d(2, 3, 3, padding=1), (2, 5, 5)),
        (nn.Linear(4, 6), (4,)),
        (nn.Sequential(nn.Conv1d(2, 2, 3), nn.ReLU()), (2, 7)),
        (nn.AvgPool2d(2), (1, 4, 4)),
    ],
)
def test_matches_a_loop_over_steps(layer, step_shape):
    torch.manual_seed(0)
    x = torch.randn(5, 3, *step_shape)
    out = TimeDistributed(layer)(x)
    loop = torch.stack([layer(x[t]) for t in range(x.shape[0])])
    assert out.shape[:2] == (5, 3)
    torch.testing.assert_close(out, loop, rtol=1e-6, atol=1e-6)


def test_batch_norm_in_eval_mode_is_per_step():
    bn = nn.BatchNorm2d(2).eval()
    bn.running_mean.fill_(0.5)
    x = torch.randn(4, 2, 2, 3, 3)
    assert torch.equal(TimeDistributed(bn)(x), torch.stack([bn(x[t]) for t in range(4)]))


def test_gradients_flow():
    layer = nn.Linear(3, 2)
    x = torch.randn(2, 4, 3, requires_grad=True)
    TimeDistributed(layer)(x).sum().backward()
    assert x.grad is not None and layer.weight.grad is not None


def test_errors():
    with pytest.raises(InputError, match=r"\[T, B, \.\.\.\]"):
        TimeDistributed(nn.Identity())(torch.zeros(3))
    with pytest.raises(ConfigError, match=r"wraps an nn\.Module"):
        TimeDistributed(torch.relu)  # type: ignore[arg-type]
