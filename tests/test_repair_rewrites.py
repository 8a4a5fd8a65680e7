"""The repair engine's error model (grader.repair.rewrites and its rules) and its handling of source text: which
rewrites a function's code gets, and what each one makes of it. Parsing only: nothing here runs student code."""

from __future__ import annotations

import textwrap
import tomllib
from pathlib import Path

import pytest

from grader.repair.array_rules import RULES as ARRAY_RULES
from grader.repair.rewrites import parses, rewrites
from grader.repair.source import find_definition
from grader.repair.torch_rules import RULES as TORCH_RULES
from grader.submission import SourceCell, Submission, load_submission

CORPUS = Path(__file__).parent / "fixtures" / "repairs"


def submission(*sources: str, name: str = "hw.py") -> Submission:
    cells = tuple(SourceCell(textwrap.dedent(source), f"{name}, cell {i + 1}" if len(sources) > 1 else name, 1)
                  for i, source in enumerate(sources))
    return Submission(Path(name), "ipynb" if len(sources) > 1 else "py", cells, "0")


def proposed(source: str, function: str, rules=ARRAY_RULES) -> list[tuple[str, str]]:
    """Each rewrite's rule and the function's code after it, lines stripped."""
    definition = find_definition(submission(source), function)
    return [(r.rule, "\n".join(line.strip() for line in definition.rewritten(r.sites).splitlines()))
            for r in rewrites(definition, rules)]


def repairs_with(source: str, function: str, rule: str, *lines: str, rules=ARRAY_RULES) -> bool:
    """Whether one rewrite of ``rule`` gives code holding every line of ``lines``."""
    return any(kind == rule and all(line in code.splitlines() for line in lines)
               for kind, code in proposed(source, function, rules))


LOOPS = """
    import numpy as np

    def conv_forward(x, w, b, conv_param):
        stride, pad = conv_param['stride'], conv_param['pad']
        N, C, H, W = x.shape
        F, _, HH, WW = w.shape
        H_out = 1 + (H + 2 * pad - HH) // stride
        W_out = 1 + (W + 2 * pad - HH) // stride
        x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
        out = np.zeros((N, F, H_out, W_out), dtype=x.dtype)
        for n in range(N):
            for f in range(F):
                for i in range(H_out):
                    for j in range(W_out):
                        window = x_pad[n, :, i:i + HH, j:j + HH]
                        out[n, f, i, j] = np.sum(window * w[f, :, ::-1, ::-1]) + b[f]
        return out, (x, w, b, conv_param)
"""


def test_a_square_kernel_is_one_rewrite_of_every_place_that_needs_the_width() -> None:
    assert repairs_with(LOOPS, "conv_forward", "square kernel", "W_out = 1 + (W + 2 * pad - WW) // stride",
                        "window = x_pad[n, :, i:i + HH, j:j + WW]")


def test_a_name_swapped_with_its_partner_everywhere_is_one_rewrite() -> None:
    source = """
        def conv_forward(x, w, b, conv_param):
            N, C, H, W = x.shape
            F, _, kh, kw = w.shape
            oh = (W - kw) + 1
            ow = (H - kh) + 1
            return oh, ow
    """
    assert repairs_with(source, "conv_forward", "square kernel", "oh = (H - kw) + 1", "ow = (W - kh) + 1")


def test_the_stride_goes_on_window_starts_and_never_on_output_positions() -> None:
    fixed = "window = x_pad[n, :, i * stride:i * stride + HH, j * stride:j * stride + HH]"
    assert repairs_with(LOOPS, "conv_forward", "stride missing", fixed, "out[n, f, i, j] = np.sum(window * w[f, :, "
                                                                        "::-1, ::-1]) + b[f]")
    assert not any("out[n, f, i * stride" in code for _, code in proposed(LOOPS, "conv_forward"))


def test_a_stride_the_function_never_reads_is_read_from_its_parameters() -> None:
    source = """
        def conv_backward(dout, cache):
            x, w, b, conv_param = cache
            F, C, HH, WW = w.shape
            dx = 0 * x
            for i in range(dout.shape[2]):
                for di in range(HH):
                    dx[0, 0, i + di, 0] += dout[0, 0, i, 0]
            return dx
    """
    assert repairs_with(source, "conv_backward", "stride missing",
                        "dx[0, 0, i * conv_param['stride'] + di, 0] += dout[0, 0, i, 0]")
    assert not any("di * conv_param" in code for _, code in proposed(source, "conv_backward"))


