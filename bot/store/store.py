"""`Store`: newsbot's durable state, one repository per area over one `Database`.

    store = Store.open(settings.effective_database_url)   # migrates, then connects
    await asyncio.to_thread(store.subscriptions.add, chat_id, "climate", "search")

The repositories are synchronous SQLAlchemy; async callers wrap calls in
`asyncio.to_thread`. Each call is one short transaction of its own, so one Store is safe to
share between threads, and the conditional writes keep several processes sharing one
database honest.
"""

from __future__ import annotations

from datetime import time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from bot.schedule import DEFAULT_DIGEST_TIME, parse_digest_time
from bot.store.articles import Articles
from bot.store.chats import Chats
from bot.store.deliveries import Deliveries
from bot.store.engine import make_engine
from bot.store.feeds import Feeds
from bot.store.migrate import migrate_engine
from bot.store.replies import Replies
from bot.store.sent import SentStories
from bot.store.session import Database
from bot.store.subscriptions import Subscriptions

if TYPE_CHECKING:
    from bot.config import Settings


class Store:
    """Durable state of the bot on SQLite or PostgreSQL.

    `chats` (language, schedule, pause, forget), `subscriptions` (topics per chat),
    `articles` (the shared link and summary cache), `sent` (stories each chat was shown),
    `deliveries` (due chats, claims, finished digests, resumable plans), `feeds` (validators
    of subscribed feeds), `replies` (which stories each sent message shows, for questions).
    """

    def __init__(
        self,
        engine: Engine,
        *,
        max_topics_per_chat: int = 20,
        default_timezone: str = "UTC",
        default_digest_time: time = DEFAULT_DIGEST_TIME,
        stale_after: timedelta = timedelta(minutes=30),
        retry_failed_after: timedelta = timedelta(minutes=5),
        max_attempts: int = 5,
    ) -> None:
        self.db = Database(engine)
        self.chats = Chats(
            self.db, default_timezone=default_timezone, default_digest_time=default_digest_time
        )
        self.subscriptions = Subscriptions(self.db, self.chats, max_per_chat=max_topics_per_chat)
        self.articles = Articles(self.db)
        self.sent = SentStories(self.db)
        self.deliveries = Deliveries(
            self.db,
            self.sent,
            stale_after=stale_after,
            retry_failed_after=retry_failed_after,
            max_attempts=max_attempts,
        )
        self.feeds = Feeds(self.db)
        self.replies = Replies(self.db)

    @property
    def engine(self) -> Engine:
        return self.db.engine

    @classmethod
    def open(cls, database_url: str, **options: Any) -> Store:
        """Connect to `database_url`, migrate it to the newest schema, and return a Store."""
        engine = make_engine(database_url)
        try:
            migrate_engine(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, **options)

    @classmethod
    def from_settings(cls, settings: Settings) -> Store:
        return cls.open(
            settings.effective_database_url,
            max_topics_per_chat=settings.max_topics_per_chat,
            default_timezone=settings.digest_default_timezone,
            default_digest_time=parse_digest_time(settings.digest_default_time),
        )

    def close(self) -> None:
        self.engine.dispose()
