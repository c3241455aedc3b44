"""Digest rendering is pure: sections per topic, valid strict HTML, parts under the limit."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.news import DigestStory, SourceFailure, TopicDigest
from bot.rounds import ChatDigest
from bot.telegram.digest_render import first_story_url, render_digest
from tests.fakes.botapi import parse_html, utf16_len

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


def story(n: int, *, points: tuple[str, ...] = ("First point.", "Second point."),
          lead: str = "A lead.", outlets: int = 3, is_update: bool = False,
          headline: str | None = None,
          point_sources: tuple[tuple[str, ...], ...] = (),
          new_outlets: tuple[str, ...] = (), new_points: tuple[int, ...] = ()) -> DigestStory:
    sources = tuple((f"Outlet {i}", f"https://o{i}.example/s/{n}?a=1&b=2")
                    for i in range(outlets))
    return DigestStory(
        story_key=f"k{n}", headline=headline or f"Headline {n}", points=points, lead=lead,
        url=f"https://o0.example/s/{n}", sources=sources, outlet_count=outlets,
        is_update=is_update, member_urls=frozenset(u for _, u in sources),
        outlet_keys=frozenset(o for o, _ in sources), signature=frozenset(), latest=NOW,
        point_sources=point_sources, new_outlets=new_outlets, new_points=new_points,
    )


TODAY = date(2026, 11, 26)


def chat(*topics: TopicDigest, previous: date | None = TODAY - timedelta(days=1)) -> ChatDigest:
    return ChatDigest(7, TODAY, "en", topics, today=TODAY, previous=previous)


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
    assert 'href="https://e.example/?q=&#34;&gt;&lt;b&gt;"' in part


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


@pytest.mark.parametrize(("previous", "words"), [
    (TODAY - timedelta(days=1), "since yesterday"),
    (TODAY, "since your last digest"),  # a second digest the same day
    (TODAY - timedelta(days=3), "in the last 24 hours"),  # never "since yesterday"
    (None, "in the last 24 hours"),  # the first digest
])
def test_nothing_new_says_since_when_truthfully(previous: date | None, words: str) -> None:
    (part,) = render_digest(chat(TopicDigest("Quiet", ()), previous=previous))
    assert parse_html(part).rstrip().endswith(f"Nothing new on Quiet {words}")


def test_a_topic_whose_sources_all_failed_is_not_nothing_new() -> None:
    down = TopicDigest("Atlantis", (), errors=(SourceFailure("google", "FetchTimeout: slow"),
                                                SourceFailure("bing", "HTTP 503")),
                       sources_asked=2)
    some = TopicDigest("Quiet", (), errors=(SourceFailure("google", "FetchTimeout: slow"),),
                       sources_asked=2)
    visible = parse_html(render_digest(chat(down, some))[0])
    assert "I couldn't reach the news sources for Atlantis today" in visible
    assert "Nothing new on Atlantis" not in visible
    # Half the sources answered: nothing new there, and the reader is told what wasn't asked.
    assert ("Nothing new on Quiet since yesterday (1 of 2 news sources couldn't be reached)"
            in visible)


def test_a_feed_topic_is_named_by_the_feed_title_not_its_url() -> None:
    url = "https://news.example.org/world/rss.xml?edition=int&a=1"
    feed = TopicDigest(url, (story(1),), title="Example News — World & Europe")
    quiet = TopicDigest(url + "&b=2", (), title="Example <Quiet> Feed")
    visible = parse_html(render_digest(chat(feed, quiet))[0])
    assert "🗞 Example News — World & Europe\n" in visible
    assert "Nothing new on Example <Quiet> Feed since yesterday" in visible
    assert "news.example.org" not in visible


def test_each_point_ends_with_the_outlets_that_state_it() -> None:
    cited = story(1, points=("Missile fell into the sea.", "It flew 600 km.", "Uncited."),
                  point_sources=(("Reuters", "BBC <News> & Co"), ("CNN",), ()))
    (part,) = render_digest(chat(TopicDigest("North Korea", (cited,))))
    visible = parse_html(part)
    assert "• Missile fell into the sea. — Reuters, BBC <News> & Co\n" in visible
    assert "• It flew 600 km. — CNN\n" in visible
    assert "• Uncited.\n" in visible
    assert "<i>— Reuters, BBC &lt;News&gt; &amp; Co</i>" in part


def test_cited_points_still_split_under_the_limit() -> None:
    long_point = "word " * 110
    names = tuple(f"Outlet with a rather long name {i}" for i in range(5))
    stories = tuple(story(n, points=(long_point,) * 3, point_sources=(names,) * 3)
                    for n in range(14))
    parts = render_digest(chat(TopicDigest("Big news", stories)))
    assert len(parts) > 1
    for part in parts:
        visible = parse_html(part)
        assert utf16_len(part) <= 4096 and utf16_len(visible) <= 4096
        assert part.startswith("<b>")
    text = "\n".join(parse_html(p) for p in parts)
    # Three outlets named, the rest counted; every bullet of every story is there.
    assert text.count("— Outlet with a rather long name 0, Outlet with a rather long name 1, "
                      "Outlet with a rather long name 2, +2\n") == 14 * 3


def test_an_update_says_what_is_new_in_one_line() -> None:
    update = story(1, is_update=True, points=("Old fact.", "New fact.", "Another new one."),
                   new_outlets=("CNN", "BBC News"), new_points=(1, 2))
    visible = parse_html(render_digest(chat(TopicDigest("North Korea", (update,))))[0])
    assert ("Update: Headline 1\nNew since yesterday: now also reported by CNN and BBC News; "
            "points 2 and 3 are new.\n• Old fact." in visible)
