"""Fuzzing the readers of untrusted files: seeds, mutations, structured generators, oracle.

Shared by ``tests/fuzz/test_fuzz_readers.py`` (hypothesis, ~2,000 cases) and
``benchmarks/fuzz_readers.py --count N`` (longer random runs).

The oracle: reading a generated or mutated file either succeeds or raises an
:class:`~snncompile.errors.SnnCompileError` subclass, within a per-case timeout; any
other exception, or a hang, is a bug.
"""

from __future__ import annotations

import contextlib
import io
import random
import signal
import sys
import warnings
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from snncompile.errors import SnnCompileError

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

CASE_TIMEOUT_S = 10.0
NIR_IN_PROCESS_ENV = "SNNCOMPILE_NIR_IN_PROCESS"
NIR_TIMEOUT_ENV = "SNNCOMPILE_NIR_READ_TIMEOUT"


class CaseTimeout(BaseException):
    """A reader ran past the per-case timeout (BaseException: readers cannot swallow it)."""


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`CaseTimeout` in the main thread after ``seconds`` (SIGALRM)."""

    def _fire(signum: int, frame: Any) -> None:
        raise CaseTimeout(f"reader still running after {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, _fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclass(frozen=True)
class Outcome:
    """``"ok"``, ``"error"`` (an SnnCompileError: fine) or ``"bug"`` (anything else)."""

    kind: str
    detail: str = ""


def check_reader(
    read: Callable[[Path], Any], path: Path, timeout: float = CASE_TIMEOUT_S
) -> Outcome:
    """Run ``read(path)`` under the oracle."""
    try:
        with time_limit(timeout), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            read(path)
    except SnnCompileError as exc:
        if not exc.message or not isinstance(exc.message, str):
            return Outcome("bug", f"{type(exc).__name__} without a message")
        return Outcome("error", type(exc).__name__)
    except CaseTimeout as exc:
        return Outcome("bug", f"timeout: {exc}")
    except Exception as exc:  # the oracle: anything else leaked from a reader is a bug
        return Outcome("bug", f"{type(exc).__name__}: {str(exc)[:300]}")
    return Outcome("ok")


# ----------------------------------------------------------------------------- readers


def read_nir_file(path: Path) -> Any:
    from snncompile.ir.nir_io import read_nir

    return read_nir(path)


def load_graph_nir(path: Path) -> Any:
    from snncompile.api import load_graph

    return load_graph(path)


def load_checkpoint(path: Path) -> Any:
    import snncompile

    return snncompile.load(path)


def read_npz(path: Path) -> Any:
    from snncompile.datafiles import read_input_data

    return read_input_data(path, steps=2)


READERS: dict[str, Callable[[Path], Any]] = {
    "nir": read_nir_file,
    "nir-load_graph": load_graph_nir,
    "checkpoint": load_checkpoint,
    "npz": read_npz,
}


# ------------------------------------------------------------------------------- seeds


def nir_seeds(names: tuple[str, ...] = ("clif_ilif", "recurrent", "cuba_delay")) -> list[bytes]:
    """Small valid ``.nir`` files: a tiny MLP plus graph-zoo graphs (native neuron
    groups, recurrence, convolutions, delays, metadata)."""
    import tempfile

    import nir

    from snncompile import ir
    from snncompile.ir.nir_io import write_nir
    from tests.roundtrip import graph_zoo

    tiny = ir.sequential(
        ("in", nir.Input(np.array([3]))),
        ("fc", nir.Affine(weight=np.ones((4, 3)), bias=np.zeros(4))),
        ("lif", ir.SoftLIF(np.full(4, 0.5), np.ones(4))),
        ("out", nir.Output(np.array([4]))),
        metadata={"model": "tiny"},
    )
    graphs = [tiny, *(getattr(graph_zoo, name)() for name in names)]
    seeds = []
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for index, graph in enumerate(graphs):
            path = Path(tmp, f"seed{index}.nir")
            write_nir(graph, path)
            seeds.append(path.read_bytes())
    return seeds


def checkpoint_seeds() -> list[bytes]:
    """Small valid checkpoints written by ``snncompile.save``."""
    import tempfile

    import torch
    from torch import nn

    import snncompile
    import snncompile.neurons as sn

    torch.manual_seed(0)
    models = [
        (nn.Sequential(nn.Flatten(2), nn.Linear(6, 4), sn.LIF()), torch.rand(3, 2, 2, 3)),
        (nn.Sequential(nn.Linear(5, 3), sn.PLIF(), nn.Linear(3, 2)), torch.rand(3, 1, 5)),
        (
            nn.Sequential(sn.TimeDistributed(nn.Conv2d(1, 2, 3, padding=1)), sn.CLIF()),
            torch.rand(2, 1, 1, 4, 4),
        ),
    ]
    seeds = []
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i, (model, x) in enumerate(models):
            path = Path(tmp, f"m{i}.pt")
            snncompile.save(model, path, example_input=x, metadata={"seed": i})
            seeds.append(path.read_bytes())
    return seeds


def npz_seeds() -> list[bytes]:
    """Small valid input files: time-major, static, with labels, ``.npy``-in-zip variants."""
    rng = np.random.default_rng(0)
    seeds = []
    for arrays in (
        {"inputs": rng.random((3, 2, 4), dtype=np.float32), "labels": np.array([0, 1])},
        {"x": (rng.random((2, 3, 2, 2)) > 0.5), "y": np.array([1, 0, 1], dtype=np.int64)},
        {"data": rng.integers(0, 5, (4, 1, 3)).astype(np.int16)},
    ):
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        seeds.append(buffer.getvalue())
    compressed = io.BytesIO()
    np.savez_compressed(compressed, inputs=rng.random((2, 2, 3), dtype=np.float32))
    seeds.append(compressed.getvalue())
    single = io.BytesIO()
    np.save(single, rng.random((2, 1, 3)).astype(np.float32))
    seeds.append(single.getvalue())
    return seeds


# --------------------------------------------------------------------------- mutations

MUTATIONS = ("bitflip", "bytes", "truncate", "splice", "insert", "delete", "zero", "member")


def mutate(data: bytes, other: bytes, rng: random.Random, kind: str | None = None) -> bytes:
    """A byte-level mutation of ``data`` (``other``: a second seed for splices)."""
    kind = kind or rng.choice(MUTATIONS)
    buf = bytearray(data)
    n = len(buf)
    if n == 0:
        return bytes(rng.randbytes(rng.randint(1, 64)))
    if kind == "bitflip":
        for _ in range(rng.randint(1, 8)):
            i = rng.randrange(n)
            buf[i] ^= 1 << rng.randrange(8)
    elif kind == "bytes":
        for _ in range(rng.randint(1, 16)):
            buf[rng.randrange(n)] = rng.choice((0, 0xFF, 0x7F, 0x80, rng.randrange(256)))
    elif kind == "truncate":
        del buf[rng.randrange(n) :]
    elif kind == "splice":
        cut = rng.randrange(n)
        buf = buf[:cut] + other[rng.randrange(len(other)) :] if other else buf[:cut]
    elif kind == "insert":
        i = rng.randrange(n)
        buf[i:i] = rng.randbytes(rng.randint(1, 32))
    elif kind == "delete":
        i = rng.randrange(n)
        del buf[i : i + rng.randint(1, 64)]
    elif kind == "zero":
        i = rng.randrange(n)
        buf[i : i + rng.randint(1, 256)] = bytes(min(n - i, rng.randint(1, 256)))
    elif kind == "member":
        return mutate_zip_member(data, rng)
    return bytes(buf)


def mutate_zip_member(data: bytes, rng: random.Random) -> bytes:
    """For zip containers (``.pt``, ``.npz``): a valid zip with one member's bytes mutated.

    Zip checksums are rewritten, so the damage reaches the member's parser (pickle,
    ``.npy`` header, tensor storage) instead of stopping at the zip layer.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = [(info, archive.read(info)) for info in archive.infolist()]
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, KeyError):
        return mutate(data, b"", rng, "bitflip")
    if not members:
        return data
    target = rng.randrange(len(members))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for index, (info, content) in enumerate(members):
            if index == target and content:
                kind = rng.choice(("bitflip", "bytes", "truncate", "insert", "delete", "zero"))
                content = mutate(content, b"", rng, kind)
            archive.writestr(info, content)
    return out.getvalue()


