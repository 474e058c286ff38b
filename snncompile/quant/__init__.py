"""Quantisation, target-neutral (numpy only, no torch, no target runtime).

- :mod:`snncompile.quant.precision`: typed precisions ``FixedPoint(width, frac, …)`` and
  the rounding helpers.
- :mod:`snncompile.quant.int8`: per-layer symmetric int8 weight quantisation for
  float-activation targets (ONNX QDQ).

Target-specific quantisers live with their backends (Loihi 2 fixed point:
``backends/loihi``, package ``snncompile_loihi``); the core never names a target.
"""
