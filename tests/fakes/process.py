"""`python -m bot …` as a child process: the real entry point, as an operator runs it."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FAKE_TOKEN = "123456:TEST-fake-token"


# `newsbot_run("--webhook-url", url, SETTING="value")`: tests/telegram/conftest.py's fixture.
NewsbotRun = Callable[..., subprocess.Popen[str]]


def free_port() -> int:
    """A TCP port nothing listens on right now (for a webhook or a health server)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop(proc: subprocess.Popen[str]) -> str:
    """SIGTERM a `newsbot run` process; it must exit 0. Returns its stderr."""
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err
    return err


@contextmanager
def run_children(token: str, api_url: str) -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """`start(*args, quiet=False, preexec_fn=None, **settings)`: `newsbot run` as a child
    process on a Bot API (keyless, this checkout on the path; a setting given as None is
    removed from the environment); whatever is still running when the block ends is killed."""
    procs: list[subprocess.Popen[str]] = []

    def start(*args: str, quiet: bool = False, preexec_fn: Callable[[], None] | None = None,
              **settings: str | None) -> subprocess.Popen[str]:
        merged = {**os.environ, "TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_URL": api_url,
                  "SUMMARIZER": "extractive", "PYTHONPATH": str(REPO), **settings}
        environ = {name: value for name, value in merged.items() if value is not None}
        output = subprocess.DEVNULL if quiet else subprocess.PIPE
        proc = subprocess.Popen([sys.executable, "-m", "bot", "run", *args], env=environ,
                                stdout=output, stderr=output, text=True,
                                preexec_fn=preexec_fn)
        procs.append(proc)
        return proc

    try:
        yield start
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def newsbot_env(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update({"PYTHONPATH": str(REPO), "SUMMARIZER": "extractive", "LOG_LEVEL": "INFO"})
    env.update(settings)
    return env


def newsbot(*args: str, cwd: Path, stdin: str = "", timeout: float = 120,
            settings: Mapping[str, str] | None = None,
            **more_settings: str) -> subprocess.CompletedProcess[str]:
    """Run one command to completion; settings come as keywords or, by computed name, `settings`."""
    env = newsbot_env(**(settings or {}), **more_settings)
    return subprocess.run([sys.executable, "-m", "bot", *args], env=env,
                          cwd=cwd, input=stdin, capture_output=True, text=True,
                          timeout=timeout)


class BotProcess:
    """`newsbot run` in the background; stderr is collected line by line."""

    def __init__(self, *args: str, cwd: Path, **settings: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", *args], env=newsbot_env(**settings), cwd=cwd,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        self.lines: list[str] = []
        self._new: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))
            self._new.put(line)
        self._new.put(None)

    def wait_for(self, text: str, timeout: float = 90) -> str:
        """The first stderr line containing `text` (AssertionError with the log otherwise)."""
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for line in self.lines[seen:]:
                if text in line:
                    return line
            seen = len(self.lines)
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {text!r} in the log:\n" + "\n".join(self.lines))
            try:
                ended = self._new.get(timeout=min(left, 1.0)) is None
                if ended and not any(text in line for line in self.lines):
                    raise AssertionError(f"exited {self.proc.poll()} before {text!r}:\n"
                                         + "\n".join(self.lines))
            except queue.Empty:
                pass

    def stop(self, sig: int = signal.SIGTERM, *, twice: bool = False,
             timeout: float = 60) -> int:
        self.proc.send_signal(sig)
        if twice:
            # Again while the shutdown runs (a wrapper forwarding it, an impatient operator):
            # a burst, so one of them lands mid-shutdown however fast this machine is.
            for pause in (0.001, 0.01, 0.02, 0.05, 0.1):
                time.sleep(pause)
                if self.proc.poll() is not None:
                    break
                self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout=timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(timeout=10)
        return code

    def __enter__(self) -> BotProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
