"""Speed of the numpy reference solutions against PyTorch on the CPU: prints one table, reference time over PyTorch's.

Usage: python bench/reference_speed.py [--repeat N]

Each figure is the median over N repeats of the time of one call (a repeat runs the
call several times when it is short, as timeit's autorange does). For PyTorch's
backward only the backward is timed: `.backward(dout, retain_graph=True)` on a graph
built once. PyTorch keeps its default thread count; numpy's BLAS (OpenBLAS) keeps its own.

The reference and PyTorch are timed in two separate child processes, one after the
other: on a small machine the worker threads of OpenBLAS and of PyTorch's OpenMP
busy-wait after a call, and in one process they steal the cores from each other.
A block of repeats during which other processes used more than 10 % of the machine
is thrown away and timed again (up to 10 times; a figure that never got a quiet
block is marked with `*`).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHAPES = {
    "large": dict(N=32, C=16, H=32, W=32, F=32, K=3),
    "small": dict(N=2, C=3, H=8, W=8, F=4, K=3),
}
DTYPES = ("float64", "float32")
OPS = ("conv forward", "conv backward", "max pool forward", "max pool backward", "avg pool forward", "avg pool backward")
CONV = {"stride": 1, "pad": 1}
POOL = {"pool_height": 2, "pool_width": 2, "stride": 2}
# (op, dtype) -> largest acceptable ratio, on the large shape
GOALS = {
    ("conv forward", "float64"): 1.0,
    ("conv forward", "float32"): 2.0,
    ("conv backward", "float64"): 2.0,
    ("conv backward", "float32"): 2.0,
}
QUIET = 0.10  # largest share of the machine that other processes may use during a block
HZ = os.sysconf("SC_CLK_TCK")


def _machine_busy_seconds() -> float:
    """CPU seconds spent by the whole machine, all cores, outside idle and iowait."""
    with open("/proc/stat") as stat:
        fields = [int(value) for value in stat.readline().split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / HZ


def _own_seconds() -> float:
    times = os.times()
    return times.user + times.system


def median_seconds(call, repeat: int, min_block: float = 0.02) -> tuple[float, bool]:
    """(median time of one call, whether the repeats ran on a quiet machine)."""
    for _ in range(2):
        call()
    number = 1
    while True:  # calls per repeat, so that a repeat lasts about min_block seconds
        start = time.perf_counter()
        for _ in range(number):
            call()
        elapsed = time.perf_counter() - start
        if elapsed >= min_block or number >= 1000:
            break
        number = min(1000, number * (2 if elapsed == 0 else max(2, min(10, int(min_block / elapsed) + 1))))
    quiet = False
    for _ in range(10):
        time.sleep(0.2)
        call()
        busy, own, wall = _machine_busy_seconds(), _own_seconds(), time.perf_counter()
        times = []
        gc.disable()
        try:
            for _ in range(repeat):
                start = time.perf_counter()
                for _ in range(number):
                    call()
                times.append((time.perf_counter() - start) / number)
        finally:
            gc.enable()
        others = ((_machine_busy_seconds() - busy) - (_own_seconds() - own)) / ((time.perf_counter() - wall) * os.cpu_count())
        if others <= QUIET:
            quiet = True
            break
        time.sleep(2.0)
    return statistics.median(times), quiet


def arrays(shape: dict, dtype: str):
    """Input, filters, bias and upstream gradients for one shape, the same in both processes."""
    rng = np.random.default_rng(0)
    N, C, H, W, F_, K = (shape[key] for key in ("N", "C", "H", "W", "F", "K"))
    x = rng.standard_normal((N, C, H, W)).astype(dtype)
    w = rng.standard_normal((F_, C, K, K)).astype(dtype)
    b = rng.standard_normal(F_).astype(dtype)
    H_out = 1 + (H + 2 * CONV["pad"] - K) // CONV["stride"]
    W_out = 1 + (W + 2 * CONV["pad"] - K) // CONV["stride"]
    dout_conv = rng.standard_normal((N, F_, H_out, W_out)).astype(dtype)
    P, S = POOL["pool_height"], POOL["stride"]
    dout_pool = rng.standard_normal((N, C, 1 + (H - P) // S, 1 + (W - P) // S)).astype(dtype)
    return x, w, b, dout_conv, dout_pool


def reference_calls(shape: dict, dtype: str) -> dict:
    """op -> a callable timing the numpy reference."""
    sys.path.insert(0, str(ROOT))
    from reference.conv import conv_backward, conv_forward
    from reference.pool import avg_pool_backward, avg_pool_forward, max_pool_backward, max_pool_forward

    x, w, b, dout_conv, dout_pool = arrays(shape, dtype)
    _, conv_cache = conv_forward(x, w, b, CONV)
    _, max_cache = max_pool_forward(x, POOL)
    _, avg_cache = avg_pool_forward(x, POOL)
    return {
        "conv forward": lambda: conv_forward(x, w, b, CONV),
        "conv backward": lambda: conv_backward(dout_conv, conv_cache),
        "max pool forward": lambda: max_pool_forward(x, POOL),
        "max pool backward": lambda: max_pool_backward(dout_pool, max_cache),
        "avg pool forward": lambda: avg_pool_forward(x, POOL),
        "avg pool backward": lambda: avg_pool_backward(dout_pool, avg_cache),
    }


def torch_calls(shape: dict, dtype: str) -> dict:
    """op -> a callable timing PyTorch; for a backward, only `.backward` of a graph built once."""
    import torch
    import torch.nn.functional as F

    x, w, b, dout_conv, dout_pool = arrays(shape, dtype)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    conv_out = F.conv2d(xt, wt, bt, stride=CONV["stride"], padding=CONV["pad"])
    kernel, stride = (POOL["pool_height"], POOL["pool_width"]), POOL["stride"]
    pool_outs = {name: pool(xt, kernel, stride=stride) for name, pool in [("max", F.max_pool2d), ("avg", F.avg_pool2d)]}
    dconv, dpool = torch.from_numpy(dout_conv), torch.from_numpy(dout_pool)

    def no_grad(fn):
        def call():
            with torch.no_grad():
                fn()
        return call

    def backward(out, dout, tensors):
        def call():
            for tensor in tensors:
                tensor.grad = None
            out.backward(dout, retain_graph=True)
        return call

    return {
        "conv forward": no_grad(lambda: F.conv2d(xt, wt, bt, stride=CONV["stride"], padding=CONV["pad"])),
        "conv backward": backward(conv_out, dconv, (xt, wt, bt)),
        "max pool forward": no_grad(lambda: F.max_pool2d(xt, kernel, stride=stride)),
        "max pool backward": backward(pool_outs["max"], dpool, (xt,)),
        "avg pool forward": no_grad(lambda: F.avg_pool2d(xt, kernel, stride=stride)),
        "avg pool backward": backward(pool_outs["avg"], dpool, (xt,)),
    }


def run_side(side: str, repeat: int) -> None:
    """Time every case for one side and print one JSON object: {"info": ..., "times": {key: [seconds, quiet]}}."""
    results = {}
    info = {}
    if side == "torch":
        import torch

        info = {"torch": torch.__version__, "torch_threads": torch.get_num_threads()}
    for shape_name, shape in SHAPES.items():
        for dtype in DTYPES:
            calls = (torch_calls if side == "torch" else reference_calls)(shape, dtype)
            for op in OPS:
                results[f"{shape_name}|{dtype}|{op}"] = median_seconds(calls[op], repeat)
    print(json.dumps({"info": info, "times": results}))


def describe(shape: dict) -> str:
    return f"N={shape['N']} C={shape['C']} {shape['H']}x{shape['W']} F={shape['F']}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="repeats per figure (median taken); default 15")
    parser.add_argument("--side", choices=["reference", "torch"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.side:
        run_side(args.side, args.repeat)
        return 0

    sides = {}
    for side in ("reference", "torch"):
        done = subprocess.run([sys.executable, __file__, "--side", side, "--repeat", str(args.repeat)],
                              check=True, capture_output=True, text=True)
        sides[side] = json.loads(done.stdout.strip().splitlines()[-1])
    info = sides["torch"]["info"]
    print(f"numpy {np.__version__}, torch {info['torch']}; torch threads: {info['torch_threads']} (default), "
          f"CPUs: {os.cpu_count()}, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}")
    print(f"conv: 3x3 kernel, stride {CONV['stride']}, pad {CONV['pad']}; pooling: "
          f"{POOL['pool_height']}x{POOL['pool_width']}, stride {POOL['stride']}; median of {args.repeat} repeats")
    print()
    header = f"| {'op':<17} | {'dtype':<7} | {'shape':<24} | {'ref ms':>9} | {'torch ms':>9} | {'ratio':>6} |"
    print(header)
    print("|" + "|".join("-" * len(cell) for cell in header.split("|")[1:-1]) + "|")
    verdicts, noisy = [], False
    for shape_name, shape in SHAPES.items():
        for dtype in DTYPES:
            for op in OPS:
                key = f"{shape_name}|{dtype}|{op}"
                (ref_s, ref_quiet), (torch_s, torch_quiet) = sides["reference"]["times"][key], sides["torch"]["times"][key]
                mark = "" if ref_quiet and torch_quiet else "*"
                noisy = noisy or bool(mark)
                ratio = ref_s / torch_s
                print(f"| {op:<17} | {dtype:<7} | {describe(shape):<24} | {ref_s * 1e3:9.3f} | "
                      f"{torch_s * 1e3:9.3f} | {ratio:5.2f}{mark or ' '} |")
                goal = GOALS.get((op, dtype)) if shape_name == "large" else None
                if goal is not None:
                    verdicts.append((op, dtype, ratio, goal))
    if noisy:
        print("\n* other processes kept using the machine while this figure was timed")
    print("\nGoals (large shape):")
    for op, dtype, ratio, goal in verdicts:
        print(f"  {op}, {dtype}: {ratio:.2f}x torch, goal <= {goal:.1f}x: {'met' if ratio <= goal else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
