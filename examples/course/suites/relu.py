"""The `relu` assignment of an example course, kept outside the grader: `grader --course examples/course ...`.

Everything the assignment is lives here: the checks (each one sentence of the specification), the classic
mistakes, `as_student` (the student API computed by an oracle, for the mutation test), the two oracles
(PyTorch, and an adapter of `reference/relu.py`) and what they must agree on. docs/adding-an-assignment.md
explains each part.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
import torch
from hypothesis import strategies as st

from grader.suites.agreement import Agreement, same_method
from grader.suites.framework import Context, Oracles, Suite, float32_only, numpy_only
from grader.suites.strategies import DTYPES, arrays


class TorchRelu:
    """Expected values from PyTorch: torch.relu, and its gradient by autograd (0 at x == 0)."""

    name = "pytorch"

    def relu_forward(self, x: np.ndarray) -> np.ndarray:
        return torch.relu(torch.from_numpy(x)).numpy()

    def relu_gradient(self, x: np.ndarray, dout: np.ndarray) -> np.ndarray:
        inputs = torch.from_numpy(x.copy()).requires_grad_()
        torch.relu(inputs).backward(torch.from_numpy(dout))
        return inputs.grad.numpy()


class ReferenceRelu(TorchRelu):
    """Forward values from the course's reference/relu.py; gradients still from autograd."""

    name = "reference"

    def __init__(self, module: ModuleType) -> None:
        self.module = module

    def relu_forward(self, x: np.ndarray) -> np.ndarray:
        return self.module.relu_forward(x)[0]


suite = Suite("relu", functions=("relu_forward", "relu_backward"), policy=numpy_only("relu"),
              oracles=Oracles(pytorch=TorchRelu, reference=ReferenceRelu))


@dataclass(frozen=True)
class ReluCase:
    """An input x and an upstream gradient dout of the same shape."""

    x: np.ndarray
    dout: np.ndarray

    @property
    def args(self) -> tuple[np.ndarray]:
        return (self.x,)

    def describe(self) -> str:
        return f"x of shape {self.x.shape} ({self.x.dtype})"

    def arrays(self) -> dict[str, np.ndarray]:
        return {"x": self.x, "dout": self.dout}


@st.composite
def relu_cases(draw: st.DrawFn) -> ReluCase:
    """Any shape of one to four axes; float32 values are eighths, so exact zeros come up often."""
    dtype = draw(st.sampled_from(DTYPES))
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=4)))
    return ReluCase(draw(arrays(dtype, shape)), draw(arrays(dtype, shape)))


# One stream of inputs for every check below: each input is drawn once and the student's functions run once on it.
CASES = relu_cases()
WITH_ZEROS = ReluCase(np.array([[-1.0, 0.0, 2.0], [0.0, 3.0, -0.5]]), np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))


def forward(ctx: Context, case: ReluCase) -> tuple[Any, Any]:
    """The student's (out, cache); the cache stays in the child."""
    return ctx.unpack("relu_forward", ctx.call("relu_forward", case.x, keep=(1,)), ("out", "cache"))


@suite.check("relu_forward returns max(x, 0) elementwise", points=1, functions=["relu_forward"],
             cases=CASES, examples=[WITH_ZEROS], shows=("x",))
def forward_values(ctx: Context, case: ReluCase) -> None:
    out, _ = forward(ctx, case)
    ctx.expect_array("relu_forward's out", out, ctx.oracle.relu_forward(case.x), case)


@suite.check("relu_forward keeps the input's dtype (float32 in, float32 out)", points=0.5,
             functions=["relu_forward"], cases=CASES)
def forward_dtype(ctx: Context, case: ReluCase) -> None:
    float32_only(case.x)
    out, _ = ctx.given(lambda: forward(ctx, case))
    ctx.expect_dtype("relu_forward's out", out, ctx.oracle.relu_forward(case.x), case)


@suite.check("relu_backward passes dout where x > 0 and 0 elsewhere, 0 included", points=2,
             functions=["relu_backward"], cases=CASES, examples=[WITH_ZEROS], shows=("x", "dout"))
def backward_values(ctx: Context, case: ReluCase) -> None:
    _, cache = ctx.given(lambda: forward(ctx, case))
    dx = ctx.call("relu_backward", case.dout, cache)
    ctx.expect_array("relu_backward's dx", dx, ctx.oracle.relu_gradient(case.x, case.dout), case)


suite.mistake(
    "the mask instead of the gradient", "Your dx is the mask (x > 0) itself: multiply it by dout, the gradient "
    "that arrives from the layer above.", ["relu_backward"],
    relu_gradient=lambda o, x, dout: (x > 0).astype(dout.dtype))
suite.mistake(
    "gradient let through at zero", "Your dx lets the gradient through where x == 0: ReLU's gradient there is 0 "
    "(use x > 0, not x >= 0).", ["relu_backward"],
    relu_gradient=lambda o, x, dout: np.where(x >= 0, dout, 0).astype(dout.dtype))

suite.agreements.append(Agreement("relu_forward", relu_cases(), same_method("relu_forward")))


def as_student(oracle: Any) -> dict[str, Any]:
    """The student API computed by an oracle: how a mistake of the catalogue behaves as a submission."""
    return {"relu_forward": lambda x: (oracle.relu_forward(x), x),
            "relu_backward": lambda dout, cache: oracle.relu_gradient(cache, dout)}
