"""The `lenet` assignment: LeNet-5 in PyTorch.

`LeNet5(num_classes=10, in_channels=1)` maps (N, in_channels, 28, 28) to
logits (N, num_classes): conv 6@5x5 with padding 2, ReLU, 2x2 max pool; conv
16@5x5, ReLU, 2x2 max pool; flatten 400; linear 120, ReLU; linear 84, ReLU;
linear num_classes. 61,706 parameters for the defaults. The student's network
runs in the sandbox. To check it computes LeNet-5, the grader draws weights
from a seed the child cannot know, has the child load them into the student's
network, and compares its logits with those of the grader's own LeNet-5 under
the same weights: a network that ignores its parameters, or is another
network, cannot pass.
"""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import torch
from hypothesis import strategies as st

from grader import compare
from grader.evidence import Layer, LayerTables
from grader.sandbox.printable import printable
from grader.suites.agreement import Agreement, same_array
from grader.suites.framework import CheckFailed, Context, Oracles, Suite, with_torch
from grader.suites.lenet.layer_table import layer_table
from grader.suites.lenet.model import (BUILT_FOR_32, MISTAKES, LeNet5Variant, described, load_parameters,
                                       variants)
from grader.suites.lenet.oracles import LenetReference, LenetTorch

MAX_LAYER_ROWS = 50  # a student's network may have any number of layers; the report shows this many
HERE = Path(__file__).parent
PROBES = (("_grader_layer_table", HERE / "layer_table.py"), ("_grader_lenet_probes", HERE / "probes.py"))

suite = Suite("lenet", functions=("LeNet5",), policy=with_torch(call_seconds=60, probes=PROBES),
              oracles=Oracles(pytorch=LenetTorch, reference=LenetReference))


@dataclass(frozen=True)
class NetCase:
    """A LeNet5 configuration and a batch of grader-chosen inputs."""

    num_classes: int
    in_channels: int
    batch: int
    seed: int = 0

    @property
    def kwargs(self) -> dict[str, int]:
        return {"num_classes": self.num_classes, "in_channels": self.in_channels}

    @property
    def x(self) -> np.ndarray:
        rng = np.random.default_rng(self.seed)
        return rng.standard_normal((self.batch, self.in_channels, 28, 28)).astype(np.float32)

    def describe(self) -> str:
        return f"LeNet5(num_classes={self.num_classes}, in_channels={self.in_channels}) on x of shape {self.x.shape}"

    def arrays(self) -> Mapping[str, np.ndarray]:
        return {}


DEFAULT = NetCase(10, 1, 2)
configurations = st.builds(NetCase, st.integers(2, 20), st.integers(1, 4), st.integers(1, 3), st.integers(0, 100))


def parameters(ctx: Context, case: NetCase) -> dict[str, Any]:
    """The student's parameter count and shapes, from their network built but never run (a forward pass that fails
    costs the checks that run it, not these)."""
    return ctx.probe("lenet_parameters", case.kwargs, label="LeNet5")


def expected_model(ctx: Context, case: NetCase) -> torch.nn.Module:
    return ctx.oracle.lenet(case.num_classes, case.in_channels)


def layer_tables(got: Any, expected: list[dict]) -> LayerTables:
    """Both layer tables, for the report to show side by side; the student's comes from a probe in their process,
    so each row is read defensively (anything malformed shows as an unnamed layer)."""
    return LayerTables(layers_of(got), layers_of(expected))


def layers_of(rows: Any) -> tuple[Layer, ...]:
    """Layer rows (``layer_table``'s dicts) as evidence, whatever the rows hold."""
    def ints(value: Any) -> tuple[int, ...]:
        fine = isinstance(value, (list, tuple)) and all(type(v) is int for v in value)
        return tuple(value) if fine else ()

    return tuple(Layer(printable(str(row.get("layer", "?")))[:40], ints(row.get("output_shape")),
                       row["parameters"] if type(row.get("parameters")) is int else 0)
                 for row in (rows if isinstance(rows, list) else [])[:MAX_LAYER_ROWS] if isinstance(row, dict))


@suite.check("LeNet5() maps a batch of shape (N, 1, 28, 28) to logits of shape (N, 10)", points=1,
             functions=["LeNet5"], cases=st.sampled_from([NetCase(10, 1, n) for n in (1, 2, 5)]))
def default_output_shape(ctx: Context, case: NetCase) -> None:
    logits = ctx.probe("lenet_logits", case.kwargs, case.x, label="LeNet5")
    expected = np.zeros((case.batch, case.num_classes), dtype=np.float32)
    if getattr(logits, "shape", None) != expected.shape or type(logits) is not np.ndarray:
        ctx.expect_array("LeNet5's output", logits, expected, case)


