"""`Feeds`: the validators (ETag, Last-Modified) of subscribed feeds, so polls after a
restart can still be answered with a 304, and each feed's own title (for /export).

What is kept is `bot.news.subscribed.FeedState`, the type the feed poller holds; only its
validators are stored (its items stay in memory).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlmodel import col

from bot.store.session import Database, dml, rowcount
from bot.store.tables import FeedStateRow, SubscriptionRow
from bot.store.types import utcnow

if TYPE_CHECKING:
    from bot.news.subscribed import FeedState


class Feeds:
    """Validators per feed URL; `bot.news.FeedStates` reads and writes them through this."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, feed_url: str) -> FeedState | None:
        # Imported here: bot.news loads feed parsing and HTTP (~0.8 s), which `newsbot
        # status` opening the store does not need.
        from bot.news.subscribed import FeedState

        with self._db.read() as session:
            row = session.get(FeedStateRow, feed_url)
            if row is None:
                return None
            return FeedState(
                etag=row.etag, last_modified=row.last_modified, checked_at=row.checked_at
            )

    def put(self, feed_url: str, state: FeedState, *, checked_at: datetime | None = None) -> None:
        """Keep `state`'s validators, checked at `checked_at` (now by default)."""
        values: dict[str, object] = {
            "etag": state.etag,
            "last_modified": state.last_modified,
            "checked_at": checked_at or utcnow(),
        }
        if state.title:  # a poll that learned no title keeps the one known
            values["title"] = state.title
        with self._db.write() as session:
            dml(
                session,
                self._db.insert(FeedStateRow)
                .values(feed_url=feed_url, **values)
                .on_conflict_do_update(index_elements=["feed_url"], set_=values),
            )

    def set_title(self, feed_url: str, title: str) -> None:
        """Remember a feed's title (learned by a check), keeping its validators."""
        if not title:
            return
        with self._db.write() as session:
            dml(
                session,
                self._db.insert(FeedStateRow)
                .values(feed_url=feed_url, title=title, checked_at=utcnow())
                .on_conflict_do_update(index_elements=["feed_url"], set_={"title": title}),
            )

    def titles(self, feed_urls: Iterable[str]) -> dict[str, str]:
        """The known titles of these feeds (a feed without one is left out)."""
        wanted = list(feed_urls)
        if not wanted:
            return {}
        with self._db.read() as session:
            rows = session.execute(
                select(col(FeedStateRow.feed_url), col(FeedStateRow.title))
                .where(col(FeedStateRow.feed_url).in_(wanted))
            )
            return {url: title for url, title in rows if title}

    def followed(self) -> set[str]:
        """Every feed URL some chat follows."""
        with self._db.read() as session:
            return set(
                session.scalars(
                    select(col(SubscriptionRow.topic))
                    .where(col(SubscriptionRow.kind) == "feed")
                    .distinct()
                )
            )

    def evict_unfollowed(self) -> int:
        """Forget the validators of feeds nobody follows any more."""
        followed = select(col(SubscriptionRow.topic)).where(col(SubscriptionRow.kind) == "feed")
        with self._db.write() as session:
            result = dml(
                session, delete(FeedStateRow).where(col(FeedStateRow.feed_url).not_in(followed))
            )
            return rowcount(result)
