"""What makes two subscriptions "the same topic"."""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit, urlunsplit

TopicKind = Literal["search", "feed"]
KINDS: tuple[TopicKind, ...] = ("search", "feed")

MAX_TOPIC_CHARS = 512


def normalize_topic(topic: str, kind: TopicKind) -> str:
    """The comparison key of a topic: case and spacing of a search, scheme and host of a feed."""
    if kind == "feed":
        parts = urlsplit(topic.strip())
        # Paths and queries are case-sensitive on most servers; scheme and host are not.
        return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path, parts.query, ""))
    return " ".join(topic.split()).casefold()
