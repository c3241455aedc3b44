"""Plain, immutable results of store queries (no ORM objects leave the store)."""

from __future__ import annotations

from collections.abc import Sequence
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


@dataclass(frozen=True, slots=True)
class StoryRef:
    """A story as a sent message showed it, for answering a reply to that message.

    `sources` are (outlet, canonical URL) pairs: the articles' texts are looked up in the
    link cache by URL when a question comes.
    """

    title: str
    sources: tuple[tuple[str, str], ...]
    points: tuple[str, ...] = ()

    @classmethod
    def of(cls, title: str, sources: Sequence[tuple[str, str]],
           points: Sequence[str] = ()) -> StoryRef:
        """A story as kept for questions: bounded, whatever a page or feed held."""
        return cls(
            title=_cut(" ".join(title.split()), 300),
            sources=tuple((_cut(o, 100), u) for o, u in sources[:MAX_REF_SOURCES]),
            points=tuple(_cut(" ".join(p.split()), 600) for p in points[:5]),
        )

    def to_json(self) -> dict[str, object]:
        return {"title": self.title, "sources": [list(s) for s in self.sources],
                "points": list(self.points)}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> StoryRef:
        sources = data.get("sources")
        points = data.get("points")
        return cls(
            title=str(data.get("title") or ""),
            sources=tuple(
                (str(s[0]), str(s[1])) for s in (sources if isinstance(sources, list) else [])
                if isinstance(s, list) and len(s) == 2
            ),
            points=tuple(str(p) for p in (points if isinstance(points, list) else [])),
        )


MAX_REF_SOURCES = 5  # outlets kept per story; answers read the first three still stored


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
