"""Retries of calls to the outside world: one Retry-After parser and one tenacity policy.

Fetching pages, asking the model and calling the Bot API all retry the same way: a failure
the `RetryPolicy` calls transient is tried again after the wait the server asked for
(Retry-After, Telegram's `retry_after`) cut to the policy's `cap`, or else after an
exponential backoff; `attempts` bounds the calls in all, and a `deadline` (event-loop time)
stops the retrying before a wait that would leave no time for another attempt. What
differs between services is only settings: see `FETCH_RETRIES` in `bot.fetch`,
`ChatEndpoint.retry_policy` in `bot.summarize.chat`, `TELEGRAM_RETRIES` in
`bot.telegram.flood` and `STORE_WRITES` in `bot.rounds` (writes that must not be lost).

A failure says how long the server asked us to wait through `retry_after_of`: an exception
with a `retry_after` attribute in seconds (or a timedelta, as PTB's `RetryAfter` has).
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt
from tenacity.stop import stop_base

log = logging.getLogger(__name__)

# The longest wait any server can make us take, whatever it asks: an hour. A policy's own
# `cap` is usually far shorter (someone is waiting for the answer).
MAX_RETRY_AFTER = 3600.0


def parse_retry_after(
    value: str | None, *, cap: float = MAX_RETRY_AFTER, now: datetime | None = None
) -> float | None:
    """Seconds to wait from a Retry-After value: delta-seconds or an HTTP-date, at most `cap`.

    None when there is no usable value (missing, garbage, negative, not finite); a date in
    the past is 0 (retry now). RFC 9110 says delta-seconds is an integer; a decimal
    ("1.5", as some APIs send) is read too.
    """
    if not value:
        return None
    value = value.strip()
    try:
        seconds: float | None = float(value)
    except ValueError:
        seconds = _seconds_until(value, now)
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return None
    return min(seconds, cap)


def retry_after_header(
    headers: Mapping[str, str], *, cap: float = MAX_RETRY_AFTER, now: datetime | None = None
) -> float | None:
    """The wait a response asks for: `retry-after-ms` (OpenAI's, finer) or `retry-after`."""
    ms = parse_retry_after(headers.get("retry-after-ms"), cap=cap * 1000)
    if ms is not None:
        return ms / 1000
    return parse_retry_after(headers.get("retry-after"), cap=cap, now=now)


def _seconds_until(value: str, now: datetime | None) -> float | None:
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000" in an HTTP-date: UTC, by RFC 5322
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def retry_after_of(exc: BaseException | None) -> float | None:
    """How long the server behind `exc` asked us to wait, in seconds, if it said."""
    with warnings.catch_warnings():
        # PTB's RetryAfter warns that `retry_after` will become a timedelta; both are read.
        warnings.simplefilter("ignore", DeprecationWarning)
        value = getattr(exc, "retry_after", None)
    if isinstance(value, timedelta):
        return max(value.total_seconds(), 0.0)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return max(float(value), 0.0)
    return None


@dataclass(frozen=True)
class RetryPolicy:
    """How one service is retried. `retry` says which failures are worth another attempt."""

    name: str  # in log lines: "fetch", "model", "telegram"
    attempts: int  # calls in all, the first one included
    retry: Callable[[BaseException], bool]
    backoff: float = 0.5  # seconds before the 2nd attempt, doubled before each next one
    max_backoff: float = 8.0
    cap: float = 60.0  # the longest server-asked wait honoured; a longer one is cut to this
    margin: float = 0.0  # added to a server-asked wait (Telegram counts whole seconds)
    jitter: bool = False  # spread retries of many clients hitting one server at once
    level: int = logging.INFO  # of the "retrying" line (a store write failing is a warning)
    # Called before each wait with the failure and the seconds about to be waited.
    on_retry: Callable[[BaseException, float], None] | None = None

    def wait(self, exc: BaseException | None, attempt: int) -> float:
        """Seconds before the attempt after failed attempt number `attempt` (from 1)."""
        asked = retry_after_of(exc)
        if asked is not None:
            return min(asked, self.cap) + self.margin
        delay = min(self.backoff * 2.0 ** (attempt - 1), self.max_backoff)
        if self.jitter:
            delay *= random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not crypto
        return delay

    def retrying(self, *, deadline: float | None = None) -> AsyncRetrying:
        """A tenacity `AsyncRetrying` for one logical call (re-raises the last failure)."""
        stop: stop_base = stop_after_attempt(self.attempts)
        if deadline is not None:
            stop = stop | _OutOfTime(deadline)
        return AsyncRetrying(
            stop=stop,
            wait=self._wait,
            retry=retry_if_exception(self.retry),
            before_sleep=self._before_sleep,
            reraise=True,
        )

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        return self.wait(exc, state.attempt_number)

    def _before_sleep(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        log.log(
            self.level, "%s failed (attempt %d of %d: %s); retrying in %.2f s",
            self.name, state.attempt_number, self.attempts, _describe(exc), state.upcoming_sleep,
        )  # fmt: skip
        if self.on_retry is not None and exc is not None:
            self.on_retry(exc, state.upcoming_sleep)


class _OutOfTime(stop_base):
    """Stop when the next wait would not leave time for another attempt before `deadline`."""

    MARGIN = 0.1  # seconds an attempt needs at the very least

    def __init__(self, deadline: float) -> None:
        self._deadline = deadline

    def __call__(self, retry_state: RetryCallState) -> bool:
        now = asyncio.get_running_loop().time()
        return now + retry_state.upcoming_sleep + self.MARGIN >= self._deadline


def _describe(exc: BaseException | None) -> str:
    reason = getattr(exc, "reason", None)  # the model's failures carry a short reason
    return str(reason) if isinstance(reason, str) else f"{type(exc).__name__}: {exc}"
