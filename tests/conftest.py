"""Every test gets a clean environment, its own data dir, and no real network."""

from __future__ import annotations

import logging
import os
import socket
import sys
import threading
from collections.abc import Generator, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from tests.fakes.databases import PG_URL
from tests.fakes.newsfeeds import FED, NORTH_KOREA, Report
from tests.fakes.newsworld import NewsWorld, serve_news_world
from tests.fakes.site import FakeSite

# The real bot on the fake Bot API (`botapi`, `start_bot`, ...), for every suite.
pytest_plugins = ["tests.harness"]

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
if not SHARED.exists():  # CI clones next to a copy of shared/
    SHARED = Path(os.environ.get("NEWSBOT_SHARED", "../shared")).resolve()
# `.ci/run` exports CI=1. There a skipped test is a failure: a test that cannot run (no
# PostgreSQL, no ../shared) must not pass the run. A test CI is not meant to run is
# deselected explicitly in .ci/run (`--deselect`), which says so in its output.
IN_CI = bool(os.environ.get("CI"))


def pytest_configure(config: pytest.Config) -> None:
    if IN_CI and not SHARED.exists():
        raise pytest.UsageError(
            f"CI needs the shared data next to the clone: {SHARED} does not exist "
            "(set NEWSBOT_SHARED to its path)"
        )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped under CI, which must run every test: {reason}"
    return report


_ENV_PREFIXES = (
    "OPENAI_", "TELEGRAM_", "FETCH_", "LLM_", "NEWS_", "DATABASE_", "NEWSBOT_", "DIGEST_",
    "SUMMARIZER", "ALLOWED_USERS", "RATE_LIMIT", "GDELT", "MAX_", "GOOGLE_NEWS_", "REDIS_",
)
# Read at import time (clean_env strips REDIS_* from the environment of each test).
REDIS_URL = os.environ.get("NEWSBOT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The machine's Redis (`.ci/run` starts it). Tests share it with whoever else runs
    tests now, so each keeps to keys of its own (a namespace or bot id per test), never
    flushes. Unreachable: skip locally, fail under CI."""
    from urllib.parse import urlsplit

    where = urlsplit(REDIS_URL)
    try:  # a plain PING: fixtures may run inside the test's event loop
        with socket.create_connection((where.hostname, where.port or 6379), timeout=5) as sock:
            sock.sendall(b"*1\r\n$4\r\nPING\r\n")
            answer = sock.recv(64)
        if not answer.startswith(b"+PONG"):
            raise ConnectionError(f"PING answered {answer!r}")
    except Exception as exc:
        message = f"Redis at {REDIS_URL} is unreachable: {exc!r}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return REDIS_URL


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Drop any newsbot setting from the outer environment; data goes under tmp_path."""
    for key in list(os.environ):
        if key.upper().startswith(_ENV_PREFIXES):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("NEWSBOT_DATA_DIR", str(tmp_path / "data"))
    # The decoder would ask the real news.google.com (refused here) at one decode a second;
    # the tests that decode turn it on and point GOOGLE_NEWS_URL at the fake decoder.
    monkeypatch.setenv("GOOGLE_NEWS_DECODE", "false")
    monkeypatch.chdir(tmp_path)  # so a developer's .env is never read
    return tmp_path


@pytest.fixture(autouse=True)
def isolated_logging() -> Iterator[None]:
    """Undo what an in-process `newsbot` run does to the process's logging.

    `bot.redaction.install` puts its filter on the root logger's handlers, which include
    pytest's own capture handlers — objects that live for the whole session — and replaces
    the exception hooks. Left in place, the filter of one test rewrites the records of every
    later one (it moves `exc_info` into redacted text), so tests would depend on their order.
    """
    from bot.redaction import RedactingFilter

    hooks = sys.excepthook, threading.excepthook
    yield
    sys.excepthook, threading.excepthook = hooks
    root = logging.getLogger()
    for target in (root, *root.handlers, logging.lastResort):
        if target is None:
            continue
        for flt in [f for f in target.filters if isinstance(f, RedactingFilter)]:
            target.removeFilter(flt)


_real_getaddrinfo = socket.getaddrinfo


@pytest.fixture(autouse=True)
def no_internet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests talk only to loopback; a lookup of any real name fails loudly and at once."""

    def guarded(host: bytes | str | None, *args: Any, **kwargs: Any) -> list[Any]:
        name = host.decode() if isinstance(host, bytes) else str(host or "")
        if name in ("localhost", "127.0.0.1", "::1", "") or name.startswith("127."):
            return _real_getaddrinfo(host, *args, **kwargs)
        if _is_ip_literal(name):
            return _real_getaddrinfo(host, *args, **kwargs)
        raise socket.gaierror(socket.EAI_NONAME, f"tests may not resolve {name!r}")

    monkeypatch.setattr(socket, "getaddrinfo", guarded)


def _is_ip_literal(name: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return False
    return True


@pytest.fixture
def site() -> Iterator[FakeSite]:
    with FakeSite() as s:
        yield s


@pytest.fixture
def news_topics() -> Mapping[str, Sequence[Report]]:
    """The topics `world` serves; a module overrides this fixture to serve others."""
    return {"North Korea": NORTH_KOREA, "Federal Reserve": FED}


@pytest.fixture
def news_now() -> datetime:
    """The moment `world`'s reports are dated back from; a module overrides it to pin a day.

    Read per test, never at import: a run that crosses midnight must not mix two days.
    """
    return datetime.now(UTC)


@pytest.fixture
def world(site: FakeSite, news_topics: Mapping[str, Sequence[Report]],
          news_now: datetime) -> NewsWorld:
    """The loopback news world: Google/Bing-shaped search feeds for `news_topics` and every
    outlet's article pages, on `site`. Point the bot at it with `world.settings()`."""
    return serve_news_world(site, news_topics, now=news_now)


@pytest.fixture
def world_in_env(world: NewsWorld, monkeypatch: pytest.MonkeyPatch) -> NewsWorld:
    """`world`, with the environment that points the CLI (`newsbot digest`) at it."""
    for key, value in world.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("FETCH_TIMEOUT", "5")
    return world


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[Engine]:
    """An autocommit engine on the server's maintenance database, for CREATE/DROP DATABASE."""
    engine = create_engine(
        PG_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5}
    )
    try:
        with engine.connect():
            pass
    except OperationalError as exc:
        engine.dispose()
        message = f"PostgreSQL at {make_url(PG_URL)!r} is unreachable: {exc}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    yield engine
    engine.dispose()


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED.exists():
        pytest.skip("../shared is not present")  # a failure under CI (see above)
    return SHARED
