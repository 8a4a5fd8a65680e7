"""The error model of PyTorch code (lenet, train): rewrites of a constant or a call in the student's network or
training loop, commonest first: tanh or sigmoid where the network uses ReLU, average pooling where it uses max
pooling, a softmax on the output, a missing activation, conv1 without its padding (a LeNet built for 32x32
inputs), the flattened size and kernel sizes of the course's LeNet-5, a constant where an argument belongs, and in
a training loop a missing ``optimizer.zero_grad()`` or ``step()``, a model left in eval mode, a loss that is never
summed, an average over the wrong count, training inside ``torch.no_grad()``, a learning rate that does not train.
"""

from __future__ import annotations

import ast
from typing import Iterator, Sequence

from grader.repair.array_rules import accumulate
from grader.repair.rewrites import Rewrite
from grader.repair.scope import Scope, called, constant_int
from grader.repair.source import Site

ACTIVATIONS = {"Tanh": "ReLU", "Sigmoid": "ReLU", "LeakyReLU": "ReLU", "ELU": "ReLU", "tanh": "relu",
               "sigmoid": "relu", "leaky_relu": "relu", "elu": "relu"}
POOLINGS = {"AvgPool2d": "MaxPool2d", "avg_pool2d": "max_pool2d"}
LAYERS = ("Linear", "Conv2d")
FLATTENED = "16 * 5 * 5"  # LeNet-5's features after the second pooling, for 28x28 inputs with conv1 padded by 2
KERNEL, POOL, PADDING = "5", "2", "2"


def renamed(scope: Scope, table: dict[str, str], rule: str, words: str) -> Iterator[Rewrite]:
    """Every attribute named in ``table`` renamed at once (``nn.Tanh`` -> ``nn.ReLU`` everywhere): LeNet-5 has no
    place for any of them, so one rewrite covers them all."""
    found = [node for node in scope.nodes(ast.Attribute) if node.attr in table]
    if found:
        yield Rewrite(rule, words, scope.where(found[0]),
                      tuple(scope.site(node, f"{scope.text(node.value)}.{table[node.attr]}") for node in found))


def activations(scope: Scope) -> Iterator[Rewrite]:
    yield from renamed(scope, ACTIVATIONS, "activation", "LeNet-5 uses ReLU activations, not tanh or sigmoid")


def pooling(scope: Scope) -> Iterator[Rewrite]:
    yield from renamed(scope, POOLINGS, "pooling", "LeNet-5 uses 2x2 max pooling, not average pooling")


def softmax_output(scope: Scope) -> Iterator[Rewrite]:
    """A softmax (or log-softmax) on the output: the network returns logits, the loss applies the softmax."""
    for call in scope.nodes(ast.Call):
        if "softmax" not in called(call).lower():
            continue
        parent = scope.parents.get(call)
        if isinstance(parent, ast.Call) and call in parent.args:
            yield Rewrite("softmax output", "the network must return logits: leave the softmax to the loss",
                          scope.where(call), (removed_argument(scope, parent.args, call),))
        elif call.args:
            yield Rewrite("softmax output", "the network must return logits: leave the softmax to the loss",
                          scope.where(call), (scope.site(call, scope.text(call.args[0])),))


def removed_argument(scope: Scope, arguments: Sequence[ast.AST], gone: ast.AST) -> Site:
    """A site that deletes one argument of a call, with its comma."""
    index = list(arguments).index(gone)
    start, end = scope.site(gone, ""), scope.site(gone, "")
    if index + 1 < len(arguments):
        after = scope.site(arguments[index + 1], "")
        return Site(start.line, start.column, after.line, after.column, "")
    if index > 0:
        before = scope.site(arguments[index - 1], "")
        return Site(before.end_line, before.end_column, end.end_line, end.end_column, "")
    return Site(start.line, start.column, end.end_line, end.end_column, "")


