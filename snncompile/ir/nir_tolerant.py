"""Tolerant fixes for foreign NIR files (docs/nir.md §6), applied before verification.

- An Input shape with one extra leading dimension compared with the node it feeds kept a
  batch dimension: drop it (Norse, Rockpool, older nirtorch). An Output shape that ends
  with the shape of what feeds it, after extra leading dimensions (batch, or Rockpool's
  batch and time), only declares them: drop them too.
- Neuron/Scale/Threshold parameters of size 1 (scalar-shaped, older snnTorch) are
  broadcast to the population shape of their input.

Missing ``v_reset`` (files before nir 1.0.7) is already read as zeros by ``nir``.
"""

from __future__ import annotations

import logging
from typing import Any

import nir
import numpy as np

from snncompile.ir.graph import Graph
from snncompile.ir.nodes import kind_of, replace_node
from snncompile.ir.shapes import Shape, ShapeError, as_shape

logger = logging.getLogger(__name__)


def fix_foreign_shapes(graph: Graph) -> Graph:
    """``graph`` with batch dimensions dropped and scalar parameters broadcast."""
    nodes = dict(graph.nodes)
    for name in graph.inputs:
        shape = as_shape(nodes[name].input_type) or ()
        for succ in graph.successors(name):
            if succ in nodes and _has_batch_dim(shape, nodes[succ]):
                nodes[name] = nir.Input(
                    input_type={"input": np.asarray(shape[1:])}, metadata=nodes[name].metadata
                )
                logger.info("Input %r: dropped leading batch dimension of %s", name, shape)
                break
    graph = graph.replace(nodes=nodes)
    outputs: dict[str, Shape | None] = {}
    for name in graph.topological_order:
        node = nodes[name]
        kind = kind_of(node)
        if kind is None:
            continue
        incoming = next(
            (
                outputs.get(p)
                for p in graph.predecessors(name)
                if (p, name) not in graph.back_edges and outputs.get(p) is not None
            ),
            None,
        )
        declared = kind.declared_input(node)
        if incoming is not None and declared is not None and declared != incoming:
            fixed = _fix_node(name, node, declared, incoming)
            if fixed is not None:
                nodes[name] = node = fixed
                declared = incoming
        in_shape = declared if declared is not None else incoming
        try:
            outputs[name] = None if in_shape is None else tuple(kind.output(node, in_shape))
        except ShapeError:
            outputs[name] = None
    return graph.replace(nodes=nodes)


def _has_batch_dim(shape: Shape, consumer: Any) -> bool:
    kind = kind_of(consumer)
    if kind is None or len(shape) < 2:
        return False
    want = kind.declared_input(consumer)
    if want is not None:
        return len(shape) == len(want) + 1 and shape[1:] == want
    if isinstance(consumer, (nir.Conv1d, nir.Conv2d)):
        ndim = 1 if isinstance(consumer, nir.Conv1d) else 2
        channels = int(consumer.weight.shape[1]) * int(consumer.groups)
        return len(shape) == ndim + 2 and shape[1] == channels
    return False


def _fix_node(name: str, node: Any, declared: Shape, incoming: Shape) -> Any:
    if isinstance(node, nir.Output):
        extra = len(declared) - len(incoming)
        if extra > 0 and declared[extra:] == incoming:
            logger.info("Output %r: dropped leading dimensions %s", name, declared[:extra])
            return nir.Output(output_type={"output": np.asarray(incoming)}, metadata=node.metadata)
        return None
    kind = kind_of(node)
    if kind is None or not kind.population or int(np.prod(declared, dtype=np.int64)) != 1:
        return None
    changes = {}
    for field in kind.population + kind.channel:
        value = getattr(node, field)
        if isinstance(value, np.ndarray):
            changes[field] = np.broadcast_to(value.reshape(()), incoming).copy()
    logger.info("node %r: broadcast scalar parameters to %s", name, incoming)
    return replace_node(node, **changes)
