"""The message format between the grader and the sandbox child: JSON plus `.npy` blobs, never pickle.

A message is a 4-byte big-endian header length, a UTF-8 JSON header, then for
each blob the header names an 8-byte big-endian length and the `.npy` bytes.
Values nest as JSON with tagged objects:

    {"$array": i}               the i-th blob, an exact ``numpy.ndarray``
    {"$tuple": [...]}           a tuple
    {"$dict": [[key, v], ...]}  a dict with string keys
    {"$npscalar": dtype, "value": v}   a numpy scalar such as ``np.int64(3)``
    {"$float": "nan"|"inf"|"-inf"}     a non-finite Python float
    {"$handle": n}              an object kept in the child (a cache)
    {"$object": type, "repr": text}    anything else, described, never rebuilt

This module is loaded by the child by file path, so it imports only the
standard library and numpy.
"""

from __future__ import annotations

import io
import json
import math
import struct
from dataclasses import dataclass
from typing import Any, BinaryIO, Callable

import numpy as np

MAX_HEADER_BYTES = 1 << 20
MAX_MESSAGE_BYTES = 256 << 20
MAX_DEPTH = 8


class WireError(Exception):
    """A message that breaks the format: too large, truncated, or malformed."""


@dataclass(frozen=True)
class Handle:
    """An object the child keeps (a forward pass's cache) and hands back by number."""

    number: int
    generation: int = 0


@dataclass(frozen=True)
class Foreign:
    """A value the child returned that is not plain data: only its type and repr cross."""

    type_name: str
    text: str


def encode(value: Any, blobs: list[bytes], depth: int = 0) -> Any:
    """Turn a value into JSON-able data, appending arrays to ``blobs`` as `.npy` bytes."""
    if depth > MAX_DEPTH:
        return {"$object": "nested too deeply", "repr": ""}
    if type(value) is np.ndarray:
        if value.dtype.kind not in "biufc":
            return {"$object": f"numpy.ndarray of dtype {value.dtype}", "repr": _safe_repr(value)}
        buffer = io.BytesIO()
        np.save(buffer, value, allow_pickle=False)
        blobs.append(buffer.getvalue())
        return {"$array": len(blobs) - 1}
    if value is None or type(value) in (bool, str, int):
        return value
    if type(value) is float:
        return value if math.isfinite(value) else {"$float": repr(value)}
    if isinstance(value, Handle):
        return {"$handle": value.number}
    if type(value) is tuple:
        return {"$tuple": [encode(v, blobs, depth + 1) for v in value]}
    if type(value) is list:
        return [encode(v, blobs, depth + 1) for v in value]
    if type(value) is dict and all(type(k) is str for k in value):
        return {"$dict": [[k, encode(v, blobs, depth + 1)] for k, v in value.items()]}
    if isinstance(value, np.generic) and type(value).__module__ == "numpy" and value.dtype.kind in "biuf":
        return {"$npscalar": value.dtype.name, "value": encode(value.item(), blobs, depth + 1)}
    return {"$object": _type_name(value), "repr": _safe_repr(value)}


def decode(data: Any, blobs: list[bytes], handles: dict[int, Any] | None = None) -> Any:
    """Rebuild a value from ``encode``'s output; arrays load with ``allow_pickle=False``."""
    if isinstance(data, list):
        return [decode(v, blobs, handles) for v in data]
    if not isinstance(data, dict):
        return data
    if "$array" in data:
        return _load_array(blobs, data["$array"])
    if "$tuple" in data:
        return tuple(decode(v, blobs, handles) for v in data["$tuple"])
    if "$dict" in data:
        return {str(k): decode(v, blobs, handles) for k, v in data["$dict"]}
    if "$npscalar" in data:
        return np.dtype(str(data["$npscalar"])).type(decode(data["value"], blobs, handles))
    if "$float" in data:
        return float(data["$float"])
    if "$handle" in data:
        return handles[data["$handle"]] if handles is not None else Handle(int(data["$handle"]))
    if "$object" in data:
        return Foreign(str(data["$object"]), str(data.get("repr", "")))
    raise WireError(f"unknown tagged value with keys {sorted(data)[:5]}")


def write_message(stream: BinaryIO, header: dict[str, Any], blobs: list[bytes]) -> None:
    """Write one message (header plus blobs) and flush it."""
    body = json.dumps({**header, "blobs": len(blobs)}).encode()
    parts = [struct.pack(">I", len(body)), body]
    for blob in blobs:
        parts += [struct.pack(">Q", len(blob)), blob]
    stream.write(b"".join(parts))
    stream.flush()


def read_message(read: Callable[[int], bytes]) -> tuple[dict[str, Any], list[bytes]]:
    """Read one message through ``read(n)`` (which may return fewer bytes), within the format's limits."""
    (length,) = struct.unpack(">I", _read_exactly(read, 4))
    if length > MAX_HEADER_BYTES:
        raise WireError(f"message header of {length} bytes exceeds {MAX_HEADER_BYTES}")
    try:
        header = json.loads(_read_exactly(read, length))
    except ValueError as error:
        raise WireError(f"message header is not JSON: {error}") from None
    count = header.get("blobs") if isinstance(header, dict) else None
    if not isinstance(count, int) or not 0 <= count <= 1024:
        raise WireError("message header has no valid blob count")
    blobs, total = [], length
    for _ in range(count):
        (size,) = struct.unpack(">Q", _read_exactly(read, 8))
        total += size
        if total > MAX_MESSAGE_BYTES:
            raise WireError(f"message exceeds {MAX_MESSAGE_BYTES >> 20} MiB")
        blobs.append(_read_exactly(read, size))
    return header, blobs


def _load_array(blobs: list[bytes], index: Any) -> np.ndarray:
    if not isinstance(index, int) or not 0 <= index < len(blobs):
        raise WireError(f"array reference {index!r} names no blob")
    try:
        array = np.load(io.BytesIO(blobs[index]), allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise WireError(f"array {index} is not a valid .npy: {error}") from None
    if not isinstance(array, np.ndarray) or array.dtype.kind not in "biufc":
        raise WireError(f"array {index} has non-numeric dtype")
    return array


def _read_exactly(read: Callable[[int], bytes], size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = read(min(left, 1 << 20))
        if not chunk:
            raise WireError("the other side closed the channel mid-message")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _type_name(value: Any) -> str:
    kind = type(value)
    module = getattr(kind, "__module__", "") or ""
    name = getattr(kind, "__qualname__", kind.__name__)
    full = name if module in ("builtins", "") else f"{module}.{name}"
    return f"{full} (a numpy.ndarray subclass)" if isinstance(value, np.ndarray) else full


def _safe_repr(value: Any) -> str:
    try:
        text = repr(value)
    except Exception as error:  # noqa: BLE001 - the student's __repr__ may raise anything
        text = f"<repr failed: {type(error).__name__}>"
    return text if len(text) <= 300 else text[:300] + "..."
