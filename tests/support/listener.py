"""A loopback HTTP server that records what is POSTed to it and answers as a test chooses: the
callback destination of the callback tests."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Callable
from typing import Any


class Listener:
    """Records each POST's body; ``answer(n)`` is the status of the n-th POST (from 0), sent with
    a ``location`` header if set, after ``stall_s`` seconds."""

    def __init__(self, answer: Callable[[int], int] = lambda n: 200, location: str = "",
                 stall_s: float = 0.0) -> None:
        self.answer, self.location, self.stall_s = answer, location, stall_s
        self.received: list[bytes] = []
        self.answers: list[int] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                outer.received.append(self.rfile.read(int(self.headers["Content-Length"])))
                status = outer.answer(len(outer.answers))
                outer.answers.append(status)
                time.sleep(outer.stall_s)
                self.send_response(status)
                if outer.location:
                    self.send_header("Location", outer.location)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, count: int, timeout_s: float = 30) -> None:
        deadline = time.monotonic() + timeout_s
        while len(self.received) < count:
            assert time.monotonic() < deadline, self.answers
            time.sleep(0.1)
