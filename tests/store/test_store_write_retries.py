"""Writes that must not be lost are retried by the one retry policy (`bot.rounds.STORE_WRITES`).

Recording a sent digest meets a real database error (a trigger the test installs refuses the
"sent" update) for the first N attempts: a blip is retried within the round, and a failure
that outlasts the attempts surfaces (logged, the digest kept to record next round) rather
than being retried forever or dropped. The trigger decides per attempt from state the rollback
cannot undo: a PostgreSQL sequence, and on SQLite a function of the test's.

Store tests: SQLite file and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import sqlite3
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event

from bot import rounds
from bot.rounds import STORE_WRITES, Digests
from bot.store import Store
from tests.fakes.outbox import Outbox

MakeDigests = Callable[..., Digests]  # tests/store/conftest.py's `make_digests`
REFUSAL = "could not extend file: No space left on device"


@pytest.fixture(autouse=True)
def no_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """The policy as it is, without its pauses (what is retried is what this tests)."""
    monkeypatch.setattr(rounds, "STORE_WRITES", dataclasses.replace(STORE_WRITES, backoff=0))


@pytest.fixture
def refuse_sent(store: Store) -> Iterator[Callable[[int], None]]:
    """`refuse_sent(n)`: the next `n` attempts to mark a delivery sent fail in the database."""
    engine = store.engine
    pg = engine.dialect.name == "postgresql"
    left = [0]

    def strike() -> int:  # SQLite: called by the trigger, outside its transaction
        if left[0] > 0:
            left[0] -= 1
            return 1
        return 0

    def add_function(conn: sqlite3.Connection, _record: Any) -> None:
        conn.create_function("fault_strike", 0, strike)

    if pg:
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE SEQUENCE fault_strikes")
            conn.exec_driver_sql("CREATE TABLE fault_limit (n BIGINT)")
            conn.exec_driver_sql("INSERT INTO fault_limit VALUES (0)")
            # nextval is not rolled back with the refused update: each attempt counts.
            conn.exec_driver_sql(
                "CREATE FUNCTION refuse_sent() RETURNS trigger AS $$ BEGIN "
                "IF NEW.status = 'sent' AND nextval('fault_strikes') <= "
                f"(SELECT n FROM fault_limit) THEN RAISE EXCEPTION '{REFUSAL}'; END IF; "
                "RETURN NEW; END $$ LANGUAGE plpgsql")
            conn.exec_driver_sql(
                "CREATE TRIGGER refuse_sent BEFORE UPDATE ON digest_deliveries "
                "FOR EACH ROW EXECUTE FUNCTION refuse_sent()")
    else:
        event.listen(engine, "connect", add_function)
        engine.dispose()  # pooled connections were made without the function
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "CREATE TRIGGER refuse_sent BEFORE UPDATE ON digest_deliveries "
                "WHEN NEW.status = 'sent' AND fault_strike() "
                f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END")

    def arm(n: int) -> None:
        if pg:
            with engine.begin() as conn:
                conn.exec_driver_sql(f"UPDATE fault_limit SET n = {int(n)}")
        else:
            left[0] = n

    yield arm
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS refuse_sent" + (
            " ON digest_deliveries" if pg else ""))
        if pg:
            conn.exec_driver_sql("DROP FUNCTION IF EXISTS refuse_sent()")
            conn.exec_driver_sql("DROP TABLE IF EXISTS fault_limit")
            conn.exec_driver_sql("DROP SEQUENCE IF EXISTS fault_strikes")
    if not pg:
        event.remove(engine, "connect", add_function)


def retry_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.levelno == logging.WARNING and "retrying in" in r.getMessage()]


async def test_a_failed_record_is_retried_within_the_round(
    store: Store, make_digests: MakeDigests, eight: datetime, refuse_sent: Callable[[int], None],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    await asyncio.to_thread(store.subscriptions.add, 1, "North Korea", "search")
    at = eight + timedelta(days=1, minutes=1)
    refuse_sent(2)
    report = await make_digests(store, at=at).run_round(Outbox(), now=at)
    assert report.sent == 1
    delivery = store.deliveries.get(1, at.date())
    assert delivery is not None and delivery.status == "sent"  # recorded in this round
    lines = retry_lines(caplog)
    assert len(lines) == 2, lines
    assert lines[0].startswith("recording 1 sent digest(s) failed (attempt 1 of 4: ")
    assert REFUSAL in lines[0]
    assert "could not be recorded" not in caplog.text


async def test_a_record_that_keeps_failing_surfaces_and_is_kept_for_the_next_round(
    store: Store, make_digests: MakeDigests, eight: datetime, refuse_sent: Callable[[int], None],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    await asyncio.to_thread(store.subscriptions.add, 1, "North Korea", "search")
    at = eight + timedelta(days=1, minutes=1)
    refuse_sent(STORE_WRITES.attempts)  # every attempt of this round
    digests = make_digests(store, at=at)
    outbox = Outbox()
    await digests.run_round(outbox, now=at)
    assert len(retry_lines(caplog)) == STORE_WRITES.attempts - 1  # then it gave up
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.getMessage() for r in errors] == [
        "1 sent digest(s) could not be recorded; kept to record next round"]
    delivery = store.deliveries.get(1, at.date())
    assert delivery is not None and delivery.status == "claimed"
    # The next round records it (the database has recovered) and sends nothing again.
    await digests.run_round(outbox, now=at + timedelta(minutes=6))
    delivery = store.deliveries.get(1, at.date())
    assert delivery is not None and delivery.status == "sent"
    assert outbox.per_chat() == {1: 1}
