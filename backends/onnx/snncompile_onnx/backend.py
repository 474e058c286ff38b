"""``OnnxBackend``: the ``onnx`` target registered under ``snncompile.backends``."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar

import numpy as np

from snncompile.backend import Backend, Capabilities
from snncompile.errors import InputError
from snncompile.ir.graph import Graph
from snncompile.quant.int8 import INT8, quantize_int8_graph
from snncompile.quant.stage import QuantizationRequest, QuantizedGraph
from snncompile.quant.stage import quantize as quantize_stage
from snncompile_onnx.export import check_quantize_option, export_onnx
from snncompile_onnx.lowerings import LOWERINGS, SUPPORTED_TYPES, Lowering
from snncompile_onnx.modes import OPSET
from snncompile_onnx.runtime import simulate_onnx

ARTIFACT_NAME = "model.onnx"


class OnnxBackend(Backend):
    """Exports IR graphs as ONNX models and runs them with onnxruntime.

    Args:
        mode: ``"step"`` (default), ``"unrolled"`` or ``"loop"`` (see ``export_onnx``).
        steps: T for ``"unrolled"``.
        quantize: None or ``"int8"`` (QDQ weights).
        threads: onnxruntime intra-op threads for :meth:`simulate`.
    """

    name: ClassVar[str] = "onnx"
    capabilities: ClassVar[Capabilities] = Capabilities(
        node_types=SUPPORTED_TYPES,
        weight_bits=None,  # float32 weights, or 8 with quantize="int8"
        state_bits=None,  # float32 states
        max_fan_in=None,
        synapse_delay_steps=0,
        precisions=MappingProxyType({"weight": INT8}),  # QuantizeLinear's int8, zero point 0
        notes=MappingProxyType(
            {
                "opset": str(OPSET),
                "time": "discrete steps; back edges carry the previous step (zero at t = 0)",
                "compare": "native neurons >=; NIR primitives per the execution profile",
                "tolerance": "spike-exact against the float32 reference (ties aside: matmul, "
                "conv and sigmoid round differently at the ulp level)",
            }
        ),
    )
    lowerings: ClassVar[Mapping[type, Lowering]] = LOWERINGS

    def __init__(
        self,
        mode: str = "step",
        steps: int | None = None,
        quantize: str | None = None,
        threads: int | None = None,
    ) -> None:
        self.mode = mode
        self.steps = steps
        self.quantize_scheme = quantize
        self.threads = threads

    def quantize(
        self, graph: Graph, calibration: np.ndarray | None = None
    ) -> Graph | QuantizedGraph:
        """The quantisation stage: int8 weights (``quantize="int8"``), else ``graph``."""
        if self.quantize_scheme is None:
            return graph
        check_quantize_option(self.quantize_scheme)
        return quantize_stage(
            graph,
            QuantizationRequest(self.quantize_scheme),
            calibration,
            quantizer=quantize_int8_graph,
        )

    def emit(self, graph: Graph | QuantizedGraph, out_dir: Path) -> Path:
        """Write ``out_dir/model.onnx`` (the quantisation stage's output) in this backend's
        mode and return its path."""
        quantize = None if isinstance(graph, QuantizedGraph) else self.quantize_scheme
        return export_onnx(graph, Path(out_dir) / ARTIFACT_NAME, self.mode, self.steps, quantize)

    def reference_run(
        self, graph: Graph, inputs: Any, steps: int | None = None
    ) -> dict[str, np.ndarray]:
        """The float32 reference on ``graph``, with ``quantize="int8"`` on its dequantised
        weights W_dq = q·s (what the QDQ model computes): spike for spike."""
        if self.quantize_scheme is not None:
            graph = self.quantize(graph).graph
        return super().reference_run(graph, inputs, steps)

    def simulate(
        self, artifact: Path, inputs: Any, steps: int | None = None
    ) -> dict[str, np.ndarray]:
        """Run ``artifact`` on time-major float32 inputs; ``steps`` must equal T if given."""
        arrays = inputs.values() if isinstance(inputs, Mapping) else [inputs]
        for array in arrays:
            t = np.shape(array)[0] if np.ndim(array) else None
            if steps is not None and t != steps:
                raise InputError(
                    f"steps={steps} but the inputs hold {t} time steps",
                    hint="pass steps=None or slice the inputs to [:steps]",
                )
        return simulate_onnx(artifact, inputs, threads=self.threads)
