"""A topic digest in words: terminal text and JSON (`newsbot digest`), and the lines both
front ends use for a topic with no stories and for an update."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from bot.news import DigestStory, TopicDigest
from bot.news.selection import MAX_LOOKBACK

_LOOKBACK_HOURS = int(MAX_LOOKBACK.total_seconds() // 3600)
MAX_NAMED = 4  # outlets named in an update line


def nothing_new_line(topic: str, since_hours: float | None = None) -> str:
    if since_hours is None or 20 <= since_hours <= 28:
        return f"Nothing new on {topic} since yesterday"
    return f"Nothing new on {topic} in the last {since_hours:g} hours"


def since_words(previous: date | None, today: date | None) -> str:
    """How far back a chat's digest looked, in words that are true.

    "since yesterday" only when the chat's previous digest was yesterday (its local date);
    a second digest the same day looked back to that one. Otherwise the window is the last
    24 hours (a digest never looks further back), whenever the previous one was: saying
    "since Monday" after a three-day gap would claim days that were never searched.
    """
    if previous is not None and today is not None:
        if previous >= today:
            return "since your last digest"
        if previous == today - timedelta(days=1):
            return "since yesterday"
    return f"in the last {_LOOKBACK_HOURS} hours"


def quiet_topic_line(digest: TopicDigest, *, since: str, name: str | None = None) -> str:
    """The one line for a topic without stories: unreachable sources are not "nothing new"."""
    name = name or digest.name
    if digest.all_sources_failed:
        return f"I couldn't reach the news sources for {name} today"
    if digest.skipped_already_sent and since != "since yesterday":
        # It had stories, all of which the chat was already sent.
        since = "since your last digest"
    line = f"Nothing new on {name} {since}"
    failed = len(digest.errors)
    if failed:
        line += (f" ({failed} of {digest.sources_asked} news sources couldn't be reached)"
                 if digest.sources_asked > 1 else " (its feed couldn't be reached)")
    return line


def update_line(story: DigestStory, *, since: str) -> str:
    """One line on what an update adds to the version the chat was sent."""
    parts: list[str] = []
    if story.new_outlets:
        names = list(story.new_outlets[:MAX_NAMED])
        more = len(story.new_outlets) - len(names)
        parts.append("now also reported by " + _and(names + ([f"{more} more"] if more else [])))
    new = [i + 1 for i in story.new_points if i < len(story.points)]
    if new and len(new) == len(story.points):
        parts.append("every point is new" if len(new) > 1 else "its point is new")
    elif new:
        parts.append(f"point{'s' if len(new) > 1 else ''} {_and([str(n) for n in new])} "
                     f"{'are' if len(new) > 1 else 'is'} new")
    detail = "; ".join(parts) if parts else "more outlets report it"
    return f"New {since}: {detail}."


def _and(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def digest_record(digest: TopicDigest) -> dict[str, Any]:
    return {
        "topic": digest.topic,
        "title": digest.name,
        "since": _iso(digest.since),
        "generated_at": _iso(digest.built_at),
        "nothing_new": digest.nothing_new,
        "stories": [
            {
                "headline": s.headline,
                "points": list(s.points),
                "point_sources": [list(names) for names in s.point_sources],
                "lead": s.lead or None,
                "url": s.url,
                "outlet_count": s.outlet_count,
                "sources": [{"outlet": o, "url": u} for o, u in s.sources],
                "is_update": s.is_update,
                "latest": _iso(s.latest),
            }
            for s in digest.stories
        ],
        "errors": [{"source": e.source, "error": e.error} for e in digest.errors],
    }


def digest_text(digest: TopicDigest, *, since_hours: float | None = None) -> str:
    lines = [f"{digest.name} — {len(digest.stories)} stories", ""]
    if digest.nothing_new:
        return nothing_new_line(digest.name, since_hours) + "\n"
    for n, story in enumerate(digest.stories, 1):
        mark = " (update)" if story.is_update else ""
        lines.append(f"{n}. {story.headline}{mark}")
        if story.points:
            for i, point in enumerate(story.points):
                names = story.point_sources[i] if i < len(story.point_sources) else ()
                lines.append(f"   • {point}{cited(names, ' — ')}")
        elif story.lead:
            lines.append(f"   • {story.lead}")
        if not story.points:
            lines.append("   (only the headline could be read)")
        count = story.outlet_count
        lines.append(f"   reported by {count} outlet{'s' if count != 1 else ''}: "
                     + ", ".join(outlet for outlet, _ in story.sources[:6]))
        lines.append(f"   {story.url}")
        lines.append("")
    return "\n".join(lines)


def cited(names: Sequence[str], sep: str) -> str:
    """" — Reuters, BBC News" after a point; nothing when no outlet is known."""
    return f"{sep}{', '.join(names)}" if names else ""


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
