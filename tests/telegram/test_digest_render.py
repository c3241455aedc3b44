"""Digest rendering is pure: sections per topic, valid strict HTML, parts under the limit."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.digests import ChatDigest
from bot.news import DigestStory, TopicDigest
from bot.telegram.digest_render import first_story_url, render_digest
from tests.fakes.botapi import parse_html, utf16_len

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


def story(n: int, *, points: tuple[str, ...] = ("First point.", "Second point."),
          lead: str = "A lead.", outlets: int = 3, is_update: bool = False,
          headline: str | None = None) -> DigestStory:
    sources = tuple((f"Outlet {i}", f"https://o{i}.example/s/{n}?a=1&b=2")
                    for i in range(outlets))
    return DigestStory(
        story_key=f"k{n}", headline=headline or f"Headline {n}", points=points, lead=lead,
        url=f"https://o0.example/s/{n}", sources=sources, outlet_count=outlets,
        is_update=is_update, member_urls=frozenset(u for _, u in sources),
        outlet_keys=frozenset(o for o, _ in sources), signature=frozenset(), latest=NOW,
    )


def chat(*topics: TopicDigest) -> ChatDigest:
    return ChatDigest(7, date(2026, 11, 26), "en", topics)


def test_sections_stories_points_and_sources() -> None:
    digest = chat(
        TopicDigest("North Korea", (story(1, outlets=7), story(2, points=(), lead="Only a lead."),
                                    story(3, is_update=True, outlets=1))),
        TopicDigest("Atlantis", ()),
    )
    (part,) = render_digest(digest)
    visible = parse_html(part)
    assert visible.startswith("Your daily digest — 26 Nov 2026")
    assert "<b>North Korea</b>" in part and "<b>Headline 1</b>" in part
    assert "• First point.\n• Second point." in visible
    assert "reported by 7 outlets: Outlet 0, Outlet 1, Outlet 2, Outlet 3, Outlet 4\n" in visible
    assert part.count('<a href="https://o0.example/s/1?a=1&amp;b=2">') == 1
    assert "<i>Only a lead.</i>" in part
    assert "<b>Update: Headline 3</b>" in part and "reported by 1 outlet:" in visible
    assert visible.rstrip().endswith("Atlantis\nNothing new on Atlantis since yesterday")
    assert first_story_url(digest) == "https://o0.example/s/1"


def test_everything_from_outside_is_escaped() -> None:
    hostile = story(1, headline='<b>Tom & Jerry</b> </a>', points=("A < B & C </i>",),
                    outlets=1)
    hostile = DigestStory(**{**{f: getattr(hostile, f) for f in hostile.__slots__},
                             "sources": (('<i>Evil</i> "x"', 'https://e.example/?q="><b>'),)})
    (part,) = render_digest(chat(TopicDigest("C&C <news>", (hostile,))))
    visible = parse_html(part)  # raises like Telegram on any markup error
    assert "<b>Tom & Jerry</b> </a>" in visible and "• A < B & C </i>" in visible
    assert "C&C <news>" in visible and '<i>Evil</i> "x"' in visible
    assert 'href="https://e.example/?q=&quot;&gt;&lt;b&gt;"' in part


def test_a_long_digest_splits_between_stories_under_the_limit() -> None:
    long_point = "word " * 100
    stories = tuple(story(n, points=(long_point, long_point, long_point)) for n in range(12))
    digest = chat(TopicDigest("Big news", stories), TopicDigest("Quiet", ()))
    parts = render_digest(digest)
    assert len(parts) > 1
    for part in parts:
        visible = parse_html(part)
        assert utf16_len(part) <= 4096 and utf16_len(visible) <= 4096
        # Every part starts at a story's headline (or the title): nothing cut mid-story.
        assert part.startswith("<b>")
    text = "\n".join(parse_html(p) for p in parts)
    assert all(text.count(f"Headline {n}\n") == 1 for n in range(12))
    assert text.count("reported by 3 outlets") == 12
    assert text.rstrip().endswith("Nothing new on Quiet since yesterday")


def test_no_stories_at_all_means_no_preview() -> None:
    digest = chat(TopicDigest("Quiet", ()))
    assert first_story_url(digest) is None
    (part,) = render_digest(digest)
    assert "Nothing new on Quiet since yesterday" in parse_html(part)
