"""``QuantizingBackend``: what the ``lava`` and ``netx`` targets share about quantisation.

Quantisation is the core's named stage: ``snncompile.api.compile`` calls
:meth:`QuantizingBackend.quantize` after ``legalize`` and hands its output to ``emit``.
Nothing is kept on the backend between calls.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from snncompile_loihi.qgraph import LoihiProgram
from snncompile_loihi.stage import SCHEME, program_of, quantize_for_loihi, request

from snncompile.backend import Backend, DeployedRun, check_count_engine
from snncompile.ir.graph import Graph
from snncompile.quant.stage import QuantizedGraph, quantize


class QuantizingBackend(Backend):
    """A target that lowers Loihi 2 fixed point (the Loihi quantiser of snncompile-loihi).

    Subclasses set ``quantize_target`` ("lava" or "netx") and the attributes
    ``calibration``, ``allow_clamp`` and ``search`` (their constructor options).
    """

    quantize_target: ClassVar[str] = "lava"
    calibration: Any = None
    allow_clamp: bool = False
    search: bool = True

    def check_graph(self, graph: Graph) -> None:
        """Refuse, before quantising, what this target cannot lower (default: nothing)."""

    def quantize(self, graph: Graph, calibration: np.ndarray | None = None) -> QuantizedGraph:
        """The quantisation stage: Loihi 2 fixed point of ``graph``.

        ``calibration`` (time-major sample inputs) defaults to the constructor's.
        """
        self.check_graph(graph)
        data = calibration if calibration is not None else self.calibration
        req = request(self.quantize_target, allow_clamp=self.allow_clamp, search=self.search)
        return quantize(graph, req, data, quantizer=quantize_for_loihi)

    def staged_program(self, staged: Graph | QuantizedGraph) -> tuple[Graph, LoihiProgram]:
        """(float graph, Loihi program) of ``emit``'s input: the stage's output, or a
        float graph, which is quantised here first for callers that skip the stage."""
        if not isinstance(staged, QuantizedGraph):
            staged = self.quantize(staged)
        if staged.request.scheme != SCHEME:
            staged = self.quantize(staged.graph)
        program = program_of(staged)
        return program.graph, program

    def deployed_run(
        self, staged: Any, inputs: np.ndarray, engine: str | None = None
    ) -> DeployedRun:
        """The Loihi 2 program of ``staged`` as it runs on chip: its graph with every
        pooling folded into the next connection, and a fixed-point run of the program on
        time-major ``inputs`` (:meth:`fixed_point_run`; neuron inputs not recorded).

        Raises:
            ConfigError: ``engine`` is not one of this target's ``count_engines``.
        """
        from snncompile_loihi.deployed import deployed_graph, folds

        check_count_engine(self, engine)
        _, program = self.staged_program(staged)
        graph = deployed_graph(program)
        recorded, what = self.fixed_point_run(staged, program, inputs, engine)
        return DeployedRun(graph, recorded, what, neuron_inputs=False, folded=folds(program))

    def fixed_point_run(
        self, staged: Any, program: LoihiProgram, inputs: np.ndarray, engine: str | None
    ) -> tuple[dict[str, np.ndarray], str]:
        """(traces keyed by the deployed graph's nodes, the engine in words) of a
        fixed-point run of ``program`` (the stage ``staged``); here the integer reference
        ``simulate_fixed`` for every engine (bit-exact with Lava). A target with a Lava
        run overrides it for ``engine="lava"``."""
        from snncompile_loihi.deployed import ENGINE, fixed_point_activity

        return fixed_point_activity(program, inputs), ENGINE

    def emit_summary(self, staged: Any = None) -> str | None:
        """The quantisation: scales per layer and, when calibrated, float vs fixed."""
        if isinstance(staged, QuantizedGraph) and isinstance(staged.view, LoihiProgram):
            return staged.view.to_markdown()
        return None
