"""A topic digest in words: terminal text and JSON (`newsbot digest`), and the lines both
front ends use for a topic with no stories and for an update."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from bot.i18n import ENGLISH, Plain, Plural, Translator
from bot.news import DigestStory, TopicDigest
from bot.news.selection import MAX_LOOKBACK

_LOOKBACK_HOURS = int(MAX_LOOKBACK.total_seconds() // 3600)
MAX_NAMED = 4  # outlets named in an update line


def nothing_new_line(topic: str, since_hours: float | None = None) -> str:
    if since_hours is None or 20 <= since_hours <= 28:
        return f"Nothing new on {topic} since yesterday"
    return f"Nothing new on {topic} in the last {since_hours:g} hours"


# The lines for a topic without stories and for an update, in the reader's language (the
# terminal gets English, the default).
# TRANSLATORS: the three ways a digest's window is named, used as {since} below.
SINCE_LAST_DIGEST = Plain("since your last digest")
SINCE_YESTERDAY = Plain("since yesterday")
IN_THE_LAST_HOURS = Plural("in the last {hours} hour", "in the last {hours} hours")
# TRANSLATORS: {name} is the topic; {since} one of "since yesterday", "since your last
# digest", "in the last 24 hours".
NOTHING_NEW = Plain("Nothing new on {name} {since}")
SOURCES_UNREACHABLE = Plain("I couldn't reach the news sources for {name} today")
SOME_SOURCES_FAILED = Plural(
    "({failed} of {asked} news source couldn't be reached)",
    "({failed} of {asked} news sources couldn't be reached)",
)
FEED_FAILED = Plain("(its feed couldn't be reached)")
# TRANSLATORS: {outlets} is a list of outlet names, "Reuters, BBC and 2 more".
ALSO_REPORTED_BY = Plain("now also reported by {outlets}")
# TRANSLATORS: the last item of a list of outlets: "Reuters, BBC and 2 more".
MORE_OUTLETS = Plural("{n} more", "{n} more")
EVERY_POINT_NEW = Plain("every point is new")
ITS_POINT_NEW = Plain("its point is new")
# TRANSLATORS: {points} is a list of point numbers, "1, 3 and 4".
POINTS_NEW = Plural("point {points} is new", "points {points} are new")
MORE_REPORT_IT = Plain("more outlets report it")
# TRANSLATORS: {since} as above; {detail} is what is new, e.g. "its point is new".
NEW_SINCE = Plain("New {since}: {detail}.")


def since_words(previous: date | None, today: date | None, tr: Translator = ENGLISH) -> str:
    """How far back a chat's digest looked, in words that are true.

    "since yesterday" only when the chat's previous digest was yesterday (its local date);
    a second digest the same day looked back to that one. Otherwise the window is the last
    24 hours (a digest never looks further back), whenever the previous one was: saying
    "since Monday" after a three-day gap would claim days that were never searched.
    """
    if previous is not None and today is not None:
        if previous >= today:
            return tr(SINCE_LAST_DIGEST)
        if previous == today - timedelta(days=1):
            return tr(SINCE_YESTERDAY)
    return tr(IN_THE_LAST_HOURS, _LOOKBACK_HOURS).format(hours=_LOOKBACK_HOURS)


def quiet_topic_line(digest: TopicDigest, *, since: str, name: str | None = None,
                     tr: Translator = ENGLISH) -> str:
    """The one line for a topic without stories: unreachable sources are not "nothing new"."""
    name = name or digest.name
    if digest.all_sources_failed:
        return tr(SOURCES_UNREACHABLE).format(name=name)
    if digest.skipped_already_sent and since != tr(SINCE_YESTERDAY):
        # It had stories, all of which the chat was already sent.
        since = tr(SINCE_LAST_DIGEST)
    line = tr(NOTHING_NEW).format(name=name, since=since)
    failed = len(digest.errors)
    if failed:
        asked = digest.sources_asked
        line += " " + (tr(SOME_SOURCES_FAILED, asked).format(failed=failed, asked=asked)
                       if asked > 1 else tr(FEED_FAILED))
    return line


def update_line(story: DigestStory, *, since: str, tr: Translator = ENGLISH) -> str:
    """One line on what an update adds to the version the chat was sent."""
    parts: list[str] = []
    if story.new_outlets:
        names = list(story.new_outlets[:MAX_NAMED])
        more = len(story.new_outlets) - len(names)
        if more:
            names.append(tr(MORE_OUTLETS, more).format(n=more))
        parts.append(tr(ALSO_REPORTED_BY).format(outlets=tr.join(names)))
    new = [i + 1 for i in story.new_points if i < len(story.points)]
    if new and len(new) == len(story.points):
        parts.append(tr(EVERY_POINT_NEW) if len(new) > 1 else tr(ITS_POINT_NEW))
    elif new:
        parts.append(tr(POINTS_NEW, len(new)).format(points=tr.join([str(n) for n in new])))
    detail = "; ".join(parts) if parts else tr(MORE_REPORT_IT)
    return tr(NEW_SINCE).format(since=since, detail=detail)


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
