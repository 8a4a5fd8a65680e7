"""What a function's code says, read off its syntax tree for the rewrite rules: each node's parent, the names it
binds, its loops, which names stand for a height and which for a width (and each one's partner on the other
axis), which of them size the kernel or window, and how it spells the stride and the padding.

Heuristic by nature: a wrong guess only adds a candidate that fails its checks.
"""

from __future__ import annotations

import ast
import functools
import re
from collections import Counter
from typing import Iterator

from grader.repair.source import Definition, Site, site

HEIGHT, WIDTH = "height", "width"
OTHER = {HEIGHT: WIDTH, WIDTH: HEIGHT}
# How a height name becomes its width partner: HH -> WW, H_out -> W_out, pool_height -> pool_width, kh -> kw.
SPELLINGS = (("height", "width"), ("Height", "Width"), ("rows", "cols"), ("row", "col"), ("H", "W"), ("h", "w"))
WINDOW_KEYS = {"pool_height": HEIGHT, "pool_width": WIDTH}
KERNEL_ARRAY = re.compile(r"^(w|W|weights?|filters?|kernels?|k)(_\w*)?$")


class Scope:
    """The facts the rules read about one definition."""

    def __init__(self, definition: Definition) -> None:
        self.definition = definition
        self.tree = definition.node
        self.parents = {child: parent for parent in ast.walk(self.tree) for child in ast.iter_child_nodes(parent)}
        self.names = {n.id for n in ast.walk(self.tree) if isinstance(n, ast.Name)} | {
            a.arg for a in ast.walk(self.tree) if isinstance(a, ast.arg)}
        self.sides: dict[str, str] = {}
        self.partners: dict[str, str] = {}
        self.kernel: set[str] = set()
        self.image: set[str] = set()
        self._read_bindings()
        self._pair_by_spelling()

    # --- text and places -------------------------------------------------------------------------------------

    def text(self, node: ast.AST) -> str:
        return self.definition.segment(node)

    def site(self, node: ast.AST, text: str) -> Site:
        return site(self.definition.lines, node, text)

    def where(self, node: ast.AST) -> str:
        return self.definition.where(node.lineno)

    @functools.cached_property
    def ordered(self) -> list[ast.AST]:
        """Every node with a place in the source, in source order."""
        found = [n for n in ast.walk(self.tree) if hasattr(n, "lineno")]
        return sorted(found, key=lambda n: (n.lineno, n.col_offset))

    def nodes(self, kind: type | tuple[type, ...]) -> Iterator:
        """Every node of a kind, in source order."""
        return (n for n in self.ordered if isinstance(n, kind))

    def loads(self, name: str) -> list[ast.Name]:
        """Every place the name is read."""
        return [n for n in self.nodes(ast.Name) if n.id == name and isinstance(n.ctx, ast.Load)]

    def inside_loop(self, node: ast.AST) -> bool:
        while node in self.parents:
            node = self.parents[node]
            if isinstance(node, (ast.For, ast.While)):
                return True
        return False

    def statement(self, node: ast.AST) -> ast.stmt:
        while not isinstance(node, ast.stmt):
            node = self.parents[node]
        return node

    # --- names of heights and widths -----------------------------------------------------------------------

    def _read_bindings(self) -> None:
        """Sides, kernel and image names from assignments: ``F, C, HH, WW = w.shape``, ``k = w.shape[2]``,
        ``ph = pool_param['pool_height']``, ``H, W = x.shape[2:]``."""
        for node in self.nodes(ast.Assign):
            for target in node.targets:
                for name, value, index, count in unpacked(target, node.value):
                    self._bind(name, value, index, count)

    def _bind(self, name: str, value: ast.AST, index: int | None, count: int) -> None:
        shape_of = array_of_shape(value)
        if shape_of is not None and index is not None and count >= 2 and index >= count - 2:
            side = HEIGHT if index == count - 2 else WIDTH
            self._note(name, side, shape_of, f"{shape_of}.shape[{-1 if side == HEIGHT else -2}]")
            return
        if isinstance(value, ast.Subscript) and array_of_shape(value.value) is not None:
            at = constant_int(value.slice)
            if at in (2, 3, -2, -1):
                side = HEIGHT if at in (2, -2) else WIDTH
                array = array_of_shape(value.value)
                self._note(name, side, array, f"{array}.shape[{OTHER_INDEX[at]}]")
            return
        key = string_key(value)
        if key in WINDOW_KEYS:
            self.sides[name], holder = WINDOW_KEYS[key], self.text(value).rsplit("[", 1)[0].rsplit(".get", 1)[0]
            self.kernel.add(name)
            other = "pool_width" if key == "pool_height" else "pool_height"
            self.partners.setdefault(name, f"{holder}['{other}']")

    def _note(self, name: str, side: str, array: str, other: str) -> None:
        self.sides[name] = side
        (self.kernel if KERNEL_ARRAY.match(array) else self.image).add(name)
        self.partners.setdefault(name, other)

    def _pair_by_spelling(self) -> None:
        """Partners whose names differ only in the axis they name (HH and WW, H_out and W_out, ph and pw)."""
        arrays = {array_of_shape(n) for n in ast.walk(self.tree)} - {None}
        for name in sorted(self.names - arrays):
            for high, wide in SPELLINGS:
                other = name.replace(high, wide)
                if other != name and other in self.names - arrays and self.sides.get(other) != HEIGHT:
                    self.partners[name], self.partners[other] = other, name
                    self.sides.setdefault(name, HEIGHT)
                    self.sides.setdefault(other, WIDTH)
                    for group in (self.kernel, self.image):
                        if name in group or other in group:
                            group.update((name, other))
                    break

    def side(self, name: str) -> str | None:
        return self.sides.get(name)

    def kernel_names(self, side: str | None = None) -> list[str]:
        """The names that size the kernel or window (of one side, when given)."""
        return sorted(n for n in self.kernel if side is None or self.sides.get(n) == side)

    def image_names(self, side: str) -> list[str]:
        return sorted(n for n in self.image if self.sides.get(n) == side)

    # --- which axis a place in the code stands for ---------------------------------------------------------

    def role(self, node: ast.AST, seen: frozenset[str] = frozenset()) -> str | None:
        """Whether an expression stands for a height or a width where it is used: the last two indices of a
        subscript or of a shape, a loop bound (by what the loop variable indexes), or the value of a height or
        width name."""
        child = node
        while child in self.parents:
            parent = self.parents[child]
            if isinstance(parent, ast.Subscript) and child is parent.slice:
                return axis_of(parent.slice, node, self.parents)
            if isinstance(parent, ast.Call) and child in parent.args and called(parent) in SHAPE_CALLS:
                return position_side(parent.args.index(child), len(parent.args))
            if isinstance(parent, ast.Tuple) and isinstance(self.parents.get(parent), ast.Call) and \
                    called(self.parents[parent]) in SHAPE_CALLS:
                return position_side(parent.elts.index(child), len(parent.elts))
            if isinstance(parent, ast.Call) and called(parent) == "range":
                loop = self.parents.get(parent)
                if isinstance(loop, ast.For) and isinstance(loop.target, ast.Name):
                    return self.variable_role(loop.target.id, seen)
                return None
            if isinstance(parent, ast.Assign) and child is parent.value:
                names = [t.id for t in parent.targets if isinstance(t, ast.Name)]
                return self.sides.get(names[0]) if names else None
            if isinstance(parent, ast.stmt):
                return None
            child = parent
        return None

    def variable_role(self, name: str, seen: frozenset[str] = frozenset()) -> str | None:
        """The axis a loop variable walks, from where it indexes arrays (most uses win)."""
        if name in seen:
            return None
        roles = Counter(r for use in self.loads(name) if (r := self.role(use, seen | {name})) is not None)
        return roles.most_common(1)[0][0] if roles else None

    def loop_variables(self) -> list[str]:
        """Variables of ``for v in range(...)`` loops, in source order."""
        return list(self.loop_ranges())

    def loop_ranges(self) -> dict[str, ast.Call]:
        """Each ``for v in range(...)`` loop's variable and its ``range`` call (the first loop, if several)."""
        ranges: dict[str, ast.Call] = {}
        for loop in self.nodes(ast.For):
            if isinstance(loop.target, ast.Name) and isinstance(loop.iter, ast.Call) and called(loop.iter) == "range":
                ranges.setdefault(loop.target.id, loop.iter)
        return ranges

    def over_kernel(self, variable: str) -> bool:
        """Whether a loop variable walks the kernel or window (``for di in range(HH)``), not the output."""
        bound = self.loop_ranges().get(variable)
        return bound is not None and any(isinstance(n, ast.Name) and n.id in self.kernel for n in ast.walk(bound))

    @functools.cached_property
    def module_names(self) -> set[str]:
        """Names the student's module binds at its top level in any cell: imports (``np``, ``nn``, ``F``), classes,
        functions and variables."""
        names: set[str] = set()
        for cell in self.definition.submission.cells:
            try:
                body = ast.parse(cell.source).body
            except (SyntaxError, ValueError):
                continue
            for node in body:
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    names |= {alias.asname or alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    names.add(node.name)
                elif isinstance(node, ast.Assign):
                    names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        return names

    # --- the stride and the padding ------------------------------------------------------------------------

    @functools.cached_property
    def stride(self) -> str | None:
        return self.parameter_spelling("stride", ("stride", "s", "step"))

    @functools.cached_property
    def pad(self) -> str | None:
        return self.parameter_spelling("pad", ("pad", "padding", "p"))

    def parameter_spelling(self, key: str, usual: tuple[str, ...]) -> str | None:
        """How this code names a conv_param/pool_param entry: the name it was read into, else the expression
        that reads it, else ``<the param dict>['key']``; None when nothing here could hold it."""
        for node in self.nodes(ast.Assign):
            for target in node.targets:
                for name, value, _, _ in unpacked(target, node.value):
                    if string_key(value) == key:
                        return name
        for node in self.nodes((ast.Subscript, ast.Call)):
            if string_key(node) == key:
                return self.text(node)
        for name in usual:
            if name in self.names:
                return name
        params = sorted(n for n in self.names if n.endswith("param") or n.endswith("params"))
        return f"{params[0]}['{key}']" if params else None


SHAPE_CALLS = {"zeros", "empty", "ones", "full", "reshape", "zeros_like", "empty_like"}
OTHER_INDEX = {2: 3, 3: 2, -2: -1, -1: -2}


def called(call: ast.Call) -> str:
    """The called function's last name: ``np.zeros(...)`` -> 'zeros', ``range(...)`` -> 'range'."""
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def unpacked(target: ast.AST, value: ast.AST) -> Iterator[tuple[str, ast.AST, int | None, int]]:
    """(name, value, index in the unpacked tuple, tuple length) for each name an assignment binds: ``a, b = x.shape``
    gives the shape with indices 0 and 1; ``a, b = p['x'], p['y']`` pairs each name with its own value."""
    if isinstance(target, ast.Name):
        yield target.id, value, None, 0
    elif isinstance(target, (ast.Tuple, ast.List)):
        values = value.elts if isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(target.elts) \
            else None
        for index, element in enumerate(target.elts):
            if isinstance(element, ast.Name):
                yield element.id, values[index] if values else value, None if values else index, len(target.elts)


def array_of_shape(node: ast.AST) -> str | None:
    """``x`` for ``x.shape`` (or ``x.shape[2:]``'s array), else None."""
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
        node = node.value
    if isinstance(node, ast.Attribute) and node.attr == "shape" and isinstance(node.value, ast.Name):
        return node.value.id
    return None


def constant_int(node: ast.AST) -> int | None:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant) \
            and type(node.operand.value) is int:
        return -node.operand.value
    return None


def string_key(node: ast.AST) -> str | None:
    """'stride' for ``p['stride']`` or ``p.get('stride', 1)``; else None."""
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
        return node.slice.value
    if isinstance(node, ast.Call) and called(node) == "get" and node.args and isinstance(node.args[0], ast.Constant) \
            and isinstance(node.args[0].value, str):
        return node.args[0].value
    return None


def axis_of(index: ast.AST, node: ast.AST, parents: dict) -> str | None:
    """The side of the index element holding ``node``: the last two elements of a tuple index are height and
    width."""
    if not isinstance(index, ast.Tuple):
        return None
    child = node
    while parents.get(child) is not index:
        child = parents[child]
    return position_side(index.elts.index(child), len(index.elts))


def position_side(position: int, count: int) -> str | None:
    if count < 2:
        return None
    return HEIGHT if position == count - 2 else WIDTH if position == count - 1 else None
