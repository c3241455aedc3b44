"""One lifecycle for every fake service: a real HTTP server on 127.0.0.1 in a daemon thread.

The fake Bot API, the fake OpenAI endpoint and the news site each subclass `LoopbackServer`
and give it their request handler (a `QuietHandler`). The base owns what they had each
written (and let drift apart): binding a free port, serving from a thread so sync and async
tests can both use it, a prompt shutdown, and `stopping`, which wakes every handler that is
holding an answer back (a stall, a hang, a long poll) so nothing outlives its test.
"""

from __future__ import annotations

import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self


class QuietHandler(BaseHTTPRequestHandler):
    """Keep-alive like the real services, answers without Nagle's delay, and no access log."""

    protocol_version = "HTTP/1.1"
    # Headers and body leave in separate writes: with Nagle on, the body waits for the
    # client's delayed ACK (~40 ms per answer on Linux), which would show in benchmarks.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep test output clean


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # A fan-out benchmark opens thousands of connections at once: the default backlog (5)
    # would refuse some.
    request_queue_size = 1024

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that hangs up (a size or time limit doing its job) is not an error of
        # the fake; anything else still shows.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class LoopbackServer:
    """`with Fake() as fake:` serves on `fake.port` until the block ends."""

    # `shutdown()` returns at the server loop's next poll: the default 0.5 s interval cost
    # every test that started a fake half a second (about 17 s of the suite).
    POLL_INTERVAL = 0.02

    def __init__(self) -> None:
        self.stopping = threading.Event()
        self._server = _Server(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": self.POLL_INTERVAL},
            name=type(self).__name__, daemon=True,
        )

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        raise NotImplementedError

    def _wake(self) -> None:
        """Called on stop: wake handlers that wait on something other than `stopping`."""

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self._wake()
        if self._thread.is_alive():  # shutdown() would wait forever for a loop never started
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def pause(self, seconds: float) -> None:
        """Hold an answer back for `seconds`, or until the server stops."""
        if seconds > 0:
            self.stopping.wait(seconds)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def host(self) -> str:
        """`127.0.0.1:PORT`, the form FETCH_ALLOW_PRIVATE_HOSTS takes."""
        return f"127.0.0.1:{self.port}"
