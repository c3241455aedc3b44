"""`Subscriptions`: the topics a chat follows, unique after normalisation, at most N a chat."""

from __future__ import annotations

from typing import cast

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from bot.errors import DuplicateTopic, TooManyTopics
from bot.store.chats import Chats
from bot.store.records import Subscription
from bot.store.session import Database, dml, rowcount
from bot.store.tables import ChatRow, SubscriptionRow
from bot.store.topic import KINDS, MAX_TOPIC_CHARS, TopicKind, normalize_topic
from bot.store.types import utcnow


class Subscriptions:
    """Search topics and feeds per chat."""

    def __init__(self, db: Database, chats: Chats, *, max_per_chat: int = 20) -> None:
        self._db = db
        self._chats = chats
        self.max_per_chat = max_per_chat

    def add(self, chat_id: int, topic: str, kind: TopicKind = "search") -> Subscription:
        """Follow a topic; raises DuplicateTopic or TooManyTopics (and ValueError for junk)."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        topic = " ".join(topic.split()) if kind == "search" else topic.strip()
        if not topic:
            raise ValueError("topic is empty")
        if len(topic) > MAX_TOPIC_CHARS:
            raise ValueError(f"topic is longer than {MAX_TOPIC_CHARS} characters")
        key = normalize_topic(topic, kind)
        now = utcnow()
        try:
            with self._db.write() as session:
                self._chats.ensure(session, chat_id, now)
                # Row lock on PostgreSQL so two concurrent adds can't both pass the limit
                # check; SQLite's BEGIN IMMEDIATE already serialises writers.
                session.execute(
                    select(col(ChatRow.chat_id))
                    .where(col(ChatRow.chat_id) == chat_id)
                    .with_for_update()
                )
                keys = set(
                    session.scalars(
                        select(col(SubscriptionRow.topic_key)).where(
                            col(SubscriptionRow.chat_id) == chat_id
                        )
                    )
                )
                if key in keys:
                    raise DuplicateTopic(topic)
                if len(keys) >= self.max_per_chat:
                    raise TooManyTopics(self.max_per_chat)
                row = SubscriptionRow(
                    chat_id=chat_id, kind=kind, topic=topic, topic_key=key, created_at=now
                )
                session.add(row)
                session.flush()
                return subscription_record(row)
        except IntegrityError as exc:  # the unique constraint, if a racer slipped through
            raise DuplicateTopic(topic) from exc

    def remove(self, chat_id: int, topic: str, kind: TopicKind | None = None) -> bool:
        """Stop following a topic (matched after normalisation); True if it was followed."""
        kinds = KINDS if kind is None else (kind,)
        keys = {normalize_topic(topic, k) for k in kinds}
        with self._db.write() as session:
            result = dml(
                session,
                delete(SubscriptionRow).where(
                    col(SubscriptionRow.chat_id) == chat_id,
                    col(SubscriptionRow.topic_key).in_(keys),
                    col(SubscriptionRow.kind).in_(kinds),
                ),
            )
            return rowcount(result) > 0

    def for_chat(self, chat_id: int) -> list[Subscription]:
        """A chat's topics, oldest first."""
        with self._db.read() as session:
            rows = session.scalars(
                select(SubscriptionRow)
                .where(col(SubscriptionRow.chat_id) == chat_id)
                .order_by(col(SubscriptionRow.created_at), col(SubscriptionRow.id))
            )
            return [subscription_record(row) for row in rows]


def subscription_record(row: SubscriptionRow) -> Subscription:
    return Subscription(
        chat_id=row.chat_id,
        topic=row.topic,
        topic_key=row.topic_key,
        kind=cast(TopicKind, row.kind),
        created_at=row.created_at,
    )
