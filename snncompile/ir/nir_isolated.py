"""``nir.read`` of an untrusted file in a forked child process, with a timeout.

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
import select
import signal
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import nir

from snncompile.errors import CheckpointError

IN_PROCESS_ENV = "SNNCOMPILE_NIR_IN_PROCESS"
TIMEOUT_ENV = "SNNCOMPILE_NIR_READ_TIMEOUT"
DEFAULT_TIMEOUT_S = 60.0
_HINT = "the file must be written by nir.write (HDF5 with a 'node' group); copy it again"


def read_nir_graph(path: Path, timeout: float | None = None) -> nir.NIRGraph:
    """``nir.read(path, type_check=False)``, isolated from crashes and hangs.

    Raises:
        CheckpointError: the file cannot be parsed, the parser crashed or timed out.
    """
    if timeout is None:
        timeout = float(os.environ.get(TIMEOUT_ENV, DEFAULT_TIMEOUT_S))
    if not _can_fork() or os.environ.get(IN_PROCESS_ENV) == "1":
        return _parse(path)
    ok, payload = _in_child(path, timeout)
    if not ok:
        raise CheckpointError(f"cannot read {str(path)!r} as a NIR graph: {payload}", hint=_HINT)
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
        return nir.read(path, type_check=False)
    except Exception as exc:  # h5py/HDF5/nir on untrusted bytes: every failure is the file's
        raise CheckpointError(
            f"cannot read {str(path)!r} as a NIR graph: {_reason(exc)}", hint=_HINT
        ) from exc


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
            payload: tuple[bool, Any] = (True, nir.read(path, type_check=False))
            data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
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
