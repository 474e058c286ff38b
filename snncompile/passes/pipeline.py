"""The generic compiler pipeline: an ordered tuple of named ``Graph -> Graph`` passes."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

from snncompile.errors import IRValidationError
from snncompile.ir.graph import Graph
from snncompile.ir.text import dump
from snncompile.ir.verify import verify as verify_graph
from snncompile.passes.decompose_neurons import decompose_neurons
from snncompile.passes.fold_batchnorm import fold_batchnorm
from snncompile.passes.fold_dalif_alpha import fold_dalif_alpha
from snncompile.passes.infer_shapes import infer_shapes
from snncompile.passes.inline_identity_sums import inline_identity_sums
from snncompile.passes.remove_dead_nodes import remove_dead_nodes

Pass = Callable[[Graph], Graph]

#: Target-independent passes, in order.
PIPELINE: tuple[tuple[str, Pass], ...] = (
    ("infer_shapes", infer_shapes),
    ("remove_dead_nodes", remove_dead_nodes),
    ("inline_identity_sums", inline_identity_sums),
    ("fold_batchnorm", fold_batchnorm),
    ("fold_dalif_alpha", fold_dalif_alpha),
)

#: PIPELINE followed by the exact rewrite of native neurons into NIR primitives.
NIR_PRIMITIVES_PIPELINE: tuple[tuple[str, Pass], ...] = (
    *PIPELINE,
    ("decompose_neurons", decompose_neurons),
)

VERIFY_ENV = "SNNCOMPILE_VERIFY"


def run_pipeline(
    graph: Graph,
    passes: Sequence[tuple[str, Pass]] = PIPELINE,
    *,
    verify: bool = False,
    dump_dir: str | os.PathLike[str] | None = None,
) -> Graph:
    """Run ``passes`` in order and return the final graph.

    Args:
        graph: the input graph.
        passes: ``(name, pass)`` pairs.
        verify: run :func:`~snncompile.ir.verify.verify` on the input and after every
            pass (also on when the environment sets ``SNNCOMPILE_VERIFY=1``).
        dump_dir: if given, write the text dump of the input (``00-input.txt``) and of the
            graph after each pass (``01-<name>.txt``, ...) there.

    Raises:
        IRValidationError: the input, or the output of a named pass, is not well formed.
    """
    check = verify or os.environ.get(VERIFY_ENV, "") == "1"
    out_dir = Path(dump_dir) if dump_dir is not None else None
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
    _stage(graph, "input", 0, check, out_dir)
    for index, (name, run) in enumerate(passes, start=1):
        graph = run(graph)
        _stage(graph, name, index, check, out_dir)
    return graph


def _stage(graph: Graph, name: str, index: int, check: bool, out_dir: Path | None) -> None:
    if out_dir is not None:
        (out_dir / f"{index:02d}-{name}.txt").write_text(dump(graph), encoding="utf-8")
    if check:
        try:
            verify_graph(graph)
        except IRValidationError as exc:
            stage = "the input graph" if index == 0 else f"pass {name!r}"
            raise IRValidationError(
                f"after {stage}: {exc.message}", node=exc.node, hint=exc.hint
            ) from exc
