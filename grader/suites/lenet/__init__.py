"""The `lenet` assignment: LeNet-5 in PyTorch.

`LeNet5(num_classes=10, in_channels=1)` maps (N, in_channels, 28, 28) to
logits (N, num_classes): conv 6@5x5 with padding 2, ReLU, 2x2 max pool; conv
16@5x5, ReLU, 2x2 max pool; flatten 400; linear 120, ReLU; linear 84, ReLU;
linear num_classes. 61,706 parameters for the defaults. The student's network
runs in the sandbox. To check it computes LeNet-5, the grader has the child
load weights into the student's network and compares its logits with those of
LeNet-5 under the same weights: a network that ignores its parameters, or is
another network, cannot pass. In the official grade the weights are drawn from
its seed, which no one knows in advance, and the logits are the grader's own
LeNet-5's; the quick and thorough profiles use published weights, whose logits
the student release carries as data (see oracles.py). What the child reports of
the network (parameter count and shapes, output shape, gradients) a submission
can forge, so those checks pass only once the grader has confirmed, the same
way, what the network computes: LeNet-5, a known variant or a known layout
(``confirmed``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np
from hypothesis import strategies as st

from grader import compare
from grader.evidence import Layer, LayerTables
from grader.sandbox.printable import printable
from grader.suites.agreement import Agreement, same_array
from grader.suites.framework import CheckFailed, Context, Oracles, Skipped, Suite, with_torch
from grader.suites.lenet.network import draw_weights, load_parameters
from grader.suites.lenet.oracles import SPREAD, LenetPublished, LenetReference, forward, pytorch_oracle

MAX_LAYER_ROWS = 50  # a student's network may have any number of layers; the report shows this many
HERE = Path(__file__).parent
PROBES = (("_grader_layer_table", HERE / "layer_table.py"), ("_grader_lenet_probes", HERE / "probes.py"))

suite = Suite("lenet", functions=("LeNet5",), policy=with_torch(call_seconds=60, probes=PROBES),
              oracles=Oracles(pytorch=pytorch_oracle, reference=LenetReference),
              withheld=(HERE / "model.py", HERE / "publish.py"))


@dataclass(frozen=True)
class NetCase:
    """A LeNet5 configuration and a batch of grader-chosen inputs."""

    num_classes: int
    in_channels: int
    batch: int
    seed: int = 0
    side: int = 28  # the input's height and width (32: to run a network built for 32x32 input)

    @property
    def kwargs(self) -> dict[str, int]:
        return {"num_classes": self.num_classes, "in_channels": self.in_channels}

    @property
    def x(self) -> np.ndarray:
        rng = np.random.default_rng(self.seed)
        return rng.standard_normal((self.batch, self.in_channels, self.side, self.side)).astype(np.float32)

    def describe(self) -> str:
        return f"LeNet5(num_classes={self.num_classes}, in_channels={self.in_channels}) on x of shape {self.x.shape}"

    def arrays(self) -> Mapping[str, np.ndarray]:
        return {}


DEFAULT = NetCase(10, 1, 2)
NUM_CLASSES, IN_CHANNELS = range(2, 21), range(1, 5)  # the configurations the checks draw (publish.py records each)
configurations = st.builds(NetCase, st.integers(NUM_CLASSES[0], NUM_CLASSES[-1]),
                           st.integers(IN_CHANNELS[0], IN_CHANNELS[-1]), st.integers(1, 3), st.integers(0, 100))
SAME_FUNCTION_CASES, SAME_FUNCTION_EXAMPLE = [NetCase(10, 1, 4, seed) for seed in (1, 2)], NetCase(10, 1, 4, 0)


def parameters(ctx: Context, case: NetCase) -> dict[str, Any]:
    """The student's parameter count and shapes, from their network built but never run (a forward pass that fails
    costs the checks that run it, not these)."""
    return ctx.probe("lenet_parameters", case.kwargs, label="LeNet5")


def expected(ctx: Context, case: NetCase) -> dict[str, Any]:
    """LeNet-5's parameter count, parameter shapes (in order) and layer table in the case's configuration (built
    once per configuration: the checks and the confirmation of each ask again)."""
    return ctx.remember(f"lenet facts {case.num_classes},{case.in_channels}",
                        lambda: ctx.oracle.facts(case.num_classes, case.in_channels))


def expected_shapes(ctx: Context, case: NetCase) -> list[tuple[int, ...]]:
    return [tuple(shape) for shape in expected(ctx, case)["shapes"]]


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
    confirmed(ctx, case)


@suite.check("LeNet5(num_classes, in_channels) maps (N, in_channels, 28, 28) to (N, num_classes)", points=1,
             functions=["LeNet5"], cases=configurations, examples=[NetCase(7, 3, 2)])
def configured_output_shape(ctx: Context, case: NetCase) -> None:
    default_output_shape(ctx, case)


@suite.check("LeNet5() has 61,706 parameters", points=1, functions=["LeNet5"], cases=st.just(DEFAULT))
def default_parameter_count(ctx: Context, case: NetCase) -> None:
    got, facts = parameters(ctx, case), expected(ctx, case)
    if got["parameters"] != facts["parameters"]:
        yours = ctx.probe("lenet_layers", case.kwargs, case.x, label="LeNet5")
        raise CheckFailed(f"your LeNet5 has {got['parameters']:,} parameters; expected {facts['parameters']:,}"
                          f"{hint(got['shapes'], case)} (compare your layers with the expected ones below)",
                          [layer_tables(yours, facts["table"])])
    confirmed(ctx, case)


@suite.check("LeNet5(num_classes, in_channels) has (25*in_channels + 1)*6 + 2,416 + 48,120 + 10,164 + "
             "85*num_classes parameters", points=1, functions=["LeNet5"], cases=configurations)
def configured_parameter_count(ctx: Context, case: NetCase) -> None:
    default_parameter_count(ctx, case)


@suite.check("LeNet5's parameters come in layer order: conv1, conv2, fc1, fc2, fc3, each weight then bias",
             points=1, functions=["LeNet5"], cases=st.sampled_from([DEFAULT, NetCase(7, 3, 1)]))
def parameter_shapes(ctx: Context, case: NetCase) -> None:
    got, shapes = parameters(ctx, case)["shapes"], expected_shapes(ctx, case)
    if [tuple(s) for s in got] != shapes:
        raise CheckFailed(f"your parameter shapes are {[tuple(s) for s in got]}; expected {shapes}{hint(got, case)}")
    confirmed(ctx, case)


def recorded_logits_only(ctx: Context) -> str:
    """Why the student release cannot run the official check of the network's function ('' where it can)."""
    if ctx.settings.official and isinstance(ctx.oracle, LenetPublished):
        return ("the student release carries LeNet-5's logits for the published weights only; the official grade "
                "draws its weights in secret and runs this check with the grader's own LeNet-5")
    return ""


