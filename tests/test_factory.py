"""build_summarizer: the choice of summarizer, the guard and the extractive safety net."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator

import pytest

from bot.config import Settings
from bot.summarize import Summarizer
from bot.summarize.extractive import ExtractiveSummarizer
from bot.summarize.factory import GuardedSummarizer, build_summarizer
from tests.fakes.articles import SEED_PARAGRAPHS, seed_article
from tests.fakes.openai_server import FakeOpenAI, FakeReply


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
async def summarizer(server: FakeOpenAI) -> AsyncIterator[Summarizer]:
    built = build_summarizer(Settings(openai_base_url=server.base_url, llm_timeout=5))
    yield built
    assert isinstance(built, GuardedSummarizer)
    await built.aclose()


def test_without_an_endpoint_auto_means_extractive() -> None:
    assert isinstance(build_summarizer(Settings()), ExtractiveSummarizer)


def test_an_endpoint_or_a_key_turns_the_llm_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("OPENAI_MODEL", "llama3.1:8b")
    built = build_summarizer(Settings())
    assert isinstance(built, GuardedSummarizer)
    assert built.name == "llm:llama3.1:8b"

    keyed = build_summarizer(Settings(openai_api_key="sk-x", openai_base_url=None))
    assert keyed.name == "llm:llama3.1:8b"
    assert isinstance(build_summarizer(Settings(summarizer="extractive")), ExtractiveSummarizer)
    assert isinstance(
        build_summarizer(Settings(summarizer="llm", openai_base_url=None)), GuardedSummarizer
    )


async def test_an_llm_summary_names_its_model(summarizer: Summarizer, server: FakeOpenAI) -> None:
    summary = await summarizer.summarize(seed_article())
    assert summary.summarizer == "llm:gpt-4o-mini"
    assert summary.fallback_reason is None
    assert summary.dropped_points == 0
    assert summary.points[0].startswith("According to The Wall Street Journal")
    assert server.calls == 1


async def test_a_model_down_after_retries_falls_back_to_extractive(
    summarizer: Summarizer, server: FakeOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    server.queue(*[FakeReply(status=500)] * 3)
    with caplog.at_level(logging.WARNING):
        summary = await summarizer.summarize(seed_article())

    assert server.calls == 3
    assert summary.summarizer == "extractive"
    assert summary.fallback_reason == "model unavailable: HTTP 500"
    assert 2 <= len(summary.points) <= 5
    assert all(any(p in para for para in SEED_PARAGRAPHS) for p in summary.points)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "HTTP 500" in warnings[0].getMessage()


async def test_a_hanging_model_falls_back_after_the_timeout(server: FakeOpenAI) -> None:
    built = build_summarizer(
        Settings(openai_base_url=server.base_url, llm_timeout=0.3, llm_max_retries=1)
    )
    server.queue(FakeReply(hang=30))
    try:
        summary = await built.summarize(seed_article())
    finally:
        await built.aclose()  # type: ignore[attr-defined]
    assert summary.summarizer == "extractive"
    assert summary.fallback_reason == "model unavailable: timeout after 0.3s"


async def test_an_invented_number_is_dropped(summarizer: Summarizer, server: FakeOpenAI) -> None:
    points = [
        "Kim Jong-un ordered his officers to return home from Russia.",
        "North Korea will send 60,000 workers to Russia.",
        "About 15,000 North Korean soldiers have arrived in Russia since autumn 2024.",
    ]
    server.queue(FakeReply(content=json.dumps({"points": points})))
    summary = await summarizer.summarize(seed_article())
    assert summary.summarizer == "llm:gpt-4o-mini"
    assert summary.points == [points[0], points[2]]
    assert summary.dropped_points == 1
    assert summary.fallback_reason is None


async def test_all_points_invented_falls_back_to_extractive(
    summarizer: Summarizer, server: FakeOpenAI
) -> None:
    invented = ["Kim met Donald Trump in Hanoi.", "North Korea sent 90,000 soldiers."]
    server.queue(FakeReply(content=json.dumps({"points": invented})))
    summary = await summarizer.summarize(seed_article())
    assert summary.summarizer == "extractive"
    assert summary.dropped_points == 2
    assert summary.fallback_reason is not None
    assert "guard" in summary.fallback_reason
    assert not set(invented) & set(summary.points)


async def test_a_translated_summary_keeps_faithful_points(
    summarizer: Summarizer, server: FakeOpenAI
) -> None:
    points = [
        "Кім Чен Ин наказав своїм офіцерам повернутися додому.",
        "Близько 15 000 північнокорейських солдатів прибули до Росії з осені 2024 року.",
    ]
    server.queue(FakeReply(content=json.dumps({"points": points}, ensure_ascii=False)))
    summary = await summarizer.summarize(seed_article(), lang="uk")
    assert summary.points == points
    assert summary.language == "uk"
    assert "in Ukrainian" in server.last.content("user")


async def test_a_teaser_is_partial_and_nothing_is_invented(
    summarizer: Summarizer, server: FakeOpenAI
) -> None:
    teaser = seed_article(text="Kim Jong-un has recalled his generals from Russia. Subscribe.")
    summary = await summarizer.summarize(teaser)
    assert summary.partial is True
    assert summary.summarizer == "llm:gpt-4o-mini"
    assert "teaser" in server.last.content("user")

    server.queue(*[FakeReply(status=503)] * 3)
    fallback = await summarizer.summarize(teaser)
    assert fallback.partial is True
    assert fallback.summarizer == "extractive"
