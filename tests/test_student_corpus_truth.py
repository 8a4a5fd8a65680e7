"""The student corpus (tests/fixtures/students): every claim of corpus.toml is checked against PyTorch, and the corpus keeps its coverage.

Each fixture is imported in-process (they are our own files) and run on fixed, seeded inputs: pad 0 and
pad > 0, non-square inputs and kernels, strides that do and do not divide, overlapping and gapped pooling
windows, tied maxima, windows entirely below -1e6, and float32 inputs. The truth is PyTorch in float64
(conv2d, max_pool2d, avg_pool2d, and autograd for the gradients), never the course's reference solution. A LeNet5
fixture is compared with LeNet-5 written out here with torch.nn.functional, under the fixture's own weights.
"""

from __future__ import annotations

import ast
import functools
import itertools
import importlib.util
import math
import tomllib
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

from conftest import STUDENT_CORPUS

ALL_ENTRIES = tomllib.loads((STUDENT_CORPUS / "corpus.toml").read_text())["student"]
ENTRIES = [entry for entry in ALL_ENTRIES if entry["assignment"] != "lenet"]  # numpy code, run on the inputs below
LENET = [entry for entry in ALL_ENTRIES if entry["assignment"] == "lenet"]  # networks, run on the checks at the end
BY_FILE = {entry["file"]: entry for entry in ENTRIES}

FUNCTIONS = {
    "conv": ("conv_output_size", "zero_pad", "conv_forward", "conv_backward"),
    "pool": ("max_pool_forward", "max_pool_backward", "avg_pool_forward", "avg_pool_backward"),
    "lenet": ("LeNet5",),
}
ARRAY_FUNCTIONS = {"conv": ("zero_pad", "conv_forward", "conv_backward"), "pool": FUNCTIONS["pool"], "lenet": ()}
FORWARDS = ("conv_forward", "max_pool_forward", "avg_pool_forward")
STYLES = ("loops", "vectorised", "im2col")
LENET_STYLES = ("sequential", "functional")
BUG_NAMES = {
    "conv": {
        "flipped kernel", "missing bias", "padding after the image only", "ceil instead of floor", "output size rounded",
        "NHWC output", "db summed over the batch only", "db summed over space only", "backward ignores the stride",
        "dw from the first image only", "dx cropped with [pad:-pad]", "dx cropped with [1:-1]", "H and W swapped",
        "int() of an array", "square kernel assumed", "forward ignores the stride", "output size ignores the stride",
        "dx assigned, not added",
    },
    "pool": {
        "average backward not divided", "max gradient to every cell", "stride taken as the pool size",
        "ties sent to every maximum", "max gradient assigned, not added", "max window assigned, not added",
        "average window assigned, not added", "running max started at 0", "running max started at -100000",
        "H and W swapped", "square output assumed", "int() of an array", "square window assumed",
    },
    "lenet": {
        "built for 32x32 input", "a log_softmax on the output", "sigmoid activations and average pooling",
        "no ReLU after fc1", "no ReLU after fc1 and fc2",
    },
}
TOLERANCE = {np.dtype(np.float64): dict(rtol=1e-6, atol=1e-9), np.dtype(np.float32): dict(rtol=1e-4, atol=1e-5)}


# ---------------------------------------------------------------------------------------------- inputs and truth


def t64(a):
    """A float64 leaf tensor of a numpy array, with gradients on."""
    return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


@dataclass
class SizeCase:
    name: str
    n: int
    f: int
    pad: int
    stride: int
    expected: object  # the floor formula, or ValueError
    dtype: np.dtype = np.dtype(np.float64)


@dataclass
class ConvCase:
    name: str
    x: np.ndarray
    w: np.ndarray
    b: np.ndarray
    stride: int
    pad: int
    dout: np.ndarray = None
    truth: dict = field(default_factory=dict)  # function -> PyTorch's answer, float64
    dxp: np.ndarray = None  # gradient with respect to the padded input

    @property
    def dtype(self):
        return self.x.dtype

    @property
    def divisible(self):
        (H, W), (HH, WW) = self.x.shape[2:], self.w.shape[2:]
        return (H + 2 * self.pad - HH) % self.stride == 0 and (W + 2 * self.pad - WW) % self.stride == 0

    @property
    def square(self):
        return self.w.shape[2] == self.w.shape[3]