# -------------------------------------------------------------- structured generators


def random_nir_file(path: Path, rng: random.Random) -> None:
    """An HDF5 file shaped like a NIR graph, with random or missing pieces."""
    import h5py

    node_types = ["Input", "Output", "Affine", "Linear", "LIF", "CubaLIF", "IF", "LI", "I",
                  "Scale", "Threshold", "Flatten", "Conv1d", "Conv2d", "SumPool2d", "Delay",
                  "NIRGraph", "Bogus", ""]  # fmt: skip
    names = ["in", "out", "a", "b", "c", "../../etc/x", "x.y", "a/b" if rng.random() < 0.1 else "z"]
    with h5py.File(path, "w") as f:
        if rng.random() < 0.05:
            return  # no 'node' group at all
        root = f.create_group("node")
        if rng.random() < 0.9:
            root.create_dataset("type", data=b"NIRGraph")
        if rng.random() < 0.1:
            root.attrs["version"] = rng.choice(["1.0", "99", ""])
        nodes = root.create_group("nodes") if rng.random() < 0.95 else root
        for _ in range(rng.randint(0, 5)):
            name = rng.choice(names).replace("/", "_") or "n"
            if name in nodes:
                continue
            group = nodes.create_group(name)
            group.create_dataset("type", data=rng.choice(node_types).encode())
            for key in rng.sample(_FIELDS, rng.randint(0, len(_FIELDS))):
                group.create_dataset(key, data=_random_value(rng))
            if rng.random() < 0.3:
                meta = group.create_group("metadata")
                meta.create_dataset(
                    rng.choice(["snncompile.group", "snncompile.node", "snncompile.role", "k"]),
                    data=_random_value(rng),
                )
        if rng.random() < 0.9:
            edges = [
                [rng.choice(names).encode(), rng.choice(names).encode()]
                for _ in range(rng.randint(0, 6))
            ]
            root.create_dataset("edges", data=np.array(edges, dtype="S") if edges else b"")
        if rng.random() < 0.3:
            meta = root.create_group("metadata")
            meta.create_dataset("snncompile.profile.dt", data=_random_value(rng))


