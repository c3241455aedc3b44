"""Durable state: chats, subscriptions, the shared article/summary cache, digest bookkeeping.

    store = Store.open(settings.effective_database_url)   # migrates, then connects
    await asyncio.to_thread(store.subscriptions.add, chat_id, "climate", "search")

One repository per area, reached from the `Store`: `store.chats`, `store.subscriptions`,
`store.articles`, `store.sent`, `store.deliveries`, `store.feeds`. Schema changes go in
`migrations/versions/` (append-only); `migrate(url)` applies them.
"""

from bot.errors import DuplicateTopic, StoreError, TooManyTopics
from bot.store.cache import StoreSummaryCache
from bot.store.migrate import head_revision, migrate
from bot.store.records import (
    CachedSummary,
    Chat,
    ChatInputs,
    Delivery,
    DeliveryStatus,
    DueChat,
    Subscription,
)
from bot.store.store import Store
from bot.store.topic import TopicKind, normalize_topic

__all__ = [
    "CachedSummary",
    "Chat",
    "ChatInputs",
    "Delivery",
    "DeliveryStatus",
    "DueChat",
    "DuplicateTopic",
    "Store",
    "StoreError",
    "StoreSummaryCache",
    "Subscription",
    "TooManyTopics",
    "TopicKind",
    "head_revision",
    "migrate",
    "normalize_topic",
]
