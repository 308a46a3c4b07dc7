"""Load pickles (plain or joblib, compressed or not) without running code from the file.

Pose files from 4D-Humans/PHALP and FLAG3D are pickles. A pickle can name any importable callable and
have it run on load, so we never hand one to `pickle.load` or `joblib.load`. This unpickler admits only
numpy arrays, numpy scalars/dtypes and plain containers, and reads joblib's raw array blocks itself.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import pickle
import struct
import zlib
from pathlib import Path

import numpy as np

from gyml.errors import GymlError

_ALLOWED = {
    ("builtins", "dict"), ("builtins", "list"), ("builtins", "tuple"), ("builtins", "set"),
    ("builtins", "frozenset"), ("builtins", "bytearray"), ("builtins", "complex"), ("builtins", "slice"),
    ("builtins", "int"), ("builtins", "float"), ("builtins", "str"), ("builtins", "bytes"), ("builtins", "bool"),
    ("collections", "OrderedDict"), ("collections", "defaultdict"),
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("numpy", "core.multiarray._reconstruct"),
    ("_codecs", "encode"),
}
_JOBLIB_WRAPPER = ("joblib.numpy_pickle", "NumpyArrayWrapper")

MAX_DECOMPRESSED_BYTES = 8 * 1024**3


class UnsafePickleError(GymlError):
    """The pickle asked for something other than arrays and plain containers."""


class _ArrayWrapper:
    """Stand-in for joblib's NumpyArrayWrapper: holds the array header until its bytes are read."""

    def __setstate__(self, state):
        self.state = state


class RestrictedUnpickler(pickle._Unpickler):  # the pure-Python unpickler lets us hook BUILD
    dispatch = pickle._Unpickler.dispatch.copy()

    def find_class(self, module: str, name: str):
        if (module, name) == _JOBLIB_WRAPPER:
            return _ArrayWrapper
        if module.startswith("numpy") and name in {"dtype", "ndarray"}:
            return getattr(np, name)
        if (module, name) in _ALLOWED:
            if module == "builtins":
                import builtins
                return getattr(builtins, name)
            if module == "collections":
                import collections
                return getattr(collections, name)
            if module == "_codecs":
                import codecs
                return codecs.encode
            if name == "_reconstruct":
                return _safe_reconstruct
            if name == "scalar":
                return _safe_scalar
        raise UnsafePickleError(f"refusing to load '{module}.{name}' from a pickle: only arrays and plain data "
                                "are allowed")

    def load_build(self):
        pickle._Unpickler.load_build(self)
        top = self.stack[-1]
        if isinstance(top, _ArrayWrapper):
            self.stack[-1] = self._read_joblib_array(top.state)
        elif isinstance(top, np.ndarray) and top.dtype.hasobject:
            raise UnsafePickleError("refusing an object array inside a pickle")

    dispatch[pickle.BUILD[0]] = load_build

    def _read_joblib_array(self, state: dict) -> np.ndarray:
        dtype = np.dtype(state["dtype"])
        if dtype.hasobject:
            raise UnsafePickleError("refusing an object array inside a joblib pickle")
        shape = tuple(int(s) for s in state["shape"])
        if state.get("numpy_array_alignment_bytes") is not None:
            pad = self._file_read(1)
            if pad and pad[0]:
                self._file_read(pad[0])
        count = int(np.prod(shape, dtype=np.int64))
        raw = self._file_read(count * dtype.itemsize)
        if len(raw) != count * dtype.itemsize:
            raise GymlError("the pickle is truncated (array data ends early)")
        order = state.get("order", "C")
        array = np.frombuffer(raw, dtype=dtype).copy()
        if order == "F":
            return array.reshape(shape[::-1]).transpose()
        return array.reshape(shape)


def _safe_reconstruct(subtype, shape, dtype):
    if subtype is not np.ndarray:
        raise UnsafePickleError("refusing an ndarray subclass inside a pickle")
    return np.ndarray.__new__(np.ndarray, shape, dtype)


def _safe_scalar(dtype, data=None):
    dtype = np.dtype(dtype)
    if dtype.hasobject:
        raise UnsafePickleError("refusing an object scalar inside a pickle")
    return np.frombuffer(data, dtype=dtype)[0] if data is not None else dtype.type()


def _open_decompressed(raw: bytes) -> bytes:
    """joblib and friends compress with zlib, gzip, bz2, xz or lzma; detect by magic bytes."""
    try:
        if raw[:2] == b"\x1f\x8b":
            return gzip.decompress(raw)
        if raw[:3] == b"BZh":
            return bz2.decompress(raw)
        if raw[:6] == b"\xfd7zXZ\x00" or raw[:3] == b"]\x00\x00":
            return lzma.decompress(raw)
        if raw[:1] == b"\x78" and raw[1:2] in (b"\x01", b"\x5e", b"\x9c", b"\xda"):
            out = zlib.decompressobj()
            data = out.decompress(raw, MAX_DECOMPRESSED_BYTES)
            if out.unconsumed_tail:
                raise GymlError("the compressed pickle is too large to load")
            return data
    except (OSError, EOFError, zlib.error, lzma.LZMAError) as exc:
        raise GymlError(f"the compressed pickle is damaged or truncated ({exc})") from None
    return raw


def is_pickle_bytes(head: bytes) -> bool:
    """True when `head` (the file's first bytes) looks like a possibly compressed pickle."""
    if head[:1] == b"\x80" and len(head) > 1 and head[1] in range(2, 6):
        return True
    return head[:2] in (b"\x1f\x8b", b"\x78\x01", b"\x78\x5e", b"\x78\x9c", b"\x78\xda") or head[:3] == b"BZh" \
        or head[:6] == b"\xfd7zXZ\x00"


def safe_load(path: str | Path):
    """Load a pickle or joblib file, admitting only arrays and plain containers."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise GymlError(f"cannot read {path}: {exc.strerror}") from None
    data = _open_decompressed(raw)
    try:
        return RestrictedUnpickler(io.BytesIO(data)).load()
    except GymlError:
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, IndexError, KeyError,
            AttributeError, struct.error) as exc:
        raise GymlError(f"{path.name}: not a readable pickle ({type(exc).__name__}: {exc})") from None
