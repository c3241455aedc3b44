"""News for topics: sources (search feeds, subscribed feeds, GDELT), dedupe, stories, digests.

    sources ──► items ──► within(since, now) ──► dedupe ──► cluster ──► Story ──► rank
                                                         build_topic_digest ──► TopicDigest
"""

from bot.news.catalog import topic_sources
from bot.news.gdelt import GdeltSource
from bot.news.item import NewsItem
from bot.news.search import SearchFeedSource
from bot.news.selection import (
    DigestStory,
    SentStory,
    SourceFailure,
    TopicDigest,
    build_topic_digest,
)
from bot.news.source import FeedError, Source
from bot.news.story import Story
from bot.news.subscribed import FeedSource, FeedStates

__all__ = [
    "DigestStory", "FeedError", "FeedSource", "FeedStates", "GdeltSource", "NewsItem",
    "SearchFeedSource", "SentStory", "Source", "SourceFailure", "Story", "TopicDigest",
    "build_topic_digest", "topic_sources",
]
