"""The one door to lava-nc: the Python 3.11+ import shim and :func:`load_lava`.

lava-nc 0.10.0 fails to import on Python ≥ 3.11: ``lava.magma.compiler.var_model``
declares dataclass fields whose default is a ``ByteEncoder()`` instance, and since
bpo-44674 dataclasses reject every unhashable default (docs/lava.md §14). The shim is a
meta-path finder that answers for exactly that module and compiles a copy of its source
in which each ``= ByteEncoder()`` default becomes a ``default_factory`` expression.
Nothing else is touched: no dataclasses monkeypatch, no file edits in site-packages.

Every Lava import in this package goes through :func:`load_lava`, which installs the
shim, keeps the multiprocessing start method compatible with Lava's import-time
``set_start_method('fork')`` (docs/lava.md §15) and turns a missing lava-nc into a
:class:`~snncompile.errors.BackendUnavailableError` carrying the install command.
"""

from __future__ import annotations

import functools
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import logging
import multiprocessing
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from types import CodeType, ModuleType, SimpleNamespace

from snncompile.errors import BackendUnavailableError

__all__ = ["INSTALL_COMMAND", "TARGET_MODULE", "install", "is_installed", "load_lava"]

logger = logging.getLogger(__name__)

#: The only module the shim answers for.
TARGET_MODULE = "lava.magma.compiler.var_model"
#: lava-nc cannot be declared as a dependency on 3.11+ (it pins python<3.11, numpy<2):
#: its real run-time deps first, then lava itself without its pins (docs/lava.md §13).
INSTALL_COMMAND = (
    'pip install scipy "asteval<0.10" scikit-learn psutil && '
    "pip install --no-deps --ignore-requires-python lava-nc==0.10.0"
)

_PATTERN = re.compile(rb"=\s*ByteEncoder\(\)")
# An expression, not an added import line: the file starts with
# `from __future__ import annotations`, and nothing may precede that statement.
_REPLACEMENT = rb"= __import__('dataclasses').field(default_factory=ByteEncoder)"


class _PatchedSourceLoader(importlib.machinery.SourceFileLoader):
    """Source loader that compiles the patched text of ``var_model.py``."""

    def get_code(self, fullname: str) -> CodeType:
        source = self.get_data(self.path)
        patched, count = _PATTERN.subn(_REPLACEMENT, source)
        if count == 0:  # fixed upstream: behave exactly like the normal loader
            code = super().get_code(fullname)
            if code is None:  # pragma: no cover - a source file always has code
                raise ImportError(f"no code object for {fullname}", name=fullname)
            return code
        # Compiled under the original filename so tracebacks point at the real file.
        # Overriding get_code also means a stale, unpatched .pyc is never used, and no
        # patched .pyc is ever written into site-packages.
        return compile(patched, self.path, "exec", dont_inherit=True)


class _VarModelFinder(importlib.abc.MetaPathFinder):
    """Meta-path finder answering only for :data:`TARGET_MODULE`."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != TARGET_MODULE:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
            return spec  # not a plain source file: let the normal machinery decide
        spec.loader = _PatchedSourceLoader(fullname, spec.origin)
        return spec


def _var_model_source() -> Path | None:
    """Path of ``var_model.py`` without importing any part of lava (None if absent)."""
    try:
        lava_spec = importlib.util.find_spec("lava")
    except (ImportError, ValueError):
        return None
    if lava_spec is None or not lava_spec.submodule_search_locations:
        return None
    for root in lava_spec.submodule_search_locations:  # lava is a namespace package
        candidate = Path(root, "magma", "compiler", "var_model.py")
        if candidate.is_file():
            return candidate
    return None


def is_installed() -> bool:
    """Whether the shim's finder is on ``sys.meta_path``."""
    return any(isinstance(finder, _VarModelFinder) for finder in sys.meta_path)


def install() -> bool:
    """Install the shim; returns True when the finder is (now) active.

    A no-op that returns False on Python < 3.11, when the module is already imported,
    when lava-nc is absent, or when the source no longer contains the pattern (an
    upstream fix). Idempotent: a second call finds the first finder and returns True.
    """
    if is_installed():
        return True
    if sys.version_info < (3, 11):
        return False
    if TARGET_MODULE in sys.modules:
        logger.debug("%s already imported; shim not installed", TARGET_MODULE)
        return False
    source = _var_model_source()
    if source is None or not _PATTERN.search(source.read_bytes()):
        return False
    sys.meta_path.insert(0, _VarModelFinder())
    return True


def _prepare_start_method() -> None:
    """Let Lava's import-time ``multiprocessing.set_start_method('fork')`` succeed.

    That call has no ``force=True``, so it raises "context has already been set" once
    anything has set *or queried* the start method (docs/lava.md §15). A context already fixed
    to "fork" is released (Lava sets the same value again); any other method is an
    error, because Lava's runtime hard-codes fork.
    """
    if "lava.magma.runtime.message_infrastructure.multiprocessing" in sys.modules:
        return
    current = multiprocessing.get_start_method(allow_none=True)
    if current is None:
        return
    if current != "fork":
        raise BackendUnavailableError(
            f"Lava needs the 'fork' multiprocessing start method, but this process "
            f"already uses {current!r}",
            hint="run Lava through snncompile_lava.worker.run_in_worker(), which owns "
            "the start method in a fresh subprocess",
        )
    multiprocessing.set_start_method(None, force=True)  # type: ignore[arg-type]


