"""The error model of numpy code (conv, pool): rewrites that undo the mistakes students make in loops, slices and
sums, commonest first. Each rule says in a few words what was wrong, as the student's hint will read.

Grown from the suites' catalogues of mistakes and from public solutions to the same exercises: a height name
where the width is needed (a square kernel assumed: the commonest real bug), slice bounds off by one or by the
kernel size, the stride missing or doubled in an index, ``=`` where ``+=`` accumulates (and the reverse), sums
and transposes over the wrong axes, a flipped kernel, padding applied twice or never, ties in max pooling, an
average not divided by the window, loop bounds and output sizes off by one, outputs made float64.
"""

from __future__ import annotations

import ast
import itertools
from typing import Iterator

from grader.repair.rewrites import Rewrite
from grader.repair.scope import HEIGHT, OTHER, Scope, called, constant_int
from grader.repair.source import Site

LOW_PRECEDENCE = (ast.BoolOp, ast.Compare, ast.IfExp, ast.Lambda, ast.NamedExpr)


def square_window(scope: Scope) -> Iterator[Rewrite]:
    """A height name where the width is needed (or the reverse) everywhere the code uses it so: a square kernel,
    window or input assumed; then both names of a pair at once, where each stands in for the other."""
    misplaced = {}
    for name, partner in sorted(scope.partners.items()):
        side = scope.side(name)
        wrong = [use for use in scope.loads(name) if side and scope.role(use) == OTHER[side]]
        if wrong:
            misplaced[name] = wrong
            what = "pool window" if "pool" in " ".join(scope.names) else \
                "kernel" if name in scope.kernel else "input"
            yield Rewrite("square kernel", f"{name} is used where the {OTHER[side]} is needed ({partner}): your code "
                          f"assumes a square {what}", scope.where(wrong[0]),
                          tuple(scope.site(use, partner) for use in wrong))
    for name, wrong in misplaced.items():
        partner = scope.partners[name]
        if name < partner and partner in misplaced:
            uses = sorted(wrong + misplaced[partner], key=lambda n: (n.lineno, n.col_offset))
            yield Rewrite("square kernel", f"{name} and {partner} are swapped here: right only when both sides are "
                          "equal", scope.where(uses[0]),
                          tuple(scope.site(use, scope.partners[use.id]) for use in uses))


def one_axis_name(scope: Scope) -> Iterator[Rewrite]:
    """One use of a height name that should be the width partner (or the reverse)."""
    for name, partner in sorted(scope.partners.items()):
        for use in scope.loads(name):
            yield Rewrite("height for width", f"{name} should be {partner} here", scope.where(use),
                          (scope.site(use, partner),))


def accumulate(scope: Scope) -> Iterator[Rewrite]:
    """``=`` inside a loop where the value must add up (``+=``), and ``+=`` where it must be replaced."""
    for node in scope.nodes(ast.Assign):
        if len(node.targets) == 1 and isinstance(node.targets[0], (ast.Subscript, ast.Name)) and \
                scope.inside_loop(node):
            yield Rewrite("= instead of +=", "= overwrites what earlier iterations wrote here: add with +=",
                          scope.where(node), (operator_site(scope, node.targets[0], node.value, " += "),))
    for node in scope.nodes(ast.AugAssign):
        if isinstance(node.op, ast.Add):
            yield Rewrite("+= instead of =", "+= adds to what is there: assign with =", scope.where(node),
                          (operator_site(scope, node.target, node.value, " = "),))


def operator_site(scope: Scope, target: ast.AST, value: ast.AST, text: str) -> Site:
    """The span between an assignment's target and its value (the ``=`` or ``+=``), replaced by ``text``."""
    start, end = scope.site(target, ""), scope.site(value, "")
    return Site(start.end_line, start.end_column, end.line, end.column, text)