def mutate_nir_structure(seed: bytes, path: Path, rng: random.Random) -> None:
    """Write ``seed`` to ``path`` and edit its HDF5 structure: drop, retype, reshape or
    rename datasets and groups, damage edges and metadata (valid HDF5, damaged NIR)."""
    import h5py

    path.write_bytes(seed)
    with h5py.File(path, "r+") as f:
        objects: list[str] = []
        f.visit(objects.append)
        for _ in range(rng.randint(1, 3)):
            if not objects:
                break
            name = rng.choice(objects)
            if name not in f:
                continue
            with contextlib.suppress(Exception):  # an edit h5py refuses is skipped
                obj = f[name]
                action = rng.randrange(6)
                if action == 0:
                    del f[name]
                elif action == 1 and isinstance(obj, h5py.Dataset):
                    del f[name]
                    f.create_dataset(name, data=_random_value(rng))
                elif action == 2:
                    new = name.rsplit("/", 1)[0] + "/" + rng.choice(["x", "..", "in", "out", "a.b"])
                    if new not in f:
                        f.move(name, new)
                elif action == 3 and isinstance(obj, h5py.Group):
                    obj.create_dataset(rng.choice([*_FIELDS, "type", "metadata"]) + "_", data=1)
                elif action == 4 and name.endswith("edges"):
                    del f[name]
                    pairs = [[b"in", rng.choice([b"ghost", b"out", b"in", b"../../x"])]]
                    f.create_dataset(name, data=np.array(pairs, dtype="S"))
                elif isinstance(obj, h5py.Dataset) and obj.dtype.kind in "fiu" and obj.size:
                    data = np.array(obj[()])
                    data.flat[rng.randrange(data.size)] = rng.choice([np.nan, np.inf, -1, 0, 1e9])
                    del f[name]
                    f.create_dataset(name, data=data)


_FIELDS = ["weight", "bias", "tau", "r", "v_threshold", "v_leak", "v_reset", "tau_syn",
           "tau_mem", "w_in", "input_type", "output_type", "shape", "start_dim", "end_dim",
           "stride", "padding", "dilation", "groups", "kernel_size", "delay", "theta",
           "input_shape"]  # fmt: skip


def _random_value(rng: random.Random) -> Any:
    choice = rng.randrange(9)
    if choice == 0:
        return rng.choice([0.0, -1.0, 1e30, float("nan"), float("inf")])
    if choice == 1:
        return rng.randint(-3, 10)
    if choice == 2:
        return np.array([rng.randint(-2, 6) for _ in range(rng.randint(0, 4))], dtype=np.int64)
    if choice == 3:
        shape = [rng.randint(0, 4) for _ in range(rng.randint(1, 3))]
        return np.asarray(np.random.default_rng(rng.randrange(1 << 30)).normal(size=shape))
    if choice == 4:
        return rng.choice([b"", b"abc", b"\xff\xfe", b"NIRGraph", b'{"__kind__": "none"}'])
    if choice == 5:
        return np.array([b"a", b"b"])
    if choice == 6:
        return np.zeros((0,), dtype=np.float32)
    if choice == 7:
        return np.array([[1, 2], [3, 4]], dtype=np.uint8)
    return np.array(rng.random(), dtype=np.float16)


