""".npy and .npz reading whose memory is bounded by the file's real size, not by the shapes it claims.

numpy allocates an array of the shape written in the header before reading its data, and unpacks a zip
member to whatever size it holds; a 200-byte file can thus ask for gigabytes. These helpers read each
header first and refuse claims the file cannot back: an .npy's data must be present in the file, and an
.npz member may unpack to at most `MAX_COMPRESSION_RATIO` times the file (and `MAX_ARRAY_BYTES`).
Every failure to parse becomes a one-line GymlError.
"""

from __future__ import annotations

import struct
import tokenize
import zipfile
import zlib
from pathlib import Path
from typing import Self

import numpy as np

from gyml.errors import GymlError

MAX_ARRAY_BYTES = 512 * 1024**2
MAX_COMPRESSION_RATIO = 200
# What any parse of a damaged .npy/.npz may raise from numpy, zipfile or zlib.
READ_ERRORS = (OSError, EOFError, ValueError, TypeError, KeyError, IndexError, zipfile.BadZipFile,
               zipfile.LargeZipFile, zlib.error, struct.error, NotImplementedError, RuntimeError, OverflowError,
               UnicodeError, SyntaxError, MemoryError, tokenize.TokenError)  # numpy tokenizes .npy headers


def _claimed_bytes(fh) -> tuple[tuple[int, ...], np.dtype, int]:
    version = np.lib.format.read_magic(fh)
    if version == (1, 0):
        shape, _fortran, dtype = np.lib.format.read_array_header_1_0(fh)
    elif version in ((2, 0), (3, 0)):
        shape, _fortran, dtype = np.lib.format.read_array_header_2_0(fh)
    else:
        raise ValueError(f"unsupported .npy version {version}")
    if dtype.hasobject:
        raise ValueError("object arrays are not pose data")
    nbytes = dtype.itemsize
    for d in shape:
        nbytes *= int(d)
    return shape, dtype, nbytes


def load_npy(path: Path) -> np.ndarray:
    """An .npy file's array, refused when its header claims more data than the file holds."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            _, _, nbytes = _claimed_bytes(fh)
            header = fh.tell()
        if nbytes > size - header:
            raise GymlError(f"{path.name}: the .npy header claims {nbytes:,} bytes of data but the file holds "
                            f"{max(size - header, 0):,} (truncated or damaged)")
        if nbytes > MAX_ARRAY_BYTES:
            raise GymlError(f"{path.name}: array of {nbytes // 1024**2} MB is larger than gyml reads")
        return np.load(path, allow_pickle=False)
    except GymlError:
        raise
    except READ_ERRORS as exc:
        raise GymlError(f"{path.name}: cannot read .npy ({type(exc).__name__}: {str(exc)[:160]})") from None


class BoundedNpz:
    """The members of an .npz, each checked against the file's size before it is unpacked."""

    def __init__(self, path: Path):
        self.path = path
        try:
            self.budget = min(MAX_ARRAY_BYTES, max(16 * 1024**2, MAX_COMPRESSION_RATIO * path.stat().st_size))
            self._zip = zipfile.ZipFile(path)
            self.files = [n[:-4] for n in self._zip.namelist() if n.endswith(".npy")]
        except READ_ERRORS as exc:
            raise GymlError(f"{path.name}: cannot read .npz ({type(exc).__name__}: {str(exc)[:160]})") from None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self._zip.close()

    def __getitem__(self, key: str) -> np.ndarray:
        name = f"{key}.npy"
        try:
            info = self._zip.getinfo(name)
            if info.file_size > self.budget:
                raise GymlError(f"{self.path.name}: '{key}' unpacks to {info.file_size:,} bytes, more than a "
                                f"file of this size can hold ({self.budget:,} at most)")
            with self._zip.open(info) as fh:
                _, _, nbytes = _claimed_bytes(fh)
                if nbytes > info.file_size:
                    raise GymlError(f"{self.path.name}: '{key}' claims more data than it holds (damaged)")
            self.budget -= info.file_size
            with self._zip.open(info) as fh:
                return np.lib.format.read_array(fh, allow_pickle=False)
        except GymlError:
            raise
        except READ_ERRORS as exc:
            raise GymlError(f"{self.path.name}: cannot read '{key}' ({type(exc).__name__}: "
                            f"{str(exc)[:160]})") from None
