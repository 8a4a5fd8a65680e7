"""Grader code that runs inside the sandbox child for the im2col assignment: it times the student's function.

The student's ``conv_forward_im2col`` and a fixed workload of the same size (one
copy of a matrix the size of the column matrix, and the product of the filters'
size with it, the least an im2col convolution does) run in turns, with the same
clock. Only numbers and the student's own output go back: no expected value and
no reference code come here. The clock and numpy's array type are bound when
this module loads, before any student code runs, and the workload uses ndarray
methods and operators only, which student code cannot monkeypatch. The grader
decides pass or fail from the numbers. Loaded by the child by file path; imports
numpy and the standard library only.
"""

from __future__ import annotations

from time import perf_counter
from typing import Any

from numpy import ndarray


def time_conv_forward(namespace: dict[str, Any], x: ndarray, w: ndarray, b: ndarray, conv_param: dict[str, int],
                      peer_shape: tuple[int, int, int], repeats: int, budget: float) -> dict[str, Any]:
    """Interleaved runs of conv_forward_im2col and of the peer workload of ``peer_shape`` (filters, rows, columns);
    returns each run's seconds and the student's last output. Stops repeating once the student's runs took
    ``budget`` seconds in all, so a slow solution costs little time."""
    student = namespace["conv_forward_im2col"]
    filters, rows, columns = peer_shape
    source, target = ndarray((rows, columns), x.dtype), ndarray((rows, columns), x.dtype)
    weights = ndarray((filters, rows), x.dtype)
    source.fill(1)
    weights.fill(1)
    mine: list[float] = []
    peer: list[float] = []
    result = None
    for _ in range(repeats):
        fresh = x.copy()  # a new array each run: no result kept between calls can be reused
        start = perf_counter()
        result = student(fresh, w, b, dict(conv_param))
        mine.append(perf_counter() - start)
        start = perf_counter()
        target[...] = source
        _ = weights @ target
        peer.append(perf_counter() - start)
        if sum(mine) > budget:
            break
    out = result[0] if type(result) is tuple and result else result
    return {"student": mine, "peer": peer, "out": out}
