"""`Chats`: a chat's language, schedule and pause switch, and forgetting a chat entirely."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.orm import Session
from sqlmodel import col

from bot.schedule import valid_timezone
from bot.store.records import Chat
from bot.store.session import Database, dml, rowcount
from bot.store.tables import ChatRow, DeliveryRow, ReplyMessageRow, SentStoryRow, SubscriptionRow
from bot.store.types import utcnow


class Chats:
    """Chats with their settings; a chat is created on first contact with the defaults."""

    def __init__(
        self, db: Database, *, default_timezone: str, default_digest_time: time
    ) -> None:
        if not valid_timezone(default_timezone):
            raise ValueError(f"unknown default timezone {default_timezone!r}")
        self._db = db
        self.default_timezone = default_timezone
        self.default_digest_time = default_digest_time

    def ensure(self, session: Session, chat_id: int, now: datetime) -> None:
        """Create the chat with the defaults inside `session`'s transaction, if it is new."""
        dml(
            session,
            self._db.insert(ChatRow)
            .values(
                chat_id=chat_id,
                language=None,
                timezone=self.default_timezone,
                digest_time=self.default_digest_time,
                active=True,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=["chat_id"]),
        )

    def _update(self, chat_id: int, **values: Any) -> Chat:
        now = utcnow()
        with self._db.write() as session:
            self.ensure(session, chat_id, now)
            dml(
                session,
                update(ChatRow)
                .where(col(ChatRow.chat_id) == chat_id)
                .values(updated_at=now, **values),
            )
            row = session.get_one(ChatRow, chat_id, populate_existing=True)
            return chat_record(row)

    def upsert(self, chat_id: int, *, language: str | None = None) -> Chat:
        """Create the chat if it is new; set its language when one is given."""
        if language is None:
            now = utcnow()
            with self._db.write() as session:
                self.ensure(session, chat_id, now)
                return chat_record(session.get_one(ChatRow, chat_id))
        return self._update(chat_id, language=language)

    def set_language_if_unset(self, chat_id: int, language: str) -> None:
        """Give a chat a first language without overwriting one chosen meanwhile.

        First contact stores the Telegram language of who wrote; updates are handled
        concurrently, so a `/lang de` in the same burst may already have written its choice.
        """
        with self._db.write() as session:
            self.ensure(session, chat_id, utcnow())
            dml(
                session,
                update(ChatRow)
                .where(col(ChatRow.chat_id) == chat_id, col(ChatRow.language).is_(None))
                .values(language=language, updated_at=utcnow()),
            )

    def get(self, chat_id: int) -> Chat | None:
        with self._db.read() as session:
            row = session.get(ChatRow, chat_id)
            return None if row is None else chat_record(row)

    def set_language(self, chat_id: int, language: str | None) -> Chat:
        return self._update(chat_id, language=language)

    def set_schedule(self, chat_id: int, digest_time: time, tz: str) -> Chat:
        """Set the local digest time and IANA timezone (ValueError for an unknown zone)."""
        if not valid_timezone(tz):
            raise ValueError(f"unknown timezone {tz!r} (expected an IANA name like Europe/Kyiv)")
        # Seconds would make the minute-by-minute job fire a minute late; drop them.
        digest_time = digest_time.replace(second=0, microsecond=0, tzinfo=None)
        return self._update(chat_id, digest_time=digest_time, timezone=tz)

    def set_active(self, chat_id: int, active: bool) -> Chat:
        """Pause or resume digests (e.g. the user blocked the bot or left the group)."""
        return self._update(chat_id, active=active)

    def forget(self, chat_id: int) -> bool:
        """Delete everything stored about a chat; True if there was something to delete."""
        with self._db.write() as session:
            # Explicit child deletes, not only ON DELETE CASCADE: correct even on a SQLite
            # connection someone opened without `PRAGMA foreign_keys`.
            for table in (SubscriptionRow, SentStoryRow, DeliveryRow, ReplyMessageRow):
                dml(session, delete(table).where(col(table.chat_id) == chat_id))
            result = dml(session, delete(ChatRow).where(col(ChatRow.chat_id) == chat_id))
            return rowcount(result) > 0


def chat_record(row: ChatRow) -> Chat:
    return Chat(
        chat_id=row.chat_id,
        language=row.language,
        timezone=row.timezone,
        digest_time=row.digest_time,
        active=row.active,
        created_at=row.created_at,
        updated_at=row.updated_at,
        last_digest_at=row.last_digest_at,
    )
