"""Story clustering: paraphrases from different outlets meet, different events stay apart."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.news.cluster import cluster, tokens
from bot.news.dedupe import dedupe
from bot.news.feed import parse_feed
from bot.news.story import make_story, merge_related
from tests.fakes.newsfeeds import FED, NEAR_MISSES, NORTH_KOREA, Report, as_items

TOPIC = '"Bears Ears" monument'


def _stories(reports: list[Report], *, topic: str, kind: str) -> list[set[str]]:
    """Cluster the parsed items; answer with the set of true story labels in each group."""
    by_url = {r.url: r.story for r in reports}
    by_title = {r.headline: r.story for r in reports}
    groups = cluster(as_items(reports, kind=kind), topic=topic)
    return [
        {by_url.get(item.url) or by_title[item.title] for item in group} for group in groups
    ]


@pytest.mark.parametrize("kind", ["bing", "google"])  # Google items have headlines only
@pytest.mark.parametrize(
    ("reports", "topic"), [(NORTH_KOREA, "North Korea"), (FED, "Federal Reserve")]
)
def test_each_story_is_one_group_and_groups_are_pure(
    reports: list[Report], topic: str, kind: str
) -> None:
    groups = _stories(reports, topic=topic, kind=kind)

    assert all(len(labels) == 1 for labels in groups), groups  # nothing merged wrongly
    labels = [next(iter(g)) for g in groups]
    assert sorted(labels) == sorted(set(labels)), groups  # no story split in two


def test_paraphrased_headlines_without_shared_wording_join() -> None:
    # "holds steady" / "leaves unchanged" / "keeps on hold": the same Fed decision.
    rates = [r for r in FED if r.story == "rates"]
    groups = cluster(as_items(rates, kind="google"), topic="Federal Reserve")
    assert len(groups) == 1


@pytest.mark.parametrize(("a", "b"), NEAR_MISSES)
def test_near_miss_pairs_stay_apart(a: Report, b: Report) -> None:
    for topic in ("", "North Korea", "Federal Reserve"):
        assert len(cluster(as_items([a, b]), topic=topic)) == 2


def test_near_misses_stay_apart_among_other_coverage() -> None:
    extra = [a for a, _ in NEAR_MISSES] + [b for _, b in NEAR_MISSES]
    items = as_items(NORTH_KOREA + FED + extra)
    groups = cluster(items, topic="North Korea")
    stories = merge_related([make_story(g, topic="North Korea") for g in groups])
    assert len(stories) == len(groups)  # no second-pass merge either
    for group in groups:
        titles = {item.title for item in group}
        for a, b in NEAR_MISSES:
            assert not {a.headline, b.headline} <= titles


def test_items_days_apart_never_join() -> None:
    same = [r for r in NORTH_KOREA if r.story == "missile"][:2]
    far = [same[0], Report(**{**same[1].__dict__, "hours_ago": same[0].hours_ago + 72})]
    assert len(cluster(as_items(far), topic="North Korea")) == 2


def test_tokens_fold_stem_and_keep_numbers() -> None:
    assert tokens("Trump Shrinks 2 National Monuments; 4,500 acres") == [
        "trump", "shrink", "2", "national", "monument", "4500", "acre"
    ]
    assert tokens("Fed leaves rates unchanged") == ["fed", "hold", "rate", "hold"]


def test_real_google_feeds_cluster_sensibly(shared_dir: Path) -> None:
    base = shared_dir / "datasets/news-feeds/google-news"
    bears = base / "calebwhite-io__monument-watch/google_news.xml"
    top = base / "introduction-to-python-bsuir-2019__PythonHomework/google_news.xml"
    if not bears.exists() or not top.exists():
        pytest.skip("captured Google News feeds are not in ../shared")

    # A one-topic search: syndicated AP copies under different outlets become one story.
    items = dedupe(parse_feed(bears.read_bytes(), feed_url="x"))
    groups = cluster(items, topic=TOPIC)
    biggest = max(groups, key=len)
    assert len(biggest) >= 15
    ap_title = (
        "Trump reduces size of 2 national monuments in Utah as Republicans reshape land "
        "management"
    )
    with_ap = [g for g in groups if any(i.title == ap_title for i in g)]
    assert len(with_ap) == 1
    assert len({i.outlet for i in with_ap[0]}) >= 10
    # The June court ruling is a different story from the July order.
    court = [g for g in groups if any("court" in i.title.lower() for i in g)]
    assert court and all(
        not any("executive order" in i.title.lower() for i in g) for g in court
    )

    # Whole stories compared by signature: the order's two halves join, the court doesn't.
    stories = merge_related([make_story(g, topic=TOPIC) for g in groups], topic=TOPIC)
    order = max(stories, key=lambda s: s.outlet_count)
    assert order.outlet_count >= 40
    assert any("Grand Staircase" in i.title for i in order.items)
    assert any(i.title == ap_title for i in order.items)
    assert not any("appeals court" in i.title.lower() for i in order.items)

    # A top-stories feed: 38 different stories, so almost nothing may merge.
    top_items = parse_feed(top.read_bytes(), feed_url="x")
    top_groups = cluster(top_items)
    assert len(top_groups) >= 36
    assert len(merge_related([make_story(g) for g in top_groups])) == len(top_groups)