def missing_activation(scope: Scope) -> Iterator[Rewrite]:
    """No ReLU after a layer: around a call of a Linear or Conv2d attribute in forward, or after such a layer in a
    Sequential (all such places at once, then each alone)."""
    relu = functional_relu(scope)
    layers = layer_attributes(scope)
    output = [name for name, kind in layers.items() if kind == "Linear"][-1:]  # the logits: no activation
    calls = [call for call in scope.nodes(ast.Call) if isinstance(call.func, ast.Attribute) and
             scope.text(call.func.value) == "self" and call.func.attr in layers and call.func.attr not in output
             and not activated(scope, call)]
    sites = [scope.site(call, f"{relu}({scope.text(call)})") for call in calls if relu]
    sites += [Site(*start_of(scope, after), f"{module(scope)}.ReLU(), ") for after in unactivated_in_sequences(scope)]
    if sites:
        yield Rewrite("missing activation", "a ReLU is missing after this layer", where_site(scope, sites[0]),
                      tuple(sites))
    if len(sites) > 1:
        for piece in sites:
            yield Rewrite("missing activation", "a ReLU is missing after this layer", where_site(scope, piece),
                          (piece,))


def where_site(scope: Scope, piece: Site) -> str:
    return scope.definition.where(piece.line)


def start_of(scope: Scope, node: ast.AST) -> tuple[int, int, int, int]:
    """An empty span at a node's start (an insertion point)."""
    here = scope.site(node, "")
    return here.line, here.column, here.line, here.column


def layer_attributes(scope: Scope) -> dict[str, str]:
    """Attributes assigned a Linear or Conv2d layer, in order, with the layer's kind: ``self.fc1 = nn.Linear(...)``."""
    return {target.attr: called(node.value) for node in scope.nodes(ast.Assign) for target in node.targets
            if isinstance(target, ast.Attribute) and isinstance(node.value, ast.Call) and called(node.value) in LAYERS}


def activated(scope: Scope, call: ast.Call) -> bool:
    """Whether a layer's output goes straight into an activation (or the softmax, which ``softmax_output`` treats)."""
    parent = scope.parents.get(call)
    return isinstance(parent, ast.Call) and (called(parent).lower() in {"relu", "tanh", "sigmoid", "elu"} or
                                             "softmax" in called(parent).lower() or "relu" in scope.text(parent.func))


def unactivated_in_sequences(scope: Scope) -> list[ast.AST]:
    """In ``nn.Sequential(...)``: each argument that follows a Linear or Conv2d layer directly, without an
    activation between them."""
    found = []
    for call in scope.nodes(ast.Call):
        if called(call) == "Sequential":
            for layer, after in zip(call.args, call.args[1:]):
                if isinstance(layer, ast.Call) and called(layer) in LAYERS and isinstance(after, ast.Call) and \
                        called(after) not in ACTIVATIONS.values() and called(after) not in ACTIVATIONS:
                    found.append(after)
    return found


def functional_relu(scope: Scope) -> str:
    """How the student's module can call ReLU as a function: ``F.relu``, ``torch.relu``; '' if it cannot."""
    names = scope.module_names
    return "F.relu" if "F" in names else "torch.relu" if "torch" in names else ""


def module(scope: Scope) -> str:
    return "nn" if "nn" in scope.module_names else "torch.nn"


def conv_padding(scope: Scope) -> Iterator[Rewrite]:
    """conv1 without its padding of 2 (a LeNet built for 32x32 inputs), or a padding where none belongs."""
    for call in scope.nodes(ast.Call):
        if called(call) != "Conv2d":
            continue
        padding = keyword(call, "padding")
        if padding is None and len(call.args) < 5 and (call.args or call.keywords):
            last = max(list(call.args) + [k.value for k in call.keywords], key=lambda n: (n.end_lineno,
                                                                                          n.end_col_offset))
            end = scope.site(last, "")
            yield Rewrite("conv padding", "this convolution needs padding=2 to keep 28x28 inputs at 28x28 (LeNet-5 was "
                          "drawn for 32x32 inputs)", scope.where(call),
                          (Site(end.end_line, end.end_column, end.end_line, end.end_column, f", padding={PADDING}"),))
        elif padding is not None and scope.text(padding) != "0":
            yield Rewrite("conv padding", "this convolution takes no padding", scope.where(call),
                          (scope.site(padding, "0"),))
        if padding is not None and scope.text(padding) != PADDING:
            yield Rewrite("conv padding", f"this convolution needs padding={PADDING}", scope.where(call),
                          (scope.site(padding, PADDING),))


