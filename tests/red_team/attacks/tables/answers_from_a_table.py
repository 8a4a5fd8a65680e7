# Attack: compute nothing. Every graded function answers from a table recorded beforehand with the grader's own
# machinery and PyTorch (keyed by the bytes of its arguments), and raises KeyError on anything else. A forward's
# cache is a token naming the recorded call, which the backward's table is keyed by.
import hashlib
import json

import numpy as np

PLACES = json.loads(r'''@PLACES@''')
TABLE = PLACES.get("table", {})


def digest(function, args, kwargs):
    """The key of a call: the function's name and its arguments, arrays by dtype, shape and bytes."""
    found = hashlib.sha256(function.encode())

    def add(value):
        if isinstance(value, np.ndarray):
            found.update(f"array {value.dtype} {value.shape}".encode() + np.ascontiguousarray(value).tobytes())
        elif isinstance(value, (list, tuple)):
            found.update(f"{type(value).__name__} {len(value)}".encode())
            for item in value:
                add(item)
        elif isinstance(value, dict):
            found.update(f"dict {len(value)}".encode())
            for key in sorted(value, key=repr):
                add(key)
                add(value[key])
        else:
            found.update(f"{type(value).__name__} {value!r};".encode())

    add(tuple(args))
    add(dict(kwargs))
    return found.hexdigest()


def rebuilt(value):
    """An answer as the table holds it (JSON) turned back into what the function returned."""
    if isinstance(value, dict) and "array" in value:
        return np.array(value["array"], dtype=value["dtype"]).reshape(value["shape"])
    if isinstance(value, dict) and "tuple" in value:
        return tuple(rebuilt(item) for item in value["tuple"])
    if isinstance(value, dict) and "raises" in value:
        raise {"ValueError": ValueError, "TypeError": TypeError}.get(value["raises"], RuntimeError)("recorded")
    return value


def answering(function):
    def answer(*args, **kwargs):
        return rebuilt(TABLE[digest(function, args, kwargs)])
    answer.__name__ = function
    return answer


for _function in PLACES.get("functions", []):
    globals()[_function] = answering(_function)
