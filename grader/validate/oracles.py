"""The reference oracle (official grading) and the PyTorch oracle (students' local checks) agree on freshly
generated cases, so a student's local verdict equals the official one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import torch
from hypothesis import HealthCheck, Verbosity, given, seed, settings
from hypothesis import strategies as st

from grader.oracles import TorchOracle
from grader.oracles.lenet_model import load_parameters
from grader.runner import PROFILES
from grader.suites.im2col import im2col_cases
from grader.suites.lenet import NetCase, configurations
from grader.suites.params import layer_cases, models, receptive_stacks
from grader.suites.strategies import ConvCase, PoolCase, conv_cases, pool_cases
from grader.validate.findings import FAIL, OK, SKIP, Finding
from grader.validate.run import Run

PROPERTY = "oracles"


@dataclass(frozen=True)
class Agreement:
    """Oracle methods that must agree, and the cases they are compared on; ``compare(reference, pytorch, case)``
    raises AssertionError saying what differs."""

    methods: str
    cases: st.SearchStrategy[Any]
    compare: Callable[[Any, Any, Any], None]


def same_array(what: str, reference: np.ndarray, pytorch: np.ndarray) -> None:
    """Equal dtype and shape, and values equal to float64 rounding (float32: to float32 rounding)."""
    if reference.dtype != pytorch.dtype or reference.shape != pytorch.shape:
        raise AssertionError(f"{what}: the reference gives {reference.dtype} {reference.shape}, PyTorch "
                             f"{pytorch.dtype} {pytorch.shape}")
    if not np.allclose(reference, pytorch, rtol=1e-6 if reference.dtype == np.float32 else 1e-12, atol=1e-6):
        raise AssertionError(f"{what}: the reference and PyTorch differ by up to "
                             f"{float(np.abs(reference - pytorch).max()):.3g}")


def same_value(what: str, reference: Any, pytorch: Any) -> None:
    """Exactly equal plain values (counts, shapes)."""
    if reference != pytorch:
        raise AssertionError(f"{what}: the reference gives {reference!r}, PyTorch {pytorch!r}")


def _conv(reference: Any, pytorch: Any, case: ConvCase) -> None:
    args = (case.x, case.w, case.b, case.stride, case.pad)
    same_array("conv_forward", reference.conv_forward(*args), pytorch.conv_forward(*args))
    same_array("zero_pad", reference.zero_pad(case.x, case.pad), pytorch.zero_pad(case.x, case.pad))
    n, f = case.x.shape[2], case.w.shape[2]
    same_value("conv_output_size", reference.conv_output_size(n, f, case.pad, case.stride),
               pytorch.conv_output_size(n, f, case.pad, case.stride))


def _pool(reference: Any, pytorch: Any, case: PoolCase) -> None:
    args = (case.x, case.pool_height, case.pool_width, case.stride)
    same_array("max_pool_forward", reference.max_pool_forward(*args), pytorch.max_pool_forward(*args))
    same_array("avg_pool_forward", reference.avg_pool_forward(*args), pytorch.avg_pool_forward(*args))


def _model(reference: Any, pytorch: Any, model: tuple) -> None:
    shape, layers = model
    same_value("model_param_count", reference.model_param_count(shape, layers),
               pytorch.model_param_count(shape, layers))
    same_value("receptive_field", reference.receptive_field(layers), pytorch.receptive_field(layers))


def _lenet(reference: Any, pytorch: Any, case: NetCase) -> None:
    """The reference's LeNet5 and the grader's LeNet-5, given the same weights, compute the same logits."""
    torch.manual_seed(case.seed)
    theirs = reference.lenet(case.num_classes, case.in_channels)
    ours = pytorch.lenet(case.num_classes, case.in_channels)
    problem = load_parameters(ours, [p.detach().numpy() for p in theirs.parameters()])
    if problem:
        raise AssertionError(f"the reference LeNet5's weights do not fit the grader's LeNet-5: {problem}")
    with torch.no_grad():
        logits = [model.eval()(torch.from_numpy(case.x)).numpy() for model in (theirs, ours)]
    same_array("LeNet-5's logits", *logits)


AGREEMENTS: dict[str, tuple[Agreement, ...]] = {
    "conv": (Agreement("conv_forward, zero_pad, conv_output_size", conv_cases(), _conv),),
    "pool": (Agreement("max_pool_forward, avg_pool_forward", pool_cases(distinct=True), _pool),),
    "params": (Agreement("model_param_count, receptive_field", models(), _model),
               Agreement("layer_output_shape", layer_cases(),
                         lambda r, p, case: same_value("layer_output_shape", r.layer_output_shape(*case.args),
                                                       p.layer_output_shape(*case.args))),
               Agreement("receptive_field", receptive_stacks(),
                         lambda r, p, case: same_value("receptive_field", r.receptive_field(*case.args),
                                                       p.receptive_field(*case.args)))),
    "lenet": (Agreement("lenet (the network's logits)", configurations, _lenet),),
    "im2col": (Agreement("im2col", im2col_cases(),
                         lambda r, p, case: same_array("im2col", r.im2col(*case.args), p.im2col(*case.args))),),
}


def disagreement(agreement: Agreement, reference: Any, pytorch: Any, examples: int, seed_value: int) -> str:
    """'' when the two oracles agree on ``examples`` generated cases; else what differs, on the shrunk case."""
    seen: list[Any] = []

    @settings(max_examples=examples, database=None, deadline=None, verbosity=Verbosity.quiet, print_blob=False,
              suppress_health_check=list(HealthCheck))
    @seed(seed_value)
    @given(agreement.cases)
    def agree(case: Any) -> None:
        seen.append(case)
        agreement.compare(reference, pytorch, case)

    try:
        agree()
    except AssertionError as error:
        return f"{error} for {describe(seen[-1])}"
    return ""


def describe(case: Any) -> str:
    """A case in one line: its own description, else its repr, cut to 160 characters."""
    text = case.describe() if hasattr(case, "describe") else repr(case)
    return text if len(text) <= 160 else text[:157] + "..."


def check(assignment: str, run: Run) -> Finding:
    """Every agreement of the assignment holds on the profile's number of generated cases, with its seed."""
    agreements = AGREEMENTS.get(assignment, ())
    if not agreements:
        return Finding(assignment, PROPERTY, SKIP, f"the {assignment} suite has no oracle methods of its own")
    profile = PROFILES[run.profile]
    for agreement in agreements:
        problem = disagreement(agreement, run.oracle(), TorchOracle(), profile.max_examples, profile.seed)
        if problem:
            return Finding(assignment, PROPERTY, FAIL, problem)
    methods = "; ".join(a.methods for a in agreements)
    return Finding(assignment, PROPERTY, OK, f"reference and PyTorch agree on {profile.max_examples} generated "
                                             f"cases each ({methods})")
