"""snncompile: a train-to-hardware compiler for spiking neural networks.

``import snncompile`` is light: torch-dependent parts (neurons, checkpoints, the
deployment API) load on first use.

    artifact = snncompile.compile("model.pt", target="onnx")   # -> snncompile.api.Artifact
    artifact.save("model.onnx")
    artifact = snncompile.open("model.onnx")                     # reopen a saved artefact
"""

from __future__ import annotations

import importlib
import importlib.metadata
from typing import TYPE_CHECKING, Any

from snncompile.errors import (
    BackendUnavailableError,
    CheckpointError,
    ConfigError,
    InputError,
    IRValidationError,
    OutputError,
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
    "check": "snncompile.checking",
    "compile": "snncompile.api",
    "save": "snncompile.checkpoint",
    "load": "snncompile.checkpoint",
    "open": "snncompile.api",
    "neurons": "snncompile.neurons",
    "trace": "snncompile.frontend.ir_trace",
}

__all__ = [
    "BackendUnavailableError",
    "CheckpointError",
    "ConfigError",
    "IRValidationError",
    "InputError",
    "OutputError",
    "QuantizationError",
    "SnnCompileError",
    "TraceError",
    "UnsupportedNodeError",
    "__version__",
    "check",
    "compile",
    "load",
    "neurons",
    "open",
    "save",
    "trace",
]


if TYPE_CHECKING:  # the lazy attributes, for type checkers and IDEs
    from snncompile import neurons
    from snncompile.api import compile, open
    from snncompile.checking import check
    from snncompile.checkpoint import load, save
    from snncompile.frontend.ir_trace import trace


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module = importlib.import_module(_LAZY[name])
        return module if name == "neurons" else getattr(module, name)
    raise AttributeError(f"module 'snncompile' has no attribute {name!r}")
