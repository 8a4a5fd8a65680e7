"""The lecture's worked examples, as fixed checks of the reference, and the reference modules' own check cells."""

from __future__ import annotations

import runpy
from pathlib import Path

import numpy as np
import pytest

from reference.conv import conv_backward, conv_forward, conv_output_size
from reference.params import (
    conv2d_param_count,
    layer_output_shape,
    linear_param_count,
    model_param_count,
    receptive_field,
)
from reference.pool import avg_pool_forward, max_pool_backward, max_pool_forward

REFERENCE = Path(__file__).resolve().parents[2] / "reference"


def conv_single(image, kernel, stride=1, pad=0):
    x = np.array(image, dtype=np.float64)[None, None]
    w = np.array(kernel, dtype=np.float64)[None, None]
    out, _ = conv_forward(x, w, np.zeros(1), {"stride": stride, "pad": pad})
    return out[0, 0]


def test_vertical_edge_filter_6x6():
    image = [[3, 0, 1, 2, 7, 4], [1, 5, 8, 9, 3, 1], [2, 7, 2, 5, 1, 3],
             [0, 1, 3, 1, 7, 8], [4, 2, 1, 6, 2, 8], [2, 4, 5, 2, 3, 9]]
    expected = [[-5, -4, 0, 8], [-10, -2, 2, 3], [0, -2, -4, -7], [-3, -2, -3, -16]]
    np.testing.assert_array_equal(conv_single(image, [[1, 0, -1]] * 3), expected)


def test_2x2_kernel_4x4():
    got = conv_single([[5, 2, 3, 4], [6, 7, 8, 5], [4, 5, 4, 5], [1, 0, 2, 3]], [[1, 0], [1, -1]])
    np.testing.assert_array_equal(got, [[4, 1, 6], [5, 8, 7], [5, 3, 3]])


def test_3x3_kernel_5x5():
    image = [[3, 3, 2, 1, 0], [0, 0, 1, 3, 1], [3, 1, 2, 2, 3], [2, 0, 0, 2, 2], [2, 0, 0, 0, 1]]
    got = conv_single(image, [[0, 1, 2], [2, 2, 0], [0, 1, 2]])
    np.testing.assert_array_equal(got, [[12, 12, 17], [10, 17, 19], [9, 6, 14]])


def test_stride_2_on_7x7_gives_88_not_the_slides_83():
    image = [[2, 3, 7, 4, 6, 2, 9], [6, 6, 9, 8, 7, 4, 3], [3, 4, 8, 3, 8, 9, 7], [7, 8, 3, 6, 6, 3, 4],
             [4, 2, 1, 8, 3, 4, 6], [3, 2, 4, 1, 9, 8, 3], [0, 1, 3, 9, 2, 1, 4]]
    got = conv_single(image, [[3, 4, 4], [1, 0, 2], [-1, 0, 3]], stride=2)
    np.testing.assert_array_equal(got, [[91, 100, 88], [69, 91, 117], [44, 72, 74]])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_worked_examples_keep_float32(dtype):
    x = np.array([[5, 2, 3, 4], [6, 7, 8, 5], [4, 5, 4, 5], [1, 0, 2, 3]], dtype=dtype)[None, None]
    out, cache = conv_forward(x, np.array([[1, 0], [1, -1]], dtype=dtype)[None, None], np.zeros(1, dtype), {"stride": 1, "pad": 0})
    assert out.dtype == dtype
    np.testing.assert_array_equal(out[0, 0], [[4, 1, 6], [5, 8, 7], [5, 3, 3]])
    assert all(g.dtype == dtype for g in conv_backward(np.ones_like(out), cache))


def test_max_pool_2x2_stride_2():
    x = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], dtype=np.float64)[None, None]
    out, cache = max_pool_forward(x, {"pool_height": 2, "pool_width": 2, "stride": 2})
    np.testing.assert_array_equal(out[0, 0], [[6, 8], [3, 4]])
    dx = max_pool_backward(np.ones_like(out), cache)
    np.testing.assert_array_equal(dx[0, 0], [[0, 0, 0, 0], [0, 1, 0, 1], [1, 0, 0, 0], [0, 0, 0, 1]])
    avg, _ = avg_pool_forward(x, {"pool_height": 2, "pool_width": 2, "stride": 2})
    np.testing.assert_array_equal(avg[0, 0], [[3.25, 5.25], [2, 2]])


