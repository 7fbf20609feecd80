"""Node processes started ahead of need, so that a program does not wait for Node to boot.

Each process is started exactly as for a cold run (fresh directory, empty environment, limits,
flags, the harness loaded and its context built) and then blocks reading its program from stdin.
A run takes one, hands it the program, and the process is gone afterwards: no process ever serves
two programs. A single long-lived thread starts the replacements, off the request's path; it must
outlive them, because the kernel kills each child when the thread that started it exits.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from chalicelib.constants import WARM_RETRY_PAUSE_S
from chalicelib.logs import get_logger

if TYPE_CHECKING:
    from chalicelib.domain import Limits
    from chalicelib.sandbox import StartedProcess

log = get_logger("sandbox")


class WarmPool:
    """Up to ``size`` started processes for one memory limit (the one limit fixed when a process
    starts; the others come with each program)."""

    def __init__(self, start: Callable[[Limits], StartedProcess], limits: Limits, size: int) -> None:
        self.start = start
        self.limits = limits
        self.size = size
        self._ready: deque[StartedProcess] = deque()
        self._wanted = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._refill, name="warm-pool", daemon=True)
        self._thread.start()

    def take(self, limits: Limits) -> StartedProcess | None:
        """A ready process for this memory limit, or None (then the caller starts one)."""
        if limits.memory_mb != self.limits.memory_mb:
            return None
        dead = []
        try:
            with self._wanted:
                while self._ready:
                    candidate = self._ready.popleft()
                    self._wanted.notify()
                    if candidate.alive:
                        return candidate
                    dead.append(candidate)
            return None
        finally:
            for started in dead:  # killed and cleaned up outside the lock
                started.discard()

    def close(self) -> None:
        """Stop starting processes, discard the ready ones (and their directories), and wait for
        the starting thread to end."""
        with self._wanted:
            self._closed = True
            ready, self._ready = list(self._ready), deque()
            self._wanted.notify_all()
        for started in ready:
            started.discard()
        if self._thread is not threading.current_thread():
            self._thread.join()

    def _refill(self) -> None:
        while True:
            with self._wanted:
                while len(self._ready) >= self.size and not self._closed:
                    self._wanted.wait()
                if self._closed:
                    return
            try:
                started = self.start(self.limits)
            except Exception as exc:  # runtime missing or no resources: cold runs will say so
                log.warning("warm_start_failed", extra={"error": str(exc)})
                with self._wanted:  # a pause that close() cuts short
                    if not self._closed:
                        self._wanted.wait(WARM_RETRY_PAUSE_S)
                continue
            with self._wanted:
                if not self._closed:
                    self._ready.append(started)
                    continue
            started.discard()
            return
