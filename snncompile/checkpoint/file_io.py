"""Reading and writing checkpoint files safely, and the weight hash.

Files are read with ``torch.load(weights_only=True)``: its unpickler accepts only
tensors and plain containers, so opening a file never runs code from it. A whole
pickled ``nn.Module`` (``torch.save(model, path)``) is refused unless the caller opts
in with ``allow_pickle=True``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import re
from pathlib import Path
from typing import Any

import torch

from snncompile.errors import CheckpointError
from snncompile.ir.input_files import require_file
from snncompile.outputs import atomic_file, check_output, naming

log = logging.getLogger(__name__)

PathLike = str | os.PathLike[str]

_GLOBAL = re.compile(r"Unsupported global: GLOBAL ([\w.]+)")


def weights_sha256(state_dict: dict[str, torch.Tensor]) -> str:
    """sha256 over the sorted keys, each tensor's dtype, shape and raw bytes."""
    digest = hashlib.sha256()
    for key in sorted(state_dict):
        tensor = state_dict[key].detach().cpu().contiguous()
        digest.update(f"{key}\0{tensor.dtype}\0{tuple(tensor.shape)}\0".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def check_save_path(path: PathLike, *, force: bool = False) -> Path:
    """Check that a checkpoint may be written to ``path`` (before any work is done).

    Raises:
        CheckpointError: ``path`` is a directory or its folder does not exist.
        ConfigError: ``path`` exists and ``force`` is false (the rule of every writer,
            :func:`snncompile.outputs.check_output`).
        OutputError: the folder is not writable.
    """
    target = Path(path)
    if target.is_dir():
        raise CheckpointError(
            f"cannot save to '{target}': it is a directory", hint="give a file name, e.g. model.pt"
        )
    if not target.parent.is_dir():
        raise CheckpointError(
            f"cannot save to '{target}': folder '{target.parent}' does not exist",
            hint="create the folder first or choose another path",
        )
    check_output(target, force=force)
    return target


def write_atomic(obj: dict[str, Any], path: PathLike, *, force: bool = False) -> None:
    """``torch.save`` to a temporary file next to ``path``, then rename it into place.

    An existing ``path`` is replaced only with ``force`` (see :func:`check_save_path`).
    """
    target = check_save_path(path, force=force)
    with naming(target), atomic_file(target) as tmp, tmp.open("wb") as fh:
        torch.save(obj, fh)


#: hints for a checkpoint path that is missing, a directory, empty
_PATH_HINTS = (
    "check the path (relative paths start at the current folder)",
    "pass the .pt file written by snncompile.save",
    "the save was interrupted or the copy failed; save it again",
)


def _check_path(path: Path) -> None:
    require_file(path, f"checkpoint '{path}'", _PATH_HINTS)


def _pickled_code_error(path: Path, global_name: str) -> CheckpointError:
    return CheckpointError(
        f"'{path}' holds a pickled Python object ({global_name}), e.g. a whole model saved "
        "with torch.save(model, path); loading it means unpickling, which can run "
        "arbitrary code from the file, so snncompile refuses it by default",
        hint="only if you trust the file: snncompile.load(path, allow_pickle=True) or the CLI "
        "flag --allow-pickle (needs the model's source code importable); better, re-save it "
        "with snncompile.save(model, path, example_input=x)",
    )


def _unreadable(path: Path, exc: BaseException) -> CheckpointError:
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head.startswith(b"PK"):
        kind = f"a truncated or corrupted torch file ({type(exc).__name__}: {reason[:200]})"
    elif head[:1] == b"\x80":
        kind = f"a damaged or unsupported legacy torch file ({type(exc).__name__})"
    else:
        kind = "not a torch file (it starts with neither a zip nor a pickle header)"
    return CheckpointError(
        f"cannot read '{path}': {kind}",
        hint="the file is damaged or has another format; copy it again or re-save the model "
        "with snncompile.save",
    )


def read_object(path: PathLike, *, allow_pickle: bool = False) -> Any:
    """The object stored in ``path``, loaded to the CPU.

    Always tries ``torch.load(weights_only=True)`` first, which never runs code from the
    file; only a file that needs more, with ``allow_pickle=True``, is unpickled fully.

    Raises:
        CheckpointError: missing, directory, empty, truncated or corrupted file, or a
            pickled object while ``allow_pickle`` is False.
    """
    p = Path(path)
    _check_path(p)
    try:
        return torch.load(p, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        match = _GLOBAL.search(str(exc))
        if match is None:
            raise _unreadable(p, exc) from exc
        if not allow_pickle:
            raise _pickled_code_error(p, match.group(1)) from None
    except Exception as exc:  # torch's zip/pickle/storage parsers on untrusted bytes
        raise _unreadable(p, exc) from exc
    log.warning("unpickling '%s' with allow_pickle=True: this runs code stored in the file", p)
    try:
        return torch.load(p, map_location="cpu", weights_only=False)
    except (AttributeError, ModuleNotFoundError, ImportError) as exc:
        raise CheckpointError(
            f"cannot unpickle '{p}': {exc}",
            hint="the classes of a pickled model must be importable: run from the project "
            "that defined them, or re-save the model with snncompile.save",
        ) from exc
    except Exception as exc:  # the file passed the weights-only check's global scan only
        raise _unreadable(p, exc) from exc
