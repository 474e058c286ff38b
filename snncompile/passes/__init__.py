"""Graph -> Graph passes (torch-free), one per module, and the pipeline that orders them."""

from __future__ import annotations

from snncompile.passes.decompose_neurons import approximable_types, decompose_neurons
from snncompile.passes.fold_batchnorm import fold_batchnorm
from snncompile.passes.fold_dalif_alpha import fold_dalif_alpha
from snncompile.passes.infer_shapes import infer_shapes
from snncompile.passes.inline_identity_sums import inline_identity_sums
from snncompile.passes.pipeline import NIR_PRIMITIVES_PIPELINE, PIPELINE, run_pipeline
from snncompile.passes.remove_dead_nodes import remove_dead_nodes

__all__ = [
    "NIR_PRIMITIVES_PIPELINE",
    "PIPELINE",
    "approximable_types",
    "decompose_neurons",
    "fold_batchnorm",
    "fold_dalif_alpha",
    "infer_shapes",
    "inline_identity_sums",
    "remove_dead_nodes",
    "run_pipeline",
]