@suite.check("LeNet5(num_classes, in_channels) maps (N, in_channels, 28, 28) to (N, num_classes)", points=1,
             functions=["LeNet5"], cases=configurations, examples=[NetCase(7, 3, 2)])
def configured_output_shape(ctx: Context, case: NetCase) -> None:
    default_output_shape(ctx, case)


@suite.check("LeNet5() has 61,706 parameters", points=1, functions=["LeNet5"], cases=st.just(DEFAULT))
def default_parameter_count(ctx: Context, case: NetCase) -> None:
    got = parameters(ctx, case)
    model = expected_model(ctx, case)
    expected = sum(p.numel() for p in model.parameters())
    if got["parameters"] != expected:
        yours = ctx.probe("lenet_layers", case.kwargs, case.x, label="LeNet5")
        raise CheckFailed(f"your LeNet5 has {got['parameters']:,} parameters; expected {expected:,}"
                          f"{hint(got['shapes'], case)} (compare your layers with the expected ones below)",
                          [layer_tables(yours, layer_table(model, torch.from_numpy(case.x)))])


@suite.check("LeNet5(num_classes, in_channels) has (25*in_channels + 1)*6 + 2,416 + 48,120 + 10,164 + "
             "85*num_classes parameters", points=1, functions=["LeNet5"], cases=configurations)
def configured_parameter_count(ctx: Context, case: NetCase) -> None:
    default_parameter_count(ctx, case)


@suite.check("LeNet5's parameters come in layer order: conv1, conv2, fc1, fc2, fc3, each weight then bias",
             points=1, functions=["LeNet5"], cases=st.sampled_from([DEFAULT, NetCase(7, 3, 1)]))
def parameter_shapes(ctx: Context, case: NetCase) -> None:
    got = parameters(ctx, case)["shapes"]
    expected = [tuple(p.shape) for p in expected_model(ctx, case).parameters()]
    if [tuple(s) for s in got] != expected:
        raise CheckFailed(f"your parameter shapes are {[tuple(s) for s in got]}; expected {expected}"
                          f"{hint(got, case)}")


@suite.check("LeNet5 computes the specified network: with the grader's weights, your logits are LeNet-5's",
             points=3, functions=["LeNet5"], cases=st.sampled_from([NetCase(10, 1, 4, seed) for seed in (1, 2)]),
             examples=[NetCase(10, 1, 4, 0)])
def same_function(ctx: Context, case: NetCase) -> None:
    shapes = parameters(ctx, case)["shapes"]
    model = expected_model(ctx, case)
    if [tuple(s) for s in shapes] != [tuple(p.shape) for p in model.parameters()]:
        raise CheckFailed(f"the grader cannot load LeNet-5's weights into your network: your parameter shapes are "
                          f"{[tuple(s) for s in shapes]}{hint(shapes, case)}")
    weights = secret_weights(model, case.x)
    got = ctx.probe("lenet_with_weights", case.kwargs, weights, case.x, label="LeNet5")
    mismatch = compare.check_array("LeNet5's output", got, forward(model, case.x))
    if mismatch is not None:
        cause = diagnose(ctx, weights, case, got)
        raise CheckFailed(mismatch.message if cause else f"{mismatch.message}; {UNNAMED}",
                          [mismatch.evidence] if mismatch.evidence else [], cause=cause)


SPREAD = 1e-2  # logits that differ by less across a batch and the classes say nothing about a network


def secret_weights(model: torch.nn.Module, x: np.ndarray) -> list[np.ndarray]:
    """Weights for ``model`` from a seed the child cannot predict (PyTorch's default initialisation), redrawn until
    the logits for ``x`` spread out (never a degenerate draw); ``model`` keeps them."""
    for _ in range(10):
        with torch.random.fork_rng():
            torch.manual_seed(secrets.randbits(63))
            for module in model.modules():
                if hasattr(module, "reset_parameters"):
                    module.reset_parameters()
        if np.ptp(forward(model, x)) > SPREAD:
            break
    return [p.detach().numpy().astype(np.float32) for p in model.parameters()]
@suite.check("Gradients of a cross-entropy loss reach every parameter of LeNet5", points=1, functions=["LeNet5"],
             cases=st.just(NetCase(10, 1, 4)))
