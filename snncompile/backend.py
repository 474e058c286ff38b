"""Backend plug-ins: the ``Backend`` base class, capabilities and the registry.

Backends are separate distributions (``backends/<target>/``) that register a
:class:`Backend` subclass under the entry-point group ``snncompile.backends``. The
registry loads them lazily; a plug-in whose import fails is reported as an error,
never skipped with a warning.
"""

from __future__ import annotations

import abc
import importlib.metadata
import json
import os
import tempfile
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from snncompile.errors import (
    BackendUnavailableError,
    CheckpointError,
    ConfigError,
    InputError,
    SnnCompileError,
    UnsupportedNodeError,
)

if TYPE_CHECKING:
    import numpy as np

    from snncompile.ir.graph import Graph
    from snncompile.quant.precision import FixedPoint
    from snncompile.quant.stage import QuantizedGraph

PathLike = str | os.PathLike[str]

ENTRY_POINT_GROUP = "snncompile.backends"

#: Targets the project knows about, with the command that installs each one.
KNOWN_BACKENDS: Mapping[str, str] = {
    "lava": "pip install -e backends/lava   # distribution snncompile-lava",
    "onnx": "pip install -e backends/onnx   # distribution snncompile-onnx",
}


def node_classes(types: Iterable[str | type]) -> frozenset[type]:
    """IR node classes from IR classes or IR type names (``"SoftLIF"``), for declaring
    :attr:`Capabilities.node_types`.

    Raises:
        BackendUnavailableError: a name is not an IR node type.
    """
    from snncompile.ir.nodes import NODE_TYPES

    found: set[type] = set()
    for item in types:
        if isinstance(item, type):
            found.add(item)
        elif item in NODE_TYPES:
            found.add(NODE_TYPES[item].cls)
        else:
            raise BackendUnavailableError(
                f"backend capability names {item!r}, which is not an IR node type",
                hint=f"use IR classes or names from snncompile.ir.nodes.NODE_TYPES "
                f"({', '.join(NODE_TYPES)})",
            )
    return frozenset(found)


@dataclass(frozen=True)
class Capabilities:
    """What a target supports, as data. Hardware constants cite their source.

    ``node_types`` holds IR node classes (see :func:`node_classes`): the core refuses a
    graph with a node of any other class before :meth:`Backend.emit` runs.
    ``topologies`` names the graph shapes of :data:`snncompile.ir.topology.TOPOLOGIES`
    the target lowers, as its conformance cases show (tests/conformance); it is data for
    people (``snncompile targets``, docs/targets.md): the target itself refuses a graph
    it cannot represent, naming the node.
    """

    node_types: AbstractSet[type] = frozenset()
    weight_bits: int | None = None
    state_bits: int | None = None
    max_fan_in: int | None = None
    synapse_delay_steps: int = 0
    notes: Mapping[str, str] = field(default_factory=dict)
    #: Quantised field name (``weight``, ``threshold``, ``state``, …) → the widest
    #: FixedPoint the target holds; ``verify`` checks a QuantizedGraph against it
    #: (snncompile.quant.stage.check_precisions). Empty: no quantised fields checked.
    precisions: Mapping[str, FixedPoint] = field(default_factory=dict)
    topologies: AbstractSet[str] = frozenset()


class LiveNodeTypes(AbstractSet[type]):
    """A read-only set of IR node classes computed on every use from ``source``.

    For backends whose lowering table is open to registration (``register_node_type``
    and a table entry, docs/extending.md): the capability check sees node types added
    after the backend class was defined.
    """

    def __init__(self, source: Callable[[], Iterable[type]]) -> None:
        self._source = source

    def _current(self) -> frozenset[type]:
        return frozenset(self._source())

    def __contains__(self, item: object) -> bool:
        return item in self._current()

    def __iter__(self) -> Iterator[type]:
        return iter(self._current())

    def __len__(self) -> int:
        return len(self._current())

    def __repr__(self) -> str:
        return f"LiveNodeTypes({sorted(cls.__name__ for cls in self)})"


def check_supported(graph: Graph, backend: type[Backend] | Backend) -> None:
    """Refuse ``graph`` when one of its nodes is not in ``backend.capabilities.node_types``.

    Raises:
        UnsupportedNodeError: naming the first such node (in graph order), its type, the
            target and the supported types.
    """
    supported = backend.capabilities.node_types
    for name, node in graph.nodes.items():
        if type(node) not in supported:
            names = ", ".join(sorted(cls.__name__ for cls in supported))
            raise UnsupportedNodeError(
                f"node {name!r} of type {type(node).__name__} has no lowering for target "
                f"{backend.name!r} (supported: {names})",
                node=name,
                hint="choose a target that supports it (`snncompile list-backends`), or "
                "replace the layer in the model",
            )


