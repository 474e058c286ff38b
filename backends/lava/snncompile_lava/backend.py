"""``LavaBackend``: the ``lava`` target registered under ``snncompile.backends``.

``quantize`` is the quantisation stage (Loihi 2 fixed point, :mod:`snncompile_loihi.stage`);
``emit`` lowers its output to a network spec with both parameter sets
(:mod:`snncompile_lava.lower`) and writes a self-contained artefact directory
(:mod:`snncompile_lava.artifact`). ``simulate`` runs that
directory on Lava in a torch-free worker, in ``fixed`` (Loihi 2 ``fixed_pt``, bit-exact with
:func:`snncompile_loihi.reference.simulate_fixed`) or ``float`` (``floating_pt``, spike-exact
with :func:`snncompile.reference.simulate`) mode.
"""

from __future__ import annotations

import importlib.util
import tempfile
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar

import numpy as np
from snncompile_loihi.limits import MAX_FAN_IN, PRECISION_LIMITS, SOURCES
from snncompile_loihi.nir_neurons import native_nir_neurons
from snncompile_loihi.qgraph import LoihiProgram

from snncompile.backend import Capabilities, graph_from_bytes, graph_to_bytes, node_classes
from snncompile.errors import BackendUnavailableError, CheckpointError, ConfigError, InputError
from snncompile.ir.graph import Graph
from snncompile.quant.stage import QuantizedGraph
from snncompile_lava._compat import INSTALL_COMMAND
from snncompile_lava.artifact import write_artifact
from snncompile_lava.load import MODES, read_manifest, run_artifact
from snncompile_lava.lower import LOWERINGS, SPARSE_DENSITY, check_lowerable
from snncompile_lava.quantizing import QuantizingBackend

Progress = Callable[[int, int], None]
#: the IR graph the artefact was emitted from (lossless ``.nir``), for ``snncompile.open``
GRAPH_FILE = "graph.nir"


class LoihiExportFlags:
    """The ``snncompile export`` flags the Loihi targets (``lava``, ``netx``) share."""

    @classmethod
    def add_export_options(cls, group: Any) -> None:
        group.add_argument(
            "--allow-clamp",
            action="store_true",
            help="clamp unrepresentable values with a warning instead of failing",
        )

    @classmethod
    def options_from_args(cls, args: Any) -> dict[str, Any]:
        """export: ``--steps`` (the target's default T) and ``--allow-clamp``."""
        options: dict[str, Any] = {}
        if getattr(args, "command", None) == "export":
            if args.steps is not None:
                options["steps"] = args.steps
            if getattr(args, "allow_clamp", False):
                options["allow_clamp"] = True
        return options


#: What ``deployed_run(..., engine="lava")`` runs, in words (the report's engine).
LAVA_ENGINE = "Lava fixed point (lava-nc run of the emitted artefact, fixed_pt, worker process)"


