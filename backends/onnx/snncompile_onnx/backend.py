"""``OnnxBackend``: the ``onnx`` target registered under ``snncompile.backends``.

Besides the metadata of :mod:`snncompile_onnx.metadata`, ``emit`` stores the IR graph it
lowered under ``snncompile.ir_graph`` (base64 of its lossless ``.nir`` bytes), so that
``snncompile.open("model.onnx")`` can reopen the file with its energy report.
"""

from __future__ import annotations

import argparse
import base64
import binascii
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar

import numpy as np

from snncompile.backend import (
    Backend,
    Capabilities,
    LiveNodeTypes,
    graph_from_bytes,
    graph_to_bytes,
)
from snncompile.errors import CheckpointError, InputError
from snncompile.ir.graph import Graph
from snncompile.ir.topology import TOPOLOGIES
from snncompile.quant.int8 import INT8, quantize_int8_graph
from snncompile.quant.stage import QuantizationRequest, QuantizedGraph
from snncompile.quant.stage import quantize as quantize_stage
from snncompile_onnx.export import build_model, check_quantize_option
from snncompile_onnx.lowerings import LOWERINGS, MODEL_INPUTS, Lowering
from snncompile_onnx.modes import OPSET
from snncompile_onnx.runtime import simulate_onnx

ARTIFACT_NAME = "model.onnx"
#: metadata key of the stored IR graph
GRAPH_KEY = "snncompile.ir_graph"
_REEXPORT = "export it again with `snncompile export MODEL --target onnx`"


class OnnxBackend(Backend):
    """Exports IR graphs as ONNX models and runs them with onnxruntime.

    Args:
        mode: ``"step"`` (default), ``"unrolled"`` or ``"loop"`` (see ``export_onnx``).
        steps: T for ``"unrolled"``.
        quantize: None or ``"int8"`` (QDQ weights).
        threads: onnxruntime intra-op threads for :meth:`simulate`.
    """

    name: ClassVar[str] = "onnx"
    artifact_suffix: ClassVar[str | None] = ".onnx"
    capabilities: ClassVar[Capabilities] = Capabilities(
        node_types=LiveNodeTypes(lambda: (*MODEL_INPUTS, *LOWERINGS)),
        weight_bits=None,  # float32 weights, or 8 with quantize="int8"
        state_bits=None,  # float32 states
        max_fan_in=None,
        synapse_delay_steps=0,
        topologies=frozenset(TOPOLOGIES),  # any graph: ONNX computes the IR's sums and max
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
        mode, with the float IR graph stored under :data:`GRAPH_KEY`; return its path."""
        quantize = None if isinstance(graph, QuantizedGraph) else self.quantize_scheme
        exported = build_model(graph, self.mode, self.steps, quantize)
        float_graph = graph.graph if isinstance(graph, QuantizedGraph) else graph
        entry = exported.model.metadata_props.add()
        entry.key = GRAPH_KEY
        entry.value = base64.b64encode(graph_to_bytes(float_graph)).decode("ascii")
        out = Path(out_dir) / ARTIFACT_NAME
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(exported.model.SerializeToString(deterministic=True))
        return out

    def reference_run(
        self, graph: Graph, inputs: Any, steps: int | None = None
    ) -> dict[str, np.ndarray]:
        """The float32 reference on ``graph``, with ``quantize="int8"`` on its dequantised
        weights W_dq = q·s (what the QDQ model computes): spike for spike."""
        if self.quantize_scheme is not None:
            graph = self.quantize(graph).graph
        return super().reference_run(graph, inputs, steps)

    # ------------------------------------------------------------ saved artefacts

    @staticmethod
    def _load(path: Path) -> Any:
        """The ModelProto at ``path`` (weights included)."""
        import onnx
        from google.protobuf.message import DecodeError

        try:
            model = onnx.load(str(path), load_external_data=False)
        except (DecodeError, ValueError, OSError, RuntimeError) as exc:
            raise CheckpointError(
                f"cannot read '{path}' as an ONNX model: {type(exc).__name__}: {exc}",
                hint=f"the file is damaged or not an ONNX model; {_REEXPORT}",
            ) from exc
        if not model.graph.input:
            raise CheckpointError(
                f"'{path}' is not an ONNX model written by snncompile (it has no graph "
                f"inputs; {Path(path).stat().st_size} bytes)",
                hint=f"the file is empty, damaged or not an ONNX model; {_REEXPORT}",
            )
        return model

    @classmethod
    def input_shape(cls, path: Path) -> tuple[int, ...] | None:
        """The per-step input shape: step mode stores [B, ...], unrolled and loop
        [T, B, ...] (a step-mode model has state inputs besides the data input)."""
        model = cls._load(path)
        values = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
        rank_extra = 1 if len(model.graph.input) > 1 else 2
        return tuple(values[rank_extra:]) if all(values[rank_extra:]) else None

    @classmethod
    def read_graph(cls, path: Path) -> Graph:
        """The IR graph stored under :data:`GRAPH_KEY`."""
        props = {p.key: p.value for p in cls._load(path).metadata_props}
        if GRAPH_KEY not in props:
            raise CheckpointError(
                f"'{path}' stores no snncompile IR graph (metadata {GRAPH_KEY!r}): it was "
                "written by another tool or an older snncompile",
                hint=f"{_REEXPORT} (it can still be simulated: `snncompile simulate`)",
            )
        try:
            data = base64.b64decode(props[GRAPH_KEY], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise CheckpointError(
                f"'{path}': metadata {GRAPH_KEY!r} is not base64 ({exc})",
                hint=f"the file is damaged; {_REEXPORT}",
            ) from exc
        return graph_from_bytes(data, path)

    # ------------------------------------------------------------ command line

    @classmethod
    def add_export_options(cls, group: Any) -> None:
        group.add_argument(
            "--onnx-mode",
            choices=("step", "unrolled", "loop"),
            help="ONNX: one step with explicit states (default), unrolled (T = --steps), or Loop",
        )

    @classmethod
    def options_from_args(cls, args: argparse.Namespace) -> dict[str, Any]:
        """``--onnx-mode`` → ``mode``; ``--steps`` is T of the model only when unrolled."""
        mode = getattr(args, "onnx_mode", None)
        options: dict[str, Any] = {} if mode is None else {"mode": mode}
        if mode == "unrolled" and getattr(args, "steps", None) is not None:
            options["steps"] = args.steps
        return options

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
