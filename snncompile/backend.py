"""Backend plug-ins: the ``Backend`` base class, capabilities and the registry.

Backends are separate distributions (``backends/<target>/``) that register a
:class:`Backend` subclass under the entry-point group ``snncompile.backends``. The
registry loads them lazily; a plug-in whose import fails is reported as an error,
never skipped with a warning.
"""

from __future__ import annotations

import abc
import importlib.metadata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from snncompile.errors import BackendUnavailableError, ConfigError

if TYPE_CHECKING:
    import numpy as np

    from snncompile.ir.graph import Graph
    from snncompile.quant.precision import FixedPoint
    from snncompile.quant.stage import QuantizedGraph

ENTRY_POINT_GROUP = "snncompile.backends"

#: Targets the project knows about, with the command that installs each one.
KNOWN_BACKENDS: Mapping[str, str] = {
    "lava": "pip install -e backends/lava   # distribution snncompile-lava",
    "onnx": "pip install -e backends/onnx   # distribution snncompile-onnx",
}


@dataclass(frozen=True)
class Capabilities:
    """What a target supports, as data. Hardware constants cite their source."""

    node_types: frozenset[str] = frozenset()
    weight_bits: int | None = None
    state_bits: int | None = None
    max_fan_in: int | None = None
    synapse_delay_steps: int = 0
    notes: Mapping[str, str] = field(default_factory=dict)
    #: Quantised field name (``weight``, ``threshold``, ``state``, …) → the widest
    #: FixedPoint the target holds; ``verify`` checks a QuantizedGraph against it
    #: (snncompile.quant.stage.check_precisions). Empty: no quantised fields checked.
    precisions: Mapping[str, FixedPoint] = field(default_factory=dict)


class Backend(abc.ABC):
    """A compilation target.

    Subclasses set ``name`` and ``capabilities`` and implement :meth:`emit` and
    :meth:`simulate`. Lowering never quantises: it maps an already legal graph.
    """

    name: ClassVar[str]
    capabilities: ClassVar[Capabilities] = Capabilities()
    legalize: ClassVar[tuple[Callable[[Any], Any], ...]] = ()
    lowerings: ClassVar[Mapping[str, Callable[..., Any]]] = {}

    def quantize(self, graph: Graph, calibration: np.ndarray | None) -> Graph | QuantizedGraph:
        """The quantisation stage for this target, run after ``legalize`` (a pure function
        of ``graph`` and ``calibration``, time-major sample inputs or None). Float targets
        return ``graph`` unchanged (the default); quantising targets return a
        :class:`~snncompile.quant.stage.QuantizedGraph`, which :meth:`emit` receives."""
        return graph

    @abc.abstractmethod
    def emit(self, graph: Any, out_dir: Path) -> Path:
        """Write the artefact for ``graph`` (the output of :meth:`quantize`) into
        ``out_dir`` and return its path. Lowering maps; it never quantises."""

    @abc.abstractmethod
    def simulate(
        self, artifact: Path, inputs: np.ndarray, steps: int | None = None
    ) -> dict[str, np.ndarray]:
        """Run an artefact on time-major ``inputs`` and return its recorded outputs."""

    def reference_run(
        self, graph: Any, inputs: Any, steps: int | None = None
    ) -> dict[str, np.ndarray]:
        """The run this backend must equal: ``{output name: [T, B, ...]}`` for ``graph``
        (the artefact's graph, after the pipeline) on time-major ``inputs``.

        Default: the float32 reference simulator, which float backends match spike for
        spike (analog outputs to float32 rounding). A backend with other arithmetic
        overrides it with the reference it declares, e.g. an integer simulator of what
        :meth:`emit` quantised, matched bit for bit. The conformance suite
        (tests/conformance/test_backends.py) compares :meth:`simulate` with it. A graph
        the backend cannot represent never gets here: :meth:`emit` refuses it with an
        UnsupportedNodeError or ConfigError naming the node.
        """
        import numpy as np

        from snncompile.reference import simulate

        x = inputs if isinstance(inputs, Mapping) else np.asarray(inputs)
        if steps is not None:
            x = {k: v[:steps] for k, v in x.items()} if isinstance(x, Mapping) else x[:steps]
        return simulate(graph, x, dtype=np.float32)

    def emit_summary(self, staged: Any = None) -> str | None:
        """What the stage ``staged`` (the output of :meth:`quantize`) decided, as Markdown
        for people (``snncompile export`` prints it), e.g. per-layer quantisation scales;
        None: nothing to say."""
        summary = getattr(staged, "to_markdown", None)
        return summary() if callable(summary) else None

    def cost_table(self) -> Mapping[str, Any]:
        """Energy profile(s) this backend contributes (none by default)."""
        return {}


@dataclass(frozen=True)
class BackendInfo:
    """One row of ``snncompile list-backends``."""

    name: str
    installed: bool
    source: str
    install_hint: str | None = None


def _entry_points() -> dict[str, importlib.metadata.EntryPoint]:
    return {ep.name: ep for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)}


def list_backends() -> list[BackendInfo]:
    """Installed backends (from entry points) plus the known ones that are missing."""
    found = _entry_points()
    rows = [BackendInfo(name, True, ep.value) for name, ep in sorted(found.items())]
    rows += [
        BackendInfo(name, False, "", hint)
        for name, hint in sorted(KNOWN_BACKENDS.items())
        if name not in found
    ]
    return rows


def get_backend(name: str, **options: Any) -> Backend:
    """Instantiate the backend registered as ``name`` with keyword ``options``.

    Raises:
        BackendUnavailableError: the target is known but not installed, or its
            plug-in fails to import (the original exception is chained).
        ConfigError: no such target exists, or it does not take one of ``options``.
    """
    found = _entry_points()
    if name not in found:
        if name in KNOWN_BACKENDS:
            raise BackendUnavailableError(
                f"backend {name!r} is not installed",
                hint=f"install it with: {KNOWN_BACKENDS[name]}",
            )
        available = sorted(set(found) | set(KNOWN_BACKENDS))
        raise ConfigError(
            f"unknown target {name!r}",
            hint=f"choose one of: {', '.join(available)} (see `snncompile list-backends`)",
        )
    try:
        cls = found[name].load()
    except Exception as exc:  # a broken plug-in is reported, never skipped
        raise BackendUnavailableError(
            f"backend {name!r} ({found[name].value}) failed to import: {type(exc).__name__}: {exc}",
            hint=f"reinstall it: {KNOWN_BACKENDS.get(name, 'pip install --force-reinstall')}",
        ) from exc
    if not (isinstance(cls, type) and issubclass(cls, Backend)):
        raise BackendUnavailableError(
            f"entry point {name!r} = {found[name].value} is not a snncompile Backend subclass",
            hint='fix the plug-in\'s [project.entry-points."snncompile.backends"] table',
        )
    try:
        return cls(**options)
    except TypeError as exc:
        raise ConfigError(
            f"target {name!r} does not accept the options {sorted(options)}: {exc}",
            hint=f"see `snncompile export --help` for the options of --target {name}",
        ) from exc