def keyword(call: ast.Call, name: str) -> ast.AST | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def layer_sizes(scope: Scope) -> Iterator[Rewrite]:
    """The course's LeNet-5 sizes: 5x5 kernels, 2x2 pooling, 16 * 5 * 5 features into fc1, and a flatten that
    keeps the batch."""
    for call in scope.nodes(ast.Call):
        name = called(call)
        size = keyword(call, "kernel_size") or (call.args[2] if name == "Conv2d" and len(call.args) > 2 else
                                                call.args[0] if name == "MaxPool2d" and call.args else
                                                call.args[1] if name == "max_pool2d" and len(call.args) > 1 else None)
        wanted = KERNEL if name == "Conv2d" else POOL if name in ("MaxPool2d", "max_pool2d") else None
        if size is not None and wanted and scope.text(size) != wanted:
            yield Rewrite("layer size", f"this layer's size should be {wanted}", scope.where(call),
                          (scope.site(size, wanted),))
        if name == "Linear" and call.args and is_constant(call.args[0]) and scope.text(call.args[0]) != FLATTENED:
            yield Rewrite("flattened size", f"fc1 takes {FLATTENED} = 400 features (16 channels of 5x5)",
                          scope.where(call), (scope.site(call.args[0], FLATTENED),))
        if name in ("view", "reshape") and len(call.args) == 2 and isinstance(call.func, ast.Attribute):
            tensor = scope.text(call.func.value)
            yield Rewrite("flattened size", "flatten each example's features, keeping the batch axis",
                          scope.where(call), (Site(*argument_span(scope, call), f"{tensor}.size(0), -1"),))


def is_constant(node: ast.AST) -> bool:
    """An integer, or arithmetic on integers (``16 * 4 * 4``)."""
    return all(isinstance(n, (ast.Constant, ast.BinOp, ast.operator)) for n in ast.walk(node)) and \
        any(isinstance(n, ast.Constant) for n in ast.walk(node))


def argument_span(scope: Scope, call: ast.Call) -> tuple[int, int, int, int]:
    first, last = scope.site(call.args[0], ""), scope.site(call.args[-1], "")
    return first.line, first.column, last.end_line, last.end_column


def constants_for_arguments(scope: Scope) -> Iterator[Rewrite]:
    """A number where the constructor's argument belongs: ``nn.Linear(84, 10)`` in ``__init__(self, num_classes=10)``."""
    for init in scope.nodes(ast.FunctionDef):
        arguments = init.args.args[len(init.args.args) - len(init.args.defaults):]
        for argument, default in zip(arguments, init.args.defaults):
            value = constant_int(default)
            uses = [n for n in ast.walk(init) if isinstance(n, ast.Constant) and n.value == value and type(n.value)
                    is int and isinstance(scope.parents.get(n), ast.Call) and n is not default]
            for use in uses:
                yield Rewrite("constant for an argument", f"use {argument.arg} here, not {value}: LeNet5's arguments "
                              "must change the network", scope.where(use), (scope.site(use, argument.arg),))


def training_steps(scope: Scope) -> Iterator[Rewrite]:
    """In a training loop: ``optimizer.zero_grad()`` or ``optimizer.step()`` missing, or the model left in eval
    mode."""
    steps = [c for c in scope.nodes(ast.Call) if called(c) == "step" and isinstance(c.func, ast.Attribute)]
    backwards = [c for c in scope.nodes(ast.Call) if called(c) == "backward"]
    optimizers = [scope.text(c.func.value) for c in steps] or optimizer_names(scope)
    if backwards and optimizers and not any(called(c) == "zero_grad" for c in scope.nodes(ast.Call)):
        statement = scope.statement(backwards[0])
        indent = " " * statement.col_offset
        yield Rewrite("zero_grad missing", f"gradients add up across batches: call {optimizers[0]}.zero_grad() "
                      "before loss.backward()", scope.where(statement),
                      (Site(statement.lineno, 0, statement.lineno, 0, f"{indent}{optimizers[0]}.zero_grad()\n"),))
    if backwards and optimizers and not steps:
        statement = scope.statement(backwards[0])
        end = statement.end_lineno or statement.lineno
        line = scope.definition.lines[end - 1]
        yield Rewrite("step missing", f"the weights never change: call {optimizers[0]}.step() after "
                      "loss.backward()", scope.where(statement),
                      (Site(end, len(line), end, len(line), f"\n{' ' * statement.col_offset}{optimizers[0]}.step()"),))
    for call in scope.nodes(ast.Call):
        if called(call) == "eval" and isinstance(call.func, ast.Attribute) and backwards:
            yield Rewrite("eval mode", "train the model in training mode: model.train()", scope.where(call),
                          (scope.site(call.func, f"{scope.text(call.func.value)}.train"),))


