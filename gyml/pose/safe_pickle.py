"""Load pickles (plain or joblib, compressed or not) without running code from the file.

Pose files from 4D-Humans/PHALP and FLAG3D are pickles. A pickle can name any importable callable and
have it run on load, so we never hand one to `pickle.load` or `joblib.load`. This unpickler admits only
numpy arrays, numpy scalars/dtypes and plain containers, and reads joblib's raw array blocks itself.
"""

from __future__ import annotations

import bz2
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

# Bounds that keep a small hostile file from claiming a large amount of memory. Decompressed data may be at
# most MAX_COMPRESSION_RATIO times the file (pose arrays compress 2-10x; only a bomb compresses 1000x) and at
# most MAX_DECOMPRESSED_BYTES; what the unpickler allocates on a number's say (bytearray(n), an empty array of
# a given shape) comes out of a budget tied to the data's real size.
MAX_DECOMPRESSED_BYTES = 384 * 1024**2
MAX_COMPRESSION_RATIO = 200
MIN_ALLOCATION_BUDGET = 64 * 1024**2
ALLOCATION_BUDGET_PER_BYTE = 4


class UnsafePickleError(GymlError):
    """The pickle asked for something other than arrays and plain containers."""


class _ArrayWrapper:
    """Stand-in for joblib's NumpyArrayWrapper: holds the array header until its bytes are read."""

    def __setstate__(self, state):
        self.state = state


class RestrictedUnpickler(pickle._Unpickler):  # the pure-Python unpickler lets us hook BUILD
    dispatch = pickle._Unpickler.dispatch.copy()

    def __init__(self, file, budget_bytes: int | None = None, **kwargs):
        super().__init__(file, **kwargs)
        size = len(file.getbuffer()) if isinstance(file, io.BytesIO) else 0
        self.budget = budget_bytes if budget_bytes is not None else max(
            MIN_ALLOCATION_BUDGET, ALLOCATION_BUDGET_PER_BYTE * size)

    def _spend(self, nbytes: int, what: str) -> None:
        """Charge an allocation the file asks for by number (not by data it holds) before it happens."""
        if nbytes < 0 or nbytes > self.budget:
            raise GymlError(f"the pickle asks for {what} of {nbytes:,} bytes, more than its size justifies")
        self.budget -= nbytes

    def _sized_bytes(self, kind):
        def make(*args):
            if args and isinstance(args[0], int) and not isinstance(args[0], bool):
                self._spend(args[0], kind.__name__)
            elif args and isinstance(args[0], (list, tuple, set, frozenset)):
                self._spend(len(args[0]), kind.__name__)
            return kind(*args)
        return make

    def _array_constructor(self, *args, **kwargs):
        if len(args) >= 2 or "shape" in kwargs or "buffer" in kwargs or len(args) == 0:
            shape = kwargs.get("shape", args[0] if args else ())
            dtype = np.dtype(kwargs.get("dtype", args[1] if len(args) > 1 else float))
            self._spend(_array_bytes(shape, dtype), "an array")
        else:
            self._spend(_array_bytes(args[0], np.dtype(float)), "an array")
        array = np.ndarray(*args, **kwargs)
        if array.dtype.hasobject:
            raise UnsafePickleError("refusing an object array inside a pickle")
        return array

    def _reconstruct(self, subtype, shape, dtype):
        if subtype is not np.ndarray and subtype != self._array_constructor:
            raise UnsafePickleError("refusing an ndarray subclass inside a pickle")
        self._spend(_array_bytes(shape, np.dtype(dtype)), "an array")
        return np.ndarray.__new__(np.ndarray, shape, dtype)

    def find_class(self, module: str, name: str):
        if (module, name) == _JOBLIB_WRAPPER:
            return _ArrayWrapper
        if module.startswith("numpy") and name == "ndarray":
            return self._array_constructor
        if module.startswith("numpy") and name == "dtype":
            return np.dtype
        if (module, name) in _ALLOWED:
            if module == "builtins":
                import builtins
                if name in ("bytearray", "bytes"):
                    return self._sized_bytes(getattr(builtins, name))
                return getattr(builtins, name)
            if module == "collections":
                import collections
                return getattr(collections, name)
            if module == "_codecs":
                import codecs
                return codecs.encode
            if name == "_reconstruct":
                return self._reconstruct
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
        nbytes = _array_bytes(shape, dtype)
        count = nbytes // max(dtype.itemsize, 1)
        raw = self._file_read(nbytes)
        if len(raw) != count * dtype.itemsize:
            raise GymlError("the pickle is truncated (array data ends early)")
        order = state.get("order", "C")
        array = np.frombuffer(raw, dtype=dtype).copy()
        if order == "F":
            return array.reshape(shape[::-1]).transpose()
        return array.reshape(shape)


