"""Quantisation: weight quantisers and integer references (numpy only, no torch).

- :mod:`snncompile.quant.int8`: per-layer symmetric int8 weight quantisation for
  float-activation targets (ONNX QDQ).
- :mod:`snncompile.quant.fixed_neurons`: the integer step functions of the Loihi 2
  fixed-point neurons (Lava's built-in LIF and snncompile's soft-reset LIF, CLIF and
  ILIF), the executable definition of ``backends/lava/docs/fixed_point.md``.
- :mod:`snncompile.quant.fixed_synapses`: Lava's fixed-point Dense/Sparse/Conv weight
  handling (sign modes, 8-bit clipping, LSB truncation, ``weight_exp``).
- :mod:`snncompile.quant.precision`: typed precisions ``FixedPoint(width, frac, …)``.
- :mod:`snncompile.quant.loihi`: the pass ``quantize_loihi(graph, calibration)`` →
  :class:`~snncompile.quant.loihi_qgraph.QuantizedGraph` (Loihi 2 fixed point), built on
  ``loihi_chain`` (graph → layers), ``loihi_checks`` (refusals/clamps), ``loihi_params``
  (scales and integer fields), ``loihi_limits`` (cited hardware constants),
  ``loihi_kernels`` (float and integer layer kernels) and ``loihi_compare`` (the
  per-layer float-versus-fixed comparison).
"""