@suite.check("LeNet5 computes the specified network: with the grader's weights, your logits are LeNet-5's",
             points=3, functions=["LeNet5"], cases=st.sampled_from(SAME_FUNCTION_CASES),
             examples=[SAME_FUNCTION_EXAMPLE], unavailable=recorded_logits_only)
def same_function(ctx: Context, case: NetCase) -> None:
    shapes, expected_ones = parameters(ctx, case)["shapes"], expected_shapes(ctx, case)
    if [tuple(s) for s in shapes] != expected_ones:
        raise CheckFailed(f"the grader cannot load LeNet-5's weights into your network: your parameter shapes are "
                          f"{[tuple(s) for s in shapes]}{hint(shapes, case)}")
    weights = draw_weights(expected_ones, weights_entropy(ctx, case))
    got = ctx.probe("lenet_with_weights", case.kwargs, weights, case.x, label="LeNet5")
    mismatch = compare.check_array("LeNet5's output", got, logits(ctx, case, weights))
    if mismatch is not None:
        cause = diagnose(ctx, weights, case, got)
        raise CheckFailed(mismatch.message if cause else f"{mismatch.message}; {UNNAMED}",
                          [mismatch.evidence] if mismatch.evidence else [], cause=cause)


def weights_entropy(ctx: Context, case: NetCase, draw: int = 0) -> tuple[int, ...]:
    """Where the weights loaded into the network come from: the published ones (the case's own seed, whose logits
    the student release records) in the quick and thorough profiles; in the official grade, its seed as well, which
    no one knows in advance. ``draw`` 1 gives other weights, to tell a network that ignores its own."""
    return (ctx.settings.seed_in_force, case.seed, draw) if ctx.settings.official else (case.seed, draw)


