"""build_summarizer: the choice of summarizer, the guard, verification and the safety net."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterator

import pytest
from pydantic import SecretStr

from bot.config import Settings
from bot.summarize import Summarizer
from bot.summarize.extractive import ExtractiveSummarizer
from bot.summarize.factory import GuardedSummarizer, build_summarizer
from bot.summarize.grounding import Numbered
from tests.fakes.articles import SEED_PARAGRAPHS, SEED_TITLE, seed_article
from tests.fakes.openai_server import FakeOpenAI, FakeReply

SENTENCES = Numbered.from_text("\n".join(SEED_PARAGRAPHS)).sentences


def cite(prefix: str) -> int:
    """The number the model sees for the seed sentence starting with `prefix`."""
    (n,) = [s.number for s in SENTENCES if s.text.startswith(prefix)]
    return n


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

    keyed = build_summarizer(Settings(openai_api_key=SecretStr("sk-x"), openai_base_url=None))
    assert keyed.name == "llm:llama3.1:8b"
    assert isinstance(build_summarizer(Settings(summarizer="extractive")), ExtractiveSummarizer)
    assert isinstance(
        build_summarizer(Settings(summarizer="llm", openai_base_url=None)), GuardedSummarizer
    )


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("http://localhost:11434/v1", True),
        ("http://127.0.0.1:8080/v1", True),
        ("http://ollama:11434/v1", True),  # a Docker service name
        ("http://192.168.1.20:8000/v1", True),
        ("https://api.openai.com/v1", False),
        ("https://openrouter.ai/api/v1", False),
        (None, False),
    ],
)
def test_local_servers_get_one_request_at_a_time_and_no_verification(
    monkeypatch: pytest.MonkeyPatch, url: str | None, local: bool
) -> None:
    if url:
        monkeypatch.setenv("OPENAI_BASE_URL", url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-x")
    monkeypatch.setenv("LLM_CONCURRENCY", "")  # as copied from .env.example: automatic
    monkeypatch.setenv("LLM_VERIFY", "")
    settings = Settings()
    assert settings.llm_is_local is local
    assert settings.effective_llm_concurrency == (1 if local else 4)
    assert settings.effective_llm_verify is (not local)
    built = build_summarizer(settings)
    assert isinstance(built, GuardedSummarizer)
    assert built.verify is (not local)
    assert built.llm.endpoint.concurrency == (1 if local else 4)
    monkeypatch.setenv("LLM_CONCURRENCY", "3")
    monkeypatch.setenv("LLM_VERIFY", "true")
    assert Settings().effective_llm_concurrency == 3 and Settings().effective_llm_verify


def test_sampling_settings_reach_the_request_parameters(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM_TEMPERATURE", "0.2")
    monkeypatch.setenv("LLM_MAX_OUTPUT_TOKENS", "300")
    built = build_summarizer(Settings(openai_api_key=SecretStr("sk-x")))
    assert isinstance(built, GuardedSummarizer)
    params = built.llm.endpoint.params
    assert params["temperature"] == 0.2 and params["max_tokens"] == 300
    assert isinstance(params["seed"], int)
    defaults = build_summarizer(Settings(openai_api_key=SecretStr("sk-x")))
    monkeypatch.delenv("LLM_TEMPERATURE")
    monkeypatch.delenv("LLM_MAX_OUTPUT_TOKENS")
    defaults = build_summarizer(Settings(openai_api_key=SecretStr("sk-x")))
    assert isinstance(defaults, GuardedSummarizer)
    assert defaults.llm.endpoint.params["temperature"] == 0
    assert defaults.llm.endpoint.params["max_tokens"] == 400


async def test_an_llm_summary_names_its_model(summarizer: Summarizer, server: FakeOpenAI) -> None:
    summary = await summarizer.summarize(seed_article())
    assert summary.summarizer == "llm:gpt-4o-mini"
    assert summary.fallback_reason is None
    assert summary.dropped_points == 0
    assert summary.points[0].startswith("According to The Wall Street Journal")
    assert server.calls == 1  # a local endpoint: no verification call


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
    # verbatim article text (a sentence leaning on the one before comes joined to it)
    assert all(p in " ".join(SEED_PARAGRAPHS) for p in summary.points)
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


async def test_unsupported_points_are_dropped_by_their_cited_sentences(
    summarizer: Summarizer, server: FakeOpenAI
) -> None:
    workers = cite("North Korea still supplies")
    points = [
        ("Kim Jong Un ordered his officers to return home from Russia.", [1]),
        ("North Korea will send 60,000 workers to Russia.", [workers]),
        # True of the article, but not of the sentence it cites: a relation moved.
        ("Vladimir Putin embraced each of the returning commanders.", [cite("Kim called")]),
        ("North Korea intends to send six thousand workers for reconstruction.", [workers]),
    ]
    server.queue(FakeReply(points=points))
    summary = await summarizer.summarize(seed_article())
    assert summary.summarizer == "llm:gpt-4o-mini"
    assert summary.points == [points[0][0], points[3][0]]
    assert summary.dropped_points == 2
    assert summary.fallback_reason is None


async def test_a_point_without_citations_is_checked_against_its_best_matching_sentences(
    summarizer: Summarizer, server: FakeOpenAI
) -> None:
    server.queue(
        FakeReply(
            points=[
                "About 15,000 North Korean soldiers arrived in Russia since autumn 2024.",
                "About 15,000 North Korean soldiers died in Russia since autumn 2024.",
            ]
        )
    )
    summary = await summarizer.summarize(seed_article())
    assert summary.points == [
        "About 15,000 North Korean soldiers arrived in Russia since autumn 2024."
    ]
    assert summary.dropped_points == 1


async def test_all_points_invented_falls_back_to_extractive(
    summarizer: Summarizer, server: FakeOpenAI
) -> None:
    invented = [
        ("Kim met Donald Trump in Hanoi to discuss the war.", [1]),
        ("North Korea sent 90,000 soldiers to the front.", [2]),
    ]
    server.queue(FakeReply(points=invented))
    summary = await summarizer.summarize(seed_article())
    assert summary.summarizer == "extractive"
    assert summary.dropped_points == 2
    assert summary.fallback_reason is not None
    assert "dropped all 2" in summary.fallback_reason
    assert not {t for t, _ in invented} & set(summary.points)


async def test_a_translated_summary_keeps_faithful_points_and_drops_a_wrong_number(
    summarizer: Summarizer, server: FakeOpenAI
) -> None:
    soldiers = cite("Since the autumn")
    points = [
        ("Кім Чен Ин наказав своїм офіцерам повернутися додому з Росії.", [1]),
        ("Близько 15 000 північнокорейських солдатів прибули до Росії з осені 2024 року.",
         [soldiers]),
        ("Близько 50 000 північнокорейських солдатів загинули в Курській області.", [soldiers]),
    ]  # fmt: skip
    server.queue(FakeReply(points=points))
    summary = await summarizer.summarize(seed_article(), lang="uk")
    assert summary.points == [points[0][0], points[1][0]]
    assert summary.language == "uk"
    assert "Write every point in Ukrainian" in server.last.content("system")


async def test_with_verification_a_refused_point_is_dropped(server: FakeOpenAI) -> None:
    built = build_summarizer(Settings(openai_base_url=server.base_url, llm_verify=True))
    n = cite("Kim called")
    points = [
        ("Kim called them heroes and embraced each of them in person.", [n]),
        # Passes the word checks (no name, number or death is new), but the verifier
        # reads the cited sentence and refuses it.
        ("Kim called the returning commanders heroes and embraced them in public.", [n]),
    ]
    server.queue(FakeReply(points=points))
    try:
        summary = await built.summarize(seed_article())
    finally:
        await built.aclose()  # type: ignore[attr-defined]
    assert len(server.verify_calls) == 1
    assert summary.points == [points[0][0]]
    assert summary.dropped_points == 1


async def test_a_failing_verifier_leaves_the_guarded_points(server: FakeOpenAI) -> None:
    built = build_summarizer(
        Settings(openai_base_url=server.base_url, llm_verify=True, llm_max_retries=1)
    )
    server.queue(FakeReply(), FakeReply(status=500))
    try:
        summary = await built.summarize(seed_article())
    finally:
        await built.aclose()  # type: ignore[attr-defined]
    assert summary.summarizer == "llm:gpt-4o-mini" and len(summary.points) == 3


async def test_a_5_mb_article_costs_at_most_8_model_calls_and_says_it_is_partial(
    server: FakeOpenAI,
) -> None:
    # Issue 8: one 5 MB link made 313 model calls. Default settings, verification on.
    paragraph = " ".join(
        f"Report {i}: the regional council of district {i} approved a plan for {i} new "
        f"schools and {i + 7} clinics, officials said on Monday." for i in range(40)
    )
    text = "\n".join(f"{paragraph} Part {k} ends here." for k in range(1100))
    assert len(text.encode()) > 5_000_000
    built = build_summarizer(Settings(openai_base_url=server.base_url, llm_verify=True))
    try:
        summary = await built.summarize(seed_article(text=text))
    finally:
        await built.aclose()  # type: ignore[attr-defined]
    assert server.calls <= 8
    assert summary.summarizer == "llm:gpt-4o-mini"
    assert summary.partial is True
    (note,) = summary.notes
    match = re.fullmatch(r"long article: these points cover the first ([\d]+) words", str(note))
    assert match and 10_000 < int(match[1]) < len(text.split()) // 20


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


async def test_the_title_backs_a_point_too(summarizer: Summarizer, server: FakeOpenAI) -> None:
    points = [
        ("North Korea unexpectedly withdrew its generals from Russia.", [3]),
        ("Kim called the commanders heroes and embraced them.", [cite("Kim called")]),
    ]
    server.queue(FakeReply(points=points))
    summary = await summarizer.summarize(seed_article())
    assert len(summary.points) == 2, SEED_TITLE
