"""The image builds and runs `newsbot --version` (when a Docker daemon answers).

The only test allowed to skip outside CI: without a daemon there is nothing to run the image
on. `.ci/run` deselects it explicitly (and says so), since a CI run fails on any skip.
"""

from __future__ import annotations

import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from bot import __version__

ROOT = Path(__file__).resolve().parent.parent


def docker_daemon() -> str | None:
    """None when `docker info` answers, else why not."""
    if shutil.which("docker") is None:
        return "no docker client on PATH"
    probe = subprocess.run(["docker", "info", "--format", "{{.ServerVersion}}"],
                           capture_output=True, text=True, timeout=30, check=False)
    if probe.returncode != 0:
        last = (probe.stderr.strip().splitlines() or [f"exit {probe.returncode}"])[-1]
        return f"no Docker daemon answers: {last}"
    return None


def test_image_builds_and_runs_newsbot_version() -> None:
    why_not = docker_daemon()
    if why_not is not None:
        pytest.skip(f"Docker image test needs a Docker daemon ({why_not})")
    tag = f"newsbot-test:{uuid.uuid4().hex[:8]}"
    build = subprocess.run(["docker", "build", "-t", tag, str(ROOT)], capture_output=True,
                           text=True, timeout=1800, check=False)
    assert build.returncode == 0, build.stderr[-4000:]
    try:
        # --env-file-like override of the data dir must not move the database out of /data.
        run = subprocess.run(
            ["docker", "run", "--rm", "-e", "NEWSBOT_DATA_DIR=./data", tag, "--version"],
            capture_output=True, text=True, timeout=300, check=False)
        assert run.returncode == 0, run.stderr
        assert run.stdout.strip() == f"newsbot {__version__}"
        python = subprocess.run(
            ["docker", "run", "--rm", "--entrypoint", "python", tag, "-c",
             "import sys, os; print(sys.version_info[:2], os.environ['NEWSBOT_DATA_DIR'])"],
            capture_output=True, text=True, timeout=300, check=False)
        assert python.stdout.strip() == "(3, 11) /data", python.stderr
        # What .env.example used to set: the entrypoint keeps the database in /data anyway.
        pinned = subprocess.run(
            ["docker", "run", "--rm", "-e", "NEWSBOT_DATA_DIR=./data", tag, "status", "--json"],
            capture_output=True, text=True, timeout=300, check=False)
        assert '"sqlite:////data/newsbot.sqlite3"' in pinned.stdout, pinned.stderr
        # `docker exec … newsbot status` skips the entrypoint: the newsbot on PATH pins it too.
        exec_like = subprocess.run(
            ["docker", "run", "--rm", "-e", "NEWSBOT_DATA_DIR=./data", "--entrypoint", "sh",
             tag, "-c", "newsbot status --json"],
            capture_output=True, text=True, timeout=300, check=False)
        assert '"sqlite:////data/newsbot.sqlite3"' in exec_like.stdout, exec_like.stderr
    finally:
        subprocess.run(["docker", "rmi", "-f", tag], capture_output=True, check=False)
