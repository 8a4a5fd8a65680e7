"""The live line while a submission's checks run: which check runs, how many are done.

The runner reports through a callback (``OnProgress``) and knows nothing of screens. ``LiveLine`` shows it, redrawn
every second so that a long check (a training run) shows its time going by: on a terminal's stderr
(``TerminalLine``), or in a notebook's display updated in place (grader.notebook).
"""

from __future__ import annotations

import abc
import os
import threading
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Callable, TextIO

TICK_SECONDS = 1.0


@dataclass(frozen=True)
class Progress:
    """Where a grade is: ``done`` of ``total`` checks finished, and what runs now."""

    assignment: str
    done: int
    total: int
    now: str

    def line(self, seconds: float) -> str:
        """One line of plain text, what matters first (a terminal cuts the end): 'conv: 3/12 checks done [4 s]
        running: conv_forward keeps ...', with the seconds spent on what runs now."""
        return f"{self.assignment}: {self.done}/{self.total} checks done [{seconds:.0f} s] {self.now}"


OnProgress = Callable[[Progress], None]


def running(titles: list[str]) -> str:
    """What runs now, for checks that run together on one stream of inputs."""
    more = f" (with {len(titles) - 1} more on the same inputs)" if len(titles) > 1 else ""
    return f"running{more}: {titles[0]}"


class LiveLine(abc.ABC):
    """A progress line redrawn when the grade moves on and every second in between (the step's time counts up);
    ``show`` puts a line on the screen. Used as a context manager around the grade: it ends with ``close``."""

    def __init__(self) -> None:
        self.progress: Progress | None = None
        self.since = self.started = time.monotonic()
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.ticker = threading.Thread(target=self.tick, name="grader-progress", daemon=True)

    @abc.abstractmethod
    def show(self, text: str) -> None:
        """Put ``text`` on the screen in place of the line shown before (a terminal or a notebook output)."""

    def close(self) -> None:
        """What the line becomes once the grade is over."""

    def __call__(self, progress: Progress) -> None:
        with self.lock:
            self.progress, self.since = progress, time.monotonic()
            self.show(progress.line(0))

    def tick(self) -> None:
        while not self.stopped.wait(TICK_SECONDS):
            with self.lock:
                if self.progress is not None:
                    self.show(self.progress.line(time.monotonic() - self.since))

    def __enter__(self) -> LiveLine:
        self.ticker.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stopped.set()
        self.ticker.join()
        with self.lock:
            self.close()


class TerminalLine(LiveLine):
    """The line on a terminal (only ever given a stream that is one): redrawn in place, cut to the terminal's width
    so it never wraps, and erased at the end so the report starts on a clean line."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self.stream = stream

    def show(self, text: str) -> None:
        self.stream.write(f"\r\x1b[K{text[:self.width() - 1]}")
        self.stream.flush()

    def width(self) -> int:
        """The terminal's width now (it may be resized), 80 where it does not say."""
        try:
            return os.get_terminal_size(self.stream.fileno()).columns or 80
        except (OSError, ValueError, AttributeError):
            return 80

    def close(self) -> None:
        self.stream.write("\r\x1b[K")
        self.stream.flush()