def test_a_flipped_kernel_reads_it_as_it_is_in_both_spellings() -> None:
    assert repairs_with(LOOPS, "conv_forward", "flipped kernel", "out[n, f, i, j] = np.sum(window * w[f, :, :, :]) + b[f]")
    mirrored = """
        def conv_forward(x, w, b, conv_param):
            HH, WW = w.shape[2], w.shape[3]
            for di in range(HH):
                for dj in range(WW):
                    out = x[0, 0, di, dj] * w[0, 0, HH - 1 - di, WW - dj - 1]
            return out
    """
    assert repairs_with(mirrored, "conv_forward", "flipped kernel", "out = x[0, 0, di, dj] * w[0, 0, di, dj]")


POOL_BACKWARD = """
    import numpy as np

    def max_pool_backward(dout, cache):
        x, pool_param = cache
        ph, pw, stride = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
        dx = np.zeros(x.shape)
        for i in range(dout.shape[2]):
            for j in range(dout.shape[3]):
                window = x[0, 0, i * stride:i * stride + ph, j * stride:j * stride + pw]
                mask = window == np.max(window)
                dx[0, 0, i * stride:i * stride + ph, j * stride:j * stride + pw] = mask * dout[0, 0, i, j]
        return dx
"""


def test_assignment_inside_a_loop_can_become_accumulation() -> None:
    assert repairs_with(POOL_BACKWARD, "max_pool_backward", "= instead of +=",
                        "dx[0, 0, i * stride:i * stride + ph, j * stride:j * stride + pw] += mask * dout[0, 0, i, j]")


def test_a_mask_of_every_tied_maximum_becomes_the_first_maximum_only() -> None:
    assert repairs_with(POOL_BACKWARD, "max_pool_backward", "ties to every maximum",
                        "mask = np.arange(window.size).reshape(window.shape) == np.argmax(window)")


def test_outputs_made_float64_keep_the_input_dtype() -> None:
    assert repairs_with(POOL_BACKWARD, "max_pool_backward", "float64 output", "dx = np.zeros(x.shape, dtype=x.dtype)")


def test_slice_bounds_move_by_one_and_fold_into_a_constant() -> None:
    source = """
        def f(x, HH):
            return x[0:HH - 1]
    """
    assert repairs_with(source, "f", "slice off by one", "return x[0:HH]")


@pytest.mark.parametrize("wrong, right", [("axis=0", "axis=(0, 2, 3)"), ("axis=(2, 3)", "axis=(0, 2, 3)")])
def test_a_sum_over_the_wrong_axes_gets_the_others(wrong: str, right: str) -> None:
    source = f"""
        def conv_backward(dout, cache):
            return dout.sum({wrong})
    """
    assert repairs_with(source, "conv_backward", "sum over the wrong axes", f"return dout.sum({right})")


def test_a_crop_with_a_negative_end_becomes_start_plus_the_input_size() -> None:
    source = """
        def conv_backward(dout, cache):
            x, pad = cache
            N, C, H, W = x.shape
            dx_pad = dout
            return dx_pad[:, :, pad:-pad, pad:-pad]
    """
    assert repairs_with(source, "conv_backward", "negative slice end", "return dx_pad[:, :, pad:pad + H, pad:-pad]")


def test_an_average_is_divided_by_the_window_and_its_precedence_fixed() -> None:
    source = """
        def avg_pool_forward(x, pool_param):
            HH, WW = pool_param['pool_height'], pool_param['pool_width']
            out = x * 0
            out[0] = x.sum()
            out[1] = x.sum() / HH * WW
            return out
    """
    assert repairs_with(source, "avg_pool_forward", "average not divided", "out[0] = x.sum() / (HH * WW)")
    assert repairs_with(source, "avg_pool_forward", "average divided", "out[1] = x.sum() / (HH * WW)")


