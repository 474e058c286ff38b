"""Helpers shared by the CLIF and ILIF whole-sequence functions (private).

The fused backwards reproduce autograd's rounding of the functional step bit for bit.
Two rules make that possible while still saving passes over memory:

* an FMA-fused op (``addcmul``, ``add(alpha=)``) equals the reference's separate
  multiply and add whenever the product is exact, i.e. one factor is a spike in
  {0, 1} or a power of two (:func:`is_power_of_two`);
* every other product and sum is a separate op, in autograd's order.

Neurons are independent, so both passes run block by block over the flattened neuron
axis (:func:`blocks`): a block's dozen step buffers stay in cache across the whole time
loop, the way a GPU kernel keeps one neuron's state in registers, instead of streaming
every buffer through memory once per op and step.

One caveat to "bit for bit": ATen's sigmoid rounds differently in its vectorised body
and in its scalar tail (a few percent of values differ in the last bit), and which
elements land in a tail depends on where an op's range is cut, per thread and per
block. Cuts at multiples of the vector width create no tail, so the results equal the
reference's exactly when every cut is aligned (e.g. a per-step size that is a multiple
of 64 on one or two threads, or anything that fits one block on one thread); otherwise
a few elements can differ in the last bit, far below every tolerance.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import torch

from snncompile.errors import InputError
from snncompile.neurons.functional.common import SpikeConfig, spike_value
from snncompile.neurons.surrogate import Rectangle, Sigmoid

GRAIN = 32768
"""torch's intra-op grain size: an elementwise op on fewer elements runs on one thread."""

BLOCK: int | None = None
"""Neurons per block; None (the default) means one grain per intra-op thread."""


def block_size() -> int:
    """Neurons per block: one grain (128 KiB of float32) per thread, so every op still
    spreads over all of torch's threads while a block's dozen step buffers stay in
    cache. A multiple of 64, so that block cuts are aligned (see the caveat above)."""
    return BLOCK if BLOCK is not None else GRAIN * max(1, torch.get_num_threads())


def blocks(n: int) -> Iterator[slice]:
    """Consecutive slices of at most :func:`block_size` neurons covering ``range(n)``."""
    size = block_size()
    for start in range(0, n, size):
        yield slice(start, min(start + size, n))


def block_width(n: int) -> int:
    """Size of the per-block step buffers for ``n`` neurons."""
    return min(n, block_size())


def blocks_with_scratch(
    n: int, like: torch.Tensor, count: int
) -> Iterator[tuple[slice, list[torch.Tensor]]]:
    """Each slice of :func:`blocks` with ``count`` scratch vectors of its length (dtype and
    device of ``like``): views of buffers allocated once, :func:`block_width` long."""
    scratch = [like.new_empty(block_width(n)) for _ in range(count)]
    for blk in blocks(n):
        size = blk.stop - blk.start
        yield blk, [b[:size] for b in scratch]


def is_power_of_two(c: float) -> bool:
    """True if multiplying by ``c`` is exact (c = ±2^k), so FMA-fused ops round alike."""
    return c != 0.0 and math.isfinite(c) and math.frexp(abs(c))[0] == 0.5


def fire_into(out: torch.Tensor, h: torch.Tensor, cfg: SpikeConfig) -> None:
    """out = Θ(h − θ), or the smooth primitive in smooth mode, written in place.

    ``h ≥ θ`` is the same test as the functional step's ``Θ(h − θ)``: with gradual
    underflow h − θ rounds to 0 only when h = θ, so the two never disagree. The
    comparison writes the float result directly: ops that read or write ``torch.bool``
    take slow, non-vectorised paths on CPU (several times a float op).
    """
    if cfg.smooth:
        out.copy_(spike_value(h - cfg.v_threshold, cfg))
    else:
        torch.ge(h, cfg.v_threshold, out=out)


def surrogate_grad_into(
    out: torch.Tensor, h: torch.Tensor, cfg: SpikeConfig, scratch: torch.Tensor
) -> torch.Tensor:
    """out = σ'(h − θ), bit-identical to ``cfg.surrogate.derivative(h − θ)``.

    Rectangle and Sigmoid are evaluated in place with the exact op order of their
    ``derivative`` (fresh 4 MB temporaries cost page faults on every call); any other
    surrogate, or a subclass, goes through its own ``derivative``.
    """
    sur = cfg.surrogate
    torch.sub(h, cfg.v_threshold, out=out)
    if type(sur) is Rectangle:  # (|x| ≤ α/2).to(dtype) / α
        torch.le(out.abs_(), sur.alpha / 2, out=out)
        if sur.alpha != 1.0:
            out.div_(sur.alpha)
    elif type(sur) is Sigmoid:  # (α·σ(αx))·(1 − σ(αx))
        out.mul_(sur.alpha).sigmoid_()
        torch.sub(out.new_ones(()), out, out=scratch)
        out.mul_(sur.alpha).mul_(scratch)
    else:
        out.copy_(sur.derivative(out))
    return out


def surrogate_is_exact(cfg: SpikeConfig) -> bool:
    """True if σ' only takes values whose products are exact (0 and a power of two)."""
    sur = cfg.surrogate
    return type(sur) is Rectangle and is_power_of_two(1.0 / sur.alpha)


def check_time_major(x: torch.Tensor, name: str) -> None:
    """Raise :class:`InputError` for a 0-dim input (there is no time axis to loop over)."""
    if x.dim() < 1:
        raise InputError(
            f"{name}: expected a time-major input [T, ...], got a 0-dim tensor",
            hint="stack the time steps along dim 0",
        )