def graph_to_bytes(graph: Graph) -> bytes:
    """``graph`` as the bytes of a ``.nir`` file (lossless for every IR node type), for
    artefacts that store their source graph so :func:`snncompile.open` can reopen them."""
    from snncompile.ir.nir_io import write_nir

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "graph.nir"
        with warnings.catch_warnings():  # inexact NIR forms: the lossless copy is read back
            warnings.simplefilter("ignore")
            write_nir(graph, path, stored_copy=True)
        return path.read_bytes()


def graph_from_bytes(data: bytes, where: PathLike) -> Graph:
    """The IR graph stored by :func:`graph_to_bytes`; ``where`` names the artefact.

    Raises:
        CheckpointError: the bytes are not a readable ``.nir`` file.
    """
    from snncompile.ir.nir_io import read_nir

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "graph.nir"
        path.write_bytes(data)
        try:
            return read_nir(path, "snncompile")
        except SnnCompileError as exc:
            raise CheckpointError(
                f"'{where}': its stored IR graph cannot be read ({exc.message})",
                hint="the artefact is damaged; export it again",
            ) from exc


@dataclass(frozen=True)
class DeployedRun:
    """What a target runs, for counting (``snncompile report --target``).

    Attributes:
        graph: the IR graph the target runs, after its own passes (e.g. pooling folded
            into the next connection); every node keeps the name of its module.
        recorded: a node-keyed recording of the target's arithmetic on the inputs, as
            ``snncompile.reference.simulate(graph, x, record="all")`` keys it.
        engine: what produced ``recorded``, in words.
        neuron_inputs: False when ``recorded`` holds no synaptic input of the neurons
            (count every update as active).
        folded: connection node -> nodes the target folded into it.
    """

    graph: Graph
    recorded: Mapping[str, np.ndarray]
    engine: str
    neuron_inputs: bool = True
    folded: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def check_count_engine(backend: Backend | type[Backend], engine: str | None) -> None:
    """Refuse an ``engine`` (``snncompile report --engine``) that ``backend``'s
    :meth:`~Backend.deployed_run` cannot count with; None and ``"reference"`` (the target's
    own reference arithmetic) always can.

    Raises:
        ConfigError: naming the target, the engine and the targets' way to get one.
    """
    if engine in (None, "reference") or engine in backend.count_engines:
        return
    engines = ", ".join(("reference", *backend.count_engines))
    raise ConfigError(
        f"target {backend.name!r} cannot count with engine {engine!r}: it has no {engine} "
        f"run (its engines: {engines})",
        hint=(
            "the lava engine runs the Lava target's artefact: use target='lava', or "
            "engine=None to count the target's reference run"
            if engine == "lava"
            else f"use one of: {engines}"
        ),
        cli_hint=(
            "the lava engine runs the Lava target's artefact: use --target lava (or a Lava "
            "artefact), or drop --engine to count the target's reference run"
            if engine == "lava"
            else f"use --engine {' or --engine '.join(('reference', *backend.count_engines))}"
        ),
    )


