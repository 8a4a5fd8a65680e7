# Attack: while the grader loads the code, forge the reply to the load (written straight on the sandbox's
# reply pipe): it claims every function is defined, with cell errors that are not descriptions, then exits.
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


_forge({"ok": True, "cell_errors": [{"label": 1}], "names": {"conv2d_param_count": "function",
        "linear_param_count": "function", "layer_output_shape": "function", "model_param_count": "function",
        "receptive_field": "function"}})
