"""The deployment API: ``compile`` a model for a target, then save, run or report.

    artifact = snncompile.compile("model.pt", target="onnx")
    artifact.save("out/model.onnx")              # atomic: all or nothing
    outputs = artifact.run(x)                     # the target's own runtime
    report = artifact.report(x, profiles=["loihi", "cmos45-fp32"])

A model is an ``nn.Module`` (with ``example_input``), a checkpoint written by
:func:`snncompile.save`, a ``.nir`` file, or an IR ``Graph``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from snncompile.backend import Backend, get_backend
from snncompile.errors import ConfigError, InputError
from snncompile.ir.graph import Graph
from snncompile.passes.pipeline import run_pipeline

PathLike = str | os.PathLike[str]
CHECKPOINT_SUFFIXES = (".pt", ".pth")


def _example_from_checkpoint(path: Path) -> Any:
    import torch

    from snncompile.checkpoint import load_info

    spec = load_info(path)["inputs"][0]
    return torch.zeros(spec["shape"], dtype=getattr(torch, str(spec["dtype"]).split(".")[-1]))


def load_graph(
    source: Any,
    *,
    example_input: Any = None,
    allow_pickle: bool = False,
    dialect: str = "snncompile",
) -> Graph:
    """The IR graph of ``source`` (module, checkpoint path, ``.nir`` path or Graph).

    Raises:
        ConfigError: a module without ``example_input``, an unknown file type.
        CheckpointError, TraceError, IRValidationError: from reading or tracing.
    """
    if isinstance(source, Graph):
        return source
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if path.suffix == ".nir":
            from snncompile.ir.nir_io import read_nir

            return read_nir(path, dialect)
        if path.suffix not in CHECKPOINT_SUFFIXES and not path.is_dir():
            raise ConfigError(
                f"'{path}': unknown model file type {path.suffix!r}",
                hint="give a checkpoint written by snncompile.save (.pt) or a .nir file",
            )
        from snncompile.checkpoint import load

        model = load(path, allow_pickle=allow_pickle)
        if example_input is None:
            example_input = _example_from_checkpoint(path)
        source = model
    if example_input is None:
        raise ConfigError(
            f"tracing a {type(source).__name__} needs an example input",
            hint="pass example_input= a time-major tensor [T, B, ...]",
        )
    from snncompile.frontend.ir_trace import trace

    return trace(source, example_input)


@dataclass
class Artifact:
    """A compiled model for one target. ``path`` is set once saved."""

    graph: Graph
    target: str
    backend: Backend
    path: Path | None = None
    options: Mapping[str, Any] = field(default_factory=dict)

    def save(self, path: PathLike, *, force: bool = False) -> Path:
        """Write the artefact to ``path`` atomically and return it.

        Single-file targets (``.onnx``, ``.nir``) write that file when ``path`` has the
        same suffix, otherwise a directory. Everything is written into a temporary
        sibling first and renamed into place, so an error or Ctrl-C never leaves a
        partial artefact.

        Raises:
            ConfigError: ``path`` exists and ``force`` is false, or its parent is
                missing or not writable.
        """
        target = Path(path)
        if target.exists() and not force:
            raise ConfigError(
                f"output '{target}' already exists",
                hint="choose another path or pass force=True (--force)",
            )
        parent = target.parent.resolve()
        if not parent.is_dir():
            raise ConfigError(
                f"output directory '{parent}' does not exist",
                hint=f"create it first: mkdir -p '{parent}'",
            )
        if not os.access(parent, os.W_OK):
            raise ConfigError(
                f"output directory '{parent}' is not writable",
                hint="choose a writable location or fix its permissions",
            )
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=parent))
        try:
            produced = Path(self.backend.emit(self.graph, staging))
            single = produced.is_file() and produced.suffix == target.suffix
            final_src = produced if single else staging
            _replace(final_src, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        self.path = target
        return target

    def run(self, inputs: np.ndarray, steps: int | None = None) -> dict[str, np.ndarray]:
        """Run the artefact in its target's runtime on time-major ``inputs``."""
        if self.path is None:
            with tempfile.TemporaryDirectory() as tmp:
                produced = self.backend.emit(self.graph, Path(tmp))
                return self.backend.simulate(Path(produced), inputs, steps)
        return self.backend.simulate(_main_file(self.path), inputs, steps)

    def report(
        self, inputs: np.ndarray, profiles: Sequence[str] | None = None, **options: Any
    ) -> Any:
        """Energy report from a reference-simulator run of this graph on ``inputs``."""
        return energy_report(self.graph, inputs, profiles, **options)


def _main_file(path: Path) -> Path:
    return path


def _replace(src: Path, dst: Path) -> None:
    """Move ``src`` to ``dst`` (replacing it); atomic for files and for new directories."""
    if dst.exists() and dst.is_dir() and not src.is_dir():
        raise ConfigError(f"output '{dst}' is a directory", hint="give a file path")
    if src.is_dir():
        if dst.exists():
            old = dst.with_name(f".{dst.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(dst, old)
            os.replace(src, dst)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(src, dst)
        src.mkdir()  # the caller removes the (now empty) staging directory
    else:
        os.replace(src, dst)


def compile(
    model: Any,
    target: str = "nir",
    *,
    example_input: Any = None,
    quantize: str | None = None,
    calibration: Any = None,
    allow_pickle: bool = False,
    dialect: str = "snncompile",
    options: Mapping[str, Any] | None = None,
    dump_dir: PathLike | None = None,
) -> Artifact:
    """Trace (or read) ``model``, run the pass pipeline and prepare it for ``target``.

    Args:
        model: ``nn.Module``, checkpoint path, ``.nir`` path or IR graph.
        target: a backend name (``snncompile list-backends``).
        example_input: time-major example for tracing a module (checkpoints store one).
        quantize: target-specific quantisation (e.g. ``"int8"`` for ONNX).
        calibration: sample inputs for targets that calibrate (time-major array).
        allow_pickle: accept whole pickled modules (runs code from the file).
        dialect: NIR dialect preset for ``.nir`` inputs.
        options: backend keyword options (e.g. ``{"mode": "loop"}`` for ONNX).
        dump_dir: write the IR text dump after every pass there.
    """
    graph = load_graph(
        model, example_input=example_input, allow_pickle=allow_pickle, dialect=dialect
    )
    graph = run_pipeline(graph, dump_dir=dump_dir)
    backend_options = dict(options or {})
    if quantize is not None:
        backend_options["quantize"] = quantize
    if calibration is not None:
        backend_options["calibration"] = np.asarray(calibration, dtype=np.float32)
    backend = get_backend(target, **backend_options)
    for legalize in backend.legalize:
        graph = legalize(graph)
    return Artifact(graph=graph, target=target, backend=backend, options=backend_options)


def energy_report(
    graph: Graph, inputs: np.ndarray, profiles: Sequence[str] | None = None, **options: Any
) -> Any:
    """Simulate ``graph`` with the reference simulator and price the measured activity."""
    from snncompile.energy.from_ir import report_from_run
    from snncompile.reference import simulate

    x = np.asarray(inputs, dtype=np.float32)
    if x.ndim < 2:
        raise InputError(
            f"inputs of shape {x.shape} are not time-major [T, B, ...]",
            hint="pass an array shaped [T, B, *input_shape]",
        )
    recorded = simulate(graph, x, dtype=np.float32, record="all")
    return report_from_run(graph, recorded, profiles, **options)
