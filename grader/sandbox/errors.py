"""The one exception the sandbox raises for anything a student's code did instead of returning."""

from __future__ import annotations


class StudentCodeError(Exception):
    """A call into student code did not return a value.

    ``kind`` says why: ``exception`` (it raised), ``memory`` (MemoryError),
    ``timeout``, ``crash`` (the process died), ``flood`` (it printed too much),
    ``missing`` (no such function), ``invalid`` (unreadable data). ``message``
    is the sentence the student reads.
    """

    def __init__(self, kind: str, message: str, traceback: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.traceback = traceback

    @property
    def aborts_check(self) -> bool:
        """Timeouts, crashes, floods of output and memory exhaustion stop a check at once: each retry would cost
        seconds."""
        return self.kind in ("timeout", "crash", "memory", "flood")


class SandboxStartError(RuntimeError):
    """The child process could not start: a problem with the grader's installation, never the student's."""
