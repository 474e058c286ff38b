"""Flatten Process: reshapes a (W, H, C) spike tensor to (W·H·C,) within the same step.

Lava's own ``OutPort.flatten()`` (a virtual ``ReshapePort``) calls
``np.reshape(data, newshape=…)``, a keyword numpy 2.4 removed, so it fails at run
time. This process replaces it. It receives and sends in the same ``run_spk`` phase, so
it adds **no** time step of delay (only connection processes buffer a step). Output
order is C-order over the Lava shape (W, H, C); the builder permutes the weights of the
following Dense accordingly.
"""

from __future__ import annotations

import numpy as np

from snncompile_lava._compat import load_lava
from snncompile_lava.procs._base import FIXED, FLOAT, cpu_model

_L = load_lava()

__all__ = ["Flatten", "PyFlattenModelFixed", "PyFlattenModelFloat"]


class Flatten(_L.AbstractProcess):  # type: ignore[misc,name-defined]
    """(W, H, C) in, (W·H·C,) out, same step."""

    def __init__(self, *, shape: tuple[int, ...], name: str | None = None) -> None:
        super().__init__(shape=shape, name=name)
        self.s_in = _L.InPort(shape=shape)
        self.s_out = _L.OutPort(shape=(int(np.prod(shape)),))


class _FlattenModel(_L.PyLoihiProcessModel):  # type: ignore[misc,name-defined]
    """The pass-through of both tags; subclasses type the ports."""

    def run_spk(self) -> None:
        self.s_out.send(np.ravel(self.s_in.recv()))


@cpu_model(Flatten, FLOAT)
class PyFlattenModelFloat(_FlattenModel):
    """Float pass-through."""

    s_in = _L.LavaPyType(_L.PyInPort.VEC_DENSE, float)
    s_out = _L.LavaPyType(_L.PyOutPort.VEC_DENSE, float)


@cpu_model(Flatten, FIXED)
class PyFlattenModelFixed(_FlattenModel):
    """Integer pass-through."""

    s_in = _L.LavaPyType(_L.PyInPort.VEC_DENSE, np.int32, precision=24)
    s_out = _L.LavaPyType(_L.PyOutPort.VEC_DENSE, np.int32, precision=24)