def gradients_reach_every_parameter(ctx: Context, case: NetCase) -> None:
    labels = np.arange(case.batch, dtype=np.int64) % case.num_classes
    reached = ctx.probe("lenet_gradients", case.kwargs, case.x, labels, label="LeNet5")
    if not isinstance(reached, list) or not reached or not all(isinstance(ok, bool) for ok in reached):
        raise CheckFailed(f"the grader's gradient probe answered {compare.wire_text(reached)} instead of one "
                          "True or False per parameter tensor: does your code change the grader's probes?")
    missing = [i + 1 for i, ok in enumerate(reached) if not ok]
    if missing:
        raise CheckFailed(f"parameter tensors {missing} get no gradient: are they used in forward, "
                          "and is nothing detached (.detach(), .data, torch.no_grad()) on the way?")


AS_SPECIFIED = ("LeNet-5 as specified has a ReLU after conv1, conv2, fc1 and fc2, 2x2 max pooling, and returns fc3's "
                "logits: cross_entropy applies log_softmax itself")
BUILT_FOR_32_NAME = "built for 32x32 input"
BUILT_FOR_32_SENTENCE = (
    "Your LeNet5 is built for 32x32 input, as the original LeNet-5 was: conv1 has no padding, so a 28x28 image reaches "
    "fc1 as 16x4x4 = 256 features, not the 16x5x5 = 400 that fc1 takes. Give conv1 padding=2 "
    "(nn.Conv2d(in_channels, 6, 5, padding=2)) so that it keeps 28x28.")
suite.mistake(BUILT_FOR_32_NAME, BUILT_FOR_32_SENTENCE, ["LeNet5"],
              raised=r"\(\d+x256 and 400x120\)|shape '\[-1, 400\]' is invalid for input of size \d+")


def forward(model: torch.nn.Module, x: np.ndarray) -> np.ndarray:
    model.eval()
    with torch.no_grad():
        return model(torch.from_numpy(x)).numpy()


def hint(shapes: list, case: NetCase) -> str:
    """A likely cause, read off the parameter shapes: a missing padding or an ignored argument."""
    shapes = [tuple(s) for s in shapes]
    if (120, 256) in shapes:
        return ": fc1 takes 256 features, so conv1 has no padding (padding=2 keeps 28x28, giving 16x5x5 = 400)"
    if case.num_classes != 10 and (10, 84) in shapes:
        return f": the last layer has 10 outputs, so LeNet5 ignores num_classes={case.num_classes}"
    if case.in_channels != 1 and (6, 1, 5, 5) in shapes:
        return f": conv1 takes 1 channel, so LeNet5 ignores in_channels={case.in_channels}"
    return ""


def diagnose(ctx: Context, weights: list[np.ndarray], case: NetCase, logits: np.ndarray) -> str:
    """Name what the student's network computes instead: a known variant under the same weights (one whose logits
    spread out: a ReLU output that is all zeros would match any network that returns zeros), or an output that does
    not depend on the weights at all ('' when it is neither)."""
    variant = LeNet5Variant(case.num_classes, case.in_channels)
    load_parameters(variant, weights)
    for design in variants():
        variant.design = design
        theirs = forward(variant, case.x)
        if np.ptp(theirs) > SPREAD and compare.check_array("", logits, theirs) is None:
            return variant_sentence(described(design))
    others = secret_weights(expected_model(ctx, case), case.x)
    again = ctx.probe("lenet_with_weights", case.kwargs, others, case.x, label="LeNet5")
    if compare.check_array("", again, logits) is None:
        return ("Your network's output stays the same when its parameters change: forward must compute with the "
                "layers' weights (self.conv1(x), ...), not with fixed or copied values.")
    return ""


UNNAMED = "check the activations (ReLU), the pooling (2x2 max) and the order of the layers"


def variant_sentence(difference: str) -> str:
    """What the feedback says of a network that computes LeNet-5 with ``difference`` (a variant's description)."""
    return f"Your network matches LeNet-5 with {difference}. {AS_SPECIFIED}."


def mutants() -> list[tuple[str, dict[str, Any], str, tuple[str, ...]]]:
    """The catalogue as submissions, for ``grader validate``: each network variant of lenet_model.MISTAKES as a
    student's LeNet5 class, named by its mistake (a variant is a network, not an oracle with one function wrong),
    and the network built for 32x32 input."""
    networks = [(name, design, variant_sentence(name)) for name, design in MISTAKES.items()]
    networks.append((BUILT_FOR_32_NAME, BUILT_FOR_32, BUILT_FOR_32_SENTENCE))
    return [(name, {"LeNet5": functools.partial(LeNet5Variant, design=design)}, sentence, ("LeNet5",))
            for name, design, sentence in networks]


def _logits_agree(reference: Any, pytorch: Any, case: NetCase) -> None:
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


suite.agreements.append(Agreement("lenet (the network's logits)", configurations, _logits_agree))