def stride_missing(scope: Scope) -> Iterator[Rewrite]:
    """A loop variable used as a window's start without the stride: ``x[..., i + di]`` for ``i * stride + di``
    (every such use of that variable, and of all such variables together)."""
    stride = scope.stride
    if stride is None:
        return
    found = {}
    for variable in [v for v in scope.loop_variables() if not scope.over_kernel(v)]:
        uses = [use for use in scope.loads(variable) if in_index(scope, use) and not multiplied(scope, use, stride)
                and scope.role(use) is not None and is_start(scope, use)]
        if uses:
            found[variable] = uses
            yield Rewrite("stride missing", f"the window starts at {variable}, not at {variable} * {stride}: the "
                          "stride is missing", scope.where(uses[0]),
                          tuple(scope.site(use, f"{variable} * {stride}") for use in uses))
    if len(found) > 1:
        uses = [use for group in found.values() for use in group]
        yield Rewrite("stride missing", f"the windows start at {' and '.join(found)}, not at those times {stride}: "
                      "the stride is missing", scope.where(uses[0]),
                      tuple(scope.site(use, f"{use.id} * {stride}") for use in uses))
    products = [node for node in scope.nodes(ast.BinOp) if isinstance(node.op, ast.Mult) and in_index(scope, node)
                and {scope.text(node.left), scope.text(node.right)} & set(scope.kernel)
                and {scope.text(node.left), scope.text(node.right)} & set(scope.loop_variables())]
    if products:
        yield Rewrite("stride missing", f"the windows move by the window's size, not by the stride ({stride})",
                      scope.where(products[0]), tuple(scope.site(p, f"{loop_variable(scope, p)} * {stride}")
                                                      for p in products))


def loop_variable(scope: Scope, product: ast.BinOp) -> str:
    """The loop variable of a product ``i * ph``."""
    return scope.text(product.left) if scope.text(product.left) in scope.loop_variables() else \
        scope.text(product.right)


def stride_doubled(scope: Scope) -> Iterator[Rewrite]:
    """A product with the stride where the loop already steps by it (``range(0, H, stride)`` and ``i * stride``):
    every such product at once."""
    stride = scope.stride
    products = [node for node in scope.nodes(ast.BinOp) if isinstance(node.op, ast.Mult) and
                stride in (scope.text(node.right), scope.text(node.left)) and in_index(scope, node)]
    if products:
        yield Rewrite("stride doubled", f"the stride is applied twice: the loop already steps by {stride}",
                      scope.where(products[0]), tuple(
                          scope.site(p, scope.text(p.left if scope.text(p.right) == stride else p.right))
                          for p in products))


def in_index(scope: Scope, node: ast.AST) -> bool:
    """Whether a node lies inside a subscript's index."""
    child = node
    while child in scope.parents:
        parent = scope.parents[child]
        if isinstance(parent, ast.Subscript) and child is parent.slice:
            return True
        if isinstance(parent, ast.stmt):
            return False
        child = parent
    return False


def is_start(scope: Scope, use: ast.Name) -> bool:
    """Whether a loop variable is used as a window's start: a slice bound, or an offset added to (``i + di``);
    a bare index (``out[n, f, i, j]``) is an output position, where no stride belongs."""
    parent = scope.parents.get(use)
    return isinstance(parent, ast.Slice) or isinstance(parent, ast.BinOp) and isinstance(parent.op, (ast.Add, ast.Sub))


def multiplied(scope: Scope, use: ast.Name, stride: str) -> bool:
    parent = scope.parents.get(use)
    return isinstance(parent, ast.BinOp) and isinstance(parent.op, ast.Mult) and \
        stride in (scope.text(parent.left), scope.text(parent.right))


def slice_bounds(scope: Scope) -> Iterator[Rewrite]:
    """A slice's start or end one off."""
    for piece in scope.nodes(ast.Slice):
        for bound, name in ((piece.upper, "end"), (piece.lower, "start")):
            if bound is None:
                continue
            for step, words in ((1, "one short"), (-1, "one too far")):
                yield Rewrite("slice off by one", f"the slice's {name} is {words}", scope.where(bound),
                              (scope.site(bound, shifted(scope, bound, step)),))


