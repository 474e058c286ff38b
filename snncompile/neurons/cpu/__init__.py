"""Fast CPU multi-step paths: whole-sequence autograd Functions with hand-written BPTT.

Each function has the same signature as its CuPy twin in ``snncompile.neurons.kernels``
and computes the same thing as looping the functional step over time. The forward
stores only what the backward needs (docs/neurons.md §8); under ``no_grad`` it stores
nothing per step.
"""

from snncompile.neurons.cpu.clif import clif_multistep
from snncompile.neurons.cpu.ilif import ilif_multistep
from snncompile.neurons.cpu.linear_lif import linear_lif_multistep

__all__ = ["clif_multistep", "ilif_multistep", "linear_lif_multistep"]
