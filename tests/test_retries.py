"""One Retry-After parser and one retry policy for fetch, model and Telegram (bot.retries).

The policy is tested here on its own terms (which wait follows which failure); each service's
use of it is tested through its production path against a loopback server: tests/test_fetch.py
(a site answering 429/503), tests/test_llm.py (the fake OpenAI endpoint) and
tests/telegram/test_flood.py and test_delivery.py (the fake Bot API).
"""

from __future__ import annotations

import asyncio
import warnings
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from telegram.error import RetryAfter

from bot.retries import MAX_RETRY_AFTER, RetryPolicy, parse_retry_after, retry_after_header

NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


def http_date(delta: timedelta) -> str:
    return format_datetime(NOW + delta, usegmt=True)


@pytest.mark.parametrize(("value", "seconds"), [
    ("1", 1.0),
    (" 120 ", 120.0),
    ("1.5", 1.5),  # not RFC 9110's integer, but sent by some APIs
    ("0", 0.0),
    (http_date(timedelta(seconds=30)), 30.0),
    (http_date(-timedelta(hours=1)), 0.0),  # a date gone by: retry now
    ("Wed, 01 Jan 2025 12:00:45 -0000", 45.0),  # no zone given: UTC
])
def test_retry_after_in_seconds_or_as_an_http_date(value: str, seconds: float) -> None:
    assert parse_retry_after(value, now=NOW) == seconds


@pytest.mark.parametrize("value", [None, "", "soon", "-5", "nan", "inf", "1e999", "Mon, 99 Foo"])
def test_an_unusable_retry_after_is_none(value: str | None) -> None:
    assert parse_retry_after(value, now=NOW) is None


def test_retry_after_is_capped() -> None:
    assert parse_retry_after("86400", now=NOW) == MAX_RETRY_AFTER
    assert parse_retry_after("86400", cap=20, now=NOW) == 20
    assert parse_retry_after(http_date(timedelta(days=3)), cap=60, now=NOW) == 60


def test_retry_after_ms_is_read_first_and_headers_any_case() -> None:
    headers = httpx.Headers({"Retry-After-Ms": "250", "Retry-After": "7"})
    assert retry_after_header(headers) == 0.25
    assert retry_after_header(httpx.Headers({"retry-after-ms": "x", "RETRY-AFTER": "7"})) == 7
    assert retry_after_header(httpx.Headers({"Retry-After": http_date(timedelta(seconds=9))}),
                              now=NOW) == 9
    assert retry_after_header(httpx.Headers({"Retry-After-Ms": "3600000"}), cap=60) == 60
    assert retry_after_header(httpx.Headers()) is None


class Asked(Exception):
    def __init__(self, retry_after: object) -> None:
        super().__init__("asked")
        self.retry_after = retry_after


POLICY = RetryPolicy(name="test", attempts=5, retry=lambda exc: True, backoff=0.5,
                     max_backoff=3.0, cap=20.0)


def test_the_wait_is_what_the_server_asked_cut_to_the_cap() -> None:
    assert POLICY.wait(Asked(7.0), 1) == 7.0
    assert POLICY.wait(Asked(3600.0), 1) == 20.0
    assert POLICY.wait(Asked(0.0), 4) == 0.0  # "now" is an answer, not a missing one


def test_telegrams_retry_after_is_read_in_both_of_ptbs_forms(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # PTB 22 gives whole seconds and warns; PTB_TIMEDELTA=1 gives the coming timedelta.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        old_form = RetryAfter(5)
    assert POLICY.wait(old_form, 1) == 5.0  # and reading it did not warn (filters: error)
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    assert POLICY.wait(RetryAfter(timedelta(seconds=5)), 1) == 5.0
    telegram = RetryPolicy(name="t", attempts=2, retry=lambda exc: True, cap=60, margin=0.1)
    assert telegram.wait(RetryAfter(timedelta(seconds=5)), 1) == 5.1


def test_without_an_ask_the_wait_doubles_up_to_the_most() -> None:
    assert [POLICY.wait(ValueError(), n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert POLICY.wait(Asked(None), 2) == 1.0
    jittered = RetryPolicy(name="j", attempts=3, retry=lambda exc: True, backoff=2.0, jitter=True)
    assert all(1.0 <= jittered.wait(ValueError(), 1) <= 2.0 for _ in range(50))


async def test_attempts_bound_the_calls_and_the_last_failure_is_raised() -> None:
    calls = 0
    policy = RetryPolicy(name="t", attempts=3, retry=lambda exc: isinstance(exc, OSError),
                         backoff=0.0)
    with pytest.raises(OSError, match="3"):
        async for attempt in policy.retrying():
            with attempt:
                calls += 1
                raise OSError(str(calls))
    assert calls == 3


async def test_a_failure_the_policy_does_not_retry_is_raised_at_once() -> None:
    calls = 0
    policy = RetryPolicy(name="t", attempts=3, retry=lambda exc: isinstance(exc, OSError),
                         backoff=0.0)
    with pytest.raises(KeyError):
        async for attempt in policy.retrying():
            with attempt:
                calls += 1
                raise KeyError("final")
    assert calls == 1


async def test_no_wait_is_started_that_would_end_past_the_deadline() -> None:
    calls = 0
    seen: list[float] = []
    policy = RetryPolicy(name="t", attempts=5, retry=lambda exc: True, cap=MAX_RETRY_AFTER,
                         on_retry=lambda exc, wait: seen.append(wait))
    deadline = asyncio.get_running_loop().time() + 30
    with pytest.raises(Asked):
        async for attempt in policy.retrying(deadline=deadline):
            with attempt:
                calls += 1
                raise Asked(0.0 if calls == 1 else 3600.0)
    assert calls == 2 and seen == [0.0]
