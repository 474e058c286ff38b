"""Custom Lava Processes with ``floating_pt`` and ``fixed_pt`` ProcessModels (numpy only).

- :class:`SoftResetLIF`: LIF, PLIF and soft-reset DA-LIF (docs/neurons.md §2, §3, §6).
- :class:`HardResetLIF`: hard-reset LIF/DA-LIF whose decay varies per neuron.
- :class:`CubaLIF`: current-based LIF with a bias into the current, a refractory
  counter and a next-step subtract reset (NIR CubaLIF/LIF/IF forms Lava's built-in LIF
  cannot run exactly).
- :class:`MultiSpikeLIF`: multi-spike soft-reset LIF/IF (sinabs) sending its spike count
  as a graded payload, with an optional floor at −θ.
- :class:`CLIF`: complementary LIF (docs/neurons.md §4).
- :class:`ILIF`: inhibitory LIF (docs/neurons.md §5).
- :class:`Flatten`: (W, H, C) → (N,) in the same step (Lava's ``OutPort.flatten()``
  is broken on numpy ≥ 2.4).
- :class:`RecurrentDense`: Lava's Dense for a population's recurrent connection, emptied
  at every sample start.

Fixed-point semantics: ``backends/lava/docs/fixed_point.md``. Lava's ProcessModel
discovery executes every module in this directory (docs/lava.md §16), so the modules here
define classes and nothing else, use absolute imports, and never import torch. Select
models explicitly with ``Loihi2SimCfg(exception_proc_model_map=MODELS[tag])``.
Importing this package imports Lava (through :func:`snncompile_lava._compat.load_lava`).
"""

from __future__ import annotations

from snncompile_lava.procs.clif import CLIF, PyCLIFModelFixed, PyCLIFModelFloat
from snncompile_lava.procs.cuba_lif import CubaLIF, PyCubaLIFModelFixed, PyCubaLIFModelFloat
from snncompile_lava.procs.flatten import Flatten, PyFlattenModelFixed, PyFlattenModelFloat
from snncompile_lava.procs.hard_lif import (
    HardResetLIF,
    PyHardResetLIFModelFixed,
    PyHardResetLIFModelFloat,
)
from snncompile_lava.procs.ilif import ILIF, PyILIFModelFixed, PyILIFModelFloat
from snncompile_lava.procs.multi_spike_lif import (
    MultiSpikeLIF,
    PyMultiSpikeLIFModelFixed,
    PyMultiSpikeLIFModelFloat,
)
from snncompile_lava.procs.recurrent import (
    PyRecurrentDenseModelFixed,
    PyRecurrentDenseModelFloat,
    RecurrentDense,
)
from snncompile_lava.procs.soft_lif import (
    PySoftResetLIFModelFixed,
    PySoftResetLIFModelFloat,
    SoftResetLIF,
)

#: {tag: {Process class: ProcessModel class}}
MODELS: dict[str, dict[type, type]] = {
    "floating_pt": {
        SoftResetLIF: PySoftResetLIFModelFloat,
        HardResetLIF: PyHardResetLIFModelFloat,
        CubaLIF: PyCubaLIFModelFloat,
        MultiSpikeLIF: PyMultiSpikeLIFModelFloat,
        CLIF: PyCLIFModelFloat,
        ILIF: PyILIFModelFloat,
        Flatten: PyFlattenModelFloat,
        RecurrentDense: PyRecurrentDenseModelFloat,
    },
    "fixed_pt": {
        SoftResetLIF: PySoftResetLIFModelFixed,
        HardResetLIF: PyHardResetLIFModelFixed,
        CubaLIF: PyCubaLIFModelFixed,
        MultiSpikeLIF: PyMultiSpikeLIFModelFixed,
        CLIF: PyCLIFModelFixed,
        ILIF: PyILIFModelFixed,
        Flatten: PyFlattenModelFixed,
        RecurrentDense: PyRecurrentDenseModelFixed,
    },
}

__all__ = [
    "CLIF",
    "ILIF",
    "MODELS",
    "CubaLIF",
    "Flatten",
    "HardResetLIF",
    "MultiSpikeLIF",
    "PyCLIFModelFixed",
    "PyCLIFModelFloat",
    "PyCubaLIFModelFixed",
    "PyCubaLIFModelFloat",
    "PyFlattenModelFixed",
    "PyFlattenModelFloat",
    "PyHardResetLIFModelFixed",
    "PyHardResetLIFModelFloat",
    "PyILIFModelFixed",
    "PyILIFModelFloat",
    "PyMultiSpikeLIFModelFixed",
    "PyMultiSpikeLIFModelFloat",
    "PyRecurrentDenseModelFixed",
    "PyRecurrentDenseModelFloat",
    "PySoftResetLIFModelFixed",
    "PySoftResetLIFModelFloat",
    "RecurrentDense",
    "SoftResetLIF",
]
