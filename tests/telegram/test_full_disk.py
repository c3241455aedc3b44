"""A full disk: /subscribe says so plainly, and a computed summary is still delivered.

The bot's SQLite file is really full: its connections are capped at the file's size
(`PRAGMA max_page_count`, which fails writes with SQLITE_FULL, "database or disk is full",
the very error a full disk gives) and the free space left inside is used up.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy import Engine, event
from sqlalchemy.exc import OperationalError

from bot.telegram import messages
from tests.fakes.articles import SEED_TITLE, article_html
from tests.fakes.botapi import FakeBotAPI
from tests.fakes.site import FakeSite
from tests.harness import StartBot, replies

USER = 1001

BALLAST = {
    "ballast": "INSERT INTO ballast VALUES (zeroblob({size}))",
    "subscriptions": "INSERT INTO subscriptions (chat_id, kind, topic, topic_key, created_at)"
                     " VALUES (999, 'search', '{key}', '{key}', '2026-01-01')",
    "articles": "INSERT INTO articles (canonical_url, url, final_url, title, text, fetched_at)"
                " VALUES ('{key}', 'b', 'b', 'b', '{key}', '2026-01-01')",
    "summaries": "INSERT INTO summaries (canonical_url, lang, summarizer, points, partial,"
                 " dropped_points, created_at)"
                 " VALUES ('b', '{key}', 'b', '[]', 0, 0, '2026-01-01')",
}


def fill_up(engine: Engine) -> None:
    """Cap the file at its size, then use up the room left in its pages.

    Each table (and index) keeps rows in its own pages, so every table the bot writes gets
    ballast rows until it is full too: any new row then needs a page the disk doesn't have.
    """
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE ballast (b BLOB)")
        conn.exec_driver_sql(
            "INSERT INTO chats (chat_id, timezone, digest_time, active, created_at, updated_at)"
            " VALUES (999, 'UTC', '08:00:00', 1, '2026-01-01', '2026-01-01')")
        conn.exec_driver_sql(
            "INSERT INTO articles (canonical_url, url, final_url, title, text, fetched_at)"
            " VALUES ('b', 'b', 'b', 'b', 'b', '2026-01-01')")
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar()

    @event.listens_for(engine, "connect")
    def cap(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA max_page_count = {pages}")
        cursor.close()

    engine.dispose()  # every connection from now on is capped
    n = 0
    for table in (*BALLAST, "ballast"):
        for size in (2000, 400, 100, 20, 1):
            while True:
                n += 1
                key = f"{n:07d}" + "x" * size
                try:
                    with engine.begin() as conn:
                        conn.exec_driver_sql(BALLAST[table].format(size=size, key=key))
                except OperationalError as exc:
                    assert "full" in str(exc)
                    break


async def test_a_full_disk_is_named_and_the_summary_still_arrives(
    botapi: FakeBotAPI, site: FakeSite, start_bot: StartBot
) -> None:
    url = site.page("/news/generals", article_html())
    async with start_bot() as app:
        botapi.push_message("/start")
        await botapi.wait_for(replies(botapi, USER, 1))
        fill_up(app.bot_data.services.store.engine)
        botapi.push_message("/subscribe Північна Корея")
        _, refused = await botapi.wait_for(replies(botapi, USER, 2))
        botapi.push_message(f"look at this {url}")
        *_, summary = await botapi.wait_for(replies(botapi, USER, 3))
    assert refused.text == messages.STORAGE_PROBLEM
    assert "storage problem" in refused.text
    assert summary.text.startswith(SEED_TITLE) and summary.text.count("• ") >= 2
    assert app.bot_data is not None
