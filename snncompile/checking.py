"""``snncompile.check``: can a model be deployed to a target, and if not, where and why.

    result = snncompile.check(model, torch.zeros(4, 1, 64), target="lava")
    if not result:                       # CheckResult is truthy iff deployable
        print(result.table())            # every node the target cannot take, with the fix

The check runs what :func:`snncompile.compile` and ``Artifact.save`` run (trace, the pass
pipeline, the target's ``legalize`` passes, its node-type capabilities, its quantisation
stage and its lowering into a temporary folder), writes nothing, and **collects** the
problems instead of stopping at the first: every node whose IR type is not among the
target's ``capabilities.node_types`` is listed, with the installed targets that do take
it. A problem found by a later stage (a topology or precision the target cannot hold) is
listed as that stage reports it. Errors in the request itself (missing file, unknown
target or option, an example of the wrong layout) are raised as by ``compile``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from snncompile.errors import InputError, IRValidationError, SnnCompileError, TraceError

#: Problems of the model for this target (reported); any other error is raised.
_MODEL_ERRORS: tuple[type[SnnCompileError], ...] = (TraceError, IRValidationError)


@dataclass(frozen=True)
class Problem:
    """One reason the model cannot go to the target.

    Attributes:
        node: the IR node name or module path (None: the model as a whole).
        type: the IR node type or module type (None when unknown).
        stage: where it was found: ``trace``, ``legalize``, ``target`` (node types),
            ``quantize`` or ``lower``.
        reason: what is wrong.
        fix: how to fix it.
    """

    node: str | None
    type: str | None
    stage: str
    reason: str
    fix: str


@dataclass(frozen=True)
class CheckResult:
    """The answer of :func:`check`: truthy iff :attr:`deployable`."""

    target: str
    nodes: int
    problems: tuple[Problem, ...]

    @property
    def deployable(self) -> bool:
        """True when nothing stops the model from being exported to :attr:`target`."""
        return not self.problems

    def __bool__(self) -> bool:
        return self.deployable

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able record (``snncompile check --json``)."""
        return {
            "target": self.target,
            "deployable": self.deployable,
            "nodes": self.nodes,
            "problems": [asdict(p) for p in self.problems],
        }

    def table(self) -> str:
        """A readable report: a verdict line, then one row per problem with its fix."""
        if self.deployable:
            return f"deployable to target {self.target!r}: all {self.nodes} nodes supported"
        count = f"{len(self.problems)} problem(s)" + (
            f" in {self.nodes} nodes" if self.nodes else ""
        )
        head = f"NOT deployable to target {self.target!r}: {count}"
        rows = [(p.node or "(model)", p.type or "-", p.stage) for p in self.problems]
        widths = [max(len(r[i]) for r in [("node", "type", "stage"), *rows]) for i in range(3)]
        line = "  ".join(f"{{:<{w}}}" for w in widths)
        out = [head, "", line.format("node", "type", "stage").rstrip()]
        for row, problem in zip(rows, self.problems, strict=True):
            out.append(line.format(*row).rstrip())
            out.append(f"    problem: {problem.reason}")
            out.append(f"    fix:     {problem.fix}")
        return "\n".join(out)


def _problem(exc: SnnCompileError, stage: str, graph: Any = None) -> Problem:
    node = exc.node
    kind = None
    if graph is not None and node in graph.nodes:
        kind = type(graph.nodes[node]).__name__
    return Problem(node, kind, stage, exc.message, exc.hint or "see the reason")


