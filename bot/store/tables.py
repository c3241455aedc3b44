"""The sqlmodel tables. The schema itself is owned by the Alembic migrations next door;
a test checks that these classes and the migrated database agree."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    Index,
    Text,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from bot.schedule import DEFAULT_DIGEST_TIME
from bot.store.types import UTCDateTime, utcnow

# Deterministic constraint names, so later migrations (and SQLite batch mode) can find them.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _chat_fk() -> Any:
    return Field(
        sa_type=BigInteger, foreign_key="chats.chat_id", ondelete="CASCADE", nullable=False
    )


def _when(*, nullable: bool = False) -> Any:
    if nullable:
        return Field(default=None, sa_type=UTCDateTime, nullable=True)
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class ChatRow(SQLModel, table=True):
    __tablename__ = "chats"

    # Telegram chat ids of supergroups exceed 32 bits (-100…).
    chat_id: int = Field(
        sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    language: str | None = Field(default=None, max_length=16)
    timezone: str = Field(default="UTC", max_length=64)
    digest_time: time = Field(default=DEFAULT_DIGEST_TIME)
    active: bool = Field(default=True)
    created_at: datetime = _when()
    updated_at: datetime = _when()
    last_digest_at: datetime | None = _when(nullable=True)
    # Added in 0003: a `/digest` whose later parts failed, to resume (bot.rounds.Plan).
    pending_digest: dict[str, Any] | None = Field(
        default=None, sa_column=Column(JSON, nullable=True)
    )


class SubscriptionRow(SQLModel, table=True):
    __tablename__ = "subscriptions"
    __table_args__ = (
        UniqueConstraint("chat_id", "topic_key", name="uq_subscriptions_chat_topic"),
        CheckConstraint("kind IN ('search', 'feed')", name="kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = _chat_fk()
    kind: str = Field(max_length=8)
    topic: str = Field(max_length=512)  # as the user wrote it, for display
    topic_key: str = Field(max_length=512)  # normalised, for uniqueness and fan-out
    created_at: datetime = _when()


class ArticleRow(SQLModel, table=True):
    """One article per canonical URL, shared by every chat (the link and digest cache)."""

    __tablename__ = "articles"

    canonical_url: str = Field(sa_type=Text, primary_key=True)
    url: str = Field(sa_type=Text)
    final_url: str = Field(sa_type=Text)
    title: str = Field(sa_type=Text)
    text: str = Field(sa_type=Text)
    site: str | None = Field(default=None, sa_type=Text)
    published: datetime | None = _when(nullable=True)
    language: str | None = Field(default=None, max_length=16)
    fetched_at: datetime = _when()


class SummaryRow(SQLModel, table=True):
    __tablename__ = "summaries"
    __table_args__ = (
        UniqueConstraint(
            "canonical_url", "lang", "summarizer", name="uq_summaries_url_lang_summarizer"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    canonical_url: str = Field(
        sa_type=Text, foreign_key="articles.canonical_url", ondelete="CASCADE"
    )
    lang: str = Field(max_length=16)  # "" when the reader asked for no particular language
    summarizer: str = Field(max_length=128)
    points: list[str] = Field(sa_column=Column(JSON, nullable=False))
    partial: bool = Field(default=False)
    dropped_points: int = Field(default=0)
    created_at: datetime = _when()


class SentStoryRow(SQLModel, table=True):
    __tablename__ = "sent_stories"
    __table_args__ = (
        UniqueConstraint("chat_id", "story_key", name="uq_sent_stories_chat_story"),
        Index("ix_sent_stories_chat_sent_at", "chat_id", "sent_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = _chat_fk()
    story_key: str = Field(max_length=256)
    urls: list[str] = Field(sa_column=Column(JSON, nullable=False))
    outlet_count: int = Field(default=1)
    sent_at: datetime = _when()
    # Added in 0002: what tells tomorrow's coverage of this story from a new one.
    outlet_keys: list[str] = Field(
        sa_column=Column(JSON, nullable=False, server_default=text("'[]'"))
    )
    signature: list[str] = Field(
        sa_column=Column(JSON, nullable=False, server_default=text("'[]'"))
    )
    # Added in 0004: the points the chat was shown.
    points: list[str] = Field(
        sa_column=Column(JSON, nullable=False, server_default=text("'[]'"))
    )


class DeliveryRow(SQLModel, table=True):
    """One row per chat and local date: the lock that makes a digest go out once."""

    __tablename__ = "digest_deliveries"
    __table_args__ = (
        UniqueConstraint("chat_id", "local_date", name="uq_digest_deliveries_chat_date"),
        CheckConstraint("status IN ('claimed', 'sent', 'failed')", name="status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = _chat_fk()
    local_date: date
    status: str = Field(max_length=8)
    claimed_at: datetime = _when()
    claimed_by: str = Field(max_length=128)
    sent_at: datetime | None = _when(nullable=True)
    attempts: int = Field(default=1)
    error: str | None = Field(default=None, sa_type=Text)
    # Added in 0003: the rendered parts and how many went out (bot.rounds.Plan), kept for
    # a digest of several messages so that a retry resumes instead of starting over.
    plan: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class FeedStateRow(SQLModel, table=True):
    """Validators for conditional GETs of a feed, so unchanged feeds cost a 304."""

    __tablename__ = "feed_state"

    feed_url: str = Field(sa_type=Text, primary_key=True)
    etag: str | None = Field(default=None, sa_type=Text)
    last_modified: str | None = Field(default=None, sa_type=Text)
    checked_at: datetime = _when()
    # Added in 0005: the feed's own (channel) title, for /export.
    title: str | None = Field(default=None, sa_type=Text)


class ReplyMessageRow(SQLModel, table=True):
    """A message the bot sent that a reader may reply to with a question (added in 0006).

    Many chats get the same digest: the stories it shows are kept once, by content, in
    `reply_stories`, and each sent message only points at them.
    """

    __tablename__ = "reply_messages"
    __table_args__ = (Index("ix_reply_messages_sent_at", "sent_at"),)

    chat_id: int = Field(
        sa_type=BigInteger, primary_key=True, foreign_key="chats.chat_id", ondelete="CASCADE",
        sa_column_kwargs={"autoincrement": False},
    )
    message_id: int = Field(
        sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    stories_key: str = Field(max_length=64)
    sent_at: datetime = _when()


class ReplyStoriesRow(SQLModel, table=True):
    """The stories of one sent summary or digest part, shared by every chat that got it."""

    __tablename__ = "reply_stories"

    stories_key: str = Field(max_length=64, primary_key=True)
    stories: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = _when()
