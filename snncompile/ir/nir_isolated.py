"""``nir.read`` of an untrusted file in a forked child process, with a timeout.

The file is read with nir's own ``hdf2dict`` and ``dict2NIRNode`` with type checking
off at every depth (``nir.read(type_check=False)`` still type-checks nested subgraphs,
which foreign files often fail), and a file that is not NIR gets an error saying what
was found instead (not HDF5, no ``node`` group, which node is unknown or incomplete).

libhdf5 is C code: a damaged or crafted ``.nir`` (HDF5) file can make it loop forever
(fuzzing found corrupted variable-length string heaps that do) or crash the process.
Neither can be interrupted from Python. So on POSIX systems with ``fork`` the file is
parsed in a forked child that sends the parsed graph back through a pipe; a child that
runs past the timeout is killed, and a crash or a hang becomes a
:class:`~snncompile.errors.CheckpointError` instead of taking snncompile down with it.

Set ``SNNCOMPILE_NIR_IN_PROCESS=1`` to parse in-process (debugging), and
``SNNCOMPILE_NIR_READ_TIMEOUT`` (seconds, default 60) to change the timeout.
"""

from __future__ import annotations

import contextlib
import faulthandler
import io
import os
import pickle
import re
import select
import signal
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import h5py
import nir
from nir.serialization import hdf2dict

from snncompile.errors import CheckpointError

IN_PROCESS_ENV = "SNNCOMPILE_NIR_IN_PROCESS"
TIMEOUT_ENV = "SNNCOMPILE_NIR_READ_TIMEOUT"
DEFAULT_TIMEOUT_S = 60.0
_HINT = "NIR files are HDF5 files written by nir.write (or an exporter built on it)"
_DAMAGED_HINT = "the file looks damaged (an interrupted write or copy); export or copy it again"
_MISSING_ARGUMENTS = re.compile(r"missing \d+ required positional arguments?: (.+)$")
_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


class _NotNir(Exception):
    """What a file holds instead of a NIR graph (``args``: reason, hint)."""


def read_nir_graph(path: Path, timeout: float | None = None) -> nir.NIRGraph:
    """:func:`read_untyped` of ``path``, isolated from crashes and hangs.

    Raises:
        CheckpointError: the file cannot be parsed, the parser crashed or timed out.
    """
    if timeout is None:
        timeout = float(os.environ.get(TIMEOUT_ENV, DEFAULT_TIMEOUT_S))
    if not _can_fork() or os.environ.get(IN_PROCESS_ENV) == "1":
        return _parse(path)
    ok, payload = _in_child(path, timeout)
    if not ok:
        reason, hint = payload if isinstance(payload, tuple) else (payload, _DAMAGED_HINT)
        raise CheckpointError(f"cannot read {str(path)!r} as a NIR graph: {reason}", hint=hint)
    if not isinstance(payload, nir.NIRGraph):
        raise CheckpointError(
            f"{str(path)!r} does not hold a NIR graph (its root is {type(payload).__name__})",
            hint=_HINT,
        )
    return payload


def _can_fork() -> bool:
    return hasattr(os, "fork") and sys.platform.startswith("linux")


def _parse(path: Path) -> Any:
    try:
        return read_untyped(path)
    except _NotNir as exc:
        reason, hint = exc.args
        raise CheckpointError(
            f"cannot read {str(path)!r} as a NIR graph: {reason}", hint=hint
        ) from None
    except Exception as exc:  # h5py/HDF5/nir on untrusted bytes: every failure is the file's
        raise CheckpointError(
            f"cannot read {str(path)!r} as a NIR graph: {_reason(exc)}", hint=_DAMAGED_HINT
        ) from exc