def test_output_sizes():
    assert conv_output_size(10, 3, stride=2) == 4
    assert conv_output_size(32, 5, pad=2, stride=1) == 32
    assert conv_output_size(7, 3, stride=3) == 2  # does not divide: rounds down, last column ignored
    with pytest.raises(ValueError):
        conv_output_size(2, 3)


def test_parameter_counts_of_filters():
    assert conv2d_param_count(3, 10, 5) == 760
    assert conv2d_param_count(3, 10, 3) == 280


KERAS_MNIST = [("conv", 32, 3, 1, 1), ("relu",), ("maxpool", 2, 2), ("conv", 64, 3, 1, 1), ("relu",),
               ("maxpool", 2, 2), ("flatten",), ("linear", 64), ("relu",), ("linear", 10)]
MLP = [("flatten",), ("linear", 512), ("relu",), ("dropout", 0.2), ("linear", 512), ("relu",), ("dropout", 0.2), ("linear", 10)]
LENET5 = [("conv", 6, 5, 1, 2), ("relu",), ("maxpool", 2, 2), ("conv", 16, 5, 1, 0), ("relu",), ("maxpool", 2, 2),
          ("flatten",), ("linear", 120), ("relu",), ("linear", 84), ("relu",), ("linear", 10)]
# The lecture's CIFAR-10 model (Udacity AIND): Keras 'same' padding of a 2x2 kernel pads (0, 1);
# symmetric pad 1 gives 33x33, and the 2x2 pooling rounds down to the same 16x16.
CIFAR = [("conv", 16, 2, 1, 1), ("relu",), ("maxpool", 2, 2), ("conv", 32, 2, 1, 1), ("relu",), ("maxpool", 2, 2),
         ("conv", 64, 2, 1, 1), ("relu",), ("maxpool", 2, 2), ("dropout", 0.3), ("flatten",),
         ("linear", 500), ("relu",), ("dropout", 0.4), ("linear", 10)]
# The cifar10_cnn.py example that ships with Keras, for contrast.
KERAS_CIFAR10_CNN = [("conv", 32, 3, 1, 1), ("relu",), ("conv", 32, 3, 1, 0), ("relu",), ("maxpool", 2, 2), ("dropout", 0.25),
                     ("conv", 64, 3, 1, 1), ("relu",), ("conv", 64, 3, 1, 0), ("relu",), ("maxpool", 2, 2), ("dropout", 0.25),
                     ("flatten",), ("linear", 512), ("relu",), ("dropout", 0.5), ("linear", 10)]


def test_keras_mnist_cnn():
    assert conv2d_param_count(1, 32, 3) == 320
    assert conv2d_param_count(32, 64, 3) == 18_496
    assert layer_output_shape((64, 14, 14), ("maxpool", 2, 2)) == (64, 7, 7)
    assert linear_param_count(7 * 7 * 64, 64) == 200_768
    assert linear_param_count(64, 10) == 650
    assert model_param_count((1, 28, 28), KERAS_MNIST) == 220_234


def test_mlp():
    assert model_param_count((1, 28, 28), MLP) == 669_706


def test_lenet5():
    assert model_param_count((1, 28, 28), LENET5) == 61_706


def test_cifar_model():
    shapes, shape = [], (3, 32, 32)
    for layer in CIFAR:
        shape = layer_output_shape(shape, layer)
        shapes.append(shape)
    assert (16, 16, 16) in shapes and (32, 8, 8) in shapes and (64, 4, 4) in shapes and (1024,) in shapes
    assert model_param_count((3, 32, 32), CIFAR) == 528_054
    assert model_param_count((3, 32, 32), [tuple(layer[:4]) + (0,) if layer[0] == "conv" else layer for layer in CIFAR]) == 304_054
    assert model_param_count((3, 32, 32), KERAS_CIFAR10_CNN) == 1_250_858


def test_receptive_field_three_3x3():
    assert receptive_field([("conv", 8, 3, 1, 1)] * 3) == 7


@pytest.mark.parametrize("module", ["conv", "pool", "params", "im2col"])
def test_check_cells_pass(module, capsys):
    """Running a reference module as a script runs its check cells, which assert the worked examples."""
    runpy.run_path(str(REFERENCE / f"{module}.py"), run_name="__main__")
    assert "OK" in capsys.readouterr().out
