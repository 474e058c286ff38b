"""Writing outputs atomically: into a temporary sibling, then one rename into place.

An error, a full disk or Ctrl-C therefore never leaves a partial artefact: either the
complete output exists under its final name or nothing does (staging entries are
named ``.<name>.*`` and removed on every exit path). Names read from input files are
never used as file-system paths: array keys written to ``.npz`` files are sanitised.

This is the one implementation of atomic writes: :func:`atomic_file` (one file, used by
checkpoints, energy reports and :func:`write_atomic`) and :func:`staging_dir` with
:func:`move_into_place` (artefacts that may be directories). It imports only
``snncompile.errors``, so every unit may use it.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import numpy as np

from snncompile.errors import ConfigError, OutputError

PathLike = str | os.PathLike[str]
_UNSAFE = re.compile(r"[^A-Za-z0-9_.:+=-]")
_EPOCH = (1980, 1, 1, 0, 0, 0)


def check_output(path: PathLike, *, force: bool = False) -> Path:
    """Check that ``path`` may be written and return its (resolved) parent directory.

    Raises:
        ConfigError: ``path`` exists and ``force`` is false.
        OutputError: the parent is missing, is a file or is not writable.
    """
    target = Path(path)
    if target.exists() and not force:
        raise ConfigError(
            f"output '{target}' already exists",
            hint="choose another path or pass --force (force=True) to replace it",
        )
    parent = target.parent.resolve()
    for folder in (parent, *parent.parents):  # the nearest existing ancestor
        if folder.exists():
            break
    if folder != parent:
        kind = "a file, not a directory" if folder.is_file() else "missing"
        raise OutputError(
            f"cannot write '{target}': '{folder if folder.is_file() else parent}' is {kind}",
            hint=f"create the directory first (mkdir -p '{parent}')"
            if kind == "missing"
            else "choose an output path inside a directory",
        )
    if not parent.is_dir():
        raise OutputError(
            f"cannot write '{target}': '{parent}' is a file, not a directory",
            hint="choose an output path inside a directory",
        )
    if not os.access(parent, os.W_OK):
        raise OutputError(
            f"cannot write '{target}': directory '{parent}' is not writable",
            hint="choose a writable location or fix its permissions",
        )
    return parent


def _file_mode() -> int:
    """The mode ``open()`` gives a new file: 0o666 less the umask (mkstemp uses 0o600)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def atomic_file(path: PathLike) -> Iterator[Path]:
    """Yield a temporary sibling ``.<name>.*.tmp<suffix>`` of ``path`` to write (it keeps
    the suffix, for writers that choose the format by it); on success it
    gets the usual file mode and is renamed to ``path`` (replacing it), on any exit by
    an exception (Ctrl-C included) it is removed and ``path`` is left as it was.

    The caller checks ``path`` first (e.g. :func:`check_output`); ``OSError`` passes
    through unchanged.
    """
    target = Path(path)
    fd, name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=f".tmp{target.suffix}", dir=target.parent
    )
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, _file_mode())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def naming(target: Path) -> Iterator[None]:
    """``OSError`` inside the block (also as the cause of a writer's OutputError, which
    names the staging path) becomes an :class:`OutputError` naming ``target``."""
    try:
        yield
    except OSError as exc:
        raise OutputError.from_os_error(target, exc) from exc
    except OutputError as exc:
        cause = exc.__cause__
        if isinstance(cause, OSError):
            raise OutputError.from_os_error(target, cause) from cause
        raise


@contextlib.contextmanager
def staging_dir(target: Path, parent: Path) -> Iterator[Path]:
    """A temporary directory ``.<name>.*`` next to ``target``, always removed afterwards.

    ``OSError`` inside the block becomes an :class:`OutputError` naming ``target``.
    """
    with naming(target):
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=parent))
    try:
        with naming(target):
            yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def move_into_place(src: Path, dst: Path) -> None:
    """Rename ``src`` to ``dst``, replacing it; atomic for files and for new directories."""
    if dst.is_dir() and not src.is_dir():
        raise OutputError(
            f"output '{dst}' is a directory", hint="give a file path or remove the directory"
        )
    if src.is_dir() and dst.exists():
        old = dst.with_name(f".{dst.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(dst, old)
        try:
            os.replace(src, dst)
        except BaseException:
            os.replace(old, dst)  # put the previous output back
            raise
        if old.is_dir():
            shutil.rmtree(old, ignore_errors=True)
        else:
            old.unlink(missing_ok=True)
    else:
        os.replace(src, dst)


def write_atomic(path: PathLike, write: Callable[[Path], object], *, force: bool = False) -> Path:
    """Call ``write(tmp)`` on a staging file, then rename it to ``path``; return ``path``.

    Raises:
        ConfigError: ``path`` exists and ``force`` is false.
        OutputError: the location is not writable, the disk is full, ...
    """
    target = Path(path)
    check_output(target, force=force)
    with naming(target), atomic_file(target) as tmp:
        write(tmp)
    return target


def member_name(key: str) -> str:
    """``key`` as a safe ``.npz`` member name: no path separators, no leading dots."""
    safe = _UNSAFE.sub("_", str(key)).lstrip(".")
    return safe or "_"


def save_npz(path: PathLike, arrays: Mapping[str, np.ndarray], *, force: bool = False) -> Path:
    """Write ``arrays`` as an ``.npz`` file atomically, with sanitised member names.

    Unlike ``np.savez(path, **arrays)``, any key works (``"file"`` included), a key such
    as ``"../x"`` never becomes a path-like member name, and the bytes do not depend on
    the time of writing.
    """
    names: dict[str, str] = {}
    for key in arrays:
        name = member_name(key)
        while name in names.values():
            name += "_"
        names[key] = name

    def write(tmp: Path) -> None:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as archive:
            for key, value in arrays.items():
                info = zipfile.ZipInfo(names[key] + ".npy", date_time=_EPOCH)  # reproducible
                info.external_attr = 0o644 << 16
                with archive.open(info, "w", force_zip64=True) as fh:
                    np.lib.format.write_array(fh, np.asarray(value), allow_pickle=False)

    return write_atomic(path, write, force=force)