def read_untyped(path: Path) -> nir.NIRGraph:
    """The NIR graph in ``path``, built by nir with type checking off at every depth.

    Raises:
        _NotNir: the file is not HDF5, has no ``node`` group, or a node cannot be built.
    """
    with open(path, "rb") as fh:
        head = fh.read(len(_HDF5_SIGNATURE))
    if head != _HDF5_SIGNATURE:
        raise _NotNir(f"it is not an HDF5 file ({_looks_like(path, head)})", _HINT)
    with h5py.File(path, "r") as f:
        if "node" not in f:
            keys = ", ".join(sorted(f.keys())[:8]) or "nothing"
            raise _NotNir(
                f"it is an HDF5 file without NIR's 'node' group (top level holds {keys})", _HINT
            )
        data = hdf2dict(f["node"])
    if _text(data.get("type")) != "NIRGraph":
        raise _NotNir(f"its root node is a {_text(data.get('type'))!r}, not a NIRGraph", _HINT)
    try:
        return nir.dict2NIRNode(_untyped(data))
    except Exception as exc:
        raise _NotNir(_broken_node(data, "") or _reason(exc), _DAMAGED_HINT) from exc


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _untyped(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with ``type_check=False`` on the graph and on every nested graph."""
    if _text(data.get("type")) != "NIRGraph":
        return dict(data)  # a copy: nir's from_dict edits node dicts in place
    nodes = {k: _untyped(v) if isinstance(v, dict) else v for k, v in data["nodes"].items()}
    return {**data, "nodes": nodes, "type_check": False}


def _broken_node(data: dict[str, Any], prefix: str) -> str | None:
    """Which node of ``data`` nir cannot build, and why (None when each one builds)."""
    for name, node in (data.get("nodes") or {}).items():
        where = f"{prefix}{name}"
        if not isinstance(node, dict):
            return f"node {where!r} is not a group"
        kind = _text(node.get("type"))
        if kind == "NIRGraph":
            found = _broken_node(node, f"{where}.")
            if found:
                return found
            continue
        try:
            nir.dict2NIRNode(dict(node))
        except Exception as exc:
            if not hasattr(nir, kind):
                return (
                    f"node {where!r} has type {kind!r}, which nir {nir.__version__} does not know"
                )
            if isinstance(exc, KeyError):
                return f"node {where!r} ({kind}) lacks its field {exc.args[0]!r}"
            missing = _MISSING_ARGUMENTS.search(str(exc))
            if missing:
                return f"node {where!r} ({kind}) lacks its field {missing.group(1)}"
            return f"node {where!r} ({kind}) is malformed ({_reason(exc)})"
    return None


def _looks_like(path: Path, head: bytes) -> str:
    """A guess at what a non-HDF5 file is, for the error message."""
    if not head:
        return "it is empty"
    if head.startswith(b"PK"):
        return (
            "it is a zip archive, like a torch checkpoint: pass .pt files to snncompile as they are"
        )
    if path.suffix == ".onnx" or head[:1] == b"\x08":
        return "it looks like an ONNX model"
    if all(32 <= b < 127 or b in (9, 10, 13) for b in head):
        return f"it is text, starting {head.decode(errors='replace')!r}"
    return f"it starts with the bytes {head!r}"


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _in_child(path: Path, timeout: float) -> tuple[bool, Any]:
    """(True, graph) or (False, reason) from a forked child that parses ``path``."""
    read_fd, write_fd = os.pipe()
    with warnings.catch_warnings():  # Python >= 3.12 warns about fork with threads
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        _child(path, read_fd, write_fd)
    os.close(write_fd)
    data: bytes | None = None
    try:
        data = _read_all(read_fd, time.monotonic() + timeout)
    finally:  # also on Ctrl-C or a caller's alarm: never leave the child behind
        os.close(read_fd)
        status = _reap(pid, kill=data is None)
    if data is None:
        return False, f"the HDF5 parser did not finish within {timeout:g} s (killed)"
    if status != 0 or not data:
        what = f"signal {-status}" if status < 0 else f"exit status {status}"
        return False, f"the HDF5 parser crashed ({what}) on the damaged file"
    try:
        result = _AnswerUnpickler(io.BytesIO(data)).load()
    except Exception as exc:
        return False, f"the parser's answer was unreadable ({_reason(exc)})"
    return result


class _AnswerUnpickler(pickle.Unpickler):
    """Defence in depth for the child's answer: only nir nodes, numpy arrays and plain
    containers can be rebuilt (a child subverted by a libhdf5 exploit gains nothing)."""

    _BUILTINS = frozenset({"dict", "list", "tuple", "set", "frozenset", "bytes", "str"})
    _NUMPY = frozenset({"_reconstruct", "_frombuffer", "ndarray", "dtype", "scalar"})

    def find_class(self, module: str, name: str) -> Any:
        root = module.split(".")[0]
        allowed = (
            root == "nir"
            or (root == "numpy" and name in self._NUMPY)
            or (module == "builtins" and name in self._BUILTINS)
            or (module == "copyreg" and name == "_reconstructor")
        )
        if not allowed:
            raise pickle.UnpicklingError(f"unexpected class {module}.{name} in the answer")
        return super().find_class(module, name)


def _child(path: Path, read_fd: int, write_fd: int) -> None:  # pragma: no cover - child
    code = 0
    try:
        os.close(read_fd)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        faulthandler.disable()  # a libhdf5 crash is reported by the parent, without a dump
        try:
            payload: tuple[bool, Any] = (True, read_untyped(path))
            data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
        except _NotNir as exc:
            data = pickle.dumps((False, tuple(exc.args)), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:
            data = pickle.dumps((False, _reason(exc)), protocol=pickle.HIGHEST_PROTOCOL)
        with os.fdopen(write_fd, "wb") as fh:
            fh.write(data)
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _read_all(fd: int, deadline: float) -> bytes | None:
    """Everything until EOF, or None once ``deadline`` passes."""
    chunks = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        ready, _, _ = select.select([fd], [], [], min(left, 1.0))
        if not ready:
            continue
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _reap(pid: int, *, kill: bool) -> int:
    """Wait for ``pid`` (killed first if ``kill``); its exit status, or -signal."""
    with contextlib.suppress(ChildProcessError):
        if kill:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        return os.waitstatus_to_exitcode(status)
    return 0