class Backend(abc.ABC):
    """A compilation target.

    Required members (checked by :func:`get_backend` when the plug-in is loaded):
    ``name``, ``artifact_suffix``, ``capabilities`` (non-empty ``node_types``),
    :meth:`emit`, :meth:`simulate` and :meth:`read_graph`. The others have defaults.

    Lowering never quantises: it maps an already legal graph. The core runs
    ``legalize`` (graph → graph functions, in order) in :func:`snncompile.compile`, then
    refuses nodes outside ``capabilities.node_types`` before :meth:`emit`.
    """

    #: The target name, equal to the entry-point name.
    name: ClassVar[str]
    #: Suffix of the single-file artefact (``".onnx"``), or None for a directory artefact
    #: whose ``manifest.json`` names the target.
    artifact_suffix: ClassVar[str | None]
    capabilities: ClassVar[Capabilities]
    legalize: ClassVar[tuple[Callable[[Any], Any], ...]] = ()

    def quantize(self, graph: Graph, calibration: np.ndarray | None) -> Graph | QuantizedGraph:
        """The quantisation stage for this target, run after ``legalize`` (a pure function
        of ``graph`` and ``calibration``, time-major sample inputs or None). Float targets
        return ``graph`` unchanged (the default); quantising targets return a
        :class:`~snncompile.quant.stage.QuantizedGraph`, which :meth:`emit` receives."""
        return graph

    @abc.abstractmethod
    def emit(self, graph: Any, out_dir: Path) -> Path:
        """Write the artefact for ``graph`` (the output of :meth:`quantize`) into
        ``out_dir`` and return its path (a file named ``*<artifact_suffix>`` or, for
        directory artefacts, a directory). Lowering maps; it never quantises."""

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

    #: Engines :meth:`deployed_run` can count with besides its default one (``"lava"``:
    #: a run of the emitted artefact on Lava), as ``snncompile report --engine`` names them.
    count_engines: ClassVar[tuple[str, ...]] = ()

    def deployed_run(
        self, staged: Any, inputs: np.ndarray, engine: str | None = None
    ) -> DeployedRun:
        """The graph ``staged`` (the output of :meth:`quantize`) runs on this target and
        a recording of that run on time-major ``inputs``, for energy counting.

        Default: the stage's graph and a float32 reference-simulator run of it. A target
        whose arithmetic or graph differs (fixed point, folded layers) overrides it.
        ``engine`` (None: the default) is one of :attr:`count_engines`.

        Raises:
            ConfigError: ``engine`` is not one of :attr:`count_engines`.
        """
        import numpy as np

        from snncompile.quant.stage import QuantizedGraph
        from snncompile.reference import simulate

        check_count_engine(self, engine)
        graph = staged.graph if isinstance(staged, QuantizedGraph) else staged
        recorded = simulate(graph, np.asarray(inputs), dtype=np.float32, record="all")
        return DeployedRun(graph, recorded, "reference simulator (float32)")

    def emit_summary(self, staged: Any = None) -> str | None:
        """What the stage ``staged`` (the output of :meth:`quantize`) decided, as Markdown
        for people (``snncompile export`` prints it), e.g. per-layer quantisation scales;
        None: nothing to say."""
        summary = getattr(staged, "to_markdown", None)
        return summary() if callable(summary) else None

    @classmethod
    @abc.abstractmethod
    def read_graph(cls, path: Path) -> Graph:
        """The IR graph a saved artefact was emitted from (for ``snncompile.open``).

        Raises:
            CheckpointError: the artefact is damaged or stores no graph (then the hint
                says to export it again).
        """

    # -------------------------------------------------------- saved artefacts

    @classmethod
    def claims(cls, path: Path) -> bool:
        """Whether the saved artefact at ``path`` belongs to this backend: a file whose
        suffix is ``artifact_suffix`` (any case), or a directory whose ``manifest.json``
        names this target."""
        path = Path(path)
        if cls.artifact_suffix is not None:
            return path.is_file() and path.suffix.lower() == cls.artifact_suffix.lower()
        return path.is_dir() and manifest_target(path) == cls.name

    @classmethod
    def input_shape(cls, path: Path) -> tuple[int, ...] | None:
        """The per-step input shape (without T and B) a saved artefact records; None when
        it records none (static inputs then need ``steps``)."""
        return None

    @classmethod
    def describe_artifact(cls, path: Path) -> str | None:
        """Lines about a saved artefact beyond its IR graph, for ``snncompile inspect``
        (e.g. what the file's own layers hold); None: nothing beyond the graph.

        Raises:
            CheckpointError: the artefact is damaged.
        """
        return None

    # -------------------------------------------------------- command line

    @classmethod
    def add_export_options(cls, group: Any) -> None:
        """Add this target's ``snncompile export`` flags to ``group`` (an argparse group;
        a flag several backends declare the same way is shared). Default: none."""
        return

    @classmethod
    def add_simulate_options(cls, group: Any) -> None:
        """Add this target's ``snncompile simulate`` flags to ``group``. Default: none."""
        return

    @classmethod
    def options_from_args(cls, args: Any) -> dict[str, Any]:
        """Constructor keyword options from this target's parsed flags (``args`` is the
        argparse namespace of ``export`` or ``simulate``); ``steps`` only when the target
        uses ``--steps`` itself (not just as T of static data)."""
        return {}


MANIFEST = "manifest.json"


