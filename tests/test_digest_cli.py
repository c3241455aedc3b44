"""`newsbot digest TOPIC` against a loopback news world: feeds, articles, summaries."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from tests.fakes.cli import newsbot
from tests.fakes.newsfeeds import NORTH_KOREA
from tests.fakes.newsworld import NewsWorld
from tests.fakes.site import FakeSite, Response

# `newsbot digest` reads the news world from the environment.
pytestmark = pytest.mark.usefixtures("world_in_env")


def test_digest_json_groups_outlets_into_stories(world: NewsWorld, site: FakeSite) -> None:
    proc = newsbot("digest", "North Korea", "--json")
    assert proc.returncode == 0, proc.stderr
    rec = json.loads(proc.stdout)
    assert rec["topic"] == "North Korea" and rec["nothing_new"] is False
    stories = rec["stories"]
    # Three stories in the window (missile 4 outlets, summit 3, defector 3); the 80-hour-old
    # one is out. Ranked by distinct outlets first.
    assert len(stories) == 3
    assert [s["outlet_count"] for s in stories] == [4, 3, 3]
    assert "missile" in stories[0]["headline"].lower()
    assert all("tourists" not in s["headline"] for s in stories)
    for story in stories:
        if story["url"].startswith("https://news.google.com/"):
            # Only Google carries it, as an opaque token that can't be opened offline:
            # headline and outlets, and no points invented from the headline.
            assert story["points"] == []
        else:
            assert 1 <= len(story["points"]) <= 3
            assert story["points"][0] in " ".join(r.lead for r in world.reports["North Korea"])
        assert len(story["sources"]) == story["outlet_count"]
        assert all(src["url"].startswith("http") for src in story["sources"])
    # Progress went to stderr, not stdout, and counted each story as it was summarized.
    assert "Searching" in proc.stderr
    assert "summarized 3 stories" in proc.stderr


def test_digest_human_output_and_max_stories(world: NewsWorld) -> None:
    proc = newsbot("digest", "North Korea", "--max-stories", "1")
    assert proc.returncode == 0, proc.stderr
    assert "reported by 4 outlets" in proc.stdout
    assert proc.stdout.count("reported by") == 1


def test_digest_nothing_new(world: NewsWorld) -> None:
    proc = newsbot("digest", "Atlantis")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "Nothing new on Atlantis since yesterday"
    proc = newsbot("digest", "Atlantis", "--since", "6")
    assert proc.stdout.strip() == "Nothing new on Atlantis in the last 6 hours"


def test_digest_sources_down_is_a_clear_error(site: FakeSite, monkeypatch) -> None:
    site.route("/down", Response("oops", status=503))
    monkeypatch.setenv("NEWS_SEARCH_FEEDS", site.url("/down") + "?q={query}")
    monkeypatch.setenv("FETCH_ALLOW_PRIVATE_HOSTS", site.host)
    proc = newsbot("digest", "North Korea")
    assert proc.returncode == 3
    assert "Traceback" not in proc.stderr
    last = proc.stderr.strip().splitlines()[-1]  # progress lines come first
    assert last.startswith("newsbot: error: ") and "no news source" in last
    assert "503" in proc.stderr  # the progress says which source failed and why


@pytest.mark.parametrize("args", [["--since", "0"], ["--since", "soon"], ["--max-stories", "0"]])
def test_digest_bad_arguments(args: list[str], capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        newsbot("digest", "North Korea", *args)
    assert exc.value.code == 2


def test_a_feed_digest_is_titled_by_the_feed_not_its_url(site: FakeSite, monkeypatch) -> None:
    from tests.fakes.newsfeeds import publisher_rss

    monkeypatch.setenv("FETCH_ALLOW_PRIVATE_HOSTS", site.host)
    now = datetime.now(UTC)
    reports = [replace(r, base=site.url("").rstrip("/"), hours_ago=1)
               for r in NORTH_KOREA if r.story == "summit"]
    site.route("/world/rss.xml", Response(publisher_rss("Example Times — World", reports,
                                                        now=now),
                                          content_type="application/rss+xml"))
    url = site.url("/world/rss.xml")
    text = newsbot("digest", url)
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith("Example Times — World — 1 stories")
    assert url not in text.stdout.splitlines()[0]
    rec = json.loads(newsbot("digest", url, "--json").stdout)
    assert rec["topic"] == url and rec["title"] == "Example Times — World"
