"""ChatDigest → Telegram HTML messages: one section per topic, split between stories.

Pure functions over plain data: no I/O, no python-telegram-bot objects. What came from a
feed, a page or a model is plain `str` here; the Markup templates and joins escape it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.i18n import Translator, translator
from bot.telegram import messages
from bot.telegram.markup import (
    MAX_ESCAPE,
    MAX_MESSAGE,
    NEWLINE,
    Markup,
    bold,
    italic,
    link,
    pack,
    text_len,
    to_plain,
)
from bot.telegram.render import BULLET, MAX_TITLE
from bot.terminal import quiet_topic_line, since_words, update_line

if TYPE_CHECKING:
    from bot.news import DigestStory, TopicDigest
    from bot.rounds import ChatDigest

MAX_POINTS = 3
MAX_SOURCES = 5
MAX_POINT = 600  # characters; a model's point is a sentence or two, never a page
MAX_LEAD = 400
MAX_SOURCES_LINE = 1500  # HTML source; long Google News tokens make a few links already long
MAX_CITED = 3  # outlets named after a point
MAX_OUTLET = 40  # characters of one outlet's name after a point
TOPIC_MARK = "🗞 "
_SOURCES = Markup("{reported}: {links}")
_CITED = Markup(" <i>— {}</i>")
_SEPARATOR = Markup(", ")


def render_digest(digest: ChatDigest, *, limit: int = MAX_MESSAGE) -> list[Markup]:
    """Return the digest as HTML messages, each at most `limit` long even as source.

    Its words are in the digest's language (the chat's; English when not shipped). Parts
    break between stories (a topic's name stays with its first story), so a story is
    never cut in half unless it alone is longer than a message.
    """
    tr = translator(digest.language)
    blocks = [bold(messages.digest_title(tr, digest.local_date))]
    since = since_words(digest.previous, digest.today, tr)
    for topic in digest.topics:
        blocks.extend(_topic_blocks(tr, topic, since))
    fitted: list[Markup] = []
    for block in blocks:
        if text_len(block) <= limit:
            fitted.append(block)
        else:  # one enormous story: fall back to breaking it between lines
            fitted.extend(_clip(line, limit) for line in block.split("\n") if line)
    return pack(fitted, limit)


def first_story_url(digest: ChatDigest) -> str | None:
    """The link Telegram should preview under the digest: the first story's article."""
    for topic in digest.topics:
        for story in topic.stories:
            return story.url
    return None


def _topic_blocks(tr: Translator, topic: TopicDigest, since: str) -> list[Markup]:
    name = _cut(_squash(topic.name), MAX_TITLE)
    header = NEWLINE + TOPIC_MARK + bold(name)
    if topic.nothing_new:
        quiet = quiet_topic_line(topic, since=since, name=name, tr=tr)
        return [header + NEWLINE + quiet]
    blocks = [_story(tr, story, since) for story in topic.stories]
    blocks[0] = header + NEWLINE + blocks[0]
    blocks[1:] = [NEWLINE + block for block in blocks[1:]]
    return blocks


def _story(tr: Translator, story: DigestStory, since: str) -> Markup:
    headline = _cut(_squash(story.headline) or tr(messages.UNTITLED), MAX_TITLE)
    if story.is_update:
        headline = f"{tr(messages.UPDATE_MARK)} {headline}"
    lines: list[str | Markup] = [bold(headline)]  # plain text is escaped by the join
    if story.is_update:
        lines.append(italic(_cut(update_line(story, since=since, tr=tr), MAX_LEAD)))
    points: list[Markup] = []
    for i, point in enumerate(story.points[:MAX_POINTS]):
        if point.strip():
            outlets = story.point_sources[i] if i < len(story.point_sources) else ()
            points.append(BULLET + _cut(_squash(point), MAX_POINT) + _cited(outlets))
    if points:
        lines.extend(points)
    else:
        if story.lead.strip():
            lines.append(italic(_cut(_squash(story.lead), MAX_LEAD)))
        lines.append(tr(messages.ONLY_HEADLINE))
    lines.append(_sources(tr, story))
    return NEWLINE.join(lines)


def _sources(tr: Translator, story: DigestStory) -> Markup:
    reported = messages.reported_by(tr, story.outlet_count)
    links: list[Markup] = []
    for outlet, url in story.sources[:MAX_SOURCES]:
        source = link(url, _squash(outlet) or url)
        if len(reported) + len(_SEPARATOR.join([*links, source])) + 2 > MAX_SOURCES_LINE:
            break
        links.append(source)
    if not links:
        return Markup.escape(reported)
    return _SOURCES.format(reported=reported, links=_SEPARATOR.join(links))


def _cited(outlets: tuple[str, ...]) -> Markup:
    """" — Reuters, BBC News" (in italics) after a point: the outlets that state it."""
    names = [_cut(_squash(o), MAX_OUTLET) for o in outlets[:MAX_CITED] if o.strip()]
    if len(outlets) > MAX_CITED:
        names.append(f"+{len(outlets) - MAX_CITED}")
    return _CITED.format(", ".join(names)) if names else Markup()


def _clip(line: Markup, limit: int) -> Markup:
    # Only reachable with a limit far below Telegram's: every line is bounded above.
    if text_len(line) <= limit:
        return line
    return Markup.escape(_cut(to_plain(line), limit // MAX_ESCAPE))


def _squash(text: str) -> str:
    return " ".join(text.split())


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