def artifact_target(path: PathLike) -> str:
    """The target of the saved artefact at ``path``: the one a directory's
    ``manifest.json`` names, else the installed backend that claims the file.

    Raises:
        ConfigError: ``path`` is missing, a directory without a manifest, or a file no
            installed backend claims.
        CheckpointError: the manifest is not valid JSON.
    """
    path = Path(path)
    if path.is_dir():
        target = manifest_target(path)
        if target is not None:
            return target
        raise ConfigError(
            f"'{path}' is a directory without an snncompile {MANIFEST}",
            hint="give a directory written by `snncompile export` (e.g. --target lava)",
        )
    if not path.exists():
        raise ConfigError(f"artefact '{path}' does not exist", hint="check the path")
    # plug-ins load one at a time (in name order) until one claims the file: reading a
    # .net or .nir file does not pay for importing every other backend (start-up time)
    for name in sorted(_entry_points()):
        try:
            cls = load_backend_class(name)
        except BackendUnavailableError:  # a broken plug-in claims nothing
            continue
        if cls.claims(path):
            return cls.name
    classes = [c for c in installed_backends().values() if isinstance(c, type)]
    suffixes = sorted({c.artifact_suffix for c in classes if c.artifact_suffix})
    raise ConfigError(
        f"'{path}': unknown artefact type {path.suffix!r}",
        hint=f"give a file written by `snncompile export` ({', '.join(suffixes)}) or an "
        "export directory",
    )


STEP_RULE = (
    "static data [B, *shape] are repeated over steps=T time steps; time-major data "
    "[T, B, *shape] are taken as they are (steps=T keeps the first T steps); the model's "
    "per-step input shape tells the two apart"
)


def shape_text(shape: tuple[int, ...]) -> str:
    """``(3, 1, 8)`` as ``[3, 1, 8]``, the way errors write shapes."""
    return "[" + ", ".join(map(str, shape)) + "]"


def time_major(
    x: np.ndarray,
    per_step_shape: tuple[int, ...] | None,
    steps: int | None = None,
    *,
    where: str = "inputs",
) -> np.ndarray:
    """The one rule for static and time-major inputs (CLI, API, backends, Lava loader).

    With the model's per-step input shape ``S`` (without T and B) known:

    - ``x.shape == [B, *S]`` (static): repeated ``steps`` times, giving ``[steps, B, *S]``;
      ``steps`` is then required;
    - ``x.shape == [T, B, *S]`` (time-major): taken as it is; ``steps`` (if given) keeps
      the first ``steps`` time steps and must be ``<= T``;
    - anything else is refused, naming both shapes and the rule.

    With ``S`` unknown (None: several inputs, or an artefact that records none) ``x`` is
    time-major ``[T, B, ...]`` (rank >= 2), cut to ``steps`` as above.

    Raises:
        InputError: a shape that fits neither form, static data without ``steps``,
            ``steps`` beyond the T of time-major data, or ``steps`` not a positive int.
    """
    import numpy as np

    if steps is not None:
        if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
            raise InputError(
                f"steps={steps!r} is not a positive integer", hint="pass --steps T >= 1"
            )
        steps = int(steps)
    shape = tuple(int(d) for d in x.shape)
    if per_step_shape is not None:
        per_step = tuple(int(d) for d in per_step_shape)
        inner = ", ".join(map(str, per_step))
        if x.ndim == len(per_step) + 1 and shape[1:] == per_step:
            if steps is None:
                raise InputError(
                    f"{where}: static inputs {shape_text(shape)} = [B, {inner}] (no time axis; the "
                    f"model takes {shape_text(per_step)} per step) need a number of time steps",
                    hint=f"pass --steps T (steps=T); rule: {STEP_RULE}",
                )
            return np.broadcast_to(x, (steps, *shape)).copy()
        if x.ndim != len(per_step) + 2 or shape[2:] != per_step:
            raise InputError(
                f"{where}: inputs of shape {shape_text(shape)} do not fit the model input "
                f"{shape_text(per_step)} per step: neither static [B, {inner}] nor time-major "
                f"[T, B, {inner}]",
                hint=f"rule: {STEP_RULE}",
            )
    elif x.ndim < 2:
        raise InputError(
            f"{where}: inputs of shape {shape_text(shape)} have no batch/time axes and the model's "
            "per-step input shape is unknown",
            hint="pass time-major [T, B, ...] inputs (repeat static data over T yourself)",
        )
    if steps is not None and steps > shape[0]:
        raise InputError(
            f"{where}: steps={steps} but the time-major inputs {shape_text(shape)} hold only "
            f"T={shape[0]} time steps",
            hint=f"pass steps <= {shape[0]}, or static [B, ...] data; rule: {STEP_RULE}",
        )
    return x[:steps] if steps is not None else x


