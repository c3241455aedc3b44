"""`newsbot digest --json` reads a story from several outlets and cites each point.

Through the real CLI entry point, against loopback outlets whose articles each add a fact.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.fakes.multioutlet import EN_CLOSING, EN_WIRE, UK_CLOSING, UK_WIRE, serve_multioutlet
from tests.fakes.site import FakeSite
from tests.test_cli import newsbot


@pytest.fixture
def world(site: FakeSite, monkeypatch: pytest.MonkeyPatch):
    w = serve_multioutlet(site)
    for key, value in w.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("FETCH_TIMEOUT", "5")
    return w


def _norm(text: str) -> str:
    return " ".join(text.split())


def _story(topic: str) -> dict[str, Any]:
    proc = newsbot("digest", topic, "--json")
    assert proc.returncode == 0, proc.stderr
    rec = json.loads(proc.stdout)
    (story,) = rec["stories"]  # three outlets, one event
    return story


@pytest.mark.parametrize(("topic", "wire", "closing"), [
    ("North Korea generals", EN_WIRE, EN_CLOSING),
    ("КНДР генерали", UK_WIRE, UK_CLOSING),
])
def test_points_come_from_several_outlets_and_cite_them(
    world, site: FakeSite, topic: str, wire: str, closing: str
) -> None:
    story = _story(topic)
    told = world.by_outlet(topic)
    assert story["outlet_count"] == 3
    points, cited = story["points"], story["point_sources"]
    assert len(points) == 3 and len(cited) == len(points)
    for point, outlets in zip(points, cited, strict=True):
        assert outlets, f"{point!r} cites no outlet"
        for outlet in outlets:
            # Extractive points are verbatim: each cited outlet's article holds it.
            assert _norm(point) in _norm(" ".join(told[outlet].body)), (point, outlet)
    # Told from several outlets: the second and third each add their own fact...
    assert len({o for outlets in cited for o in outlets}) >= 2
    facts = [t.fact for t in told.values()]
    assert sum(any(_norm(f) == _norm(p) for p in points) for f in facts) >= 2
    # ...and nothing is said twice: the wire copy and the shared closing line, which
    # every article has, appear at most once.
    assert len({_norm(p) for p in points}) == 3
    assert sum(_norm(wire) == _norm(p) for p in points) <= 1
    assert all(_norm(closing) != _norm(p) for p in points)
    # Each article was fetched once.
    for t in told.values():
        assert len(site.requests_to(t.report.path)) == 1


def test_a_point_several_outlets_state_cites_all_of_them(world) -> None:
    story = _story("North Korea generals")
    told = world.by_outlet("North Korea generals")
    for point, outlets in zip(story["points"], story["point_sources"], strict=True):
        holders = {o for o, t in told.items() if _norm(point) in _norm(" ".join(t.body))}
        assert set(outlets) == holders, point
    # Yonhap carries the Journal's lead word for word: that point cites both, the
    # outlet it was taken from first.
    assert story["point_sources"][0] == ["The Wall Street Journal", "Yonhap"]


def test_human_output_ends_each_point_with_its_outlets(world) -> None:
    proc = newsbot("digest", "North Korea generals")
    assert proc.returncode == 0, proc.stderr
    bullets = [ln.strip() for ln in proc.stdout.splitlines() if ln.strip().startswith("• ")]
    assert len(bullets) == 3
    assert all(re.search(r" — (The Wall Street Journal|Reuters|Yonhap)", b) for b in bullets)