def slice_by_kernel(scope: Scope) -> Iterator[Rewrite]:
    """A window's slice whose end is not its start plus the kernel size: ``x[i*s:i*s+HH-1]``, ``x[i*s:HH]``."""
    for piece in scope.nodes(ast.Slice):
        if piece.lower is None or piece.upper is None or piece.step is not None:
            continue
        side = scope.role(piece)
        for kernel in scope.kernel_names(side):
            wanted = f"{scope.text(piece.lower)} + {kernel}"
            if scope.text(piece.upper) != wanted:
                yield Rewrite("slice off by the kernel size", f"the slice must end at its start plus {kernel}",
                              scope.where(piece), (scope.site(piece.upper, wanted),))


def flipped_kernel(scope: Scope) -> Iterator[Rewrite]:
    """A kernel read backwards: ``w[..., ::-1, ::-1]``, ``np.flip(w)``, ``w[f, c, HH - 1 - a, WW - 1 - b]``."""
    for node in scope.nodes(ast.Subscript):
        sites = [scope.site(e, ":") for e in elements(node.slice) if is_reversal(e)] + \
            [scope.site(e, mirror_of(scope, e)) for e in elements(node.slice) if mirror_of(scope, e) is not None]
        if sites:
            yield Rewrite("flipped kernel", "the kernel is read backwards (flipped): deep learning's convolution "
                          "slides it as it is", scope.where(node), tuple(sites))
    for call in scope.nodes(ast.Call):
        if called(call) in ("flip", "fliplr", "flipud", "rot90") and call.args:
            yield Rewrite("flipped kernel", "the kernel is flipped: deep learning's convolution slides it as it is",
                          scope.where(call), (scope.site(call, scope.text(call.args[0])),))


def is_reversal(index: ast.AST) -> bool:
    """Whether an index element is ``::-1``."""
    return isinstance(index, ast.Slice) and index.lower is None and index.upper is None and \
        constant_int(index.step) == -1


def elements(index: ast.AST) -> list[ast.AST]:
    return list(index.elts) if isinstance(index, ast.Tuple) else [index]


