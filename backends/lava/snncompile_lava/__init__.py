"""snncompile-lava: run snncompile networks on Intel Lava (lava-nc 0.10.0).

Importing this package is light: it imports neither Lava nor torch. Lava loads on first
use through :func:`snncompile_lava._compat.load_lava`; simulations normally run in a
torch-free worker subprocess (:func:`snncompile_lava.worker.run_in_worker`).
:class:`LavaBackend` is the ``lava`` target of ``snncompile export``/``simulate``.
"""

from __future__ import annotations

from snncompile_lava.backend import LavaBackend
from snncompile_lava.errors import LavaRunError, LavaWorkerError, LavaWorkerTimeout

__all__ = ["LavaBackend", "LavaRunError", "LavaWorkerError", "LavaWorkerTimeout"]
