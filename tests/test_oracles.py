"""The two oracles agree, so a student's local verdict (PyTorch oracle) equals the official one (reference)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings

from grader.oracles import ReferenceOracle, TorchOracle, choose_oracle
from grader.suites.params import layer_cases, models, receptive_stacks
from grader.suites.strategies import ConvCase, PoolCase, conv_cases, pool_cases

REFERENCE, TORCH = choose_oracle("reference"), TorchOracle()
AGREE = settings(max_examples=40, deadline=None, database=None, derandomize=True)


def test_auto_prefers_the_reference_when_it_is_installed() -> None:
    assert isinstance(choose_oracle("auto"), ReferenceOracle) and isinstance(REFERENCE, ReferenceOracle)
    assert type(choose_oracle("pytorch")) is TorchOracle


def assert_same(a: np.ndarray, b: np.ndarray) -> None:
    assert a.dtype == b.dtype and a.shape == b.shape
    np.testing.assert_allclose(a, b, rtol=1e-6 if a.dtype == np.float32 else 1e-12, atol=1e-6)


@AGREE
@given(conv_cases())
def test_conv_forward_agrees(case: ConvCase) -> None:
    args = (case.x, case.w, case.b, case.stride, case.pad)
    assert_same(REFERENCE.conv_forward(*args), TORCH.conv_forward(*args))
    assert_same(REFERENCE.zero_pad(case.x, case.pad), TORCH.zero_pad(case.x, case.pad))
    n, f = case.x.shape[2], case.w.shape[2]
    assert REFERENCE.conv_output_size(n, f, case.pad, case.stride) == TORCH.conv_output_size(n, f, case.pad, case.stride)


@AGREE
@given(pool_cases(distinct=True))
def test_pooling_agrees(case: PoolCase) -> None:
    args = (case.x, case.pool_height, case.pool_width, case.stride)
    assert_same(REFERENCE.max_pool_forward(*args), TORCH.max_pool_forward(*args))
    assert_same(REFERENCE.avg_pool_forward(*args), TORCH.avg_pool_forward(*args))


@AGREE
@given(models())
def test_model_counts_and_shapes_agree(model) -> None:
    shape, layers = model
    assert REFERENCE.model_param_count(shape, layers) == TORCH.model_param_count(shape, layers)
    assert REFERENCE.receptive_field(layers) == TORCH.receptive_field(layers)


@AGREE
@given(layer_cases())
def test_layer_shapes_agree(case) -> None:
    assert REFERENCE.layer_output_shape(*case.args) == TORCH.layer_output_shape(*case.args)


@AGREE
@given(receptive_stacks())
def test_receptive_fields_agree(case) -> None:
    assert REFERENCE.receptive_field(*case.args) == TORCH.receptive_field(*case.args)