def logits(ctx: Context, case: NetCase, weights: list[np.ndarray]) -> np.ndarray:
    return ctx.oracle.logits(case.num_classes, case.in_channels, case.x, weights)


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
    confirmed(ctx, case)


def confirmed(ctx: Context, case: NetCase) -> None:
    """Let a check pass on what the child reports of the student's network (parameter count and shapes, output shape,
    gradients: a submission can forge those replies) only once the grader has seen that network compute, with
    weights the grader drew, logits the grader computes itself: LeNet-5's, a known variant's or a known layout's.
    Otherwise this input is skipped, so the check is not graded, and says why."""
    why = ctx.remember(f"lenet unconfirmed {case.num_classes},{case.in_channels}", lambda: unconfirmed(ctx, case))
    if why:
        ctx.skipped.append(why)
        raise Skipped


def unconfirmed(ctx: Context, case: NetCase) -> str:
    """Why the grader could not confirm what the student's network computes in ``case``'s configuration ('' once it
    has): first on the published example (whose logits the student release records), where any known design will
    do, then in the case's configuration, where the network must compute the same design; the student release can
    confirm the default configuration only."""
    if recorded_logits_only(ctx):
        return f"the grader cannot confirm what your network reports: {recorded_logits_only(ctx)}"
    design, why = ctx.remember("lenet design", lambda: computed_design(ctx, SAME_FUNCTION_EXAMPLE))
    if why or not ctx.oracle.any_configuration or case.kwargs == SAME_FUNCTION_EXAMPLE.kwargs:
        return why
    return computed_design(ctx, NetCase(case.num_classes, case.in_channels, SAME_FUNCTION_EXAMPLE.batch), design)[1]


def computed_design(ctx: Context, case: NetCase, only: str = "") -> tuple[str, str]:
    """Which design the student's network computes on ``case`` with the grader's weights ('LeNet-5', a known
    variant's description, or where LeNet-5's weights do not fit or its input fails, the name of a layout whose do),
    and '', or '' and why none (``only``: that design or none)."""
    weights = draw_weights(expected_shapes(ctx, case), weights_entropy(ctx, case))
    try:
        got = ctx.probe("lenet_with_weights", case.kwargs, weights, case.x, label="LeNet5")
    except CheckFailed as failure:
        laid_out = next((name for name in LAYOUTS if only in ("", name) and runs_as(ctx, case, name)), "")
        return (laid_out, "") if laid_out else ("", failure.message)
    if only in ("", "LeNet-5") and compare.check_array("", got, logits(ctx, case, weights)) is None:
        return "LeNet-5", ""
    design = matching_variant(ctx, weights, case, got, only) if only != "LeNet-5" else ""
    if design:
        return design, ""
    what = f"no longer what it computes with the defaults ({only})" if only else "neither LeNet-5 nor a known variant"
    return "", (f"with the grader's weights, your {case.describe()} computes {what}, so the grader cannot confirm "
                "what your network reports of itself (see the check of the network's function)")


def runs_as(ctx: Context, case: NetCase, name: str) -> bool:
    """Whether the student's network computes LeNet-5 laid out as ``LAYOUTS[name]``, with weights of that layout's
    shapes drawn by the grader, on ``case``'s input at the side that layout is built for."""
    layout = LAYOUTS[name]
    case = NetCase(case.num_classes, case.in_channels, case.batch, case.seed, side=layout.built_for)
    weights = draw_weights(layout.shapes(expected_shapes(ctx, case)), weights_entropy(ctx, case))
    try:
        got = ctx.probe("lenet_with_weights", case.kwargs, weights, case.x, label="LeNet5")
    except CheckFailed:
        return False
    expected = ctx.oracle.layout_logits(layout.padding, layout.built_for, case.num_classes, case.in_channels, case.x,
                                        weights)
    return compare.check_array("", got, expected) is None


AS_SPECIFIED = ("LeNet-5 as specified has a ReLU after conv1, conv2, fc1 and fc2, 2x2 max pooling, and returns fc3's "
                "logits: cross_entropy applies log_softmax itself")
BUILT_FOR_32_NAME = "built for 32x32 input"
BUILT_FOR_32_SENTENCE = (
    "Your LeNet5 is built for 32x32 input, as the original LeNet-5 was: conv1 has no padding, so a 28x28 image reaches "
    "fc1 as 16x4x4 = 256 features, not the 16x5x5 = 400 that fc1 takes. Give conv1 padding=2 "
    "(nn.Conv2d(in_channels, 6, 5, padding=2)) so that it keeps 28x28.")