def mirror_of(scope: Scope, node: ast.AST) -> str | None:
    """``a`` for an index ``K - 1 - a`` or ``K - a - 1`` (a loop variable counted from the far end)."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub)):
        return None
    loops = set(scope.loop_variables())
    left, right = node.left, node.right
    if isinstance(left, ast.BinOp) and isinstance(left.op, ast.Sub):
        if constant_int(left.right) == 1 and isinstance(right, ast.Name) and right.id in loops:
            return right.id
        if constant_int(right) == 1 and isinstance(left.right, ast.Name) and left.right.id in loops:
            return left.right.id
    return None


def sum_axes(scope: Scope) -> Iterator[Rewrite]:
    """A sum over the wrong axes (``db = dout.sum(axis=0)``): every other choice of one to three of four axes."""
    for call in scope.nodes(ast.Call):
        axis = axis_argument(scope, call) if called(call) in ("sum", "mean") else None
        if axis is None:
            continue
        for size in (3, 1, 2):
            for axes in itertools.combinations(range(4), size):
                text = f"({', '.join(map(str, axes))})" if size > 1 else str(axes[0])
                if text.replace(" ", "") != scope.text(axis).replace(" ", ""):
                    yield Rewrite("sum over the wrong axes", f"the {called(call)} runs over the wrong axes: use "
                                  f"axis={text}", scope.where(call), (scope.site(axis, text),))


def axis_argument(scope: Scope, call: ast.Call) -> ast.AST | None:
    """The axis of ``a.sum(axis=...)``, ``a.sum(0)`` or ``np.sum(a, 0)``."""
    keyword = next((k.value for k in call.keywords if k.arg == "axis"), None)
    if keyword is not None or not isinstance(call.func, ast.Attribute):
        return keyword
    position = 1 if scope.text(call.func.value) in ("np", "numpy") else 0
    return call.args[position] if len(call.args) > position else None


def transposes(scope: Scope) -> Iterator[Rewrite]:
    """A transpose with two axes swapped, and an output reshaped straight to (N, F, ...) where its rows are
    (F, N, ...) and need a transpose."""
    for call in scope.nodes(ast.Call):
        axes = [constant_int(a) for a in call.args]
        if called(call) == "transpose" and len(axes) >= 3 and None not in axes:
            for i, j in itertools.combinations(range(len(axes)), 2):
                swapped = list(axes)
                swapped[i], swapped[j] = swapped[j], swapped[i]
                yield Rewrite("transpose axes", f"the transpose's axes {i} and {j} are swapped", scope.where(call),
                              (Site(*span(scope, call.args[0], call.args[-1]), ", ".join(map(str, swapped))),))
        if called(call) == "reshape" and len(call.args) == 4 and isinstance(call.func, ast.Attribute):
            first, second = (scope.text(a) for a in call.args[:2])
            rest = ", ".join(scope.text(a) for a in call.args[2:])
            yield Rewrite("reshape without transpose", "the reshape orders the axes wrongly: reshape to the "
                          "order the data has, then transpose", scope.where(call),
                          (scope.site(call, f"{scope.text(call.func.value)}.reshape({second}, {first}, {rest})"
                                            ".transpose(1, 0, 2, 3)"),))


def span(scope: Scope, first: ast.AST, last: ast.AST) -> tuple[int, int, int, int]:
    start, end = scope.site(first, ""), scope.site(last, "")
    return start.line, start.column, end.end_line, end.end_column


def padding(scope: Scope) -> Iterator[Rewrite]:
    """Padding applied never or twice: the unpadded input read where the padded one is needed (or the reverse),
    and ``2 * pad`` added to a size that is already padded (or missing from one that is not)."""
    for padded, plain in padded_arrays(scope):
        for use_of, instead, words in ((plain, padded, "the unpadded input is read where the padded one is needed"),
                                       (padded, plain, "the padded input is read where the unpadded one is needed")):
            uses = [u for u in scope.loads(use_of) if is_subscripted(scope, u)]
            if uses:
                yield Rewrite("padding", words, scope.where(uses[0]), tuple(scope.site(u, instead) for u in uses))
    for call in scope.nodes(ast.Call):
        inner = call.args[0] if call.args else None
        if "pad" in called(call) and isinstance(inner, ast.Call) and "pad" in called(inner):
            yield Rewrite("padding", "the input is padded twice", scope.where(call),
                          (scope.site(call, scope.text(inner)),))
    pad = scope.pad
    if pad is None:
        return
    for node in scope.nodes(ast.BinOp):
        term = pad_term(scope, node, pad)
        if term is not None:
            yield Rewrite("padding", "the padding is counted twice here", scope.where(node),
                          (scope.site(node, scope.text(term)),))
        elif isinstance(node.op, ast.Sub) and isinstance(node.left, ast.Name) and node.left.id in \
                scope.image_names(scope.side(node.left.id) or HEIGHT) and pad not in scope.text(node):
            yield Rewrite("padding", "the padding is missing from this size", scope.where(node),
                          (scope.site(node.left, f"{node.left.id} + 2 * {pad}"),))


def padded_arrays(scope: Scope) -> list[tuple[str, str]]:
    """(padded, plain) name pairs: ``xp = np.pad(x, ...)`` or ``xp = zero_pad(x, pad)``."""
    pairs = []
    for node in scope.nodes(ast.Assign):
        value, target = node.value, node.targets[0]
        if isinstance(target, ast.Name) and isinstance(value, ast.Call) and "pad" in called(value) and \
                value.args and isinstance(value.args[0], ast.Name):
            pairs.append((target.id, value.args[0].id))
    return pairs


def is_subscripted(scope: Scope, use: ast.Name) -> bool:
    parent = scope.parents.get(use)
    return isinstance(parent, ast.Subscript) and parent.value is use


def pad_term(scope: Scope, node: ast.BinOp, pad: str) -> ast.AST | None:
    """The rest of ``A + 2 * pad`` (or ``A + 2*pad``), else None."""
    if not isinstance(node.op, ast.Add):
        return None
    for rest, term in ((node.left, node.right), (node.right, node.left)):
        if scope.text(term).replace(" ", "") in (f"2*{pad}", f"{pad}*2", f"{pad}+{pad}"):
            return rest
    return None


def ties(scope: Scope) -> Iterator[Rewrite]:
    """Ties in max pooling: a comparison that keeps the last maximum (``>=``) or a mask that selects every tied
    maximum (``window == window.max()``) where the first maximum alone gets the gradient."""
    flips = {ast.GtE: ">", ast.Gt: ">=", ast.LtE: "<", ast.Lt: "<="}
    for node in scope.nodes(ast.Compare):
        if len(node.ops) == 1 and type(node.ops[0]) in flips:
            new = flips[type(node.ops[0])]
            yield Rewrite("comparison", f"the comparison should be {new}", scope.where(node),
                          (Site(*span_between(scope, node.left, node.comparators[0]), f" {new} "),))
        if len(node.ops) == 1 and isinstance(node.ops[0], ast.Eq) and is_max_of(scope, node.comparators[0],
                                                                                 node.left):
            window = scope.text(node.left)
            yield Rewrite("ties to every maximum", "the mask selects every tied maximum: only the first maximum "
                          "(np.argmax) gets the gradient", scope.where(node),
                          (scope.site(node, f"np.arange({window}.size).reshape({window}.shape) == "
                                            f"np.argmax({window})"),))


def span_between(scope: Scope, left: ast.AST, right: ast.AST) -> tuple[int, int, int, int]:
    """The text between two nodes (an operator)."""
    start, end = scope.site(left, ""), scope.site(right, "")
    return start.end_line, start.end_column, end.line, end.column


def is_max_of(scope: Scope, node: ast.AST, window: ast.AST) -> bool:
    """Whether ``node`` is ``np.max(window)`` or ``window.max()``."""
    if not (isinstance(node, ast.Call) and called(node) in ("max", "amax")):
        return False
    func = node.func
    of = func.value if isinstance(func, ast.Attribute) and scope.text(func.value) not in ("np", "numpy") else \
        node.args[0] if node.args else None
    return of is not None and scope.text(of) == scope.text(window)


def average(scope: Scope) -> Iterator[Rewrite]:
    """An average not divided by the window size (or divided twice), and a sum where the mean is needed."""
    height, width = scope.kernel_names(HEIGHT), scope.kernel_names(OTHER[HEIGHT])
    if height and width:
        size = f"({height[0]} * {width[0]})"
        for node in itertools.chain(scope.nodes(ast.Assign), scope.nodes(ast.AugAssign)):
            target = node.targets[0] if isinstance(node, ast.Assign) else node.target
            if isinstance(target, ast.Subscript) and not any(isinstance(n, ast.Div) for n in ast.walk(node.value)):
                yield Rewrite("average not divided", f"an average divides by the window size {size}",
                              scope.where(node), (scope.site(node.value, f"{wrapped(scope, node.value)} / {size}"),))
        for node in scope.nodes(ast.BinOp):
            if isinstance(node.op, ast.Div) and any(k in scope.text(node.right) for k in height + width):
                yield Rewrite("average divided twice", "this value is divided by the window size once too often",
                              scope.where(node), (scope.site(node, scope.text(node.left)),))
            if isinstance(node.op, ast.Mult) and isinstance(node.left, ast.BinOp) and \
                    isinstance(node.left.op, ast.Div) and scope.text(node.right) in height + width:
                yield Rewrite("average divided", f"/ {scope.text(node.left.right)} * {scope.text(node.right)} "
                              f"multiplies by {scope.text(node.right)}: divide by the product in parentheses",
                              scope.where(node), (scope.site(node, f"{wrapped(scope, node.left.left)} / "
                                                                   f"({scope.text(node.left.right)} * "
                                                                   f"{scope.text(node.right)})"),))
    for call in scope.nodes(ast.Call):
        if called(call) in ("sum", "mean") and isinstance(call.func, ast.Attribute):
            other = "mean" if called(call) == "sum" else "sum"
            attribute = scope.site(call.func, f"{scope.text(call.func.value)}.{other}")
            yield Rewrite(f"{called(call)} instead of {other}", f"this should be the {other}, not the "
                          f"{called(call)}", scope.where(call), (attribute,))


def wrapped(scope: Scope, node: ast.AST) -> str:
    """A node's text, in parentheses unless it binds tighter than ``/``."""
    text = scope.text(node)
    atomic = (ast.Name, ast.Constant, ast.Call, ast.Subscript, ast.Attribute)
    return text if isinstance(node, atomic) else f"({text})"


