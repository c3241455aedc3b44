"""Issue 11 item 5: a wrong OPENAI_API_KEY is said once in the log at start-up, without the key."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import SecretStr

from tests.fakes.openai_server import FakeOpenAI

StartBot = Callable[..., Any]
REJECTED = "the model rejected the key (HTTP 401; check OPENAI_API_KEY)"


async def _settle(llm: FakeOpenAI, caplog: pytest.LogCaptureFixture, *, rejected: bool) -> None:
    """Wait (a condition, not a sleep) until the start-up check has asked and been answered."""
    for _ in range(200):
        asked = llm.model_lists > 0 or any(r.path.endswith("/models") for r in llm.history)
        if rejected and any(REJECTED in r.getMessage() for r in caplog.records):
            return
        if not rejected and asked:
            await asyncio.sleep(0.2)  # let a (wrong) warning, if any, be logged
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the start-up key check never ran")


async def test_a_rejected_key_is_logged_once_at_start_without_the_key(
    start_bot: StartBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    with FakeOpenAI(api_key="sk-right-key-123") as llm:
        async with start_bot(summarizer="llm", openai_base_url=llm.base_url,
                             openai_api_key=SecretStr("sk-wrong-key-456")):
            await _settle(llm, caplog, rejected=True)
    warnings = [r.getMessage() for r in caplog.records if REJECTED in r.getMessage()]
    assert len(warnings) == 1, warnings
    assert "sk-wrong-key-456" not in caplog.text


async def test_a_good_key_is_checked_and_nothing_is_said(
    start_bot: StartBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    with FakeOpenAI(api_key="sk-right-key-123") as llm:
        async with start_bot(summarizer="llm", openai_base_url=llm.base_url,
                             openai_api_key=SecretStr("sk-right-key-123")):
            await _settle(llm, caplog, rejected=False)
        assert llm.model_lists == 1  # asked once, with the cheapest call there is
    assert "rejected the key" not in caplog.text


async def test_an_extractive_bot_asks_no_model(
    start_bot: StartBot, caplog: pytest.LogCaptureFixture
) -> None:
    with FakeOpenAI() as llm:
        async with start_bot(summarizer="extractive", openai_base_url=llm.base_url):
            await asyncio.sleep(0.3)
        assert llm.model_lists == 0 and not llm.history
