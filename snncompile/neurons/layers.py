"""``TimeDistributed``: apply a per-step layer to a time-major ``[T, B, ...]`` tensor.

Convolutions, batch norms, pools and linear layers act on one step ``[B, ...]``.
Wrapping them in :class:`TimeDistributed` merges the time and batch axes, runs the
layer once on ``[T·B, ...]`` and splits the axes again, which equals running it at
every step separately (for batch norm in training mode the statistics are taken over
all T·B samples, as in SpikingJelly's ``SeqToANNContainer``). The torch.fx frontend
keeps it as one leaf meaning "the inner layer, applied at every time step".
"""

from __future__ import annotations

import torch
from torch import nn

from snncompile.errors import ConfigError, InputError


class TimeDistributed(nn.Module):
    """Run ``module`` on every time step of a ``[T, B, ...]`` input.

    Args:
        module: a per-step layer taking ``[B, ...]`` (e.g. ``nn.Conv2d``, ``nn.BatchNorm2d``,
            ``nn.Linear``, or an ``nn.Sequential`` of them).

    Example:
        >>> conv = TimeDistributed(nn.Conv2d(1, 8, 3, padding=1))
        >>> conv(torch.zeros(4, 2, 1, 8, 8)).shape
        torch.Size([4, 2, 8, 8, 8])
    """

    def __init__(self, module: nn.Module) -> None:
        super().__init__()
        if not isinstance(module, nn.Module):
            raise ConfigError(
                f"TimeDistributed wraps an nn.Module, got {type(module).__name__}",
                hint="pass a layer instance, e.g. TimeDistributed(nn.Conv2d(1, 8, 3))",
            )
        self.module = module

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``module(x.flatten(0, 1)).unflatten(0, (T, B))``."""
        if not isinstance(x, torch.Tensor) or x.dim() < 2:
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise InputError(
                f"TimeDistributed({type(self.module).__name__}): input {shape} is not a "
                "time-major tensor [T, B, ...]",
                hint="pass the whole sequence [T, B, ...]; for a single step call the inner "
                "layer directly",
            )
        steps, batch = x.shape[0], x.shape[1]
        y = self.module(x.flatten(0, 1))
        return y.unflatten(0, (steps, batch))
