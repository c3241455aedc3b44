"""Plain, immutable results of store queries (no ORM objects leave the store)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Literal

from bot.article import Article, Summary
from bot.store.topic import TopicKind

if TYPE_CHECKING:
    # bot.news loads feed parsing and HTTP (~0.8 s): `newsbot status` opens the store without it.
    from bot.news.selection import SentStory

DeliveryStatus = Literal["claimed", "sent", "failed"]


@dataclass(frozen=True, slots=True)
class Chat:
    chat_id: int
    language: str | None
    timezone: str
    digest_time: time
    active: bool
    created_at: datetime
    updated_at: datetime
    last_digest_at: datetime | None


@dataclass(frozen=True, slots=True)
class Subscription:
    chat_id: int
    topic: str  # as the user wrote it
    topic_key: str  # normalised
    kind: TopicKind
    created_at: datetime


@dataclass(frozen=True, slots=True)
class CachedSummary:
    article: Article
    summary: Summary
    canonical_url: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Delivery:
    chat_id: int
    local_date: date
    status: DeliveryStatus
    claimed_at: datetime
    claimed_by: str
    sent_at: datetime | None
    attempts: int
    error: str | None


@dataclass(frozen=True, slots=True)
class DueChat:
    """A chat whose digest for `local_date` should be built and sent now."""

    chat_id: int
    local_date: date
    language: str | None
    timezone: str


@dataclass(frozen=True, slots=True)
class ChatInputs:
    """A chat, its topics and the stories it has seen: what its digest is built from."""

    chat: Chat
    subscriptions: list[Subscription]
    sent: dict[str, SentStory]
