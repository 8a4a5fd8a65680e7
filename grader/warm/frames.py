"""The messages between a client and the warm grader: JSON objects, each after its length (4 bytes, big-endian),
and who is at the other end of the socket (the kernel's word for it, ``SO_PEERCRED``, not anything sent)."""

from __future__ import annotations

import json
import socket
import struct
from typing import Any

LENGTH = struct.Struct(">I")
LARGEST = 512 * 1024 * 1024  # a report with its plots is a few MB; anything near this is not a message of ours
CREDENTIALS = struct.Struct("3i")  # struct ucred: pid, uid, gid


class FrameError(Exception):
    """The other end hung up, went silent for too long, or sent something that is not a message."""


class Silent(FrameError):
    """Nothing came from the other end in the time given."""


def send(connection: socket.socket, message: dict[str, Any]) -> None:
    data = json.dumps(message).encode()
    connection.sendall(LENGTH.pack(len(data)) + data)


def receive(connection: socket.socket, seconds: float | None) -> dict[str, Any]:
    """The next message; FrameError if none comes within ``seconds`` (None: wait), or on a hang-up or garbage."""
    connection.settimeout(seconds)
    (size,) = LENGTH.unpack(_exactly(connection, LENGTH.size))
    if size > LARGEST:
        raise FrameError(f"a message of {size:,} bytes")
    try:
        message = json.loads(_exactly(connection, size))
    except ValueError as error:
        raise FrameError(f"a message that is not JSON ({error})") from None
    if not isinstance(message, dict):
        raise FrameError("a message that is not a JSON object")
    return message


def _exactly(connection: socket.socket, size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        try:
            chunk = connection.recv(min(size - len(data), 1 << 20))
        except socket.timeout:
            raise Silent("no answer in time") from None
        except OSError as error:
            raise FrameError(f"the connection failed ({error})") from None
        if not chunk:
            raise FrameError("the other end hung up")
        data += chunk
    return bytes(data)


def peer(connection: socket.socket) -> tuple[int, int]:
    """(pid, uid) of the process at the other end of a Unix socket, as the kernel recorded them at connect time."""
    pid, uid, _ = CREDENTIALS.unpack(connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, CREDENTIALS.size))
    return pid, uid
