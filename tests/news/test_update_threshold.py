"""When a story already sent comes back as an update: two new outlets *and* 50 % growth.

Each test satisfies one threshold and misses the other, so lowering either one shows.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.news.item import NewsItem
from bot.news.selection import SentStory, TopicDigest, build_topic_digest
from tests.fakes.newsfeeds import NORTH_KOREA, NOW, ListSource, Report, as_items

TOPIC = "North Korea"
MISSILE = [r for r in NORTH_KOREA if r.story == "missile"]
LATER = NOW + timedelta(hours=20)


async def no_points(item: NewsItem) -> list[str]:
    return []


async def digest(reports: list[Report], *, now=NOW, since=None, sent=None) -> TopicDigest:
    return await build_topic_digest(
        TOPIC, sources=[ListSource("bing", as_items(reports, now=NOW))],
        since=since or now - timedelta(hours=24), now=now, summarize=no_points,
        already_sent=sent,
    )


def next_day(reports: list[Report]) -> list[Report]:
    """The same outlets' new articles, published after yesterday's digest."""
    return [replace(r, hours_ago=r.hours_ago - 20 + 0.5, path=r.path + "-day-2")
            for r in reports]


def outlet(n: int) -> Report:
    """Another outlet reporting the missile launch in the words of the first report."""
    first = MISSILE[0]
    return replace(first, outlet=f"Outlet {n}", domain=f"outlet{n}.example",
                   path=f"{first.path}-{n}")


async def sent_after(reports: list[Report]) -> dict[str, SentStory]:
    yesterday = await digest(reports)
    (story,) = yesterday.stories
    assert story.outlet_count == len(reports)
    return {story.story_key: story.as_sent(NOW)}


async def test_one_new_outlet_is_not_an_update_even_when_it_doubles_the_coverage() -> None:
    sent = await sent_after(MISSILE[:1])  # one outlet yesterday
    today = await digest(next_day(MISSILE[1:2]), now=LATER, since=NOW, sent=sent)
    # 1 → 2 outlets is 100 % growth, but one new outlet is below the two required.
    assert today.nothing_new and today.skipped_already_sent == 1


async def test_two_new_outlets_on_a_one_outlet_story_are_an_update() -> None:
    sent = await sent_after(MISSILE[:1])
    today = await digest(next_day(MISSILE[1:3]), now=LATER, since=NOW, sent=sent)
    (story,) = today.stories
    assert story.is_update and story.outlet_count == 3


async def test_two_new_outlets_on_a_big_story_are_not_an_update() -> None:
    big = [*MISSILE, *(outlet(n) for n in range(1, 5))]  # eight outlets yesterday
    sent = await sent_after(big)
    today = await digest(next_day([outlet(5), outlet(6)]), now=LATER, since=NOW, sent=sent)
    # Two new outlets, but 8 → 10 is 25 % growth, below the 50 % required.
    assert today.nothing_new and today.skipped_already_sent == 1


async def test_four_new_outlets_on_a_big_story_are_an_update() -> None:
    big = [*MISSILE, *(outlet(n) for n in range(1, 5))]
    sent = await sent_after(big)
    fresh = [outlet(n) for n in range(5, 9)]
    today = await digest(next_day(fresh), now=LATER, since=NOW, sent=sent)
    (story,) = today.stories
    assert story.is_update and story.outlet_count == 12
