"""Digest timing rules, with `now` passed explicitly (no clocks, no I/O)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from bot.schedule import (
    due_date,
    format_digest_time,
    next_digest_at,
    parse_digest_time,
    valid_timezone,
)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def run_minutely(
    tz: str, at: time, start: datetime, hours: int, *, down: tuple[datetime, datetime] | None = None
) -> list[tuple[datetime, date]]:
    """Tick once a minute like the bot's job; deliver whatever is due; return the sends."""
    delivered: set[date] = set()
    sent: list[tuple[datetime, date]] = []
    for minute in range(hours * 60):
        now = start + timedelta(minutes=minute)
        if down is not None and down[0] <= now < down[1]:
            continue
        local_date = due_date(tz, at, now, delivered=delivered)
        if local_date is not None:
            delivered.add(local_date)
            sent.append((now, local_date))
    return sent


# --- parsing and validation ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("08:00", time(8, 0)), ("8:05", time(8, 5)), (" 23:59 ", time(23, 59)), ("00:00", time(0))],
)
def test_parse_digest_time_accepts_24_hour_times(text: str, expected: time) -> None:
    assert parse_digest_time(text) == expected


@pytest.mark.parametrize("text", ["24:00", "12:60", "8", "8am", "08:00:00", "", "-1:00", "٠٨:٠٠"])
def test_parse_digest_time_rejects_anything_else_with_a_clear_message(text: str) -> None:
    with pytest.raises(ValueError, match=r"HH:MM|out of range"):
        parse_digest_time(text)


def test_format_digest_time_round_trips() -> None:
    assert format_digest_time(parse_digest_time("7:30")) == "07:30"


@pytest.mark.parametrize("name", ["UTC", "Europe/Kyiv", "America/New_York", "Asia/Kathmandu"])
def test_valid_timezone_accepts_iana_names(name: str) -> None:
    assert valid_timezone(name)


@pytest.mark.parametrize("name", ["", "Mars/Olympus", "europe/kyiv", "../etc/passwd", "+03:00"])
def test_valid_timezone_rejects_other_strings(name: str) -> None:
    assert not valid_timezone(name)


def test_due_date_rejects_unknown_timezone_and_naive_now() -> None:
    with pytest.raises(ValueError, match="timezone"):
        due_date("Mars/Olympus", time(8), utc(2025, 1, 1))
    with pytest.raises(ValueError, match="aware"):
        due_date("UTC", time(8), datetime(2025, 1, 1))


# --- one digest per local day at local time -------------------------------------------


def test_kyiv_winter_fires_once_a_day_at_local_time() -> None:
    sent = run_minutely("Europe/Kyiv", time(8), utc(2025, 1, 10), hours=72)
    # UTC+2 in winter: 08:00 in Kyiv is 06:00 UTC, each day exactly once.
    assert sent == [
        (utc(2025, 1, 10, 6), date(2025, 1, 10)),
        (utc(2025, 1, 11, 6), date(2025, 1, 11)),
        (utc(2025, 1, 12, 6), date(2025, 1, 12)),
    ]


def test_kyiv_follows_summer_time() -> None:
    # Kyiv moved to UTC+3 on 2025-03-30 at 03:00 local.
    sent = run_minutely("Europe/Kyiv", time(8), utc(2025, 3, 29), hours=48)
    assert sent == [
        (utc(2025, 3, 29, 6), date(2025, 3, 29)),
        (utc(2025, 3, 30, 5), date(2025, 3, 30)),
    ]


def test_kathmandu_quarter_hour_offset() -> None:
    sent = run_minutely("Asia/Kathmandu", time(8), utc(2025, 6, 1), hours=24)
    assert sent == [(utc(2025, 6, 1, 2, 15), date(2025, 6, 1))]  # 08:00 at UTC+5:45


def test_not_due_one_minute_before() -> None:
    assert due_date("Asia/Kathmandu", time(8), utc(2025, 6, 2, 2, 14)) is None
    assert due_date("Asia/Kathmandu", time(8), utc(2025, 6, 2, 2, 15)) == date(2025, 6, 2)


# --- daylight saving time -------------------------------------------------------------


def test_new_york_spring_gap_fires_at_first_valid_instant_after() -> None:
    # 2025-03-09: clocks jump from 02:00 EST to 03:00 EDT; 02:30 does not exist.
    sent = run_minutely("America/New_York", time(2, 30), utc(2025, 3, 8, 20), hours=48)
    assert sent == [
        (utc(2025, 3, 9, 7), date(2025, 3, 9)),  # 03:00 EDT, the end of the gap
        (utc(2025, 3, 10, 6, 30), date(2025, 3, 10)),  # 02:30 EDT
    ]


def test_new_york_fall_back_fires_once_at_first_occurrence() -> None:
    # 2025-11-02: 01:00–02:00 happens twice (EDT, then EST).
    sent = run_minutely("America/New_York", time(1, 30), utc(2025, 11, 1, 18), hours=48)
    assert sent == [
        (utc(2025, 11, 2, 5, 30), date(2025, 11, 2)),  # 01:30 EDT, not 01:30 EST (06:30Z)
        (utc(2025, 11, 3, 6, 30), date(2025, 11, 3)),
    ]


def test_fall_back_second_occurrence_does_not_fire_again_once_delivered() -> None:
    second = utc(2025, 11, 2, 6, 30)  # 01:30 EST
    assert due_date("America/New_York", time(1, 30), second, delivered={date(2025, 11, 2)}) is None


# --- downtime -------------------------------------------------------------------------


def test_missed_digest_is_sent_once_on_start_when_under_12_hours_late() -> None:
    # Down from 05:00 to 15:00 UTC; the 08:00 UTC digest goes out at start, once.
    sent = run_minutely(
        "UTC", time(8), utc(2025, 5, 1), hours=24, down=(utc(2025, 5, 1, 5), utc(2025, 5, 1, 15))
    )
    assert sent == [(utc(2025, 5, 1, 15), date(2025, 5, 1))]


def test_missed_digest_12_hours_late_or_more_is_skipped() -> None:
    sent = run_minutely(
        "UTC", time(8), utc(2025, 5, 1), hours=24, down=(utc(2025, 5, 1, 5), utc(2025, 5, 1, 20))
    )
    assert sent == []
    assert due_date("UTC", time(8), utc(2025, 5, 1, 20)) is None  # exactly 12 h
    assert due_date("UTC", time(8), utc(2025, 5, 1, 19, 59)) == date(2025, 5, 1)


def test_catch_up_after_local_midnight_belongs_to_yesterday() -> None:
    # 22:00 in Kyiv (20:00Z in winter) missed; the bot is back at 02:00 local next day.
    back = utc(2025, 1, 11, 0)
    assert due_date("Europe/Kyiv", time(22), back) == date(2025, 1, 10)
    assert due_date("Europe/Kyiv", time(22), back, delivered={date(2025, 1, 10)}) is None


def test_not_before_blocks_slots_that_passed_before_subscribing() -> None:
    now = utc(2025, 5, 1, 9)
    assert due_date("UTC", time(8), now, not_before=utc(2025, 5, 1, 8, 30)) is None
    assert due_date("UTC", time(8), now, not_before=utc(2025, 5, 1, 7)) == date(2025, 5, 1)


def test_next_digest_at_skips_todays_past_slot_and_resolves_the_gap() -> None:
    assert next_digest_at("UTC", time(8), utc(2025, 5, 1, 8)) == utc(2025, 5, 2, 8)
    assert next_digest_at("America/New_York", time(2, 30), utc(2025, 3, 9)) == utc(2025, 3, 9, 7)