def loop_bounds(scope: Scope) -> Iterator[Rewrite]:
    """A ``range`` bound one off."""
    for call in scope.nodes(ast.Call):
        if called(call) == "range" and isinstance(call.func, ast.Name) and call.args:
            bound = call.args[1] if len(call.args) > 1 else call.args[0]
            for step, words in ((1, "one short"), (-1, "one too far")):
                yield Rewrite("loop bound off by one", f"the loop's end is {words}", scope.where(call),
                              (scope.site(bound, shifted(scope, bound, step)),))


def output_size(scope: Scope) -> Iterator[Rewrite]:
    """An output size one off, divided with ``/`` (a float) or without the stride."""
    sized = {n.id for call in scope.nodes(ast.Call) if called(call) in ("range", "zeros", "empty", "reshape")
             for n in ast.walk(call) if isinstance(n, ast.Name)}
    for node in scope.nodes(ast.Assign):
        target = node.targets[0]
        if isinstance(target, ast.Name) and target.id in sized and scope.side(target.id):
            for step, words in ((1, "one too small"), (-1, "one too large")):
                yield Rewrite("output size off by one", f"{target.id} is {words}", scope.where(node),
                              (scope.site(node.value, shifted(scope, node.value, step)),))
    for node in scope.nodes(ast.BinOp):
        if isinstance(node.op, ast.Div) and scope.stride and scope.text(node.right) == scope.stride:
            yield Rewrite("/ instead of //", "/ makes a float: a size needs floor division //", scope.where(node),
                          (Site(*span_between(scope, node.left, node.right), " // "),))