def _node_type_problems(graph: Any, target: str, supported: Any) -> list[Problem]:
    """One problem per node whose type ``target`` has no lowering for."""
    from snncompile.backend import installed_backends

    others: dict[type, list[str]] = {}
    for name, cls in sorted(installed_backends().items()):
        if isinstance(cls, type) and name != target:
            for node_type in {type(n) for n in graph.nodes.values()}:
                if node_type in cls.capabilities.node_types:
                    others.setdefault(node_type, []).append(name)
    names = ", ".join(sorted(cls.__name__ for cls in supported))
    problems = []
    for name, node in graph.nodes.items():
        if type(node) in supported:
            continue
        kind = type(node).__name__
        elsewhere = others.get(type(node))
        fix = "replace the layer in the model with one the target supports"
        if elsewhere:
            fix += f", or export to a target that takes {kind}: {', '.join(elsewhere)}"
        problems.append(
            Problem(
                name,
                kind,
                "target",
                f"target {target!r} has no lowering for {kind} (it takes: {names})",
                fix,
            )
        )
    return problems


def check(
    model: Any,
    example_input: Any = None,
    *,
    target: str = "nir",
    input_shape: Sequence[int] | None = None,
    calibration: Any = None,
    allow_pickle: bool = False,
    dialect: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    options: Mapping[str, Any] | None = None,
) -> CheckResult:
    """Whether ``model`` can be deployed to ``target``, naming every node that cannot.

    Args:
        model: ``nn.Module``, checkpoint path, ``.nir`` path or IR graph (as for
            :func:`snncompile.compile`).
        example_input: the example to trace a module with: time-major ``[T, B, ...]``,
            or one step ``[B, ...]`` for a per-step model (checkpoints store their own).
        target: a backend name (``snncompile list-backends``).
        input_shape, calibration, allow_pickle, dialect, overrides, options: as for
            :func:`snncompile.compile`.

    Returns:
        A :class:`CheckResult` (truthy iff deployable) listing every :class:`Problem`.

    Raises:
        ConfigError, CheckpointError, InputError, BackendUnavailableError: the request
            itself is wrong (file, target, options, example layout), as for ``compile``.
    """
    from snncompile.api import _calibrates, load_graph, stored_calibration
    from snncompile.backend import get_backend
    from snncompile.passes.pipeline import run_pipeline

    backend_options = dict(options or {})
    if calibration is not None:  # as compile passes it: the backend may calibrate with it
        calibration = np.asarray(calibration, dtype=np.float32)
        backend_options["calibration"] = calibration
    backend = get_backend(target, **backend_options)  # an unknown target: raised first
    try:
        graph = load_graph(
            model,
            example_input=example_input,
            input_shape=input_shape,
            allow_pickle=allow_pickle,
            dialect=dialect,
            overrides=overrides,
        )
        graph = run_pipeline(graph)
    except _MODEL_ERRORS as exc:
        return CheckResult(target, 0, (_problem(exc, "trace"),))
    stored = None  # as compile: a checkpoint's stored example calibrates by default
    if calibration is None and "calibration" not in backend_options and _calibrates(backend):
        stored = stored_calibration(model, graph, allow_pickle=allow_pickle)
    problems = _target_problems(graph, backend, calibration, stored)
    return CheckResult(target, len(graph.nodes), tuple(problems))


def _target_problems(
    graph: Any, backend: Any, calibration: Any, stored: Any = None
) -> list[Problem]:
    """The target's stages in the order ``compile`` and ``save`` run them (``stored``:
    the checkpoint's example input, used as calibration as ``compile`` uses it)."""
    from snncompile.api import quantize_stage

    stage = "legalize"
    try:
        for legalize in backend.legalize:
            graph = legalize(graph)
        problems = _node_type_problems(graph, backend.name, backend.capabilities.node_types)
        if problems:  # later stages assume supported node types
            return problems
        stage = "quantize"
        try:
            staged = quantize_stage(backend, graph, calibration if stored is None else stored, None)
        except InputError:
            if stored is None:
                raise
            # a default the target cannot take (netx calibrates on spikes): as compile
            staged = quantize_stage(backend, graph, None, None)
        stage = "lower"
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "artifact"
            out.mkdir()
            backend.emit(staged, out)
    except SnnCompileError as exc:
        return [_problem(exc, stage, graph)]
    return []