def test_a_size_rounded_up_rounds_down() -> None:
    source = """
        import math

        def conv_output_size(n, f, pad=0, stride=1):
            return math.ceil((n + 2 * pad - f) / stride) + 1
    """
    assert repairs_with(source, "conv_output_size", "rounding", "return (n + 2 * pad - f) // stride + 1")


@pytest.mark.parametrize("line, fixed", [("x_pad = zero_pad(zero_pad(x, pad), pad)", "x_pad = zero_pad(x, pad)"),
                                         ("x_pad = zero_pad(x, pad)", "return x_pad[0, 0] + x_pad[0, 0]")])
def test_padding_applied_twice_or_never(line: str, fixed: str) -> None:
    source = f"""
        def conv_forward(x, w, b, conv_param):
            pad = conv_param['pad']
            {line}
            return x[0, 0] + x_pad[0, 0]
    """
    assert repairs_with(source, "conv_forward", "padding", fixed)


LENET = """
    import torch
    from torch import nn
    import torch.nn.functional as F

    class LeNet5(nn.Module):
        def __init__(self, num_classes=10, in_channels=1):
            super().__init__()
            self.conv1 = nn.Conv2d(in_channels, 6, 5)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            x = F.avg_pool2d(torch.tanh(self.conv1(x)), 2)
            x = F.avg_pool2d(torch.tanh(self.conv2(x)), 2)
            x = x.view(-1, 400)
            x = self.fc1(x)
            x = self.fc2(x)
            x = self.fc3(x)
            return F.log_softmax(x, dim=1)
"""


def test_lenet_rewrites_activations_and_pooling_everywhere_at_once() -> None:
    assert repairs_with(LENET, "LeNet5", "activation", "x = F.avg_pool2d(torch.relu(self.conv1(x)), 2)",
                        "x = F.avg_pool2d(torch.relu(self.conv2(x)), 2)", rules=TORCH_RULES)
    assert repairs_with(LENET, "LeNet5", "pooling", "x = F.max_pool2d(torch.tanh(self.conv1(x)), 2)",
                        "x = F.max_pool2d(torch.tanh(self.conv2(x)), 2)", rules=TORCH_RULES)


def test_lenet_returns_logits_and_pads_conv1() -> None:
    assert repairs_with(LENET, "LeNet5", "softmax output", "return x", rules=TORCH_RULES)
    assert repairs_with(LENET, "LeNet5", "conv padding", "self.conv1 = nn.Conv2d(in_channels, 6, 5, padding=2)",
                        rules=TORCH_RULES)


def test_missing_relus_are_added_but_never_on_the_output_layer() -> None:
    assert repairs_with(LENET, "LeNet5", "missing activation", "x = F.relu(self.fc1(x))", "x = F.relu(self.fc2(x))",
                        "x = self.fc3(x)", rules=TORCH_RULES)
    assert not any("relu(self.fc3" in code for _, code in proposed(LENET, "LeNet5", TORCH_RULES))


def test_a_constant_where_the_constructor_argument_belongs() -> None:
    assert repairs_with(LENET, "LeNet5", "constant for an argument", "self.fc3 = nn.Linear(84, num_classes)",
                        rules=TORCH_RULES)


def test_a_softmax_layer_leaves_a_sequential_with_its_comma() -> None:
    source = """
        from torch import nn

        class LeNet5(nn.Module):
            def __init__(self):
                super().__init__()
                self.classifier = nn.Sequential(nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10), nn.Softmax(dim=1))
    """
    assert repairs_with(source, "LeNet5", "softmax output",
                        "self.classifier = nn.Sequential(nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))",
                        rules=TORCH_RULES)


FIT = """
    import torch

    def fit(model, train_loader, device, epochs):
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        losses = []
        for _ in range(epochs):
            total = 0.0
            for images, labels in train_loader:
                loss = torch.nn.functional.cross_entropy(model(images), labels)
                loss.backward()
                optimizer.step()
                total = loss.item()
            losses.append(total / len(train_loader))
        return losses
"""


