"""``QuantizingBackend``: what the ``lava`` and ``netx`` targets share about quantisation."""

from __future__ import annotations

from snncompile_loihi.qgraph import QuantizedGraph

from snncompile.backend import Backend


class QuantizingBackend(Backend):
    """A target whose ``emit`` quantises to Loihi fixed point and keeps the result.

    Invariant: ``last_quantization`` is the ``QuantizedGraph`` the last ``emit`` wrote
    (None before the first).
    """

    last_quantization: QuantizedGraph | None = None

    def emit_summary(self) -> str | None:
        """The last quantisation: scales per layer and, when calibrated, float vs fixed."""
        q = self.last_quantization
        return None if q is None else q.to_markdown()
