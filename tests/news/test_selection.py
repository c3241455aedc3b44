"""build_topic_digest over in-memory sources: window, dedupe, ranking, sent stories, failures."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from bot.errors import FetchTimeout, HTTPStatusError, SummarizerError
from bot.news.item import NewsItem
from bot.news.selection import SentStory, TopicDigest, build_topic_digest
from tests.fakes.newsfeeds import NORTH_KOREA, NOW, FailingSource, ListSource, as_items

TOPIC = "North Korea"


class FakeSummarizer:
    """Answers two points per article; records what it was asked; can be told to fail."""

    def __init__(self, fail_for: frozenset[str] = frozenset()) -> None:
        self.asked: list[NewsItem] = []
        self.fail_for = fail_for  # article URLs

    async def __call__(self, item: NewsItem) -> list[str]:
        self.asked.append(item)
        if item.url in self.fail_for:
            raise SummarizerError("model down")
        return [f"Point about {item.title}.", "Second point.", "Third.", "Fourth is cut."]


async def _digest(sources: list, **kw: object) -> TopicDigest:
    args: dict = {"since": NOW - timedelta(hours=24), "now": NOW, "max_stories": 5,
                  "summarize": FakeSummarizer(), "already_sent": None}
    args.update(kw)
    return await build_topic_digest(TOPIC, sources=sources, **args)


def _by_story(digest: TopicDigest) -> dict[str, str]:
    """Headline → the fake story label of that digest entry."""
    labels = {}
    for story in digest.stories:
        label = next(r.story for r in NORTH_KOREA if r.url == story.url)
        labels[label] = story.headline
    return labels


async def test_stories_ranked_by_outlets_then_recency() -> None:
    digest = await _digest([ListSource("bing", as_items(NORTH_KOREA))])

    labels = [next(r.story for r in NORTH_KOREA if r.url == s.url) for s in digest.stories]
    # missile: 4 outlets; defector and summit: 3 each, defector is newer; "old" is 80 h old.
    assert labels == ["missile", "defector", "summit"]
    assert [s.outlet_count for s in digest.stories] == [4, 3, 3]
    assert not digest.nothing_new and not digest.errors
    missile = digest.stories[0]
    assert {outlet for outlet, _ in missile.sources} == {
        "Reuters", "Associated Press", "BBC News", "CNN"
    }
    assert missile.points == (
        f"Point about {missile.headline}.", "Second point.", "Third."
    )  # at most three points


async def test_duplicates_across_engines_and_tracking_params_count_once() -> None:
    google = ListSource("google", as_items(NORTH_KOREA, kind="google"))
    tagged = [replace(r, path=r.path + "?utm_source=twitter&utm_medium=social")
              for r in NORTH_KOREA]
    bing = ListSource("bing", as_items(NORTH_KOREA) + as_items(tagged))
    summarize = FakeSummarizer()

    digest = await _digest([google, bing], summarize=summarize)

    assert [s.outlet_count for s in digest.stories] == [4, 3, 3]
    assert digest.items_seen == 10  # one copy of each article in the window
    for story in digest.stories:
        assert len(story.sources) == story.outlet_count
        assert "news.google.com" not in story.url  # the publisher URL beats Google's token
        assert "utm_" not in story.url
    assert len(summarize.asked) == 3  # one summary per story, of its best article
    assert {item.url for item in summarize.asked} == {s.url for s in digest.stories}


async def test_only_items_since_the_last_digest_and_never_older_than_a_day() -> None:
    source = ListSource("bing", as_items(NORTH_KOREA))

    recent = await _digest([source], since=NOW - timedelta(hours=6))
    assert set(_by_story(recent)) == {"missile", "defector"}

    long_ago = await _digest([source], since=NOW - timedelta(days=7))
    assert "old" not in _by_story(long_ago)  # 80 h old: beyond the 24 h cap
    assert long_ago.since == NOW - timedelta(hours=24)
    assert source.asked[-1][2] == NOW - timedelta(hours=24)


async def test_max_stories_limits_the_digest() -> None:
    digest = await _digest([ListSource("bing", as_items(NORTH_KOREA))], max_stories=1)
    assert len(digest.stories) == 1
    assert digest.stories[0].outlet_count == 4


async def test_story_already_sent_is_skipped_until_it_grows() -> None:
    source = ListSource("bing", as_items(NORTH_KOREA))
    first = await _digest([source])
    sent = {s.story_key: s.as_sent(NOW) for s in first.stories[:1]}  # the missile story

    again = await _digest([source], already_sent=sent)

    assert [s.story_key for s in again.stories] == [s.story_key for s in first.stories[1:]]
    assert again.skipped_already_sent == 1

    everything = {s.story_key: s.as_sent(NOW) for s in first.stories}
    nothing = await _digest([source], already_sent=everything)
    assert nothing.nothing_new
    assert not nothing.all_sources_failed


async def test_next_day_coverage_from_new_outlets_is_an_update() -> None:
    missile = [r for r in NORTH_KOREA if r.story == "missile"]
    yesterday = await _digest([ListSource("bing", as_items(missile[:1]))])
    sent = {s.story_key: s.as_sent(NOW) for s in yesterday.stories}

    # A day later three more outlets cover it; the articles (URLs) are all new.
    later = NOW + timedelta(hours=20)
    newer = [replace(r, hours_ago=r.hours_ago - 20 + 0.5) for r in missile[1:]]
    today = await _digest(
        [ListSource("bing", as_items(newer, now=NOW))],
        since=NOW, now=later, already_sent=sent,
    )

    (story,) = today.stories
    assert story.is_update
    assert story.story_key == yesterday.stories[0].story_key  # the chat's key is kept
    assert story.outlet_count == 4


async def test_one_more_outlet_on_a_sent_story_is_not_news() -> None:
    missile = [r for r in NORTH_KOREA if r.story == "missile"]
    yesterday = await _digest([ListSource("bing", as_items(missile[:3]))])
    sent = {s.story_key: s.as_sent(NOW) for s in yesterday.stories}

    later = NOW + timedelta(hours=20)
    newer = [replace(missile[3], hours_ago=missile[3].hours_ago - 20)]
    today = await _digest(
        [ListSource("bing", as_items(newer, now=NOW))],
        since=NOW, now=later, already_sent=sent,
    )
    assert today.nothing_new


async def test_different_story_on_the_same_topic_is_not_taken_for_a_sent_one() -> None:
    summit = [r for r in NORTH_KOREA if r.story == "summit"]
    missile = [r for r in NORTH_KOREA if r.story == "missile"]
    yesterday = await _digest([ListSource("bing", as_items(summit))])
    sent = {s.story_key: s.as_sent(NOW) for s in yesterday.stories}

    today = await _digest([ListSource("bing", as_items(missile))], already_sent=sent)

    assert len(today.stories) == 1 and not today.stories[0].is_update


async def test_a_failing_source_does_not_sink_the_digest() -> None:
    digest = await _digest([
        FailingSource("google", FetchTimeout("no answer in 15 s")),
        ListSource("bing", as_items(NORTH_KOREA)),
        FailingSource("gdelt", HTTPStatusError("429 Too Many Requests", 429)),
    ])

    assert len(digest.stories) == 3
    assert [e.source for e in digest.errors] == ["google", "gdelt"]
    assert "FetchTimeout" in digest.errors[0].error
    assert not digest.all_sources_failed


async def test_all_sources_failing_is_reported_as_such() -> None:
    digest = await _digest([FailingSource("google", FetchTimeout("slow"))])
    assert digest.nothing_new and digest.all_sources_failed


async def test_a_failed_summary_keeps_the_story_with_its_lead() -> None:
    summit = frozenset(r.url for r in NORTH_KOREA if r.story == "summit")
    summarize = FakeSummarizer(fail_for=summit)
    digest = await _digest([ListSource("bing", as_items(NORTH_KOREA))], summarize=summarize)

    assert len(digest.stories) == 3
    failed = [s for s in digest.stories if not s.points]
    assert len(failed) == 1
    assert failed[0].url in summit
    assert failed[0].lead  # the feed's lead stands in for the points


async def test_cancellation_is_not_swallowed_as_a_source_failure() -> None:
    import asyncio

    with pytest.raises(asyncio.CancelledError):
        await _digest([FailingSource("x", asyncio.CancelledError())])  # type: ignore[arg-type]


async def test_a_sent_story_known_only_by_urls_and_count_still_works() -> None:
    # What a store that keeps (key, urls, outlet count) can hand back.
    source = ListSource("bing", as_items(NORTH_KOREA))
    first = await _digest([source])
    missile = first.stories[0]
    sent = {missile.story_key: SentStory(missile.story_key, missile.member_urls,
                                         outlet_count=missile.outlet_count)}
    again = await _digest([source], already_sent=sent)
    assert missile.story_key not in {s.story_key for s in again.stories}

    grown = {missile.story_key: SentStory(missile.story_key, missile.member_urls,
                                          outlet_count=1)}
    updated = await _digest([source], already_sent=grown)
    assert updated.stories[0].is_update and updated.stories[0].outlet_count == 4
