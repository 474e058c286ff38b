"""snncompile: a train-to-hardware compiler for spiking neural networks.

``import snncompile`` is light: torch-dependent parts (neurons, checkpoints) load on
first use.
"""

from __future__ import annotations

import importlib
import importlib.metadata
from typing import Any

from snncompile.errors import (
    BackendUnavailableError,
    CheckpointError,
    ConfigError,
    InputError,
    IRValidationError,
    QuantizationError,
    SnnCompileError,
    TraceError,
    UnsupportedNodeError,
)

try:
    __version__ = importlib.metadata.version("snncompile")
except importlib.metadata.PackageNotFoundError:  # running from a source tree
    __version__ = "0.0.0+unknown"

_LAZY = {
    "save": "snncompile.checkpoint",
    "load": "snncompile.checkpoint",
    "neurons": "snncompile.neurons",
    "trace": "snncompile.frontend.ir_trace",
}

__all__ = [
    "BackendUnavailableError",
    "CheckpointError",
    "ConfigError",
    "IRValidationError",
    "InputError",
    "QuantizationError",
    "SnnCompileError",
    "TraceError",
    "UnsupportedNodeError",
    "__version__",
    "load",
    "neurons",
    "save",
    "trace",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module = importlib.import_module(_LAZY[name])
        return module if name == "neurons" else getattr(module, name)
    raise AttributeError(f"module 'snncompile' has no attribute {name!r}")
