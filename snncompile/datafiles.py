"""Reading user input data (``--input data.npz``) for simulate, report and calibration.

Accepted: ``.npz`` with the inputs under ``inputs`` (or ``x``, or the only array) and
optional labels under ``labels`` (or ``y``); or a ``.npy`` array. Inputs are
time-major ``[T, B, ...]``, or static ``[B, ...]`` repeated over ``steps`` time steps
(direct encoding). Nothing is unpickled (``allow_pickle=False``).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from snncompile.errors import InputError

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


def _read_arrays(path: Path) -> dict[str, np.ndarray]:
    try:
        if path.suffix == ".npy":
            return {"inputs": np.load(path, allow_pickle=False)}
        with np.load(path, allow_pickle=False) as data:
            return {key: data[key] for key in data.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        raise InputError(
            f"cannot read input file '{path}': {type(exc).__name__}: {exc}",
            hint="write it with numpy.savez(path, inputs=x, labels=y) (object arrays are refused)",
        ) from exc


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
    x = x.astype(np.float32)
    if not np.isfinite(x).all():
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(x))[0])
        raise InputError(
            f"'{path}': inputs contain NaN or Inf (first at index {bad})",
            hint="clean the data before simulating",
        )
    x = _time_major(x, path, per_step_shape, steps)
    labels = _pick(arrays, LABEL_KEYS)
    if labels is not None:
        labels = np.asarray(labels)
        if labels.ndim != 1 or labels.shape[0] != x.shape[1] or labels.dtype.kind not in "iu":
            raise InputError(
                f"'{path}': labels of shape {labels.shape} and dtype {labels.dtype} do not "
                f"fit {x.shape[1]} samples",
                hint="store one integer class label per sample: labels.shape == (B,)",
            )
    return InputData(x, labels)


def _time_major(
    x: np.ndarray, path: Path, per_step: tuple[int, ...] | None, steps: int | None
) -> np.ndarray:
    if per_step is not None:
        if x.ndim == len(per_step) + 1 and tuple(x.shape[1:]) == tuple(per_step):
            if steps is None:
                raise InputError(
                    f"'{path}': static inputs {x.shape} (no time axis) need a number of time steps",
                    hint="pass --steps T (direct encoding repeats each sample T times)",
                )
            return np.broadcast_to(x, (steps, *x.shape)).copy()
        if x.ndim != len(per_step) + 2 or tuple(x.shape[2:]) != tuple(per_step):
            raise InputError(
                f"'{path}': inputs of shape {x.shape} do not fit the model input "
                f"[T, B, {', '.join(map(str, per_step))}]",
                hint=f"expected [T, B, *{list(per_step)}] or static [B, *{list(per_step)}]",
            )
    elif x.ndim < 2:
        raise InputError(
            f"'{path}': inputs of shape {x.shape} have no batch/time axes",
            hint="store time-major [T, B, ...] inputs",
        )
    return x[:steps] if steps is not None else x
