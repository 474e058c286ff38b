"""RecurrentDense: Lava's Dense on a population's own spikes, emptied at every sample start.

A Dense sends at step t what it accumulated at t − 1, so a population's spikes reach
its own input one step later: exactly X[t] = … + R·s[t−1]. Lava sums both connections
at the neuron's ``a_in``. What a plain Dense cannot do is forget: at the first step of a
sample (``start_step + k·reset_interval``, the population's own delay included) it would
deliver the previous sample's last spikes, or spikes a biased population emitted before
its start. This subclass zeroes its buffer there before sending (s[−1] = 0), and is
otherwise Lava's Dense, arithmetic included (its ProcessModels only add that test).

The models are not ``@implements``-decorated (they inherit Dense's, which Lava forbids
re-targeting); the network builder maps them explicitly through ``MODELS``.
"""

from __future__ import annotations

from typing import Any

from snncompile_lava._compat import load_lava
from snncompile_lava.procs._arith import reset_due

_L = load_lava()

__all__ = ["PyRecurrentDenseModelFixed", "PyRecurrentDenseModelFloat", "RecurrentDense"]


class RecurrentDense(_L.Dense):  # type: ignore[misc,name-defined]
    """Lava's Dense plus ``start_step`` and ``reset_interval`` (see the module doc)."""

    def __init__(self, *, start_step: int = 1, reset_interval: int = 0, **kwargs: Any) -> None:
        super().__init__(start_step=start_step, reset_interval=reset_interval, **kwargs)


def _sample_start(time_step: int, proc_params: Any) -> bool:
    return time_step <= int(proc_params.get("start_step", 1)) or reset_due(time_step, proc_params)


class PyRecurrentDenseModelFloat(_L.PyDenseModelFloat):  # type: ignore[misc,name-defined]
    """Float Dense that sends zeros at every sample start."""

    def run_spk(self) -> None:
        if _sample_start(self.time_step, self.proc_params):
            self.a_buff[:] = 0
        super().run_spk()


class PyRecurrentDenseModelFixed(_L.PyDenseModelBitAcc):  # type: ignore[misc,name-defined]
    """Bit-accurate Dense that sends zeros at every sample start."""

    def run_spk(self) -> None:
        if _sample_start(self.time_step, self.proc_params):
            self.a_buff[:] = 0
        super().run_spk()
