"""`Replies`: which stories each sent summary or digest message shows, so that a reader's
reply to it can be answered about them.

A digest goes to many chats: its stories are stored once, under a hash of their content
(`reply_stories`), and each (chat, message id) row points at them (`reply_messages`).
Both are kept for CACHE_TTL_DAYS, like the article texts the answers are read from.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlmodel import col

from bot.store.records import StoryRef
from bot.store.session import Database, dml, rowcount
from bot.store.tables import ReplyMessageRow, ReplyStoriesRow
from bot.store.types import utcnow

# Rows per INSERT: 4 parameters each stays far below SQLite's 32,766 bound parameters.
ROWS = 2000

Sent = tuple[int, Sequence[int], Sequence[StoryRef]]  # chat, message ids, stories shown


def stories_key(stories: Sequence[StoryRef]) -> str:
    """The same stories, whichever chat got them, share one key."""
    data = json.dumps([s.to_json() for s in stories], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


class Replies:
    """Per chat and message id: the stories that message showed."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def remember(
        self, chat_id: int, message_ids: Iterable[int], stories: Sequence[StoryRef],
        sent_at: datetime | None = None,
    ) -> None:
        self.remember_many([(chat_id, list(message_ids), stories)], sent_at)

    def remember_many(self, sent: Iterable[Sent], sent_at: datetime | None = None) -> None:
        """Record sent messages and their stories, in one transaction (a digest round's batch)."""
        now = sent_at or utcnow()
        groups: dict[str, list[dict[str, object]]] = {}
        messages: dict[tuple[int, int], str] = {}
        for chat_id, message_ids, stories in sent:
            if not stories:
                continue
            key = stories_key(stories)
            groups.setdefault(key, [s.to_json() for s in stories])
            for message_id in message_ids:
                messages[(chat_id, message_id)] = key
        if not messages:
            return
        story_rows = [{"stories_key": k, "stories": v, "created_at": now}
                      for k, v in groups.items()]
        message_rows = [{"chat_id": c, "message_id": m, "stories_key": k, "sent_at": now}
                        for (c, m), k in messages.items()]
        with self._db.write() as session:
            for start in range(0, len(story_rows), ROWS):
                dml(session, self._db.insert(ReplyStoriesRow)
                    .values(story_rows[start:start + ROWS])
                    .on_conflict_do_nothing(index_elements=["stories_key"]))
            for start in range(0, len(message_rows), ROWS):
                insert = self._db.insert(ReplyMessageRow).values(message_rows[start:start + ROWS])
                dml(session, insert.on_conflict_do_update(
                    index_elements=["chat_id", "message_id"],
                    set_={"stories_key": insert.excluded.stories_key,
                          "sent_at": insert.excluded.sent_at},
                ))

    def stories_of(self, chat_id: int, message_id: int) -> list[StoryRef] | None:
        """The stories a message showed, or None when it is not (or no longer) known."""
        query = (
            select(col(ReplyStoriesRow.stories))
            .join(ReplyMessageRow,
                  col(ReplyMessageRow.stories_key) == col(ReplyStoriesRow.stories_key))
            .where(col(ReplyMessageRow.chat_id) == chat_id,
                   col(ReplyMessageRow.message_id) == message_id)
        )
        with self._db.read() as session:
            found = session.execute(query).scalar_one_or_none()
        if found is None:
            return None
        return [StoryRef.from_json(s) for s in found if isinstance(s, dict)]

    def prune(self, older_than: datetime) -> int:
        """Forget messages sent before `older_than`, and stories no message shows any more."""
        with self._db.write() as session:
            result = dml(session, delete(ReplyMessageRow)
                         .where(col(ReplyMessageRow.sent_at) < older_than))
            used = select(col(ReplyMessageRow.stories_key))
            dml(session, delete(ReplyStoriesRow)
                .where(col(ReplyStoriesRow.stories_key).not_in(used)))
            return rowcount(result)
