"""snncompile-loihi: the Loihi 2 fixed-point target, shared by the ``lava`` and ``netx`` backends.

Module map (numpy only; no lava, no h5py):

- :mod:`~snncompile_loihi.limits`: every hardware constant, in one cited table.
- :mod:`~snncompile_loihi.models`: the integer population models and the quantisation-rule
  table keyed by IR class (every IR node type has a rule or an explicit refusal).
- :mod:`~snncompile_loihi.fixed_neurons`, :mod:`~snncompile_loihi.fixed_synapses`: the
  integer step functions of the neurons and Lava's Dense/Conv weight handling.
- :mod:`~snncompile_loihi.pool_fold`: folding sum/average pooling into the next connection.
- :mod:`~snncompile_loihi.chain`: an IR graph read as a chain of populations (float).
- :mod:`~snncompile_loihi.checks`: refusals and documented clamps per layer.
- :mod:`~snncompile_loihi.params`: the integer parameters of one layer for given scales.
- :mod:`~snncompile_loihi.qgraph`: ``LoihiProgram``, the quantised layers with their typed
  precisions (the Lava lowering's view of the stage).
- :mod:`~snncompile_loihi.kernels`: float and integer layer kernels.
- :mod:`~snncompile_loihi.compare`: the per-layer float-versus-fixed comparison.
- :mod:`~snncompile_loihi.quantize`: the pass ``quantize_loihi(graph, calibration)``.
- :mod:`~snncompile_loihi.stage`: ``quantize_for_loihi``, the Loihi quantiser of the core's
  quantisation stage (``snncompile.quant.stage.QuantizedGraph`` with fields per IR node and
  the ``LoihiProgram`` as its view).
- :mod:`~snncompile_loihi.reference`: the integer reference simulator (bit-exact
  definition of what the Lava backend's ``fixed_pt`` run computes).
"""

from __future__ import annotations
