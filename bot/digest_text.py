"""A topic digest as terminal text and as JSON (the `newsbot digest` command's output)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.news import TopicDigest


def nothing_new_line(topic: str, since_hours: float | None = None) -> str:
    if since_hours is None or 20 <= since_hours <= 28:
        return f"Nothing new on {topic} since yesterday"
    return f"Nothing new on {topic} in the last {since_hours:g} hours"


def digest_record(digest: TopicDigest) -> dict[str, Any]:
    return {
        "topic": digest.topic,
        "since": _iso(digest.since),
        "generated_at": _iso(digest.built_at),
        "nothing_new": digest.nothing_new,
        "stories": [
            {
                "headline": s.headline,
                "points": list(s.points),
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
    lines = [f"{digest.topic} — {len(digest.stories)} stories", ""]
    if digest.nothing_new:
        return nothing_new_line(digest.topic, since_hours) + "\n"
    for n, story in enumerate(digest.stories, 1):
        mark = " (update)" if story.is_update else ""
        lines.append(f"{n}. {story.headline}{mark}")
        for point in story.points or ((story.lead,) if story.lead else ()):
            lines.append(f"   • {point}")
        count = story.outlet_count
        lines.append(f"   reported by {count} outlet{'s' if count != 1 else ''}: "
                     + ", ".join(outlet for outlet, _ in story.sources[:6]))
        lines.append(f"   {story.url}")
        lines.append("")
    return "\n".join(lines)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