def test_a_fit_that_never_sums_its_loss_and_never_zeroes_gradients() -> None:
    assert repairs_with(FIT, "fit", "= instead of +=", "total += loss.item()", rules=TORCH_RULES)
    definition = find_definition(submission(FIT), "fit")
    [zeroed] = [r for r in rewrites(definition, TORCH_RULES) if r.rule == "zero_grad missing"]
    lines = definition.rewritten(zeroed.sites).splitlines()
    assert lines[lines.index("            loss.backward()") - 1] == "            optimizer.zero_grad()"
    assert repairs_with(FIT, "fit", "averaged over the wrong count", "losses.append(total / len(train_loader.dataset))",
                        rules=TORCH_RULES)


def test_a_training_loop_under_no_grad_gets_its_gradients_back_and_an_evaluation_loop_keeps_its_no_grad() -> None:
    trains = FIT.replace("        for _ in range(epochs):\n", "        for _ in range(epochs):\n          with torch.no_grad():\n")
    assert repairs_with(trains, "fit", "training without gradients", "with torch.enable_grad():", rules=TORCH_RULES)
    evaluates = """
        import torch

        def evaluate(model, loader, device):
            with torch.no_grad():
                return sum((model(x).argmax(1) == y).sum().item() for x, y in loader) / len(loader.dataset)
    """
    assert "training without gradients" not in {rule for rule, _ in proposed(evaluates, "evaluate", TORCH_RULES)}


def test_a_learning_rate_becomes_the_one_the_train_check_recommends() -> None:
    assert repairs_with(FIT, "fit", "learning rate", "optimizer = torch.optim.SGD(model.parameters(), lr=0.02, "
                        "momentum=0.9)", rules=TORCH_RULES)
    adam = FIT.replace("torch.optim.SGD(model.parameters(), lr=0.1)", "torch.optim.Adam(model.parameters(), 0.1)")
    assert repairs_with(adam, "fit", "learning rate", "optimizer = torch.optim.Adam(model.parameters(), 1e-3)",
                        rules=TORCH_RULES)
    kept = FIT.replace("lr=0.1)", "lr=0.5, momentum=0.8)")
    assert repairs_with(kept, "fit", "learning rate", "optimizer = torch.optim.SGD(model.parameters(), lr=0.02, "
                        "momentum=0.8)", rules=TORCH_RULES)


def test_every_rewrite_of_the_corpus_parses_and_changes_the_code() -> None:
    for entry in tomllib.loads((CORPUS / "corpus.toml").read_text())["wrong"]:
        definition = find_definition(load_submission(CORPUS / entry["file"], entry["assignment"]), entry["function"])
        rules = TORCH_RULES if entry["assignment"] in ("lenet", "train") else ARRAY_RULES
        codes = [definition.rewritten(r.sites) for r in rewrites(definition, rules)]
        assert codes and all(parses(code) for code in codes), entry["file"]
        assert len(set(codes)) == len(codes) and definition.rewritten(()) not in codes, entry["file"]


def test_a_hint_names_the_notebook_cell_and_its_line() -> None:
    notebook = submission("import numpy as np\n", "\n\ndef f(x):\n    return x[0:1]\n", name="hw.ipynb")
    definition = find_definition(notebook, "f")
    [shorter] = [r for r in rewrites(definition, ARRAY_RULES) if r.says == "the slice's end is one too far"]
    assert shorter.where == "hw.ipynb, cell 2, line 4"


def test_the_diff_numbers_lines_as_in_the_file_and_the_last_definition_wins() -> None:
    source = "def f(x):\n    return 1\n\n\ndef f(x):\n    return x[0:1]\n"
    definition = find_definition(submission(source), "f")
    assert definition.node.lineno == 5
    [longer] = [r for r in rewrites(definition, ARRAY_RULES) if r.says == "the slice's end is one short"]
    diff = definition.diff(longer.sites).splitlines()
    assert diff[2] == "@@ -5,3 +5,3 @@" and "-    return x[0:1]" in diff and "+    return x[0:2]" in diff


def test_columns_count_characters_where_the_line_holds_other_scripts() -> None:
    source = 'def f(x):\n    return "é→ü" + x[0:1]\n'
    definition = find_definition(submission(source), "f")
    codes = [definition.rewritten(r.sites) for r in rewrites(definition, ARRAY_RULES)]
    assert 'def f(x):\n    return "é→ü" + x[0:2]' in codes