class LavaBackend(LoihiExportFlags, QuantizingBackend):
    """Intel Lava (lava-nc 0.10.0) in Loihi 2 fixed point or float.

    Args:
        mode: ``"fixed"`` (default) or ``"float"`` for :meth:`simulate`.
        calibration: time-major sample inputs [T, B, ...] for the quantiser (scales,
            clip search, float-vs-fixed comparison); None: weights only.
        allow_clamp: clamp unrepresentable values with a warning (snncompile_loihi.checks).
        steps: default number of time steps for :meth:`simulate`.
        timeout: seconds per Lava worker call.
        quantize: None or ``"loihi"`` (the only scheme of this target).
        progress: None, or a hook called as ``progress(samples done, samples)`` while
            simulating, e.g. ``snncompile.reference.progress.TqdmBar("lava", unit="sample")``
            (``snncompile simulate`` passes its own bar on a terminal).
        search: search the per-layer weight clip factor on the calibration data.
        sparse_density: dense layers with at most this fraction of non-zero quantised
            weights are lowered to Lava ``Sparse`` (default 0.25; None: always Dense).
    """

    name: ClassVar[str] = "lava"
    artifact_suffix: ClassVar[str | None] = None  # a directory with manifest.json
    count_engines: ClassVar[tuple[str, ...]] = ("lava",)
    capabilities: ClassVar[Capabilities] = Capabilities(
        node_types=node_classes(LOWERINGS),
        weight_bits=8,
        state_bits=24,
        max_fan_in=MAX_FAN_IN,
        synapse_delay_steps=1,
        # the relay computes max pooling of spikes only (snncompile_loihi.max_pool); one
        # Input and one Output (the runtime feeds and reads one population each)
        topologies=frozenset(
            {
                "chain",
                "fan_out",
                "residual",
                "sew",
                "shortcut_1x1",
                "pool_branch",
                "maxpool_spikes",
                "recurrence",
            }
        ),
        precisions=PRECISION_LIMITS,
        notes=MappingProxyType(
            {
                **SOURCES,
                "time": "one step of delay per connection, compensated by the runtime",
                "topology": "graphs: fan-out, summed fan-in into a neuron (residual), spike "
                "additions feeding a synapse (SEW), identity and 1x1 shortcuts, pooling on "
                "any branch; shorter paths delayed by relay populations (docs/lava.md §2a)",
                "tolerance": "fixed: bit-exact with snncompile_loihi.reference; float: "
                "spike-exact with snncompile.reference (float64)",
            }
        ),
    )

    def __init__(
        self,
        mode: str = "fixed",
        calibration: Any = None,
        allow_clamp: bool = False,
        steps: int | None = None,
        timeout: float = 600.0,
        quantize: str | None = None,
        progress: Progress | None = None,
        search: bool = True,
        sparse_density: float | None = SPARSE_DENSITY,
    ) -> None:
        if mode not in MODES:
            raise ConfigError(
                f"lava: mode {mode!r} is not one of {sorted(MODES)}",
                hint="use mode='fixed' (Loihi) or mode='float'",
            )
        if quantize not in (None, "loihi"):
            raise ConfigError(
                f"lava: quantize={quantize!r} is not supported",
                hint="the Lava target always quantises to Loihi fixed point; drop --quantize",
            )
        if steps is not None and (not isinstance(steps, int) or steps < 1):
            raise ConfigError(
                f"lava: steps={steps!r} is not a positive integer", hint="pass steps >= 1"
            )
        self.mode = mode
        self.calibration = calibration
        self.allow_clamp = allow_clamp
        self.steps = steps
        self.timeout = float(timeout)
        self.progress = progress
        if sparse_density is not None and not 0.0 <= sparse_density <= 1.0:
            raise ConfigError(
                f"lava: sparse_density={sparse_density!r} is not a fraction in [0, 1]",
                hint="pass e.g. 0.25 (or None to keep every dense layer dense)",
            )
        if progress is not None and not callable(progress):
            raise ConfigError(
                f"lava: progress={progress!r} is not a callable",
                hint="pass None or a hook progress(done, total), e.g. "
                "snncompile.reference.progress.TqdmBar('lava', unit='sample')",
            )
        self.search = search
        self.sparse_density = sparse_density

    # ------------------------------------------------------------------ compile

    def check_graph(self, graph: Graph) -> None:
        """Every node has a lowering (before quantising); NIR LIF/IF nodes have an exact
        native form under their profile (refused by name otherwise)."""
        check_lowerable(graph.nodes)
        native_nir_neurons(graph, self.name)

    def emit(self, graph: Graph | QuantizedGraph, out_dir: Path) -> Path:
        """Lower the quantisation stage's output and write the artefact directory
        ``out_dir``; returns it. Lowering maps the stage's integers, never quantises."""
        graph, qgraph = self.staged_program(graph)
        options = {
            "mode": self.mode,
            "allow_clamp": self.allow_clamp,
            "search": self.search,
            "sparse_density": self.sparse_density,
            "calibrated": self.calibration is not None,
        }
        path = write_artifact(graph, qgraph, Path(out_dir), options)
        (path / GRAPH_FILE).write_bytes(graph_to_bytes(graph))
        return path

    # ------------------------------------------------------------------ saved artefacts

    @classmethod
    def input_shape(cls, path: Path) -> tuple[int, ...] | None:
        """The per-step input shape recorded in the manifest."""
        try:
            shape = read_manifest(path)["input"]["shape"]
            return tuple(int(d) for d in shape)
        except (ConfigError, KeyError, TypeError, ValueError):
            return None

    @classmethod
    def read_graph(cls, path: Path) -> Graph:
        """The IR graph stored as ``graph.nir`` in the artefact directory."""
        stored = Path(path) / GRAPH_FILE
        if not stored.is_file():
            raise CheckpointError(
                f"the Lava artefact '{path}' has no {GRAPH_FILE} (written by an older "
                "snncompile), so its IR graph is unknown",
                hint="export it again with `snncompile export MODEL --target lava -o DIR` "
                "(it can still be simulated: `snncompile simulate DIR`)",
            )
        return graph_from_bytes(stored.read_bytes(), path)

    # ------------------------------------------------------------------ command line

    @classmethod
    def add_simulate_options(cls, group: Any) -> None:
        group.add_argument("--mode", choices=("float", "fixed"), help="Lava: numeric mode")

    @classmethod
    def options_from_args(cls, args: Any) -> dict[str, Any]:
        """export: as :class:`LoihiExportFlags`; simulate: ``--mode``."""
        options = super().options_from_args(args)
        if getattr(args, "command", None) == "simulate" and args.mode is not None:
            options["mode"] = args.mode
        return options

    def reference_run(
        self, graph: Graph, inputs: Any, steps: int | None = None
    ) -> dict[str, np.ndarray]:
        """What :meth:`simulate` must equal on ``graph``'s artefact: in ``fixed`` mode the
        integer reference of the graph :meth:`emit` quantises (bit for bit), in ``float``
        mode the float64 reference on the quantiser's float graph (spike for spike)."""
        from snncompile_loihi.reference import simulate_fixed
        from snncompile_loihi.stage import program_of

        from snncompile.reference import simulate

        x = np.asarray(next(iter(inputs.values())) if isinstance(inputs, Mapping) else inputs)
        steps = steps if steps is not None else self.steps
        x = x[:steps] if steps is not None else x
        qgraph = program_of(self.quantize(graph))
        if self.mode == "float":
            ref = simulate(qgraph.graph, x, dtype=np.float64)
        else:
            ref = simulate_fixed(qgraph, x)
        return {qgraph.output_name: ref[qgraph.output_name]}

    # ------------------------------------------------------------------ run

    @staticmethod
    def _require_lava() -> None:
        try:
            found = importlib.util.find_spec("lava") is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            raise BackendUnavailableError(
                "the Lava backend needs lava-nc 0.10.0 to simulate, but it is not installed",
                hint=f"install it with: {INSTALL_COMMAND}",
            )

    def fixed_point_run(
        self, staged: Any, program: LoihiProgram, inputs: np.ndarray, engine: str | None
    ) -> tuple[dict[str, np.ndarray], str]:
        """With ``engine="lava"``: the Lava fixed-point run itself (:data:`LAVA_ENGINE`):
        ``staged`` emitted to a temporary artefact and run on Lava in fixed point,
        whatever ``mode`` says (the deployment's arithmetic), every population's spikes
        and states recorded. Otherwise the integer reference (bit-exact with it)."""
        if engine != "lava":
            return super().fixed_point_run(staged, program, inputs, engine)
        from snncompile_loihi.deployed import deployed_graph

        from snncompile.energy.from_ir import layer_traces

        self._require_lava()
        x = np.asarray(inputs, dtype=np.float64)
        with tempfile.TemporaryDirectory(prefix="snncompile-lava-count-") as tmp:
            path = self.emit(staged, Path(tmp) / "artifact")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", category=ResourceWarning)
                recorded = run_artifact(
                    path,
                    x,
                    mode="fixed",
                    timeout=self.timeout,
                    record="all",
                    progress=self.progress,
                )
        traces = layer_traces(deployed_graph(program), recorded, program.quantize_input(x))
        return traces, LAVA_ENGINE

    def simulate(
        self, artifact: Path, inputs: Any, steps: int | None = None
    ) -> dict[str, np.ndarray]:
        """Run the artefact on Lava; returns ``{output name: [T, B, *shape]}`` (float64).

        Readout outputs are values (fixed mode: the integer readout divided by its unit),
        spiking outputs are 0/1. Samples run back to back with a per-sample reset.
        """
        return self.simulate_recorded(artifact, inputs, steps)

    def simulate_recorded(
        self, artifact: Path, inputs: Any, steps: int | None = None, record: str | None = None
    ) -> dict[str, np.ndarray]:
        """:meth:`simulate`, plus every population's spikes (``record="spikes"``) or
        spikes and states (``"all"``) as ``"<layer>/<Var>"`` [T, B, *shape]."""
        self._require_lava()
        if isinstance(inputs, Mapping):
            if len(inputs) != 1:
                raise InputError(
                    "the Lava target takes one input array",
                    hint="pass the [T, B, ...] array itself",
                )
            inputs = next(iter(inputs.values()))
        steps = steps if steps is not None else self.steps
        x = np.asarray(inputs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=ResourceWarning)
            return run_artifact(
                Path(artifact),
                x,
                mode=self.mode,
                steps=steps,
                timeout=self.timeout,
                record=record,
                progress=self.progress,
            )
