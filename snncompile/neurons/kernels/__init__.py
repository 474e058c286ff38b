"""Fused multi-step CUDA kernels (CuPy / NVRTC) for LIF, PLIF, DA-LIF, CLIF and ILIF.

Each public function has exactly the signature of its CPU twin in
``snncompile.neurons.cpu`` and computes the same thing on CUDA tensors, forward and
backward, as a ``torch.autograd.Function``:

* :func:`linear_lif_multistep` ``(x, alpha, beta, cfg)``: LIF (α = 1, β = 1 − 1/τ), PLIF
  (β = 1 − sigmoid(w)) and DA-LIF (α = tanh(a), β = tanh(b)), per layer or per channel;
* :func:`clif_multistep` ``(x, tau, cfg)``;
* :func:`ilif_multistep` ``(x, tau, cfg, current_inhibition=0.03, membrane_inhibition=1.0)``.

:func:`cupy_unavailable_reason` says whether they can run on a tensor. CuPy is imported
only when a kernel runs or that check is made on a CUDA tensor, so importing this
package needs neither CuPy nor a GPU. Design notes, bytes per neuron-step and the
verification strategy: ``README.md`` beside this file.
"""

from __future__ import annotations

from snncompile.neurons.kernels._launch import cupy_unavailable_reason
from snncompile.neurons.kernels.clif import clif_multistep
from snncompile.neurons.kernels.ilif import ilif_multistep
from snncompile.neurons.kernels.linear_lif import linear_lif_multistep

__all__ = ["clif_multistep", "cupy_unavailable_reason", "ilif_multistep", "linear_lif_multistep"]