def rounding(scope: Scope) -> Iterator[Rewrite]:
    """A size rounded up or to the nearest (``-(-a // b)``, ``math.ceil(a / b)``, ``round(a / b)``) where it must
    round down: a window that would hang over the edge does not count."""
    for node in itertools.chain(scope.nodes(ast.UnaryOp), scope.nodes(ast.Call)):
        quotient = rounded_quotient(node)
        if quotient is not None:
            yield Rewrite("rounding", "the size must round down (floor division //): a window that would hang over "
                          "the edge does not count", scope.where(node),
                          (scope.site(node, f"{wrapped(scope, quotient[0])} // {wrapped(scope, quotient[1])}"),))


def rounded_quotient(node: ast.AST) -> tuple[ast.AST, ast.AST] | None:
    """(a, b) of ``-(-a // b)``, ``ceil(a / b)`` or ``round(a / b)``; else None."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.BinOp) and \
            isinstance(node.operand.op, ast.FloorDiv) and isinstance(node.operand.left, ast.UnaryOp) and \
            isinstance(node.operand.left.op, ast.USub):
        return node.operand.left.operand, node.operand.right
    if isinstance(node, ast.Call) and called(node) in ("ceil", "round") and len(node.args) == 1 and \
            isinstance(node.args[0], ast.BinOp) and isinstance(node.args[0].op, ast.Div):
        return node.args[0].left, node.args[0].right
    return None


def dtype_kept(scope: Scope) -> Iterator[Rewrite]:
    """An output made float64 (``np.zeros(shape)``) where it must keep the input's dtype."""
    arrays = [a.arg for a in scope.tree.args.args] if isinstance(scope.tree, ast.FunctionDef) else []
    source = next((name for name in ("x", "dout", *arrays) if name in scope.names and f"{name}.shape" in
                   scope.definition.rewritten(())), None)
    if source is None:
        return
    for call in scope.nodes(ast.Call):
        keywords = {k.arg: k for k in call.keywords}
        if called(call) in ("zeros", "empty", "ones") and "dtype" not in keywords and call.args:
            yield Rewrite("float64 output", f"np.{called(call)} makes float64: keep the input's dtype "
                          f"({source}.dtype)", scope.where(call),
                          (scope.site(call.args[-1], f"{scope.text(call.args[-1])}, dtype={source}.dtype"),))
        elif "dtype" in keywords and scope.text(keywords["dtype"].value) != f"{source}.dtype":
            yield Rewrite("float64 output", f"keep the input's dtype ({source}.dtype)", scope.where(call),
                          (scope.site(keywords["dtype"].value, f"{source}.dtype"),))


