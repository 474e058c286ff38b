"""The deployment API: ``compile`` a model for a target, then save, run or report.

    artifact = snncompile.compile("model.pt", target="onnx")
    artifact.save("out/model")                    # atomic: writes out/model.onnx
    outputs = artifact.run(x)                     # the target's own runtime
    report = artifact.report(x, profiles=["loihi", "cmos45-fp32"])
    again = snncompile.open("out/model.onnx")     # any saved artefact, as an Artifact

A model is an ``nn.Module`` (with ``example_input``), a checkpoint written by
:func:`snncompile.save`, a ``.nir`` file, or an IR ``Graph``. Every error caused by the
model, the data or the options is an :class:`~snncompile.errors.SnnCompileError`.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from snncompile.backend import (
    Backend,
    artifact_target,
    check_count_engine,
    check_supported,
    get_backend,
    graph_input_shape,
    load_backend_class,
    time_major,
)
from snncompile.errors import (
    CheckpointError,
    ConfigError,
    InputError,
    OutputError,
    QuantizationError,
)
from snncompile.ir.graph import Graph
from snncompile.ir.text import dump as dump_ir
from snncompile.outputs import check_output, move_into_place, staging_dir
from snncompile.passes.pipeline import PIPELINE, run_pipeline
from snncompile.quant.stage import QuantizedGraph, verify_quantized

if TYPE_CHECKING:
    from snncompile.energy.report import EnergyReport

PathLike = str | os.PathLike[str]
CHECKPOINT_SUFFIXES = (".pt", ".pth")
#: Called as ``progress(done, total)`` while simulating (see snncompile.reference.progress).
ProgressHook = Callable[[int, int], None]


def _example_input(
    path: Path, specs: list[dict[str, Any]] | None, input_shape: Sequence[int] | None
) -> Any:
    """A zero example input: from ``input_shape`` if given, else the checkpoint's spec."""
    import torch

    if input_shape is not None:
        shape = tuple(int(d) for d in input_shape)
        if len(shape) < 2 or min(shape) < 1:
            raise ConfigError(
                f"input shape {list(shape)} is not a time-major [T, B, ...] shape",
                hint="give at least T and B, all positive, e.g. --input-shape 4,1,1,8,8",
            )
        return torch.zeros(shape)
    if specs is None:
        raise ConfigError(
            f"'{path}' is a pickled module, which stores no example input to trace it with",
            hint="give its input shape (--input-shape T,B,... or input_shape=), or re-save it "
            "with snncompile.save(model, path, example_input=x)",
        )
    spec = specs[0]
    dtype = getattr(torch, str(spec["dtype"]).removeprefix("torch."))
    return torch.zeros([int(d) for d in spec["shape"]], dtype=dtype)


def require_model_file(source: str | os.PathLike[str]) -> Path:
    """``source`` as a path to an existing file or folder.

    Raises:
        CheckpointError: nothing exists at ``source``.
    """
    path = Path(source)
    if not path.exists():
        raise CheckpointError(
            f"model file '{path}' does not exist",
            hint="check the path (relative paths start at the current folder)",
        )
    return path


