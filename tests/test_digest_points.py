"""`newsbot digest --json` reads a story from several outlets and cites each point.

Through the real CLI entry point, against loopback outlets whose articles each add a fact.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.fakes.cli import newsbot
from tests.fakes.multioutlet import (
    EN_CLOSING,
    EN_WIRE,
    UK_CLOSING,
    UK_WIRE,
    MultiOutletWorld,
    serve_multioutlet,
)
from tests.fakes.openai_server import FakeOpenAI, FakeReply
from tests.fakes.site import FakeSite


@pytest.fixture
def story_world(site: FakeSite, monkeypatch: pytest.MonkeyPatch) -> MultiOutletWorld:
    """One story told by several loopback outlets, each adding a fact; the CLI points at it."""
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
    story_world: MultiOutletWorld, site: FakeSite, topic: str, wire: str, closing: str
) -> None:
    story = _story(topic)
    told = story_world.by_outlet(topic)
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


def test_a_point_several_outlets_state_cites_all_of_them(story_world: MultiOutletWorld) -> None:
    story = _story("North Korea generals")
    told = story_world.by_outlet("North Korea generals")
    for point, outlets in zip(story["points"], story["point_sources"], strict=True):
        holders = {o for o, t in told.items() if _norm(point) in _norm(" ".join(t.body))}
        assert set(outlets) == holders, point
    # Yonhap carries the Journal's lead word for word: that point cites both, the
    # outlet it was taken from first.
    assert story["point_sources"][0] == ["The Wall Street Journal", "Yonhap"]


def test_human_output_ends_each_point_with_its_outlets(story_world: MultiOutletWorld) -> None:
    proc = newsbot("digest", "North Korea generals")
    assert proc.returncode == 0, proc.stderr
    bullets = [ln.strip() for ln in proc.stdout.splitlines() if ln.strip().startswith("• ")]
    assert len(bullets) == 3
    assert all(re.search(r" — (The Wall Street Journal|Reuters|Yonhap)", b) for b in bullets)


# -- with a model: one call, numbered sources, every point checked against its sources ---

_SOURCE = re.compile(r'<source id="(\d+)" outlet="([^"]*)">')


def _sources_asked(llm: FakeOpenAI) -> dict[str, int]:
    """Outlet → source number, as the story's one model call numbered them."""
    (call,) = [r for r in llm.history if "<source id=" in r.content("user")]
    return {outlet: int(n) for n, outlet in _SOURCE.findall(call.content("user"))}


@pytest.fixture
def llm(monkeypatch: pytest.MonkeyPatch):
    with FakeOpenAI() as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        yield server


@pytest.mark.parametrize("topic", ["North Korea generals", "КНДР генерали"])
def test_the_model_reads_the_outlets_as_numbered_sources_in_one_call(
    story_world: MultiOutletWorld, llm: FakeOpenAI, topic: str
) -> None:
    story = _story(topic)
    told = story_world.by_outlet(topic)
    assert llm.calls == 1  # one story, one call for all its outlets
    numbers = _sources_asked(llm)
    assert set(numbers) == set(told) and sorted(numbers.values()) == [1, 2, 3]
    user = llm.last.content("user")
    for outlet, t in told.items():
        block = user.split(f'<source id="{numbers[outlet]}"', 1)[1].split("</source>", 1)[0]
        assert _norm(t.report.headline) in _norm(block) and _norm(t.fact) in _norm(block)
    # The fake model cites each source's first sentence by its number: the digest names
    # the outlet behind each number.
    by_number = {n: o for o, n in numbers.items()}
    assert story["point_sources"] == [[by_number[n]] for n in (1, 2, 3)]


def test_the_guard_reattributes_or_drops_points_their_sources_do_not_state(
    story_world: MultiOutletWorld, llm: FakeOpenAI
) -> None:
    _story("North Korea generals")  # learn how the sources are numbered
    n = _sources_asked(llm)
    llm.history.clear()
    wsj, reuters, yonhap = n["The Wall Street Journal"], n["Reuters"], n["Yonhap"]
    llm.queue(FakeReply(content=json.dumps({"points": [
        # Right fact, wrong source: only Reuters has 15,000 and Kursk.
        f"About 15,000 North Korean soldiers were sent to help hold Kursk. [{wsj}]",
        # A number no source has: invented.
        f"Kim sent 40,000 troops to Russia in 2025. [{reuters}, {yonhap}]",
        f"More than ten commanders were welcomed as heroes in Pyongyang. [{wsj}]",
        # Needs two sources together, and cites both.
        f"Pyongyang plans to send 6,000 workers, after 15,000 soldiers. [{reuters}, {yonhap}]",
    ]})))
    story = _story("North Korea generals")
    assert story["points"] == [
        "About 15,000 North Korean soldiers were sent to help hold Kursk.",
        "More than ten commanders were welcomed as heroes in Pyongyang.",
        "Pyongyang plans to send 6,000 workers, after 15,000 soldiers.",
    ]
    assert story["point_sources"] == [
        ["Reuters"], ["The Wall Street Journal"],
        sorted(["Reuters", "Yonhap"], key=lambda outlet: n[outlet]),
    ]


def test_a_ukrainian_point_citing_the_wrong_outlet_is_reattributed(
    story_world: MultiOutletWorld, llm: FakeOpenAI
) -> None:
    _story("КНДР генерали")
    n = _sources_asked(llm)
    wrong = n["Укрінформ"]
    llm.queue(FakeReply(content=json.dumps({"points": [
        f"Близько 15 000 військових КНДР прибули до Росії з осені 2024 року. [{wrong}]",
        f"КНДР відправила до Курської області 40 000 військових. [{wrong}]",
    ]}, ensure_ascii=False)))
    story = _story("КНДР генерали")
    assert story["points"] == [
        "Близько 15 000 військових КНДР прибули до Росії з осені 2024 року."
    ]
    assert story["point_sources"] == [["Суспільне"]]
