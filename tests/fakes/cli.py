"""The `newsbot` command line as a user runs it, for the CLI tests.

`newsbot(...)` runs the CLI's `main()` in this process (a subprocess per case costs seconds
of imports); `newsbot_process(...)` runs `python -m bot` as a new process, for what only a
real process shows (exit codes from the interpreter, signals, environment at start-up).
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys

from bot.cli import main


def newsbot_process(
    *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot` as a new process, exactly as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True,
        env={**os.environ, **(env or {})}, timeout=120, check=False,
    )


def newsbot(*args: str, stdin: str | None = None, env: dict[str, str] | None = None,
            ) -> subprocess.CompletedProcess[str]:
    """Run the CLI's `main()` in this process (a subprocess per case costs seconds of imports)."""
    out, err = io.StringIO(), io.StringIO()
    old_env = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})
    old_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin or "")
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(args))
    finally:
        sys.stdin = old_stdin
        for k, v in old_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())