@dataclass
class PoolCase:
    name: str
    x: np.ndarray
    ph: int
    pw: int
    stride: int
    dout: np.ndarray = None
    truth: dict = field(default_factory=dict)

    @property
    def dtype(self):
        return self.x.dtype

    @property
    def param(self):
        return {"pool_height": self.ph, "pool_width": self.pw, "stride": self.stride}

    @property
    def divisible(self):
        H, W = self.x.shape[2:]
        return (H - self.ph) % self.stride == 0 and (W - self.pw) % self.stride == 0

    @property
    def square(self):
        return self.truth["max_pool_forward"].shape[2] == self.truth["max_pool_forward"].shape[3]

    @property
    def square_window(self):
        return self.ph == self.pw


def size_cases():
    valid = [(7, 3, 0, 3), (5, 3, 0, 3), (6, 3, 0, 2), (8, 3, 0, 3), (10, 3, 0, 2), (32, 5, 2, 1),
             (7, 3, 1, 2), (3, 3, 0, 1), (4, 5, 1, 1), (9, 2, 0, 4), (1, 1, 0, 1)]
    invalid = [(2, 3, 0, 1), (1, 4, 1, 1), (5, 3, 0, 0), (5, 3, 1, -1)]
    cases = [SizeCase(f"n={n} f={f} pad={p} stride={s}", n, f, p, s, 1 + (n + 2 * p - f) // s) for n, f, p, s in valid]
    cases += [SizeCase(f"n={n} f={f} pad={p} stride={s} (invalid)", n, f, p, s, ValueError) for n, f, p, s in invalid]
    return cases


def conv_case(name, seed, x_shape, w_shape, stride, pad, dtype=np.float64):
    rng = np.random.default_rng(seed)
    case = ConvCase(name, rng.standard_normal(x_shape).astype(dtype), rng.standard_normal(w_shape).astype(dtype),
                    rng.standard_normal(w_shape[0]).astype(dtype), stride, pad)
    x, w, b = t64(case.x), t64(case.w), t64(case.b)
    out = TF.conv2d(x, w, b, stride=stride, padding=pad)
    case.dout = rng.standard_normal(tuple(out.shape)).astype(dtype)
    out.backward(torch.tensor(case.dout, dtype=torch.float64))
    case.truth = {
        "zero_pad": TF.pad(x.detach(), (pad, pad, pad, pad)).numpy(),
        "conv_forward": out.detach().numpy(),
        "conv_backward": (x.grad.numpy(), w.grad.numpy(), b.grad.numpy()),
    }
    xp = TF.pad(x.detach(), (pad, pad, pad, pad)).requires_grad_()
    TF.conv2d(xp, w.detach(), b.detach(), stride=stride).backward(torch.tensor(case.dout, dtype=torch.float64))
    case.dxp = xp.grad.numpy()
    return case


def pool_case(name, x, ph, pw, stride, seed):
    rng = np.random.default_rng(seed)
    case = PoolCase(name, x, ph, pw, stride)
    xm, xa = t64(x), t64(x)
    out_max = TF.max_pool2d(xm, (ph, pw), stride=stride)
    out_avg = TF.avg_pool2d(xa, (ph, pw), stride=stride)
    case.dout = rng.standard_normal(tuple(out_max.shape)).astype(x.dtype)
    out_max.backward(torch.tensor(case.dout, dtype=torch.float64))
    out_avg.backward(torch.tensor(case.dout, dtype=torch.float64))
    case.truth = {
        "max_pool_forward": out_max.detach().numpy(), "max_pool_backward": xm.grad.numpy(),
        "avg_pool_forward": out_avg.detach().numpy(), "avg_pool_backward": xa.grad.numpy(),
    }
    return case


@functools.cache
def cases(assignment):
    if assignment == "conv":
        return size_cases() + [
            conv_case("stride 1, pad 0, non-square input and kernel", 1, (2, 3, 7, 6), (4, 3, 3, 2), 1, 0),
            conv_case("stride 2, pad 1, divides", 2, (2, 2, 7, 9), (3, 2, 3, 3), 2, 1),
            conv_case("stride 2, pad 1, does not divide", 3, (2, 3, 7, 8), (2, 3, 2, 3), 2, 1),
            conv_case("stride 3, pad 2, does not divide, non-square kernel", 4, (3, 2, 9, 7), (2, 2, 3, 2), 3, 2),
            conv_case("stride 1, pad 2", 5, (2, 2, 5, 6), (2, 2, 3, 3), 1, 2),
            conv_case("float32, stride 1, pad 1", 6, (2, 3, 6, 5), (3, 3, 3, 3), 1, 1, np.float32),
            conv_case("float32, stride 2, pad 0, does not divide", 7, (2, 2, 6, 7), (2, 2, 3, 3), 2, 0, np.float32),
            conv_case("1x3 kernel, stride 1, pad 1", 8, (2, 2, 5, 6), (2, 2, 1, 3), 1, 1),
        ]
    rng = np.random.default_rng(10)
    normal = rng.standard_normal
    return [
        pool_case("2x2 stride 2, non-square output", normal((2, 3, 6, 8)), 2, 2, 2, 11),
        pool_case("3x2 windows, stride 1 (overlapping)", normal((2, 2, 7, 6)), 3, 2, 1, 12),
        pool_case("3x3 stride 2 (overlapping), does not divide", normal((2, 2, 7, 8)), 3, 3, 2, 13),
        pool_case("2x3 stride 2, non-square, does not divide", normal((1, 2, 9, 7)), 2, 3, 2, 14),
        pool_case("2x2 stride 3 (gaps between windows)", normal((2, 2, 8, 7)), 2, 2, 3, 15),
        pool_case("tied maxima, 2x2 stride 1", rng.integers(-1, 2, (2, 2, 6, 6)).astype(np.float64), 2, 2, 1, 16),
        pool_case("tied maxima, 2x2 stride 2", rng.integers(0, 2, (2, 2, 4, 6)).astype(np.float64), 2, 2, 2, 17),
        pool_case("every value below -1e6, 2x2 stride 1", normal((2, 2, 5, 6)) - 1e7, 2, 2, 1, 18),
        pool_case("float32, 2x2 stride 2", normal((2, 3, 6, 6)).astype(np.float32), 2, 2, 2, 19),
        pool_case("float32, 3x3 stride 2, non-square", normal((2, 2, 5, 7)).astype(np.float32), 3, 3, 2, 20),
        pool_case("1x3 windows, stride 1", normal((2, 2, 4, 6)), 1, 3, 1, 21),
    ]


# ---------------------------------------------------------------------------------------------- running a fixture


@dataclass
class Call:
    case: object
    result: object = None  # what the function returned (for a forward: the output, without the cache)
    error: BaseException | None = None
    skipped: str | None = None  # why it was not called
    mutated: list = field(default_factory=list)  # which array arguments it changed in place
    full: object = None  # the whole return value (a forward's cache lives here)


def call(function, case, *args, **kwargs):
    """Call a student's function on copies of the arrays, noting an exception and any input it changed."""
    copies = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    record = Call(case)
    try:
        record.full = function(*copies, **kwargs)
    except Exception as err:  # noqa: BLE001 - a student's function may raise anything
        record.error = err
    record.mutated = [f"argument {i + 1}" for i, (a, c) in enumerate(zip(args, copies))
                      if isinstance(a, np.ndarray) and not np.array_equal(a, c)]
    record.result = record.full
    return record


def forward_output(record):
    """Split a forward's (out, cache); a forward that returns anything else counts as having raised."""
    if record.error is None:
        if isinstance(record.full, tuple) and len(record.full) == 2:
            record.result = record.full[0]
        else:
            record.error = TypeError(f"a forward must return (out, cache), got {type(record.full).__name__}")
    return record


def load(file):
    path = STUDENT_CORPUS / file
    spec = importlib.util.spec_from_file_location("student_" + file.replace("/", "_").removesuffix(".py"), path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@functools.cache
def evaluate(file):
    """function -> the Calls of that function on every input of its assignment."""
    entry = BY_FILE[file]
    module = load(file)
    calls = {name: [] for name in FUNCTIONS[entry["assignment"]]}
    for case in cases(entry["assignment"]):
        if isinstance(case, SizeCase):
            calls["conv_output_size"].append(
                call(module.conv_output_size, case, case.n, case.f, pad=case.pad, stride=case.stride))
        elif isinstance(case, ConvCase):
            calls["zero_pad"].append(call(module.zero_pad, case, case.x, case.pad))
            param = {"stride": case.stride, "pad": case.pad}
            forward = forward_output(call(module.conv_forward, case, case.x, case.w, case.b, param))
            calls["conv_forward"].append(forward)
            if forward.error is not None:
                calls["conv_backward"].append(Call(case, skipped="its own conv_forward raised"))
            else:
                calls["conv_backward"].append(call(module.conv_backward, case, case.dout, forward.full[1]))
        else:
            for kind in ("max", "avg"):
                forward = forward_output(call(getattr(module, f"{kind}_pool_forward"), case, case.x, case.param))
                calls[f"{kind}_pool_forward"].append(forward)
                if forward.error is not None:
                    calls[f"{kind}_pool_backward"].append(Call(case, skipped=f"its own {kind}_pool_forward raised"))
                else:
                    backward = getattr(module, f"{kind}_pool_backward")
                    calls[f"{kind}_pool_backward"].append(call(backward, case, case.dout, forward.full[1]))
    return calls


def agrees(got, want, dtype):
    """True when got equals want: ints exactly, arrays in shape and (as float64) within the tolerance for dtype."""
    if isinstance(want, tuple):
        return isinstance(got, (tuple, list)) and len(got) == len(want) and all(
            agrees(g, w, dtype) for g, w in zip(got, want))
    if isinstance(want, int):
        return isinstance(got, (int, np.integer)) and not isinstance(got, bool) and got == want
    if not isinstance(got, np.ndarray):
        return False
    try:
        got = got.astype(np.float64)
    except (TypeError, ValueError):
        return False
    return got.shape == want.shape and np.allclose(got, want, **TOLERANCE[np.dtype(dtype)])


@dataclass(frozen=True)
class Wrong:
    """What a function returns on an input where its bug shows in ways its code decides (it raises here, returns
    wrong values there): anything but PyTorch's answer."""

    truth: object


def verdict(record, want):
    """'agrees' or why not, for a Call against an expected value, an exception class or Wrong."""
    if isinstance(want, Wrong):
        wrong = record.error is not None or not agrees(record.result, want.truth, record.case.dtype)
        return "agrees" if wrong else "returned PyTorch's answer where its bug should show"
    if isinstance(want, type) and issubclass(want, BaseException):
        if isinstance(record.error, want):
            return "agrees"
        return f"raised {record.error!r}" if record.error else f"returned {record.result!r}, expected {want.__name__}"
    if record.error is not None:
        return f"raised {record.error!r}"
    return "agrees" if agrees(record.result, want, record.case.dtype) else "differs"


def truth(function, case):
    return case.expected if isinstance(case, SizeCase) else case.truth[function]


def allowed_to_raise(entry, function, record):
    """A divisibility-asserting forward may raise AssertionError where the stride does not divide."""
    return (entry["forward_asserts_divisible"] and function in FORWARDS
            and isinstance(record.error, AssertionError) and not record.case.divisible)


# ---------------------------------------------------------------------------------------------- what each named bug returns


def over_windows(case, dx):
    """(window of x, the same window of dx, its dout as (N, C, 1, 1)), in row-major order of the output."""
    x, (N, C, Ho, Wo), s = case.x.astype(np.float64), case.dout.shape, case.stride
    for i in range(Ho):
        for j in range(Wo):
            rows, cols = slice(i * s, i * s + case.ph), slice(j * s, j * s + case.pw)
            yield x[:, :, rows, cols], dx[:, :, rows, cols], case.dout[:, :, i, j][:, :, None, None].astype(np.float64)


def first_max_mask(window):
    """True at the first maximum (row-major, as np.argmax picks it) of each (N, C) window."""
    N, C, ph, pw = window.shape
    flat = window.reshape(N, C, ph * pw)
    return (np.arange(ph * pw) == flat.argmax(axis=2)[:, :, None]).reshape(window.shape)


def pool_gradient_by_definition(case, bug):
    """dx for the pooling-backward bugs whose name says how each window writes into dx."""
    dx = np.zeros(case.x.shape)
    for window, dx_window, g in over_windows(case, dx):
        if bug == "ties sent to every maximum":
            dx_window += (window == window.max(axis=(2, 3), keepdims=True)) * g
        elif bug == "max gradient assigned, not added":
            dx_window[...] = np.where(first_max_mask(window), g, dx_window)
        elif bug == "max window assigned, not added":
            dx_window[...] = first_max_mask(window) * g
        elif bug == "average window assigned, not added":
            dx_window[...] = g / (case.ph * case.pw)
    return dx


def dx_assigned(case, loops):
    """conv_backward's (dx, dw, db) when each window's share of dx is assigned (=), windows in output order: filter by
    filter inside the batch loop (``loops``: n, f, i, j), or over the batch and the filters at once."""
    x, w, dout, s, p = (case.x.astype(np.float64), case.w.astype(np.float64), case.dout.astype(np.float64),
                        case.stride, case.pad)
    (N, C, H, W), (F, _, HH, WW), (Ho, Wo) = x.shape, w.shape, dout.shape[2:]
    dxp = np.zeros((N, C, H + 2 * p, W + 2 * p))
    if loops:
        for n, f, i, j in itertools.product(range(N), range(F), range(Ho), range(Wo)):
            dxp[n, :, i * s:i * s + HH, j * s:j * s + WW] = w[f] * dout[n, f, i, j]
    else:
        for i, j in itertools.product(range(Ho), range(Wo)):
            dxp[:, :, i * s:i * s + HH, j * s:j * s + WW] = np.einsum("nf,fchw->nchw", dout[:, :, i, j], w)
    _, dw, db = case.truth["conv_backward"]
    return dxp[:, :, p:p + H, p:p + W], dw, db


# Mistakes whose effect depends on how the code is written (it raises, or returns wrong values), on the inputs where
# they show: one size used for both sides shows wherever the kernel or window is not square.
SIZE_BUGS = {"square kernel assumed": lambda case: not case.square,
             "square window assumed": lambda case: not case.square_window}


def expected(bugs, function, case):
    """What `function` with `bugs` (one name, or the names of two mistakes in it) returns on `case`: where a size
    mistake shows, anything wrong; elsewhere what the other mistake (or none) returns."""
    names = [bugs] if isinstance(bugs, str) else bugs
    if any(name in SIZE_BUGS and SIZE_BUGS[name](case) for name in names):
        return Wrong(truth(function, case))
    rest = [name for name in names if name not in SIZE_BUGS]
    return signature(rest[0], function, case) if rest else truth(function, case)


def signature(bug, function, case):
    """What `function` with `bug` returns on `case` (an exception class where it raises), mostly built from PyTorch."""
    if bug == "int() of an array":
        return TypeError
    if isinstance(case, SizeCase):
        if case.expected is ValueError:
            return ValueError
        ratio = (case.n + 2 * case.pad - case.f) / case.stride
        return 1 + {"ceil instead of floor": math.ceil(ratio), "output size rounded": round(ratio)}[bug]
    if isinstance(case, ConvCase):
        x, w, b, s, p = t64(case.x), t64(case.w), t64(case.b), case.stride, case.pad
        dx, dw, db = case.truth["conv_backward"]
        dout = torch.tensor(case.dout, dtype=torch.float64)
        if bug == "flipped kernel":
            return TF.conv2d(x, w.flip((2, 3)), b, stride=s, padding=p).detach().numpy()
        if bug == "missing bias":
            return TF.conv2d(x, w, None, stride=s, padding=p).detach().numpy()
        if bug == "padding after the image only":  # all 2*pad zeros after the image (or all before it)
            return [TF.pad(x, (0, 2 * p, 0, 2 * p)).detach().numpy(), TF.pad(x, (2 * p, 0, 2 * p, 0)).detach().numpy()]
        if bug == "NHWC output":
            return case.truth["conv_forward"].transpose(0, 2, 3, 1)
        if bug == "H and W swapped":
            return case.truth["conv_forward"].transpose(0, 1, 3, 2)
        if bug == "db summed over the batch only":
            return dx, dw, case.dout.astype(np.float64).sum(axis=0)
        if bug == "db summed over space only":
            return dx, dw, case.dout.astype(np.float64).sum(axis=(2, 3))
        if bug == "dw from the first image only":
            TF.conv2d(x[:1], w, b, stride=s, padding=p).backward(dout[:1])
            return dx, w.grad.numpy(), db
        if bug == "backward ignores the stride":  # windows at i, j instead of i*s, j*s: a stride-1 conv of the top-left part
            xp = TF.pad(x.detach(), (p, p, p, p)).requires_grad_()
            Ho, Wo = case.dout.shape[2:]
            region = xp[:, :, :Ho + w.shape[2] - 1, :Wo + w.shape[3] - 1]
            TF.conv2d(region, w, b).backward(dout)
            H, W = case.x.shape[2:]
            return xp.grad.numpy()[:, :, p:p + H, p:p + W], w.grad.numpy(), db
        if bug == "dx cropped with [pad:-pad]":
            return case.dxp[:, :, p:-p, p:-p], dw, db
        if bug == "dx cropped with [1:-1]":
            return case.dxp[:, :, 1:-1, 1:-1], dw, db
        if bug == "forward ignores the stride":  # the stride-1 convolution, cut to the output's true size
            Ho, Wo = case.truth["conv_forward"].shape[2:]
            return TF.conv2d(x, w, b, padding=p).detach().numpy()[:, :, :Ho, :Wo]
        if bug == "output size ignores the stride":
            return TF.conv2d(x, w, b, padding=p).detach().numpy()
        if bug == "dx assigned, not added":
            return [dx_assigned(case, loops=True), dx_assigned(case, loops=False)]
        raise AssertionError(f"no signature for conv bug {bug!r}")
    kind = function.split("_")[0]  # max or avg
    x = t64(case.x)
    if bug in ("average backward not divided", "max gradient to every cell"):
        return case.truth["avg_pool_backward"] * (case.ph * case.pw)
    if bug == "stride taken as the pool size":
        pool = TF.max_pool2d if kind == "max" else TF.avg_pool2d
        return pool(x, (case.ph, case.pw), stride=(case.ph, case.pw)).detach().numpy()
    if bug in ("ties sent to every maximum", "max gradient assigned, not added", "max window assigned, not added",
               "average window assigned, not added"):
        return pool_gradient_by_definition(case, bug)
    if bug == "running max started at 0":
        return np.maximum(case.truth["max_pool_forward"], 0.0)
    if bug == "running max started at -100000":
        return np.maximum(case.truth["max_pool_forward"], -100000.0)
    if bug == "H and W swapped":
        return case.truth[f"{kind}_pool_forward"].transpose(0, 1, 3, 2)
    if bug == "square output assumed":
        return case.truth[function] if case.square else ValueError
    raise AssertionError(f"no signature for pool bug {bug!r}")


# ---------------------------------------------------------------------------------------------- the manifest's claims

ids = [entry["file"] for entry in ENTRIES]


def bug_names(entry):
    """Every mistake a fixture's functions hold (a function lists one name, or two for two mistakes)."""
    return [name for bugs in entry["bugs"].values() for name in ([bugs] if isinstance(bugs, str) else bugs)]


with_bugs = [entry for entry in ENTRIES if entry["bugs"]]


def test_torch_output_sizes_follow_the_floor_formula():
    """The expected conv_output_size (1 + (n + 2p - f) // s) is what PyTorch's conv2d produces."""
    for case in size_cases():
        if case.expected is ValueError:
            continue
        out = TF.conv2d(torch.zeros(1, 1, case.n, case.n), torch.zeros(1, 1, case.f, case.f),
                        stride=case.stride, padding=case.pad)
        assert out.shape[-1] == case.expected, case.name


@pytest.mark.parametrize("entry", ENTRIES, ids=ids)
def test_value_correct_functions_agree_with_pytorch(entry):
    calls = evaluate(entry["file"])
    for function in entry["value_correct"]:
        checked = []
        for record in calls[function]:
            if record.skipped or allowed_to_raise(entry, function, record):
                continue
            outcome = verdict(record, truth(function, record.case))
            assert outcome == "agrees", f"{entry['file']}: {function} on '{record.case.name}': {outcome}"
            assert not record.mutated, f"{entry['file']}: {function} changed its inputs {record.mutated} on '{record.case.name}'"
            checked.append(record.case)
        assert checked, f"{entry['file']}: {function} was never checked"
        if function in ARRAY_FUNCTIONS[entry["assignment"]]:
            assert any(case.dtype == np.float32 for case in checked), f"{entry['file']}: {function} never checked on float32"


@pytest.mark.parametrize("entry", with_bugs, ids=[entry["file"] for entry in with_bugs])
def test_buggy_functions_differ_from_pytorch_on_some_input(entry):
    calls = evaluate(entry["file"])
    for function, bug in entry["bugs"].items():
        outcomes = [verdict(record, truth(function, record.case)) for record in calls[function] if not record.skipped]
        assert any(outcome != "agrees" for outcome in outcomes), (
            f"{entry['file']}: {function} is said to have '{bug}' but agrees with PyTorch on every input")


@pytest.mark.parametrize("entry", with_bugs, ids=[entry["file"] for entry in with_bugs])
def test_buggy_functions_return_what_their_bug_name_says(entry):
    """Each named bug is that bug: on every input the function returns (or raises) what the name predicts."""
    calls = evaluate(entry["file"])
    for function, bug in entry["bugs"].items():
        checked = 0
        for record in calls[function]:
            if record.skipped:
                continue
            wants = expected(bug, function, record.case)
            outcomes = [verdict(record, want) for want in (wants if isinstance(wants, list) else [wants])]
            assert "agrees" in outcomes, f"{entry['file']}: {function} ('{bug}') on '{record.case.name}': {outcomes}"
            checked += 1
        assert checked, f"{entry['file']}: {function} was never run"


@pytest.mark.parametrize("entry", ENTRIES, ids=ids)
def test_float64_list_is_exactly_the_functions_that_return_float64_for_float32(entry):
    calls = evaluate(entry["file"])
    upcast = set()
    for function in ARRAY_FUNCTIONS[entry["assignment"]]:
        for record in calls[function]:
            if record.case.dtype != np.float32 or record.skipped or record.error is not None:
                continue
            outputs = record.result if isinstance(record.result, (tuple, list)) else [record.result]
            if any(np.asarray(out).dtype == np.float64 for out in outputs):
                upcast.add(function)
    assert upcast == set(entry["float64_for_float32"])


@pytest.mark.parametrize("entry", ENTRIES, ids=ids)
def test_divisibility_flag_says_whether_the_forward_raises_when_the_stride_does_not_divide(entry):
    calls = evaluate(entry["file"])
    forwards = [f for f in FORWARDS if f in calls]
    raised = {f: [r.case.name for r in calls[f] if isinstance(r.error, AssertionError)] for f in forwards}
    if not entry["forward_asserts_divisible"]:
        assert not any(raised.values()), f"{entry['file']}: a forward raised AssertionError: {raised}"
        return
    uneven = [case.name for case in cases(entry["assignment"]) if not isinstance(case, SizeCase) and not case.divisible]
    even_raised = [name for names in raised.values() for name in names if name not in uneven]
    assert not even_raised, f"{entry['file']}: raised AssertionError where the stride divides: {even_raised}"
    for name in uneven:
        assert any(name in names for names in raised.values()), f"{entry['file']}: no forward asserted on '{name}'"


# ---------------------------------------------------------------------------------------------- the manifest itself


def test_manifest_lists_every_fixture_file_once():
    on_disk = sorted(str(p.relative_to(STUDENT_CORPUS)) for p in STUDENT_CORPUS.glob("*/*.py"))
    listed = [entry["file"] for entry in ALL_ENTRIES]
    assert sorted(listed) == on_disk
    assert len(set(listed)) == len(listed)


@pytest.mark.parametrize("entry", ALL_ENTRIES, ids=[entry["file"] for entry in ALL_ENTRIES])
def test_manifest_entry_splits_the_functions_between_value_correct_and_bugs(entry):
    assignment = entry["assignment"]
    assert entry["file"].startswith(assignment + "/")
    assert entry["style"] in (LENET_STYLES if assignment == "lenet" else STYLES)
    assert isinstance(entry["forward_asserts_divisible"], bool)
    assert entry["note"].strip()
    assert sorted(entry["value_correct"] + list(entry["bugs"])) == sorted(FUNCTIONS[assignment])
    assert set(bug_names(entry)) <= BUG_NAMES[assignment]
    assert len(set(bug_names(entry))) <= 2, "one mistake per file, or two in one function"
    assert set(entry["float64_for_float32"]) <= set(ARRAY_FUNCTIONS[assignment])
    if entry["forward_asserts_divisible"]:
        assert not entry["bugs"], "a divisibility-asserting file is otherwise correct"


@pytest.mark.parametrize("entry", ENTRIES, ids=ids)
def test_fixture_reads_like_numpy_only_student_code(entry):
    source = (STUDENT_CORPUS / entry["file"]).read_text()
    tree = ast.parse(source)
    docstring = ast.get_docstring(tree)
    assert docstring and "\n" not in docstring.strip(), "starts with a one-line docstring"
    assert not any(word in docstring.lower() for word in ("fixture", "grader", "corpus")), docstring
    for node in tree.body[1:]:
        assert isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef)), ast.dump(node)[:80]
        if isinstance(node, ast.Import):
            assert all(alias.name.split(".")[0] == "numpy" for alias in node.names)
        if isinstance(node, ast.ImportFrom):
            assert node.module.split(".")[0] == "numpy"
    defined = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert set(FUNCTIONS[entry["assignment"]]) <= defined


# ---------------------------------------------------------------------------------------------- coverage


def fully_correct(entry):
    return not entry["bugs"] and not entry["forward_asserts_divisible"]


def test_corpus_has_at_least_28_files_and_six_of_each_style():
    assert len(ENTRIES) >= 28
    styles = Counter(entry["style"] for entry in ENTRIES)
    assert all(styles[style] >= 6 for style in STYLES), styles


def test_corpus_has_fully_correct_files_with_and_without_float64():
    correct = [entry for entry in ENTRIES if fully_correct(entry)]
    assert len(correct) >= 8
    assert sum(bool(entry["float64_for_float32"]) for entry in correct) >= 4
    assert sum(not entry["float64_for_float32"] for entry in correct) >= 2
    assert {entry["assignment"] for entry in correct} == {"conv", "pool"}


def test_corpus_has_divisibility_asserting_forwards_with_correct_backwards():
    asserting = Counter(entry["assignment"] for entry in ENTRIES
                        if entry["forward_asserts_divisible"] and not entry["bugs"])
    assert asserting["conv"] >= 2 and asserting["pool"] >= 1, asserting


def test_every_named_bug_appears_in_the_corpus():
    for assignment, names in BUG_NAMES.items():
        present = {bug for entry in ALL_ENTRIES if entry["assignment"] == assignment for bug in bug_names(entry)}
        assert present == names, f"{assignment}: missing {sorted(names - present)}"


def test_some_buggy_files_also_return_float64_for_float32():
    mixed = [entry["file"] for entry in with_bugs if entry["float64_for_float32"]]
    assert len(mixed) >= 3 and {f.split("/")[0] for f in mixed} == {"conv", "pool"}, mixed


# ---------------------------------------------------------------------------------------------- lenet


def lenet_by_hand(params, x, activation="relu", after_fc1=True, after_fc2=True, pooling="max", output="logits",
                  padding=2):
    """LeNet-5 written out with torch.nn.functional from a network's parameters (in layer order), in a design."""
    w1, b1, w2, b2, w3, b3, w4, b4, w5, b5 = params
    act = {"relu": TF.relu, "sigmoid": torch.sigmoid}[activation]
    pool = {"max": TF.max_pool2d, "avg": TF.avg_pool2d}[pooling]
    h = pool(act(TF.conv2d(x, w1, b1, padding=padding)), 2)
    h = pool(act(TF.conv2d(h, w2, b2)), 2).flatten(1)
    h = TF.linear(h, w3, b3)
    h = TF.linear(act(h) if after_fc1 else h, w4, b4)
    logits = TF.linear(act(h) if after_fc2 else h, w5, b5)
    return TF.log_softmax(logits, dim=1) if output == "log_softmax" else logits


DESIGNS = {  # each lenet bug of the corpus as the design it computes
    "a log_softmax on the output": {"output": "log_softmax"},
    "sigmoid activations and average pooling": {"activation": "sigmoid", "pooling": "avg"},
    "no ReLU after fc1": {"after_fc1": False},
    "no ReLU after fc1 and fc2": {"after_fc1": False, "after_fc2": False},
}


def network(entry, num_classes=10, in_channels=1):
    torch.manual_seed(0)
    model = load(entry["file"]).LeNet5(num_classes=num_classes, in_channels=in_channels).eval()
    return model, [p.detach() for p in model.parameters()]


@pytest.mark.parametrize("entry", LENET, ids=[entry["file"] for entry in LENET])
def test_lenet_fixture_computes_what_its_manifest_says(entry):
    """Under its own initial weights, the network equals LeNet-5 written out by hand (correct), or the design its bug
    names and not LeNet-5; a network built for 32x32 input raises on 28x28 and is the unpadded LeNet-5 on 32x32."""
    with torch.no_grad():
        for num_classes, in_channels in ((10, 1), (7, 3)):
            model, params = network(entry, num_classes, in_channels)
            x = torch.randn(3, in_channels, 28, 28, generator=torch.Generator().manual_seed(1))
            count = (25 * in_channels + 1) * 6 + 2416 + 48120 + 10164 + 85 * num_classes
            assert sum(p.numel() for p in params) == count
            bug = entry["bugs"].get("LeNet5")
            if bug is None:
                assert torch.allclose(model(x), lenet_by_hand(params, x), atol=1e-6)
            elif bug == "built for 32x32 input":
                with pytest.raises(RuntimeError):
                    model(x)
                x32 = torch.randn(3, in_channels, 32, 32, generator=torch.Generator().manual_seed(2))
                assert torch.allclose(model(x32), lenet_by_hand(params, x32, padding=0), atol=1e-6)
            else:
                got = model(x)
                assert torch.allclose(got, lenet_by_hand(params, x, **DESIGNS[bug]), atol=1e-6)
                assert not torch.allclose(got, lenet_by_hand(params, x), atol=1e-3)


@pytest.mark.parametrize("entry", LENET, ids=[entry["file"] for entry in LENET])
def test_lenet_fixture_reads_like_student_code(entry):
    tree = ast.parse((STUDENT_CORPUS / entry["file"]).read_text())
    docstring = ast.get_docstring(tree)
    assert docstring and "\n" not in docstring.strip()
    assert not any(word in docstring.lower() for word in ("fixture", "grader", "corpus")), docstring
    imported = {alias.name.split(".")[0] for node in tree.body if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in tree.body if isinstance(node, ast.ImportFrom)}
    assert imported <= {"torch", "collections"}
    assert "LeNet5" in {node.name for node in tree.body if isinstance(node, ast.ClassDef)}
