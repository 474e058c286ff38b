"""Mapping torch dimensions to IR sample dimensions (no batch, no time).

A tensor in the traced model has ``lead`` leading axes that are not part of the sample:
2 for the time-major ``[T, B, ...]`` tensors between modules, 1 inside a
``TimeDistributed`` layer, which sees ``[T·B, ...]``, and between the modules of a
per-step model, which see one step ``[B, ...]``. Torch dim ``d`` (after
normalising negative values against the full rank) is sample dim ``d − lead``. A flatten
that touches a leading axis would mix time, batch and features, which no IR node means.
"""

from __future__ import annotations

from snncompile.errors import TraceError
from snncompile.ir.shapes import Shape


def flatten_dims(
    start_dim: int, end_dim: int, shape: Shape, lead: int, where: str
) -> tuple[int, int] | None:
    """IR ``(start_dim, end_dim)`` (non-negative, without batch/time) of a torch flatten,
    or None when it is a no-op (one dimension).

    Args:
        start_dim, end_dim: torch's arguments, on the tensor of rank ``lead + len(shape)``.
        shape: the sample shape.
        lead: leading non-sample axes (2 or 1).
        where: the module or call, for the message.

    Raises:
        TraceError: the flatten involves a time or batch axis, or the dims are out of
            range.
    """
    rank = lead + len(shape)
    start = start_dim + rank if start_dim < 0 else start_dim
    end = end_dim + rank if end_dim < 0 else end_dim
    one_step = "[T·B, ...] (inside TimeDistributed) or one-step [B, ...]"
    layout = "[T, B, ...]" if lead == 2 else one_step
    if not (0 <= start <= end < rank):
        raise TraceError(
            f"{where}: flatten(start_dim={start_dim}, end_dim={end_dim}) does not fit a "
            f"tensor of rank {rank} {layout}",
            node=where,
            hint="choose dims within the tensor's rank",
        )
    if start < lead:
        first = lead
        raise TraceError(
            f"{where}: flatten(start_dim={start_dim}, end_dim={end_dim}) on a {layout} tensor "
            f"would merge the {'time/batch' if lead == 2 else 'merged time·batch'} axis into "
            "the features",
            node=where,
            hint=f"flatten from dim {first} on, e.g. nn.Flatten({first})"
            + (" on [T, B, ...] tensors" if lead == 2 else " (the default) on one-step tensors"),
        )
    if start == end:
        return None
    return start - lead, end - lead
