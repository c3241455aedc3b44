"""An update says what is new since the chat's last digest: new outlets, points not sent.

Two daily rounds over a real store (SQLite and PostgreSQL) and a loopback news world: a
story one outlet reported on day 1 is covered by three more on day 2.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from bot.news import DigestStory
from bot.rounds import ChatDigest
from bot.store import Store
from bot.telegram.digest_render import render_digest
from tests.fakes.botapi import parse_html
from tests.fakes.newsfeeds import NORTH_KOREA, aged, covered_at
from tests.fakes.newsworld import serve_news_world
from tests.fakes.site import FakeSite

TOPIC = "North Korea"
MISSILE = [r for r in NORTH_KOREA if r.story == "missile"]


def _only_story(digest: ChatDigest) -> DigestStory:
    (topic,) = digest.topics
    (story,) = topic.stories
    return story


async def test_an_update_names_its_new_outlets_and_new_points(
    store: Store, site: FakeSite, make_digests, outbox, eight: datetime
) -> None:
    await asyncio.to_thread(store.subscriptions.add, 1, TOPIC, "search")
    day1 = eight + timedelta(days=1, minutes=1)
    serve_news_world(site, {TOPIC: MISSILE[:1]}, now=day1 - timedelta(minutes=30))
    assert (await make_digests(store, at=day1).run_round(outbox)).sent == 1
    sent = _only_story(outbox.sent[0])
    assert sent.points and not sent.is_update

    day2 = day1 + timedelta(days=1)
    world_now = day2 - timedelta(minutes=30)
    newer = [covered_at(r, day2 - timedelta(hours=3 - i), world_now)
             for i, r in enumerate(MISSILE[1:])]
    world = serve_news_world(site, {TOPIC: [*aged(MISSILE[:1], timedelta(days=1)), *newer]},
                             now=world_now)
    assert (await make_digests(store, at=day2, world=world).run_round(outbox)).sent == 1

    update = _only_story(outbox.sent[1])
    assert update.is_update
    assert set(update.new_outlets) == {"Associated Press", "BBC News", "CNN"}
    # New points are exactly those the chat wasn't shown (today's text is compared with
    # the sent version's, kept in the store).
    assert update.new_points
    for i, point in enumerate(update.points):
        assert (i in update.new_points) == (point not in sent.points), point
    (part,) = render_digest(outbox.sent[1])
    visible = parse_html(part)
    assert "New since yesterday: now also reported by " in visible
    line = next(ln for ln in visible.splitlines() if ln.startswith("New since yesterday"))
    assert all(name in line for name in ("Associated Press", "BBC News", "CNN"))
    if len(update.new_points) == len(update.points):
        assert line.endswith("; every point is new.")
    else:
        assert " and ".join(str(i + 1) for i in update.new_points) in line