def crop(scope: Scope) -> Iterator[Rewrite]:
    """dx cut out of the padded gradient with ``[pad:-pad]`` (empty when pad is 0) or ``[1:-1]``: the end must be
    the start plus the input's height or width."""
    for piece in scope.nodes(ast.Slice):
        if piece.lower is None or not is_negative(piece.upper):
            continue
        start = scope.pad if constant_int(piece.lower) == 1 and scope.pad else scope.text(piece.lower)
        side = scope.role(piece)
        for size in scope.image_names(side) if side else []:
            yield Rewrite("negative slice end", f"[{scope.text(piece.lower)}:{scope.text(piece.upper)}] is wrong for "
                          f"some paddings (empty when it is 0): end at {start} + {size}", scope.where(piece),
                          (scope.site(piece, f"{start}:{start} + {size}"),))


def is_negative(node: ast.AST | None) -> bool:
    """Whether a slice bound counts from the end: ``-pad``, ``-1``."""
    value = constant_int(node) if node is not None else None
    return value is not None and value < 0 or isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub)


def swapped_indices(scope: Scope) -> Iterator[Rewrite]:
    """An array written or read at ``[..., j, i]`` where ``[..., i, j]`` is meant (height and width swapped)."""
    for node in scope.nodes(ast.Subscript):
        if isinstance(node.slice, ast.Tuple) and len(node.slice.elts) >= 2:
            last, before = node.slice.elts[-1], node.slice.elts[-2]
            if not isinstance(last, ast.Slice) and not isinstance(before, ast.Slice):
                yield Rewrite("height and width swapped", "the last two indices are swapped", scope.where(node),
                              (Site(*span(scope, before, last), f"{scope.text(last)}, {scope.text(before)}"),))


def running_max_start(scope: Scope) -> Iterator[Rewrite]:
    """A running maximum started at a number (0, -100000) instead of minus infinity."""
    compared = {n.id for c in scope.nodes(ast.Compare) for n in ast.walk(c) if isinstance(n, ast.Name)}
    for node in scope.nodes(ast.Assign):
        target = node.targets[0]
        number = node.value.operand if isinstance(node.value, ast.UnaryOp) else node.value
        if isinstance(target, ast.Name) and target.id in compared and isinstance(number, ast.Constant) and \
                type(number.value) in (int, float):
            yield Rewrite("running maximum start", f"a running maximum must start below every value: "
                          f"{target.id} = -np.inf", scope.where(node), (scope.site(node.value, "-np.inf"),))


def shifted(scope: Scope, node: ast.AST, step: int) -> str:
    """The text of ``node + step``, folded into a constant it already adds or subtracts (``H - 1`` + 1 is ``H``)."""
    value = constant_int(node)
    if value is not None:
        return str(value + step)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)) and constant_int(node.right) is not None:
        total = constant_int(node.right) * (1 if isinstance(node.op, ast.Add) else -1) + step
        left = scope.text(node.left)
        return left if total == 0 else f"{left} + {total}" if total > 0 else f"{left} - {-total}"
    text = f"({scope.text(node)})" if isinstance(node, LOW_PRECEDENCE) else scope.text(node)
    return f"{text} + {step}" if step > 0 else f"{text} - {-step}"


RULES = (square_window, accumulate, stride_missing, slice_bounds, slice_by_kernel, flipped_kernel, padding, ties,
         average, crop, sum_axes, transposes, dtype_kept, output_size, rounding, stride_doubled, loop_bounds,
         running_max_start, swapped_indices, one_axis_name)