def random_checkpoint(seed: bytes, rng: random.Random) -> bytes:
    """A checkpoint dict from ``seed`` with structural damage, saved as a valid torch file.

    The weight hash is recomputed when the weights change, so the damage reaches the
    structure checks and the model rebuild instead of stopping at the hash.
    """
    import torch

    from snncompile.checkpoint import weights_sha256

    obj = torch.load(io.BytesIO(seed), weights_only=True)
    for _ in range(rng.randint(1, 3)):
        _damage(obj, rng)
    state = obj.get("state_dict") if isinstance(obj, dict) else None
    if isinstance(state, dict) and rng.random() < 0.8:
        with contextlib.suppress(Exception):
            obj["weights_sha256"] = weights_sha256(state)
    out = io.BytesIO()
    torch.save(obj, out)
    return out.getvalue()


def _damage(obj: dict[str, Any], rng: random.Random) -> None:
    import torch

    junk: list[Any] = [None, 0, -1, 1.5, "x", "../../etc/x", [], {}, [1, "a"], {"node": "?"},
                       torch.zeros(2), True, 10**12, float("nan")]  # fmt: skip
    containers = _containers(obj)
    holder, key = rng.choice(containers)
    action = rng.randrange(5)
    if action == 0 and isinstance(holder, dict):
        holder.pop(key, None)
    elif action == 1 and isinstance(holder, dict) and isinstance(key, str):
        holder[key + rng.choice(["", "_", ".."])] = rng.choice(junk)
    elif action == 2 and isinstance(holder[key], torch.Tensor):
        tensor = holder[key]
        holder[key] = rng.choice(
            [
                tensor.flatten(),
                tensor.to(torch.float64),
                torch.full_like(tensor, float("nan")),
                torch.zeros(0),
                tensor[..., :1] if tensor.ndim else tensor,
            ]
        )
    elif action == 3 and isinstance(holder[key], str):
        holder[key] = rng.choice(["", "Bogus", "../x", "operator.add", "torch.nn.Linear", "0"])
    else:
        holder[key] = rng.choice(junk)


def _containers(obj: Any, depth: int = 0) -> list[tuple[Any, Any]]:
    """Every (container, key) pair inside ``obj``, depth first."""
    found: list[tuple[Any, Any]] = []
    if depth > 8:
        return found
    items = (
        obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list) else ()
    )
    for key, value in list(items):
        found.append((obj, key))
        if isinstance(value, (dict, list)):
            found += _containers(value, depth + 1)
    return found


def random_npz(rng: random.Random) -> bytes:
    """A structurally generated ``.npz``/``.npy``: odd dtypes, shapes, keys and members."""
    np_rng = np.random.default_rng(rng.randrange(1 << 30))
    dtypes = [np.float32, np.float64, np.int8, np.uint64, np.bool_, np.complex64, np.float16,
              "U3", "S2", "V4", [("a", "i4"), ("b", "f4")], "M8[s]", "m8[s]"]  # fmt: skip
    arrays: dict[str, Any] = {}
    for _ in range(rng.randint(0, 3)):
        shape = tuple(rng.randint(0, 4) for _ in range(rng.randint(0, 5)))
        dtype = np.dtype(rng.choice(dtypes))
        value = np.zeros(shape, dtype=dtype)
        if dtype.kind in "fc" and value.size and rng.random() < 0.3:
            value.flat[0] = rng.choice([np.nan, np.inf, -np.inf])
        elif dtype.kind in "iuf" and value.size:
            value[...] = np_rng.integers(0, 3, shape)
        key = rng.choice(["inputs", "x", "labels", "y", "input", "label", "other", "file"])
        arrays[key] = value
    buffer = io.BytesIO()
    if rng.random() < 0.2 and arrays:
        np.save(buffer, next(iter(arrays.values())))
        return buffer.getvalue()
    with zipfile.ZipFile(buffer, "w") as archive:
        for key, value in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, value)
            archive.writestr(key + rng.choice([".npy", ".npy", ".npy", ""]), member.getvalue())
        if rng.random() < 0.1:
            archive.writestr("notes.txt", b"not an array")
    return buffer.getvalue()
