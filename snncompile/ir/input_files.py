"""The checks every reader of a user's file makes before opening it."""

from __future__ import annotations

from pathlib import Path

from snncompile.errors import CheckpointError


def require_file(
    path: Path, subject: str, hints: tuple[str, str, str], dir_subject: str | None = None
) -> None:
    """Raise :class:`CheckpointError` unless ``path`` is an existing, non-empty regular file.

    The messages read "<subject> does not exist", "<dir_subject> is a directory, not a
    file" (``dir_subject`` defaults to ``subject``) and "<subject> is empty (0 bytes)";
    ``hints`` are the reader's hints for these three cases, in that order.
    """
    if not path.exists():
        message, hint = f"{subject} does not exist", hints[0]
    elif not path.is_file():
        message, hint = f"{dir_subject or subject} is a directory, not a file", hints[1]
    elif path.stat().st_size == 0:
        message, hint = f"{subject} is empty (0 bytes)", hints[2]
    else:
        return
    raise CheckpointError(message, hint=hint)