def training_without_gradients(scope: Scope) -> Iterator[Rewrite]:
    """A training loop inside ``with torch.no_grad():`` (copied from an evaluation loop): backward() finds no
    gradient to compute. The smallest change turns them back on for that block."""
    backwards = {id(c) for c in scope.nodes(ast.Call) if called(c) == "backward"}
    for block in scope.nodes(ast.With):
        for item in block.items:
            context = item.context_expr
            if isinstance(context, ast.Call) and called(context) == "no_grad" and \
                    any(id(n) in backwards for n in ast.walk(block)):
                yield Rewrite("training without gradients", "backward() needs gradients: train outside "
                              "torch.no_grad()", scope.where(context),
                              (scope.site(context.func, f"{scope.text(context.func)[:-len('no_grad')]}enable_grad"),))


LEARNING_RATES = {"Adam": "1e-3", "AdamW": "1e-3", "SGD": "0.02"}  # what the train check's message recommends


def learning_rate(scope: Scope) -> Iterator[Rewrite]:
    """An optimizer's learning rate set where LeNet-5 diverges or collapses: the rate the train check recommends
    (Adam 1e-3; SGD 0.02 with momentum 0.9)."""
    for call in scope.nodes(ast.Call):
        wanted = LEARNING_RATES.get(called(call))
        rate = keyword(call, "lr") or (call.args[1] if len(call.args) > 1 else None)
        if wanted is None or rate is None or scope.text(rate) == wanted:
            continue
        sites = [scope.site(rate, wanted)]
        if called(call) == "SGD" and keyword(call, "momentum") is None:
            end = scope.site(call.args[-1] if not call.keywords else call.keywords[-1].value, "")
            sites.append(Site(end.end_line, end.end_column, end.end_line, end.end_column, ", momentum=0.9"))
        yield Rewrite("learning rate", f"this learning rate does not train LeNet-5: try lr={wanted}"
                      + (" with momentum 0.9" if called(call) == "SGD" else ""), scope.where(call), tuple(sites))


def optimizer_names(scope: Scope) -> list[str]:
    """Names assigned an optimizer: ``opt = torch.optim.Adam(...)``."""
    return [node.targets[0].id for node in scope.nodes(ast.Assign) if isinstance(node.targets[0], ast.Name) and
            "optim" in scope.text(node.value).split("(")[0]]


def averaged_over(scope: Scope) -> Iterator[Rewrite]:
    """An average over the wrong count: ``len(loader)`` (batches) and ``len(loader.dataset)`` (examples)."""
    for call in scope.nodes(ast.Call):
        if called(call) == "len" and call.args:
            text = scope.text(call.args[0])
            other = text[:-len(".dataset")] if text.endswith(".dataset") else f"{text}.dataset"
            yield Rewrite("averaged over the wrong count", f"divide by len({other}), not len({text})",
                          scope.where(call), (scope.site(call.args[0], other),))


def class_axis(scope: Scope) -> Iterator[Rewrite]:
    """``argmax`` over the batch axis where the classes are meant (``dim=0`` for ``dim=1``)."""
    for call in scope.nodes(ast.Call):
        if called(call) in ("argmax", "max"):
            axis = keyword(call, "dim") or keyword(call, "axis") or (call.args[0] if call.args and
                                                                     isinstance(call.func, ast.Attribute) else None)
            if constant_int(axis) in (0, 1):
                yield Rewrite("class axis", "take the maximum over the classes (dim=1)", scope.where(call),
                              (scope.site(axis, str(1 - constant_int(axis))),))


# The training loop's steps first: they propose nothing without a backward() call, so a network's search never
# sees them (each candidate of fit costs a second or two of training)
RULES = (training_steps, training_without_gradients, activations, pooling, softmax_output, missing_activation,
         conv_padding, layer_sizes, constants_for_arguments, accumulate, averaged_over, learning_rate, class_axis)
