"""Read (and write) IDX files, the format of MNIST and Fashion-MNIST, plain or gzipped.

An IDX file is a 4-byte magic number (two zero bytes, a type code, the number of dimensions), one
big-endian uint32 per dimension, then the values in C order, big-endian. Nothing is downloaded:
point :func:`load_idx` at files you already have.

>>> import pathlib, tempfile
>>> import numpy as np
>>> tmp = tempfile.TemporaryDirectory()
>>> d = pathlib.Path(tmp.name)
>>> write_idx(d / "images.idx3-ubyte.gz", np.arange(12, dtype=np.uint8).reshape(3, 2, 2))
>>> write_idx(d / "labels.idx1-ubyte", np.array([7, 0, 1], dtype=np.uint8))
>>> images, labels = load_idx(d / "images.idx3-ubyte.gz", d / "labels.idx1-ubyte")
>>> images.shape, images.dtype, labels.tolist()
((3, 2, 2), dtype('uint8'), [7, 0, 1])
>>> tmp.cleanup()
"""

from __future__ import annotations

import gzip
import math
import os
import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["load_idx", "read_idx", "write_idx"]

_CODES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODE_OF = {dt.newbyteorder("=").str: code for code, dt in _CODES.items()}
_GZIP_MAGIC = b"\x1f\x8b"


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read any IDX file (gzipped or not, told apart by the bytes ``1f 8b``).

    Parameters
    ----------
    path : str or path-like
        The file.

    Returns
    -------
    numpy.ndarray
        The values, with the file's shape and type (uint8, int8, int16, int32, float32 or
        float64), in native byte order.

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    ValueError
        Bad magic bytes, an unknown type code, no dimensions, corrupt gzip data, or a size that
        does not match the header (the message gives the expected and the actual size).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> tmp = tempfile.TemporaryDirectory()
    >>> path = pathlib.Path(tmp.name) / "x.idx"
    >>> _ = path.write_bytes(bytes([0, 0, 0x08, 1, 0, 0, 0, 3, 5, 6, 7]))
    >>> read_idx(path).tolist()
    [5, 6, 7]
    >>> tmp.cleanup()
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"IDX file {str(path)!r} does not exist")
    raw = path.read_bytes()
    gz = raw[:2] == _GZIP_MAGIC
    if gz:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise ValueError(f"{path}: corrupt or truncated gzip data ({exc})") from exc
    what = "decompressed size" if gz else "size"
    if len(raw) < 4 or raw[:2] != b"\x00\x00":
        raise ValueError(
            f"{path} is not an IDX file: it must start with two zero bytes, a type code and the "
            f"number of dimensions, but starts with {raw[:4].hex(' ') or 'nothing'}"
        )
    code, ndim = raw[2], raw[3]
    if code not in _CODES:
        known = ", ".join(f"0x{c:02X}" for c in _CODES)
        raise ValueError(f"{path}: unknown IDX type code 0x{code:02X} (known: {known})")
    if ndim == 0:
        raise ValueError(f"{path}: the IDX header declares 0 dimensions")
    head = 4 + 4 * ndim
    if len(raw) < head:
        raise ValueError(
            f"{path}: truncated IDX header: {ndim} dimensions need {head} bytes, "
            f"but the {what} is {len(raw)} bytes"
        )
    dims = struct.unpack(f">{ndim}I", raw[4:head])
    dt = _CODES[code]
    count = math.prod(dims)
    expected = head + count * dt.itemsize
    if len(raw) != expected:
        problem = "truncated" if len(raw) < expected else "has trailing bytes"
        raise ValueError(
            f"{path}: IDX file {problem}: the header declares shape {dims} of {dt.name}, so "
            f"expected {expected} bytes, but the {what} is {len(raw)} bytes"
        )
    arr = np.frombuffer(raw, dtype=dt, count=count, offset=head).reshape(dims)
    return arr.astype(dt.newbyteorder("="))


def write_idx(path: str | os.PathLike[str], array: Any, *, compress: bool | None = None) -> None:
    """Write an array as an IDX file (the inverse of :func:`read_idx`).

    Parameters
    ----------
    path : str or path-like
        Where to write.
    array : array_like
        Values of type uint8, int8, int16, int32, float32 or float64, with at least one and at
        most 255 dimensions.
    compress : bool, optional
        Gzip the file; by default when ``path`` ends in ``.gz``. The output does not depend on the
        time, so equal arrays give equal files.

    Examples
    --------
    >>> import pathlib, tempfile, numpy as np
    >>> tmp = tempfile.TemporaryDirectory()
    >>> path = pathlib.Path(tmp.name) / "x.idx"
    >>> write_idx(path, np.array([[1.5, 2.0]], dtype=np.float32))
    >>> read_idx(path)
    array([[1.5, 2. ]], dtype=float32)
    >>> tmp.cleanup()
    """
    arr = np.asarray(array)
    native = arr.dtype.newbyteorder("=").str
    if native not in _CODE_OF:
        raise ValueError(
            f"IDX stores uint8, int8, int16, int32, float32 or float64, not {arr.dtype}"
        )
    if not 1 <= arr.ndim <= 255:
        raise ValueError(f"IDX needs 1 to 255 dimensions, got {arr.ndim}")
    code = _CODE_OF[native]
    data = (
        bytes([0, 0, code, arr.ndim])
        + struct.pack(f">{arr.ndim}I", *arr.shape)
        + np.ascontiguousarray(arr, dtype=_CODES[code]).tobytes()
    )
    path = Path(path)
    if compress is None:
        compress = path.suffix == ".gz"
    if compress:
        data = gzip.compress(data, mtime=0)
    path.write_bytes(data)


def load_idx(
    images_path: str | os.PathLike[str], labels_path: str | os.PathLike[str] | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Load MNIST-style images and, optionally, their labels from IDX files.

    Parameters
    ----------
    images_path : str or path-like
        An IDX file of uint8 with 3 dimensions (``train-images-idx3-ubyte[.gz]``).
    labels_path : str or path-like, optional
        An IDX file of one integer label per image (``train-labels-idx1-ubyte[.gz]``).

    Returns
    -------
    images : numpy.ndarray of uint8, shape (n, rows, cols)
    labels : numpy.ndarray of int64, shape (n,), or None without ``labels_path``

    Raises
    ------
    ValueError
        Anything :func:`read_idx` rejects, images that are not 3-D uint8, labels that are not 1-D
        integers, or a different number of labels and images.

    Examples
    --------
    >>> import pathlib, tempfile, numpy as np
    >>> tmp = tempfile.TemporaryDirectory()
    >>> path = pathlib.Path(tmp.name) / "images.idx"
    >>> write_idx(path, np.zeros((5, 28, 28), dtype=np.uint8))
    >>> images, labels = load_idx(path)
    >>> images.shape, labels
    ((5, 28, 28), None)
    >>> tmp.cleanup()
    """
    images = read_idx(images_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise ValueError(
            f"{images_path}: expected images as 3-D uint8 (n, rows, cols), got "
            f"{images.ndim}-D {images.dtype} of shape {images.shape}"
        )
    if labels_path is None:
        return images, None
    labels = read_idx(labels_path)
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise ValueError(
            f"{labels_path}: expected labels as a 1-D integer array, got {labels.ndim}-D "
            f"{labels.dtype} of shape {labels.shape}"
        )
    if len(labels) != len(images):
        raise ValueError(
            f"{len(labels)} labels in {labels_path} but {len(images)} images in {images_path}"
        )
    return images, labels.astype(np.int64)