def _array_bytes(shape, dtype: np.dtype) -> int:
    """Bytes an array of this shape would take, computed in Python integers (no overflow); a shape that is
    not a tuple of non-negative integers is refused."""
    dims = (shape,) if isinstance(shape, int) else tuple(shape)
    if len(dims) > 32 or not all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d >= 0
                                 for d in dims):
        raise GymlError(f"the pickle holds an array with an impossible shape {dims!r:.60}")
    nbytes = dtype.itemsize
    for d in dims:
        nbytes *= int(d)
    return nbytes


def _safe_scalar(dtype, data=None):
    dtype = np.dtype(dtype)
    if dtype.hasobject:
        raise UnsafePickleError("refusing an object scalar inside a pickle")
    return np.frombuffer(data, dtype=dtype)[0] if data is not None else dtype.type()


def decompressed_limit(compressed_bytes: int) -> int:
    return min(MAX_DECOMPRESSED_BYTES, max(16 * 1024**2, MAX_COMPRESSION_RATIO * compressed_bytes))


def _bounded(decompressor, raw: bytes, limit: int) -> bytes:
    data = decompressor.decompress(raw, limit + 1)
    if len(data) > limit:
        raise GymlError(f"the compressed pickle unpacks to more than {limit // 1024**2} MB "
                        f"({MAX_COMPRESSION_RATIO}x its size at most): refusing it")
    return data


def _open_decompressed(raw: bytes) -> bytes:
    """joblib and friends compress with zlib, gzip, bz2, xz or lzma; detect by magic bytes. Decompression
    stops at `decompressed_limit`, so a compression bomb is refused before it fills memory."""
    limit = decompressed_limit(len(raw))
    try:
        if raw[:2] == b"\x1f\x8b":
            return _bounded(zlib.decompressobj(wbits=31), raw, limit)
        if raw[:3] == b"BZh":
            return _bounded(bz2.BZ2Decompressor(), raw, limit)
        if raw[:6] == b"\xfd7zXZ\x00" or raw[:3] == b"]\x00\x00":
            return _bounded(lzma.LZMADecompressor(), raw, limit)
        if raw[:1] == b"\x78" and raw[1:2] in (b"\x01", b"\x5e", b"\x9c", b"\xda"):
            return _bounded(zlib.decompressobj(), raw, limit)
    except (OSError, EOFError, ValueError, zlib.error, lzma.LZMAError) as exc:
        raise GymlError(f"the compressed pickle is damaged or truncated ({exc})") from None
    return raw


def expanded_size(obj, limit: int) -> int:
    """How many values `obj` holds when every container is walked as a tree (an array counts its
    elements). A pickle can reference one list from a million places, so a 100 kB file can describe a
    structure of 10^10 values; readers that turn it into arrays must refuse such a file first. The walk
    memoises each container's size, so it costs one visit per distinct object, and stops beyond `limit`."""
    sizes: dict[int, int] = {}
    pending: set[int] = set()
    stack = [(obj, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if key in sizes:
            continue
        if isinstance(node, (list, tuple, set, frozenset, dict)):
            children = [*node.keys(), *node.values()] if isinstance(node, dict) else list(node)
            if not children_done:
                if key in pending:
                    raise GymlError("the pickle holds a container that contains itself")
                pending.add(key)
                stack.append((node, True))
                stack.extend((c, False) for c in children if id(c) not in sizes)
                continue
            pending.discard(key)
            size = 1 + sum(sizes[id(c)] for c in children)
        elif isinstance(node, np.ndarray):
            size = max(int(node.size), 1)
        else:
            size = 1
        if size > limit:
            raise GymlError(f"the pickle describes more than {limit:,} values (it repeats references to "
                            "its own parts): refusing it")
        sizes[key] = size
    return sizes[id(obj)]


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
    try:
        data = _open_decompressed(raw)
    except GymlError as exc:
        raise GymlError(f"{path.name}: {exc}") from None
    try:
        obj = RestrictedUnpickler(io.BytesIO(data)).load()
        expanded_size(obj, max(MIN_ALLOCATION_BUDGET // 8, ALLOCATION_BUDGET_PER_BYTE * len(data)))
        return obj
    except GymlError as exc:
        raise type(exc)(f"{path.name}: {exc}") from None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, IndexError, KeyError, AttributeError,
            struct.error, OverflowError, UnicodeError, LookupError, RecursionError, MemoryError) as exc:
        raise GymlError(f"{path.name}: not a readable pickle ({type(exc).__name__}: {str(exc)[:200]})") from None
