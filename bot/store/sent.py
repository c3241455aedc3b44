"""`SentStories`: the stories each chat was shown, so a digest never repeats one.

What is kept per story is `bot.news.selection.SentStory`, the type story selection reads:
the store writes and returns it as is.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from sqlmodel import col

from bot.store.session import Database, dml, rowcount
from bot.store.tables import SentStoryRow

if TYPE_CHECKING:
    from bot.news.selection import SentStory

# Columns a story sent again overwrites (the key and chat stay).
_UPDATED = ("urls", "outlet_count", "sent_at", "outlet_keys", "signature", "points")
# Stories per INSERT: 8 parameters each stays far below SQLite's 32,766 and PostgreSQL's
# 65,535 bound parameters.
ROWS = 2000


class SentStories:
    """Per chat and story key: members, outlets, word signature and points as sent."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def since(self, chat_id: int, since: datetime) -> dict[str, SentStory]:
        """Stories sent to this chat at or after `since`, by story key."""
        with self._db.read() as session:
            rows = session.scalars(
                select(SentStoryRow).where(
                    col(SentStoryRow.chat_id) == chat_id, col(SentStoryRow.sent_at) >= since
                )
            )
            return {row.story_key: sent_story(row) for row in rows}

    def record(self, chat_id: int, stories: Iterable[SentStory], sent_at: datetime) -> None:
        """Remember what a digest contained; a story sent again is updated, not duplicated."""
        with self._db.write() as session:
            self.record_in(session, chat_id, stories, sent_at)

    def record_in(
        self, session: Session, chat_id: int, stories: Iterable[SentStory], sent_at: datetime
    ) -> None:
        """`record` inside a transaction another repository opened."""
        self.record_many_in(session, [(chat_id, stories)], sent_at)

    def record_many_in(
        self, session: Session, digests: Iterable[tuple[int, Iterable[SentStory]]],
        sent_at: datetime,
    ) -> None:
        """Several chats' digests, in one INSERT per `ROWS` stories; each row upserts on
        (chat, story)."""
        rows: dict[tuple[int, str], dict[str, Any]] = {}
        for chat_id, stories in digests:
            for story in stories:
                # One row per (chat, story): a story under two of the chat's topics is one
                # memory, and one statement may not upsert a row twice (PostgreSQL refuses).
                rows[(chat_id, story.story_key)] = {
                    "chat_id": chat_id,
                    "story_key": story.story_key,
                    "urls": sorted(story.member_urls),
                    "outlet_count": story.outlet_count,
                    "sent_at": sent_at,
                    "outlet_keys": sorted(story.outlet_keys),
                    "signature": sorted(story.signature),
                    "points": list(story.points),
                }
        values = list(rows.values())
        for start in range(0, len(values), ROWS):
            insert = self._db.insert(SentStoryRow).values(values[start:start + ROWS])
            dml(
                session,
                insert.on_conflict_do_update(
                    index_elements=["chat_id", "story_key"],
                    set_={k: getattr(insert.excluded, k) for k in _UPDATED},
                ),
            )

    def prune(self, older_than: datetime) -> int:
        """Forget stories sent before `older_than` (they can't be repeats any more)."""
        with self._db.write() as session:
            result = dml(
                session, delete(SentStoryRow).where(col(SentStoryRow.sent_at) < older_than)
            )
            return rowcount(result)


def sent_story(row: SentStoryRow) -> SentStory:
    # bot.news loads feed parsing and HTTP (~0.8 s): `newsbot status` opens the store without it.
    from bot.news.selection import SentStory

    return SentStory(
        story_key=row.story_key,
        member_urls=frozenset(row.urls),
        outlet_keys=frozenset(row.outlet_keys or ()),
        signature=frozenset(row.signature or ()),
        sent_at=row.sent_at,
        outlet_count=row.outlet_count,
        points=tuple(row.points or ()),
    )
