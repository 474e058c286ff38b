"""Reading user input data (``--input data.npz``) for simulate, report and calibration.

Accepted: ``.npz`` with the inputs under ``inputs`` (or ``x``, or the only array) and
optional labels under ``labels`` (or ``y``); or a ``.npy`` array. Inputs are
time-major ``[T, B, ...]``, or static ``[B, ...]`` repeated over ``steps`` time steps
(direct encoding); :func:`snncompile.backend.time_major` is the one rule
telling them apart (re-exported here as ``time_major``). Nothing
is unpickled (``allow_pickle=False``).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from snncompile.backend import shape_text as _fmt
from snncompile.backend import time_major
from snncompile.errors import InputError, SnnCompileError

INPUT_KEYS = ("inputs", "x", "input")
LABEL_KEYS = ("labels", "y", "label")


@dataclass(frozen=True)
class InputData:
    """Time-major float inputs and optional integer labels (one per sample)."""

    inputs: np.ndarray
    labels: np.ndarray | None = None


def _check_file(path: Path) -> None:
    if not path.exists():
        raise InputError(
            f"input file '{path}' does not exist",
            hint="check the path; inputs are .npz or .npy files",
        )
    if path.is_dir():
        raise InputError(
            f"input path '{path}' is a directory, not a file",
            hint="pass the .npz or .npy file itself",
        )


_NPY_MAGIC = b"\x93NUMPY"
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_HINT = "write it with numpy.savez(path, inputs=x, labels=y) (object arrays are refused)"


def _read_arrays(path: Path) -> dict[str, np.ndarray]:
    """The arrays of a ``.npz``/``.npy`` file, told apart by content, never unpickled."""
    with path.open("rb") as fh:
        head = fh.read(len(_NPY_MAGIC))
    if not head:
        raise InputError(f"input file '{path}' is empty (0 bytes)", hint=_HINT)
    if not head.startswith(_NPY_MAGIC) and not head.startswith(_ZIP_MAGIC):
        raise InputError(
            f"input file '{path}' is not a NumPy .npz or .npy file (unknown header {head!r})",
            hint=_HINT,
        )
    try:
        if head.startswith(_NPY_MAGIC):
            with path.open("rb") as fh:
                _check_declared_size(fh, path.stat().st_size, path.name)
            return {"inputs": np.load(path, allow_pickle=False)}
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if info.filename.endswith(".npy"):
                    with archive.open(info) as fh:
                        _check_declared_size(fh, info.file_size, info.filename)
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except SnnCompileError:
        raise
    except Exception as exc:  # numpy/zipfile/zlib/tokenize on untrusted bytes: a damaged file
        reason = str(exc).splitlines()[0][:200] if str(exc) else ""
        raise InputError(
            f"cannot read input file '{path}': it is truncated or corrupted "
            f"({type(exc).__name__}: {reason})",
            hint=_HINT,
        ) from exc
    for key, value in arrays.items():
        if not isinstance(value, np.ndarray):
            raise InputError(f"input file '{path}': member {key!r} is not a .npy array", hint=_HINT)
    return arrays


def _check_declared_size(fh: Any, available: int, where: str) -> None:
    """Refuse an array whose header declares more bytes than the file holds.

    numpy allocates the declared size before reading, so a damaged header could
    otherwise ask for terabytes.
    """
    version = np.lib.format.read_magic(fh)
    if version == (1, 0):
        shape, _, dtype = np.lib.format.read_array_header_1_0(fh)
    else:
        shape, _, dtype = np.lib.format.read_array_header_2_0(fh)
    if dtype.hasobject:
        raise InputError(
            f"'{where}' holds an object array, which only unpickling could read; refused",
            hint="store numeric arrays (object arrays could run code when loaded)",
        )
    declared = int(np.prod(shape, dtype=np.float64)) * dtype.itemsize
    if declared > available:
        raise InputError(
            f"'{where}' declares an array of shape {list(shape)} ({declared} bytes) but holds "
            f"only {available} bytes: the file is truncated or corrupted",
            hint=_HINT,
        )


def _pick(arrays: dict[str, np.ndarray], keys: tuple[str, ...]) -> np.ndarray | None:
    for key in keys:
        if key in arrays:
            return arrays[key]
    return None


def read_input_data(
    path: str | Path, *, per_step_shape: tuple[int, ...] | None = None, steps: int | None = None
) -> InputData:
    """Load and validate inputs (and labels) from ``path``.

    Args:
        path: ``.npz`` or ``.npy`` file.
        per_step_shape: the model's input shape without batch and time, when known;
            used to tell static from time-major inputs and to check the shape.
        steps: T for static inputs (required for them), or a cut of time-major inputs.

    Raises:
        InputError: missing/unreadable file, no input array, wrong dtype or shape,
            NaN/Inf, labels that do not fit.
    """
    path = Path(path)
    if steps is not None and (isinstance(steps, bool) or not isinstance(steps, int) or steps < 1):
        raise InputError(f"steps={steps!r} is not a positive integer", hint="pass --steps T >= 1")
    _check_file(path)
    arrays = _read_arrays(path)
    x = _pick(arrays, INPUT_KEYS)
    if x is None:
        if len(arrays) != 1:
            raise InputError(
                f"'{path}' has no input array (keys: {sorted(arrays)})",
                hint=f"store the inputs under one of {list(INPUT_KEYS)}",
            )
        x = next(iter(arrays.values()))
    if x.dtype.kind not in "fiub":
        raise InputError(
            f"'{path}': inputs have dtype {x.dtype}, expected numbers",
            hint="store float32 (or integer/bool spike) arrays",
        )
    if x.size == 0:
        raise InputError(
            f"'{path}': inputs of shape {x.shape} hold no values",
            hint="store at least one sample and one time step",
        )
    x = x.astype(np.float32)
    if not np.isfinite(x).all():
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(x))[0])
        raise InputError(
            f"'{path}': inputs contain NaN or Inf (first at index {bad})",
            hint="clean the data before simulating",
        )
    x = time_major(x, per_step_shape, steps, where=f"'{path}'")
    labels = _pick(arrays, LABEL_KEYS)
    if labels is not None:
        labels = np.asarray(labels)
        if labels.ndim != 1 or labels.shape[0] != x.shape[1] or labels.dtype.kind not in "iu":
            raise InputError(
                f"'{path}': labels of shape {labels.shape} and dtype {labels.dtype} do not "
                f"fit {x.shape[1]} samples",
                hint="store one integer class label per sample: labels.shape == (B,)"
                + (
                    f"; inputs {_fmt(x.shape)} were read as time-major [T, B, ...] since the "
                    "model's per-step input shape is unknown"
                    if per_step_shape is None and labels.ndim == 1 and labels.shape[0] == x.shape[0]
                    else ""
                ),
            )
    return InputData(x, labels)
