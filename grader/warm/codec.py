"""A grade report, or a run's settings, as JSON and back, so that what the warm grader hands over equals what a
cold run holds: the same types (a tuple stays a tuple, a numpy scalar a numpy scalar), the same floats (JSON keeps
a float's shortest repr, which reads back to the same bits), the same order.

Every JSON object written is tagged with what it stands for; a dataclass or an enumeration is named by module and
class and read back only when it is one of the grader's own (``grader.*``), never anything else. Both ends are the same
user's processes of one install (the socket checks that), and nothing here runs code it is handed.
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
from pathlib import Path, PurePath
from typing import Any, Callable


class Unencodable(TypeError):
    """A value of a type the codec does not carry: the caller grades cold instead."""


def encode(value: Any) -> Any:
    """``value`` as JSON-ready data; Unencodable for a type the codec does not carry."""
    if value is None or type(value) in (bool, int, float, str):
        return value
    if type(value) is list:
        return [encode(item) for item in value]
    if type(value) is tuple:
        return {"tuple": [encode(item) for item in value]}
    if type(value) is dict:
        return {"dict": [[encode(key), encode(item)] for key, item in value.items()]}
    if isinstance(value, PurePath):
        return {"path": str(value)}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"dataclass": name_of(type(value)),
                "fields": {field.name: encode(getattr(value, field.name)) for field in dataclasses.fields(value)}}
    if isinstance(value, enum.Enum):
        return {"enum": name_of(type(value)), "value": encode(value.value)}
    return encode_numpy(value)


def name_of(kind: type) -> str:
    return f"{kind.__module__}:{kind.__qualname__}"


def encode_numpy(value: Any) -> Any:
    """A numpy scalar or array of numbers, with its dtype; Unencodable for anything else."""
    import numpy as np

    if isinstance(value, np.generic) and value.dtype.kind in "biufc":
        return {"numpy": value.dtype.str, "value": encode(value.item())}
    if isinstance(value, np.ndarray) and value.dtype.kind in "biufc":
        return {"ndarray": value.dtype.str, "shape": list(value.shape), "values": encode(value.ravel().tolist())}
    raise Unencodable(f"the warm grader cannot carry a {type(value).__name__}")


def decode(data: Any) -> Any:
    """What ``encode`` wrote, rebuilt; ValueError for anything ``encode`` does not write."""
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    if isinstance(data, list):
        return [decode(item) for item in data]
    if not isinstance(data, dict) or len(data) not in (1, 2, 3):
        raise ValueError(f"not an encoded value: {str(data)[:80]}")
    if "tuple" in data:
        return tuple(decode(item) for item in data["tuple"])
    if "dict" in data:
        return {decode(key): decode(item) for key, item in data["dict"]}
    if "path" in data:
        return Path(data["path"])
    if "dataclass" in data:
        kind = graders_own(data["dataclass"], dataclasses.is_dataclass)
        return kind(**{name: decode(item) for name, item in data["fields"].items()})
    if "enum" in data:
        return graders_own(data["enum"], lambda kind: issubclass(kind, enum.Enum))(decode(data["value"]))
    import numpy as np

    if "numpy" in data:
        return np.dtype(data["numpy"]).type(decode(data["value"]))
    if "ndarray" in data:
        return np.array(decode(data["values"]), dtype=np.dtype(data["ndarray"])).reshape(data["shape"])
    raise ValueError(f"not an encoded value: {str(data)[:80]}")


def graders_own(name: str, is_kind: Callable[[type], bool]) -> type:
    """The grader's own class called ``module:qualname``, if ``is_kind`` says it is of the kind expected;
    ValueError for anything else."""
    module, _, qualname = name.partition(":")
    if not module.startswith("grader.") or "." in qualname:
        raise ValueError(f"{name} is not one of the grader's types")
    kind = getattr(importlib.import_module(module), qualname, None)
    if not (isinstance(kind, type) and is_kind(kind)):
        raise ValueError(f"{name} is not one of the grader's types of that kind")
    return kind
