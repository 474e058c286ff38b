"""snncompile-onnx: export snncompile IR graphs to ONNX and run them with onnxruntime.

Public API:

- :func:`export_onnx` (``graph, path, mode="step"|"unrolled"|"loop", steps, quantize``)
- :func:`build_model` (the same, returning the in-memory model and its state table)
- :func:`simulate_onnx` (``path, inputs [T, B, ...] float32`` → ``{output: [T, B, ...]}``)
- :class:`OnnxBackend` (the ``onnx`` entry point of ``snncompile.backends``)

Imports neither torch nor ``snncompile.reference``.
"""

from __future__ import annotations

from snncompile_onnx.backend import OnnxBackend
from snncompile_onnx.export import Exported, build_model, export_onnx
from snncompile_onnx.lowerings import LOWERINGS, SUPPORTED_TYPES
from snncompile_onnx.metadata import read_metadata
from snncompile_onnx.runtime import make_session, simulate_onnx

__all__ = [
    "LOWERINGS",
    "SUPPORTED_TYPES",
    "Exported",
    "OnnxBackend",
    "build_model",
    "export_onnx",
    "make_session",
    "read_metadata",
    "simulate_onnx",
]