def load_graph(
    source: Any,
    *,
    example_input: Any = None,
    input_shape: Sequence[int] | None = None,
    allow_pickle: bool = False,
    dialect: str | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Graph:
    """The IR graph of ``source``: an ``nn.Module``, a checkpoint path, a ``.nir`` path or
    an IR :class:`~snncompile.ir.graph.Graph` (returned unchanged).

    Args:
        source: what to read or trace.
        example_input: time-major ``[T, B, ...]`` tensor to trace a module with (one step
            ``[B, ...]`` for a per-step model, see :func:`snncompile.trace`).
        input_shape: shape of a zero example input instead (e.g. for pickled modules);
            checkpoints written by :func:`snncompile.save` store their own.
        allow_pickle: accept a whole pickled ``nn.Module`` (runs code from the file).
        dialect: NIR dialect preset for ``.nir`` files (None: ``snncompile``, with a
            warning for files another tool wrote).
        overrides: execution-profile fields for ``.nir`` files: ``{"FIELD": value}``
            graph-wide, ``{"NODE.FIELD": value}`` for one node (strings are parsed).

    Raises:
        ConfigError: a module without example input, an unknown file type; ``dialect``
            or ``overrides`` for a source that is not a ``.nir`` file, an unknown
            dialect, field or node, a value of the wrong type.
        CheckpointError, TraceError, IRValidationError: from reading or tracing.
    """
    _nir_only(source, dialect, overrides)
    if isinstance(source, Graph):
        return source
    if isinstance(source, (str, os.PathLike)):
        path = require_model_file(source)
        if path.suffix.lower() == ".nir":
            from snncompile.ir.nir_io import read_nir

            return read_nir(path, dialect, overrides=overrides)
        if path.suffix.lower() not in CHECKPOINT_SUFFIXES and not path.is_dir():
            raise ConfigError(
                f"'{path}': unknown model file type {path.suffix!r}",
                hint="give a checkpoint written by snncompile.save (.pt) or a .nir file",
            )
        from snncompile.checkpoint.reader import load_with_inputs

        source, specs = load_with_inputs(path, allow_pickle=allow_pickle)
        if example_input is None:
            example_input = _example_input(path, specs, input_shape)
    elif example_input is None and input_shape is not None:
        example_input = _example_input(Path("<module>"), [], input_shape)
    if example_input is None:
        raise ConfigError(
            f"tracing a {type(source).__name__} needs an example input",
            hint="pass example_input= a time-major tensor [T, B, ...] (one step [B, ...] for a "
            "per-step model), or input_shape=",
        )
    from snncompile.frontend.ir_trace import trace

    return trace(source, example_input)


def _nir_only(source: Any, dialect: str | None, overrides: Mapping[str, Any] | None) -> None:
    """Refuse a dialect or profile overrides for a source that is not a ``.nir`` file
    (other models carry their own exact semantics)."""
    if dialect is None and not overrides:
        return
    is_nir = isinstance(source, (str, os.PathLike)) and Path(source).suffix.lower() == ".nir"
    if is_nir:
        return
    given = " and ".join(
        name for name, value in (("dialect", dialect), ("overrides", overrides)) if value
    )
    shown = f"'{source}'" if isinstance(source, (str, os.PathLike)) else type(source).__name__
    raise ConfigError(
        f"{given} (--dialect/--set) applies to .nir inputs only, not {shown}",
        hint="drop it: checkpoints, modules and IR graphs carry their own execution "
        "semantics (a graph's profile is graph.profile)",
    )


@dataclass(repr=False)
class Artifact:
    """A compiled model for one target. ``path`` is set once saved.

    ``repr`` is one short line (target, input shape, node and parameter counts, path),
    never the weights: the graph is in :attr:`graph`.
    """

    graph: Graph
    target: str
    backend: Backend
    path: Path | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    #: The output of the backend's ``quantize`` stage (what ``emit`` lowers); None: ``graph``.
    staged: Graph | QuantizedGraph | None = None
    #: (category, message) of the warnings emitting has issued: each is issued once per
    #: artefact, not again on every unsaved ``run()`` (which emits to a temporary folder).
    _issued: set[tuple[type[Warning], str]] = field(default_factory=set, init=False)

    def save(self, path: PathLike, *, force: bool = False) -> Path:
        """Write the artefact to ``path`` atomically and return where it went.

        Single-file targets (``artifact_suffix``, e.g. ``.onnx``) write one file: the
        suffix is added when ``path`` has none and matched in any case (``M.ONNX``);
        another suffix is refused before anything is written. Directory targets write
        a directory at ``path``. Everything is written into a temporary sibling
        ``.<name>.*`` first and renamed into place, so an error, a full disk or Ctrl-C
        never leaves a partial artefact. Same graph and options: same bytes.

        Raises:
            ConfigError: ``path`` has another suffix than the target's, or it exists
                and ``force`` is false.
            OutputError: the location is missing or not writable, or writing failed
                (e.g. the disk is full).
        """
        target = artifact_path(path, type(self.backend))
        parent = check_output(target, force=force)
        with staging_dir(target, parent) as staging:
            produced = self._emit(staging / "artifact")
            move_into_place(produced, target)
        self.path = target
        return target

    def __repr__(self) -> str:
        from snncompile.ir.nodes import parameter_count

        params = sum(parameter_count(node) for node in self.graph.nodes.values())
        shape = self.input_shape
        where = str(self.path) if self.path is not None else None
        if where is not None and len(where) > 80:
            where = "…" + where[-79:]
        return (
            f"Artifact(target={self.target!r}, input_shape={shape}, "
            f"nodes={len(self.graph.nodes)}, parameters={params:,}, path={where!r})"
        )

    def _emit(self, out_dir: Path) -> Path:
        """Check the graph against the target's node types, then emit into ``out_dir``.

        The backend's warnings (e.g. a ``LossyConversionWarning``) are issued the first
        time only: the same graph gives the same warnings on every emit.
        """
        check_supported(self.graph, self.backend)
        out_dir.mkdir(exist_ok=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            produced = Path(self.backend.emit(self._emitted, out_dir))
        for item in caught:
            key = (item.category, str(item.message))
            if key not in self._issued:
                self._issued.add(key)
                warnings.warn_explicit(
                    item.message, item.category, item.filename, item.lineno, source=item.source
                )
        suffix = self.backend.artifact_suffix
        if suffix is not None and not (produced.is_file() and produced.suffix == suffix):
            raise OutputError(  # a plug-in bug, caught before anything is renamed
                f"target {self.target!r} declares {suffix!r} files but emitted '{produced}'",
                hint="fix the backend's emit() or its artifact_suffix",
            )
        return produced

    @property
    def _emitted(self) -> Graph | QuantizedGraph:
        """What ``emit`` lowers: the quantisation stage's output, else the graph."""
        return self.staged if self.staged is not None else self.graph

    @property
    def input_shape(self) -> tuple[int, ...] | None:
        """The per-step input shape (without T and B) when the graph has one Input."""
        return graph_input_shape(self.graph)

    def run(self, inputs: np.ndarray, steps: int | None = None) -> dict[str, np.ndarray]:
        """Run the artefact in its target's runtime.

        ``inputs`` follow :func:`snncompile.backend.time_major`: static ``[B, ...]``
        data are repeated over ``steps`` time steps, time-major ``[T, B, ...]`` data are
        taken as they are (``steps`` keeps the first ``steps``); the graph's per-step
        input shape tells them apart. Returns ``{output name: [T, B, ...] array}``.
        Unsaved artefacts are emitted to a temporary directory first.

        Raises:
            InputError: inputs that fit neither form (the message names both shapes).
        """
        if not isinstance(inputs, Mapping):  # several named inputs: time-major per input
            inputs = time_major(np.asarray(inputs), self.input_shape, steps)
        if self.path is None:
            with tempfile.TemporaryDirectory() as tmp:
                produced = self._emit(Path(tmp) / "artifact")
                return self.backend.simulate(produced, inputs, steps)
        return self.backend.simulate(self.path, inputs, steps)

    def report(
        self,
        inputs: np.ndarray,
        profiles: Sequence[str] | None = None,
        *,
        progress: ProgressHook | None = None,
        steps: int | None = None,
        **options: Any,
    ) -> EnergyReport:
        """Energy report of this artefact as its target runs it (:func:`energy_report`
        with ``target=self.target``) on ``inputs`` (static ``[B, ...]`` with ``steps``,
        or time-major ``[T, B, ...]``, as in :meth:`run`)."""
        return energy_report(
            self.graph,
            inputs,
            profiles,
            progress=progress,
            steps=steps,
            target=self.target,
            target_options=self.options,
            **options,
        )


def artifact_path(path: PathLike, backend: type[Backend]) -> Path:
    """Where :meth:`Artifact.save` writes ``backend``'s artefact for ``path``.

    Raises:
        ConfigError: ``path`` ends in another suffix than the backend's artefact suffix.
    """
    target = Path(path)
    suffix = backend.artifact_suffix
    if suffix is None or target.suffix.lower() == suffix.lower():
        return target
    if not target.suffix:
        return target.with_name(target.name + suffix)
    raise ConfigError(
        f"cannot save a {backend.name!r} artefact as '{target}': target {backend.name!r} "
        f"writes {suffix} files, not {target.suffix}",
        hint=f"name it '{target.with_suffix(suffix).name}' (or leave the suffix out), or "
        f"compile for the target that writes {target.suffix} files",
    )


def open(path: PathLike, **options: Any) -> Artifact:
    """Reopen an artefact written by :meth:`Artifact.save` (or ``snncompile export``).

    The target is found from the file's suffix or the directory's ``manifest.json``;
    the IR graph comes from the artefact (each target stores it), so the result can
    :meth:`~Artifact.run` and :meth:`~Artifact.report`.

    Args:
        path: the saved file or directory.
        **options: the target's constructor options (e.g. ``mode="float"`` for Lava).

    Raises:
        ConfigError: ``path`` is missing or no installed target claims it.
        CheckpointError: the artefact is damaged or stores no IR graph.
        BackendUnavailableError: its target is not installed.
    """
    where = Path(path)
    target = artifact_target(where)
    graph = load_backend_class(target).read_graph(where)
    backend = get_backend(target, **options)
    return Artifact(graph=graph, target=target, backend=backend, path=where, options=options)


def compile(
    model: Any,
    target: str = "nir",
    *,
    example_input: Any = None,
    input_shape: Sequence[int] | None = None,
    quantize: str | None = None,
    calibration: Any = None,
    allow_pickle: bool = False,
    dialect: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    options: Mapping[str, Any] | None = None,
    dump_dir: PathLike | None = None,
) -> Artifact:
    """Trace (or read) ``model``, run the pass pipeline and prepare it for ``target``.

    Nothing is written until :meth:`Artifact.save`.

    Args:
        model: ``nn.Module``, checkpoint path, ``.nir`` path or IR graph.
        target: a backend name (``snncompile list-backends``).
        example_input: time-major example for tracing a module (checkpoints store one).
        input_shape: shape ``[T, B, ...]`` of a zero example input, instead of
            ``example_input`` (needed for pickled modules).
        quantize: target-specific quantisation (e.g. ``"int8"`` for ONNX).
        calibration: sample inputs for targets that calibrate (time-major array); None:
            a checkpoint's stored example input (:func:`stored_calibration`) if the
            target takes it, else none.
        allow_pickle: accept whole pickled modules (runs code from the file: trusted
            files only).
        dialect: NIR dialect preset for ``.nir`` inputs (``snncompile dialects``; None:
            ``snncompile``, with a warning for files another tool wrote).
        overrides: execution-profile fields for ``.nir`` inputs, ``{"FIELD": value}``
            graph-wide or ``{"NODE.FIELD": value}`` for one node (docs/nir.md).
        options: backend keyword options (e.g. ``{"mode": "loop"}`` for ONNX).
        dump_dir: write the IR text dump after every pass there.

    Returns:
        The :class:`Artifact`: ``.save(path)``, ``.run(x)``, ``.report(x)``.

    Raises:
        CheckpointError: the model file is missing, damaged or refused (pickle).
        TraceError: the module cannot be traced (e.g. an unsupported layer).
        IRValidationError: the graph is not valid (e.g. NaN or Inf weights).
        ConfigError, BackendUnavailableError: unknown target or options.
        OutputError: ``dump_dir`` cannot be written.
    """
    graph = load_graph(
        model,
        example_input=example_input,
        input_shape=input_shape,
        allow_pickle=allow_pickle,
        dialect=dialect,
        overrides=overrides,
    )
    try:
        graph = run_pipeline(graph, dump_dir=dump_dir)
    except OSError as exc:  # only the IR dumps write files
        raise OutputError.from_os_error(dump_dir, exc) from exc
    backend_options = dict(options or {})
    if quantize is not None:
        backend_options["quantize"] = quantize
    if calibration is not None:
        backend_options["calibration"] = np.asarray(calibration, dtype=np.float32)
    backend = get_backend(target, **backend_options)
    for legalize in backend.legalize:
        graph = legalize(graph)
    check_supported(graph, backend)  # fail here, before anything is written
    stored = None
    if calibration is None and "calibration" not in backend_options and _calibrates(backend):
        stored = stored_calibration(model, graph, allow_pickle=allow_pickle)
    try:
        staged = quantize_stage(backend, graph, calibration if stored is None else stored, dump_dir)
    except InputError:
        if stored is None:
            raise
        # a default the target cannot take (e.g. graded data for netx, which needs spikes)
        staged = quantize_stage(backend, graph, None, dump_dir)
    return Artifact(
        graph=graph, target=target, backend=backend, options=backend_options, staged=staged
    )


def _calibrates(backend: Backend) -> bool:
    """The target takes calibration data (its constructor has a ``calibration`` option)."""
    import inspect

    return "calibration" in inspect.signature(type(backend)).parameters


#: Steps a per-step model's one-step example ``[B, ...]`` is held for as calibration:
#: direct encoding (the frame repeated every step), long enough for leaky states to
#: approach their range (1 − 0.9¹⁶ = 81 % of the steady state at β = 0.9).
PER_STEP_CALIBRATION_STEPS = 16


def stored_calibration(
    model: Any, graph: Graph, *, allow_pickle: bool = False
) -> np.ndarray | None:
    """The example input a checkpoint stores (``snncompile.save``'s ``example_input``),
    as calibration data for targets that calibrate when the caller gives none.

    None unless ``model`` is a checkpoint path storing the values of one input that fits
    ``graph``'s input and is not all zeros (a zero example is a shape placeholder, not
    data): a time-major ``[T, B, ...]`` example as it is; a per-step model's one-step
    ``[B, ...]`` example held for :data:`PER_STEP_CALIBRATION_STEPS` steps.
    """
    if not isinstance(model, (str, os.PathLike)):
        return None
    path = Path(model)
    if path.suffix.lower() not in CHECKPOINT_SUFFIXES or not path.is_file():
        return None
    from snncompile.checkpoint.reader import stored_example

    data = stored_example(path, allow_pickle=allow_pickle)
    per_step = graph_input_shape(graph)
    if data is None or len(data) != 1 or per_step is None:
        return None
    x = data[0]
    if x.ndim == len(per_step) + 1 and tuple(x.shape[1:]) == tuple(per_step):
        x = np.broadcast_to(x, (PER_STEP_CALIBRATION_STEPS, *x.shape))
    if x.ndim != len(per_step) + 2 or tuple(x.shape[2:]) != tuple(per_step) or not x.any():
        return None
    return np.ascontiguousarray(x, dtype=np.float32)


def target_calibration(
    model: Any, graph: Graph, target: str, *, allow_pickle: bool = False
) -> np.ndarray | None:
    """What :func:`compile` calibrates ``target`` on when the caller gives no data: the
    checkpoint's :func:`stored_calibration` if the target calibrates, else None."""
    if not _calibrates(get_backend(target)):
        return None
    return stored_calibration(model, graph, allow_pickle=allow_pickle)


def quantize_stage(
    backend: Backend, graph: Graph, calibration: Any, dump_dir: PathLike | None
) -> Graph | QuantizedGraph:
    """The named stage ``quantize``: the backend's hook on the legal graph, dumped as a
    stage into ``dump_dir`` (the precisions of a QuantizedGraph, or the graph's text)."""
    data = None if calibration is None else np.asarray(calibration, dtype=np.float32)
    staged = backend.quantize(graph, data)
    if isinstance(staged, QuantizedGraph):
        verify_quantized(staged, backend.capabilities.precisions)
    if dump_dir is not None:
        text = dump_ir(staged.graph if isinstance(staged, QuantizedGraph) else staged)
        if isinstance(staged, QuantizedGraph):
            text += "\n" + staged.describe()
        out = Path(dump_dir) / f"{len(PIPELINE) + 1:02d}-quantize.txt"
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise OutputError.from_os_error(out, exc) from exc
    return staged


def energy_report(
    graph: Graph,
    inputs: np.ndarray,
    profiles: Sequence[str] | None = None,
    *,
    progress: ProgressHook | None = None,
    steps: int | None = None,
    target: str | None = None,
    target_options: Mapping[str, Any] | None = None,
    engine: str | None = None,
    **options: Any,
) -> EnergyReport:
    """Count the network a deployment runs on ``inputs`` and price the measured activity.

    The graph counted is the one :func:`compile` hands the target: the pass pipeline
    (BatchNorm folded: every deployment folds it), then, with ``target``, the target's
    ``legalize`` passes, its quantisation stage and its own rewrites (e.g. Loihi folds
    pooling into the next connection), run with the target's arithmetic
    (:meth:`~snncompile.backend.Backend.deployed_run`: the integer reference for Loihi
    fixed point). Without ``target`` it is the pipeline's graph run by the float32
    reference simulator. So a checkpoint, its NIR export and its saved artefact give the
    same counts for the same target.

    Args:
        graph: the IR graph (as loaded; the passes are run here).
        inputs: time-major ``[T, B, ...]`` inputs, or static ``[B, ...]`` ones with
            ``steps`` (the rule of :func:`snncompile.backend.time_major`).
        profiles: energy profile names or files (default: the standard set).
        progress: called as ``progress(done, total)`` after every time step (float
            reference runs only).
        steps: T for static inputs; a cut of time-major ones.
        target: a backend name (``snncompile list-backends``), or None.
        target_options: the target's constructor options (as :func:`compile`'s
            ``options``; ``quantize``, ``calibration`` included).
        engine: what runs the target's arithmetic: None or ``"reference"`` (the target's
            reference, e.g. the integer reference for Loihi fixed point), or ``"lava"``
            (the Lava fixed-point run of the emitted artefact itself, ``target="lava"``
            only; bit-exact with the integer reference, so the counts are equal).
        **options: pricing options of :func:`snncompile.energy.from_ir.report_from_run`.

    Raises:
        ConfigError: ``engine`` without a target, or one the target cannot count with.
    """
    from snncompile.energy.from_ir import layer_info, report_from_run
    from snncompile.reference import simulate

    x = np.asarray(inputs)
    if x.dtype.kind not in "biuf":
        raise InputError(
            f"inputs have dtype {x.dtype}, expected numbers",
            hint="pass a float32 (or integer/bool spike) array",
        )
    x = time_major(x.astype(np.float32), graph_input_shape(graph), steps)
    folded = _batchnorm_folds(graph)
    passes = [name for name, _ in PIPELINE]
    fields: Mapping[str, Any] = {}
    if engine not in (None, "reference"):
        if target is None:
            raise ConfigError(
                f"engine {engine!r} counts a run of a deployment target, but no target is given",
                hint=f"pass target='lava' to count the {engine} run, or engine=None",
                cli_hint=f"add --target lava to count the {engine} run, or drop --engine",
            )
        check_count_engine(load_backend_class(target), engine)
    if target is None:
        graph = run_pipeline(graph)
        recorded = simulate(graph, x, dtype=np.float32, record="all", progress=progress)
        what, neuron_inputs = "reference simulator (float32)", True
    else:
        backend_options = dict(target_options or {})
        calibration = backend_options.pop("calibration", None)
        try:
            artifact = compile(graph, target, options=backend_options, calibration=calibration)
        except QuantizationError as exc:
            if calibration is not None:
                raise
            raise QuantizationError(
                f"counting for target {target!r}: {exc.message}",
                node=exc.node,
                hint="the report re-runs the target's quantiser on the float graph: give it "
                "the calibration data the model is exported with (--calibration NPZ, or "
                f"target_options={{'calibration': x}}); {exc.hint or ''}".rstrip("; "),
            ) from exc
        run = artifact.backend.deployed_run(artifact._emitted, x, engine=engine)
        graph, recorded, what = run.graph, run.recorded, run.engine
        neuron_inputs = run.neuron_inputs
        passes += [getattr(f, "__name__", str(f)) for f in artifact.backend.legalize]
        if artifact.staged is not None and artifact.staged is not artifact.graph:
            passes.append("quantize")
        for node, names in run.folded.items():
            folded[node] = (*folded.get(node, ()), *names)
        if isinstance(artifact.staged, QuantizedGraph):
            fields = artifact.staged.fields
    deployment = {
        "target": target,
        "engine": what,
        "count_engine": engine or "reference",
        "passes": passes,
        "notes": [
            "BatchNorm is folded into the synapse before it (every deployment folds it)",
            *([f"{', '.join(v)} folded into {k}" for k, v in folded.items()] if folded else []),
        ],
    }
    return report_from_run(
        graph,
        recorded,
        profiles,
        neuron_inputs=neuron_inputs,
        layers=layer_info(graph, folded, fields),
        deployment=deployment,
        **options,
    )


def _batchnorm_folds(graph: Graph) -> dict[str, tuple[str, ...]]:
    """Producer -> the BatchNorm nodes ``fold_batchnorm`` folds into it."""
    from snncompile.ir.native_layers import BatchNorm
    from snncompile.passes._match import exclusive_producer

    folds: dict[str, tuple[str, ...]] = {}
    for name, node in graph.nodes.items():
        producer = exclusive_producer(graph, name) if isinstance(node, BatchNorm) else None
        if producer is not None:
            folds[producer] = (*folds.get(producer, ()), name)
    return folds