suite.mistake(BUILT_FOR_32_NAME, BUILT_FOR_32_SENTENCE, ["LeNet5"],
              raised=r"\(\d+x256 and 400x120\)|shape '\[-1, 400\]' is invalid for input of size \d+")


@dataclass(frozen=True)
class Layout:
    """LeNet-5's layers laid out for another input, as students build them by mistake: conv1's padding, the input
    side the network is built for (and runs on), and so the features fc1 takes."""

    padding: int
    built_for: int
    features: int

    def shapes(self, lenet: list[tuple[int, ...]]) -> list[tuple[int, ...]]:
        """This layout's parameter shapes, from LeNet-5's: fc1's weight differs where ``features`` is not 400."""
        return [(120, self.features) if index == 4 else shape for index, shape in enumerate(lenet)]


LAYOUTS = {BUILT_FOR_32_NAME: Layout(0, 32, 400), "no padding on conv1": Layout(0, 28, 256)}


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


def diagnose(ctx: Context, weights: list[np.ndarray], case: NetCase, got: np.ndarray) -> str:
    """Name what the student's network computes instead: a known variant under the same weights (one whose logits
    spread out: a ReLU output that is all zeros would match any network that returns zeros), or an output that does
    not depend on the weights at all ('' when it is neither)."""
    difference = matching_variant(ctx, weights, case, got)
    if difference:
        return variant_sentence(difference)
    others = draw_weights(expected_shapes(ctx, case), weights_entropy(ctx, case, draw=1))
    again = ctx.probe("lenet_with_weights", case.kwargs, others, case.x, label="LeNet5")
    if compare.check_array("", again, got) is None:
        return ("Your network's output stays the same when its parameters change: forward must compute with the "
                "layers' weights (self.conv1(x), ...), not with fixed or copied values.")
    return ""


def matching_variant(ctx: Context, weights: list[np.ndarray], case: NetCase, got: Any, only: str = "") -> str:
    """The description of the known variant (``only``: that one or none) whose logits under ``weights`` are ``got``
    (one whose logits spread out: a ReLU output that is all zeros would match any network that returns zeros), or
    ''."""
    mistaken = ctx.oracle.mistaken_logits(case.num_classes, case.in_channels, case.x, weights, only)
    return next((difference for difference, theirs in mistaken.items()
                 if np.ptp(theirs) > SPREAD and compare.check_array("", got, theirs) is None), "")


UNNAMED = "check the activations (ReLU), the pooling (2x2 max) and the order of the layers"


def variant_sentence(difference: str) -> str:
    """What the feedback says of a network that computes LeNet-5 with ``difference`` (a variant's description)."""
    return f"Your network matches LeNet-5 with {difference}. {AS_SPECIFIED}."


def mutants() -> list[tuple[str, dict[str, Any], str, tuple[str, ...]]]:
    """The catalogue as submissions, for ``grader validate``: each network variant of model.MISTAKES as a student's
    LeNet5 class, named by its mistake (a variant is a network, not an oracle with one function wrong), and the
    network built for 32x32 input."""
    from grader.suites.lenet.model import BUILT_FOR_32, MISTAKES, LeNet5Variant  # withheld from the student release

    networks = [(name, design, variant_sentence(name)) for name, design in MISTAKES.items()]
    networks.append((BUILT_FOR_32_NAME, BUILT_FOR_32, BUILT_FOR_32_SENTENCE))
    return [(name, {"LeNet5": functools.partial(LeNet5Variant, design=design)}, sentence, ("LeNet5",))
            for name, design, sentence in networks]


def _logits_agree(reference: Any, pytorch: Any, case: NetCase) -> None:
    """The reference's LeNet5 and the grader's LeNet-5, given the same weights, compute the same logits."""
    theirs = reference.lenet(case.num_classes, case.in_channels)
    weights = draw_weights([tuple(p.shape) for p in theirs.parameters()], (case.seed,))
    problem = load_parameters(theirs, weights)
    if problem:
        raise AssertionError(f"the grader's weights for LeNet-5 do not fit the reference LeNet5: {problem}")
    same_array("LeNet-5's logits", forward(theirs, case.x),
               pytorch.logits(case.num_classes, case.in_channels, case.x, weights))


suite.agreements.append(Agreement("lenet (the network's logits)", configurations, _logits_agree))
