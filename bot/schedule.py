"""When a chat's daily digest is due: pure functions over (timezone, local time, now).

Rules, in the chat's own timezone:

- one digest per chat per local date, at the chat's digest time; a job asks every minute;
- a digest missed while the bot was down is sent once, on the next check, if it is less than
  `CATCH_UP` (12 h) late; later than that it is skipped (yesterday's news is not news);
- a local time that does not exist (the spring-forward gap) fires at the first valid instant
  after it; a time that happens twice (fall back) fires once, at the first occurrence.

"Once" is enforced by the caller: it passes the local dates that already have a delivery,
and records a delivery for the date returned here before sending.
"""

from __future__ import annotations

import re
from collections.abc import Container
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

CATCH_UP = timedelta(hours=12)
DEFAULT_DIGEST_TIME = time(8, 0)

_HHMM = re.compile(r"\s*([0-9]{1,2}):([0-9]{2})\s*")


def parse_digest_time(text: str) -> time:
    """Parse a 24-hour "HH:MM" (or "H:MM") digest time."""
    match = _HHMM.fullmatch(text)
    if match is None:
        raise ValueError(f"digest time must look like HH:MM (24-hour, e.g. 08:00), got {text!r}")
    hour, minute = int(match[1]), int(match[2])
    if hour > 23 or minute > 59:
        raise ValueError(f"digest time {text.strip()!r} is out of range (00:00 to 23:59)")
    return time(hour, minute)


def format_digest_time(value: time) -> str:
    return f"{value.hour:02d}:{value.minute:02d}"


@cache
def _zone_names() -> frozenset[str]:
    # The IANA list, not "whatever ZoneInfo can open": that also accepts odd file names
    # such as "localtime" or "posixrules" that mean different things on different hosts.
    return frozenset(available_timezones())


def valid_timezone(name: str) -> bool:
    """True for an IANA timezone name such as "Europe/Kyiv" or "UTC"."""
    return name in _zone_names()


def zone(name: str) -> ZoneInfo:
    """The ZoneInfo for a validated IANA name (ValueError otherwise)."""
    if not valid_timezone(name):
        raise ValueError(f"unknown timezone {name!r} (expected an IANA name like Europe/Kyiv)")
    return ZoneInfo(name)


def slot_instant(local_date: date, digest_time: time, tz: ZoneInfo) -> datetime:
    """The UTC instant the digest of `local_date` fires, resolving DST gaps and folds."""
    # fold=0 picks the first occurrence of an ambiguous (fall-back) wall time.
    wall = datetime.combine(local_date, digest_time, tzinfo=tz).replace(fold=0)
    instant = wall.astimezone(UTC)
    if _wall(instant, tz) == wall.replace(tzinfo=None):
        return instant
    # In a spring-forward gap. fold=1 maps the wall time with the offset after the jump,
    # which lands before the transition; fold=0 (above) lands after it. The transition
    # — the first valid instant after the missing wall time — lies between: bisect.
    # Transitions fall on whole seconds, so bisect over POSIX seconds.
    low = int(wall.replace(fold=1).astimezone(UTC).timestamp())
    high = int(instant.timestamp())
    target = wall.replace(tzinfo=None)
    while high - low > 1:
        mid = (low + high) // 2
        if _wall(datetime.fromtimestamp(mid, UTC), tz) >= target:
            high = mid
        else:
            low = mid
    return datetime.fromtimestamp(high, UTC)


def _wall(instant: datetime, tz: ZoneInfo) -> datetime:
    return instant.astimezone(tz).replace(tzinfo=None)


def due_date(
    timezone: str,
    digest_time: time,
    now: datetime,
    *,
    delivered: Container[date] = (),
    not_before: datetime | None = None,
    catch_up: timedelta = CATCH_UP,
) -> date | None:
    """The local date whose digest should be sent at `now`, or None if nothing is due.

    `delivered` holds the local dates that already have a delivery (claimed or sent);
    `not_before` (e.g. when the chat subscribed) keeps slots before it from firing late.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    tz = zone(timezone)
    today = now.astimezone(tz).date()
    # Yesterday's slot can still be within the catch-up window shortly after midnight.
    for local_date in (today, today - timedelta(days=1)):
        fire_at = slot_instant(local_date, digest_time, tz)
        if fire_at > now:
            continue
        if now - fire_at >= catch_up:
            return None  # the most recent slot is too old; older ones are older still
        if local_date in delivered:
            return None
        if not_before is not None and fire_at < not_before:
            return None
        return local_date
    return None


def next_digest_at(timezone: str, digest_time: time, now: datetime) -> datetime:
    """The next UTC instant (strictly after `now`) a digest is scheduled, e.g. for the UI."""
    tz = zone(timezone)
    local_date = now.astimezone(tz).date()
    while True:
        fire_at = slot_instant(local_date, digest_time, tz)
        if fire_at > now:
            return fire_at
        local_date += timedelta(days=1)
