"""Run a netx HDF5 file with lava-dl's own loader (test helper, run as a subprocess).

    python netx_runner.py MODEL.net INPUTS.npz OUT.npz

``INPUTS.npz`` holds ``x`` [T, B, *shape] (0/1 spikes; shape [N], or [C, H, W] before a
conv layer), fed by a RingBuffer source to one ``netx.hdf5.Network`` as B samples back to
back; ``OUT.npz`` gets ``spikes<k>`` [T, B, N_k] (conv populations flattened in CHW order)
for every layer k = 1…L and ``v<L>`` for the last, aligned with the input steps.
lava-dl is imported from ``LAVA_DL_PATH`` (``make install`` puts it in .venv/lava-dl); it
imports torch, which is why this runs in its own process and never in snncompile's
torch-free Lava worker.
"""

from __future__ import annotations

import os
import sys
import types
from pathlib import Path

import numpy as np


def _import_netx() -> types.ModuleType:
    sys.path.insert(0, os.environ["LAVA_DL_PATH"])
    from snncompile_lava._compat import install

    install()  # lava-nc's Python 3.11 import fix (docs/lava.md §14)
    import lava.lib.dl as dl

    # slayer's package __init__ imports an object-detection module needing cv2 and
    # torchvision (docs/lava.md §13); netx only needs slayer.neuron.rf, so skip that __init__.
    slayer = types.ModuleType("lava.lib.dl.slayer")
    slayer.__path__ = [str(Path(p) / "slayer") for p in dl.__path__]
    sys.modules["lava.lib.dl.slayer"] = slayer
    from lava.lib.dl import netx
    from lava.magma.core.process.ports.ports import ReshapePort

    # netx flattens conv outputs with Lava's virtual ReshapePort, which passes numpy's
    # removed ``newshape=`` keyword (numpy >= 2.4); the same reshape, positionally.
    ReshapePort.get_transform_func_fwd = lambda self: lambda x: np.reshape(x, self.shape)
    ReshapePort.get_transform_func_bwd = lambda self: lambda x: np.reshape(x, self.old_shape)
    return netx


def run(netx: types.ModuleType, model: str, x: np.ndarray) -> dict[str, np.ndarray]:
    """Run x [T, B, *shape] as B samples of T steps back to back; returns aligned recordings.

    ``reset_interval=T, reset_offset=1`` makes layer k (1 for the first layer) zero
    its state at Lava step k + 1 + b·T, the step at which the response to sample b's
    first input reaches it, so every sample starts from the zero state (netx.py).
    """
    from lava.magma.core.run_conditions import RunSteps
    from lava.magma.core.run_configs import Loihi2SimCfg
    from lava.proc.io.sink import RingBuffer as Sink
    from lava.proc.io.source import RingBuffer as Source
    from lava.proc.monitor.process import Monitor
    from snncompile_lava._runtime import shutdown

    steps, batch = x.shape[:2]
    net = netx.hdf5.Network(net_config=model, reset_interval=steps, reset_offset=1)
    depth = len(net.layers)
    total = steps * batch + depth + 1
    samples = np.moveaxis(x, 1, 0).reshape(steps * batch, *x.shape[2:])  # sample-major
    flat = len(net.inp.shape) == 1  # a dense first layer reads the C-order flattened input
    samples = samples.reshape(steps * batch, -1) if flat else _whc(samples)
    data = np.zeros((*net.inp.shape, total))
    data[..., : steps * batch] = np.moveaxis(samples, 0, -1)
    source = Source(data=data)
    source.s_out.connect(net.inp)
    sinks = []
    for layer in net.layers:
        sink = Sink(shape=layer.out.shape, buffer=total)
        layer.out.connect(sink.a_in)
        sinks.append(sink)
    monitor = Monitor()
    last = net.layers[-1].neuron
    monitor.probe(last.v, total)
    cfg = Loihi2SimCfg(select_tag="fixed_pt", select_sub_proc_model=True)
    try:
        source.run(condition=RunSteps(num_steps=total), run_cfg=cfg)
    except Exception as exc:  # Lava reports a model's exception only through its actors
        reports = shutdown(source, failed=True)
        raise RuntimeError("netx run failed:\n" + "\n".join(reports)) from exc
    # sinks hold [*shape, steps]: .T gives [steps, C, H, W] from (W, H, C) too
    raw = {(f"spikes{k}", k): np.asarray(s.data.get()).T for k, s in enumerate(sinks, start=1)}
    raw[(f"v{depth}", depth)] = _whc(np.asarray(monitor.get_data()[last.name]["v"]))
    shutdown(source, failed=False)
    # Layer k's response to step t of sample b sits at index b·T + t + k.
    return {
        name: np.moveaxis(rec[k : k + steps * batch].reshape(batch, steps, -1), 0, 1)
        for (name, k), rec in raw.items()
    }


def _whc(a: np.ndarray) -> np.ndarray:
    """[n, C, H, W] ↔ [n, W, H, C] (netx's conv layout); other shapes unchanged."""
    return np.swapaxes(a, 1, 3) if a.ndim == 4 else a


def main(model: str, inputs: str, output: str) -> None:
    netx = _import_netx()
    np.savez(output, **run(netx, model, np.load(inputs)["x"]))


if __name__ == "__main__":
    main(*sys.argv[1:4])