_MODULES = {
    # core, for custom Processes and ProcessModels
    "AbstractProcess": "lava.magma.core.process.process",
    "Var": "lava.magma.core.process.variable",
    "InPort": "lava.magma.core.process.ports.ports",
    "OutPort": "lava.magma.core.process.ports.ports",
    "PyLoihiProcessModel": "lava.magma.core.model.py.model",
    "LavaPyType": "lava.magma.core.model.py.type",
    "PyInPort": "lava.magma.core.model.py.ports",
    "PyOutPort": "lava.magma.core.model.py.ports",
    "implements": "lava.magma.core.decorator",
    "requires": "lava.magma.core.decorator",
    "tag": "lava.magma.core.decorator",
    "CPU": "lava.magma.core.resources",
    "LoihiProtocol": "lava.magma.core.sync.protocols.loihi_protocol",
    # running
    "RunSteps": "lava.magma.core.run_conditions",
    "Loihi2SimCfg": "lava.magma.core.run_configs",
    # built-in processes and their ProcessModels
    "LIF": "lava.proc.lif.process",
    "PyLifModelFloat": "lava.proc.lif.models",
    "PyLifModelBitAcc": "lava.proc.lif.models",
    "LIFReset": "lava.proc.lif.process",
    "PyLifResetModelFloat": "lava.proc.lif.models",
    "PyLifResetModelBitAcc": "lava.proc.lif.models",
    "Dense": "lava.proc.dense.process",
    "PyDenseModelFloat": "lava.proc.dense.models",
    "PyDenseModelBitAcc": "lava.proc.dense.models",
    "Sparse": "lava.proc.sparse.process",
    "PySparseModelFloat": "lava.proc.sparse.models",
    "PySparseModelBitAcc": "lava.proc.sparse.models",
    "Monitor": "lava.proc.monitor.process",
    "PyMonitorModel": "lava.proc.monitor.models",
    "SignMode": "lava.utils.weightutils",
}
# Loaded only on request: lava.proc.conv imports scipy.signal, which takes 1-2 s.
_CONV_MODULES = {
    "Conv": "lava.proc.conv.process",
    "PyConvModelFloat": "lava.proc.conv.models",
    "PyConvModelFixed": "lava.proc.conv.models",
}
# io.source and io.sink both call their process "RingBuffer".
_RENAMED = {
    "SourceRingBuffer": ("lava.proc.io.source", "RingBuffer"),
    "PySendModelFloat": ("lava.proc.io.source", "PySendModelFloat"),
    "PySendModelFixed": ("lava.proc.io.source", "PySendModelFixed"),
    "SinkRingBuffer": ("lava.proc.io.sink", "RingBuffer"),
    "PyReceiveModelFloat": ("lava.proc.io.sink", "PyReceiveModelFloat"),
    "PyReceiveModelFixed": ("lava.proc.io.sink", "PyReceiveModelFixed"),
}


def load_lava(*, conv: bool = False) -> SimpleNamespace:
    """Import lava-nc (shim first) and return the classes snncompile uses.

    Args:
        conv: also load ``Conv`` and its ProcessModels (off by default because
            ``lava.proc.conv`` imports scipy.signal, which is slow to import).

    Returns:
        A namespace with Lava's core classes (``AbstractProcess``, ``Var``, ports,
        decorators, ``PyLoihiProcessModel`` …), ``RunSteps``, ``Loihi2SimCfg``, the
        built-in processes with their ProcessModels, ``SourceRingBuffer``,
        ``SinkRingBuffer``, ``SignMode`` and, with ``conv``, ``Conv``.

    Raises:
        BackendUnavailableError: lava-nc or one of its run-time dependencies is missing,
            or the process already uses a non-fork start method.
    """
    names = dict(vars(_load(_CORE_KEY)))
    if conv:
        names.update(vars(_load(_CONV_KEY)))
    return SimpleNamespace(**names)


_CORE_KEY = "core"
_CONV_KEY = "conv"


@functools.cache
def _load(part: str) -> SimpleNamespace:
    install()
    _prepare_start_method()
    if part == _CORE_KEY:
        wanted = {name: (module, name) for name, module in _MODULES.items()} | _RENAMED
    else:
        wanted = {name: (module, name) for name, module in _CONV_MODULES.items()}
    names: dict[str, object] = {}
    try:
        for name, (module, attr) in wanted.items():
            names[name] = getattr(importlib.import_module(module), attr)
    except ModuleNotFoundError as exc:
        missing = exc.name or "?"
        raise BackendUnavailableError(
            f"the Lava backend needs lava-nc 0.10.0, but importing it failed: "
            f"module {missing!r} is not installed",
            hint=f"install it with: {INSTALL_COMMAND}",
        ) from exc
    return SimpleNamespace(**names)
