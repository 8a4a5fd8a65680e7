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

The grader reads what the child sends as untrusted bytes: student code runs in
the child and can write anything on its reply pipe. Reading and decoding raise
``WireError`` for anything malformed (never another exception), allocate no more
than the message's size, and check the types of the reply fields the grader
reads (``ok``, ``error``, ``modified_args``, ``cell_errors``, ``names``).

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
MAX_DECODE_DEPTH = 2 * MAX_DEPTH + 2  # what encode can produce, with room; deeper is not from encode
MAX_FOREIGN_TEXT = 1000
SCALAR_TYPES = {np.dtype(code).name: np.dtype(code).type for code in "?bhilqpBHILQPefdg"}
FLOAT_NAMES = ("nan", "inf", "-inf")


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


def decode(data: Any, blobs: list[bytes], handles: dict[int, Any] | None = None, depth: int = 0) -> Any:
    """Rebuild a value from ``encode``'s output; arrays load with ``allow_pickle=False``.

    Anything ``encode`` cannot have produced raises ``WireError``; with ``handles`` (the child's side), a
    handle number it does not hold raises ``KeyError``.
    """
    if depth > MAX_DECODE_DEPTH:
        raise WireError(f"value nested more than {MAX_DECODE_DEPTH} levels deep")
    if isinstance(data, list):
        return [decode(v, blobs, handles, depth + 1) for v in data]
    if not isinstance(data, dict):
        return data
    if "$array" in data:
        return _load_array(blobs, data["$array"])
    if "$tuple" in data:
        return tuple(decode(v, blobs, handles, depth + 1) for v in _expect(list, data["$tuple"], "$tuple"))
    if "$dict" in data:
        items = _expect(list, data["$dict"], "$dict")
        if not all(type(item) is list and len(item) == 2 and type(item[0]) is str for item in items):
            raise WireError("$dict items must be [string key, value] pairs")
        return {k: decode(v, blobs, handles, depth + 1) for k, v in items}
    if "$npscalar" in data:
        return _scalar(data["$npscalar"], decode(data.get("value"), blobs, handles, depth + 1))
    if "$float" in data:
        if data["$float"] not in FLOAT_NAMES:
            raise WireError(f"$float must be one of {', '.join(FLOAT_NAMES)}")
        return float(data["$float"])
    if "$handle" in data:
        number = _expect(int, data["$handle"], "$handle")
        return handles[number] if handles is not None else Handle(number)
    if "$object" in data:
        type_name, text = _expect(str, data["$object"], "$object"), _expect(str, data.get("repr", ""), "repr")
        return Foreign(type_name[:MAX_FOREIGN_TEXT], text[:MAX_FOREIGN_TEXT])
    raise WireError(f"unknown tagged value with keys {sorted(data)[:5]}")


def _expect(kind: type, value: Any, tag: str) -> Any:
    if type(value) is not kind:
        raise WireError(f"{tag} holds {type(value).__name__}; expected {kind.__name__}")
    return value


def _scalar(name: Any, value: Any) -> np.generic:
    """A numpy scalar of a numeric type from its dtype name, as ``encode`` sends it."""
    kind = SCALAR_TYPES.get(name) if isinstance(name, str) else None
    if kind is None or type(value) not in (bool, int, float):
        raise WireError(f"$npscalar of {str(name)[:40]!r} holding {type(value).__name__} is not a numeric scalar")
    try:
        return kind(value)
    except (OverflowError, ValueError, TypeError) as error:
        raise WireError(f"$npscalar {name}: {error}") from None


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
    except (ValueError, RecursionError) as error:  # RecursionError: JSON nested too deeply
        raise WireError(f"message header is not JSON: {str(error)[:200]}") from None
    count = header.get("blobs") if isinstance(header, dict) else None
    if type(count) is not int or not 0 <= count <= 1024:
        raise WireError("message header has no valid blob count")
    _check_fields(header)
    blobs, total = [], length
    for _ in range(count):
        (size,) = struct.unpack(">Q", _read_exactly(read, 8))
        total += size
        if total > MAX_MESSAGE_BYTES:
            raise WireError(f"message exceeds {MAX_MESSAGE_BYTES >> 20} MiB")
        blobs.append(_read_exactly(read, size))
    return header, blobs


def _is_text_dict(value: Any) -> bool:
    return type(value) is dict and all(type(k) is str and type(v) is str for k, v in value.items())


REPLY_FIELDS: dict[str, Callable[[Any], bool]] = {
    "ok": lambda v: type(v) is bool,
    "error": _is_text_dict,
    "modified_args": lambda v: type(v) is list and all(type(i) is int and i >= 0 for i in v),
    "cell_errors": lambda v: type(v) is list and all(
        _is_text_dict(e) and all(k in e for k in ("label", "type", "message")) for e in v),
    "names": _is_text_dict,
}


def _check_fields(header: dict[str, Any]) -> None:
    """Refuse a message whose reply fields have the wrong types (a child can write anything on its pipe)."""
    for name, valid in REPLY_FIELDS.items():
        if name in header and not valid(header[name]):
            raise WireError(f"message field {name!r} is malformed")


def _load_array(blobs: list[bytes], index: Any) -> np.ndarray:
    """The blob as a numeric array, its header checked against its length before anything is allocated."""
    if type(index) is not int or not 0 <= index < len(blobs):
        raise WireError(f"array reference {str(index)[:40]!r} names no blob")
    blob = blobs[index]
    stream = io.BytesIO(blob)
    try:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(stream)
        elif version == (2, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(stream)
        else:
            raise ValueError(f"format version {version} is not one numpy writes for numeric arrays")
    except Exception as error:  # noqa: BLE001 - numpy's header parser on untrusted bytes: any failure is "invalid"
        raise WireError(f"array {index} is not a valid .npy: {str(error)[:200]}") from None
    if dtype.kind not in "biufc" or dtype.hasobject or dtype.names is not None or dtype.shape != ():
        raise WireError(f"array {index} has non-numeric dtype {str(dtype)[:40]}")
    if any(side < 0 for side in shape):
        raise WireError(f"array {index} declares a negative dimension in shape {str(shape)[:80]}")
    count = math.prod(shape)
    offset = stream.tell()
    if count * dtype.itemsize != len(blob) - offset:
        raise WireError(f"array {index} declares shape {str(shape)[:80]} of {dtype} ({count * dtype.itemsize} bytes) "
                        f"but holds {len(blob) - offset} bytes")
    try:
        flat = np.frombuffer(blob, dtype=dtype, count=count, offset=offset)
        array = flat.reshape(shape[::-1]).transpose() if fortran_order else flat.reshape(shape)
    except ValueError as error:  # too many dimensions, or a size numpy cannot index
        raise WireError(f"array {index} has an impossible shape: {str(error)[:200]}") from None
    return array.copy(order="K")


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