def graph_input_shape(graph: Graph) -> tuple[int, ...] | None:
    """The per-step shape of the graph's only Input node (None for several inputs)."""
    import nir
    import numpy as np

    shapes = [
        tuple(int(d) for d in np.asarray(node.input_type["input"]))
        for node in graph.nodes.values()
        if isinstance(node, nir.Input)
    ]
    return shapes[0] if len(shapes) == 1 else None


def manifest_target(path: Path) -> str | None:
    """The ``target`` named by ``path/manifest.json``; None when there is none.

    Raises:
        CheckpointError: the manifest exists but is not valid JSON.
    """
    manifest = Path(path) / MANIFEST
    if not manifest.is_file():
        return None
    try:
        target = json.loads(manifest.read_text("utf-8")).get("target")
    except (ValueError, AttributeError) as exc:
        raise CheckpointError(
            f"'{manifest}' is not a valid snncompile manifest ({exc})",
            hint="export the artefact again",
        ) from exc
    return target if isinstance(target, str) else None


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


#: Members every Backend subclass must define itself or inherit with a value
#: (``emit``, ``simulate`` and ``read_graph`` are abstract: the class must implement them).
REQUIRED_MEMBERS = ("name", "artifact_suffix", "capabilities", "emit", "simulate", "read_graph")


def check_contract(entry: str, cls: type[Backend]) -> None:
    """Refuse a plug-in class that does not declare the members the core uses.

    Raises:
        BackendUnavailableError: naming the first missing or malformed member.
    """

    def refuse(member: str, problem: str) -> BackendUnavailableError:
        return BackendUnavailableError(
            f"backend {entry!r} ({cls.__module__}.{cls.__qualname__}) {problem} {member!r}",
            hint=f"declare {member!r} on the Backend subclass (see snncompile.backend.Backend)",
        )

    for member in REQUIRED_MEMBERS:
        if not hasattr(cls, member):
            raise refuse(member, "does not declare the required member")
    missing = sorted(getattr(cls, "__abstractmethods__", ()))
    if missing:
        raise refuse(missing[0], "does not implement the required method")
    if cls.name != entry:
        raise refuse("name", f"is registered as {entry!r} but declares {cls.name!r} as")
    suffix = cls.artifact_suffix
    if suffix is not None and not (isinstance(suffix, str) and suffix.startswith(".")):
        raise refuse("artifact_suffix", f"declares {suffix!r} (not '.ext' or None) as")
    caps = cls.capabilities
    if not (isinstance(caps, Capabilities) and caps.node_types):
        raise refuse("capabilities", "declares no node types in")
    if not all(isinstance(t, type) for t in caps.node_types):
        raise refuse("capabilities", "lists type names, not IR classes, in")
    from snncompile.ir.topology import TOPOLOGIES

    unknown = sorted(set(caps.topologies) - set(TOPOLOGIES))
    if unknown:
        raise refuse(
            "capabilities",
            f"declares unknown topologies {unknown} (known: {', '.join(TOPOLOGIES)}) in",
        )


def load_backend_class(name: str) -> type[Backend]:
    """The Backend subclass registered as ``name``, checked against the contract.

    Raises:
        BackendUnavailableError: the target is known but not installed, its plug-in
            fails to import (the original exception is chained), or it does not declare
            a required member (:data:`REQUIRED_MEMBERS`).
        ConfigError: no such target exists.
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
    check_contract(name, cls)
    return cls


def installed_backends() -> dict[str, type[Backend] | BackendUnavailableError]:
    """Every installed backend's class by name, or the error that refuses it (a broken
    plug-in stays visible: its error is raised when it is used)."""
    classes: dict[str, type[Backend] | BackendUnavailableError] = {}
    for name in sorted(_entry_points()):
        try:
            classes[name] = load_backend_class(name)
        except BackendUnavailableError as exc:
            classes[name] = exc
    return classes


def get_backend(name: str, **options: Any) -> Backend:
    """Instantiate the backend registered as ``name`` with keyword ``options``.

    Raises:
        BackendUnavailableError: the target is known but not installed, its plug-in
            fails to import (the original exception is chained), or it does not declare
            a required member.
        ConfigError: no such target exists, or it does not take one of ``options``.
    """
    cls = load_backend_class(name)
    try:
        return cls(**options)
    except TypeError as exc:
        raise ConfigError(
            f"target {name!r} does not accept the options {sorted(options)}: {exc}",
            hint=f"see `snncompile export --help` for the options of --target {name}",
        ) from exc
