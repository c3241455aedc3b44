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


async def _start_up_checks_done() -> None:
    """Wait until the bot's start-up key check has finished, its log line (if any) written.

    The check runs as a background task that `post_init` starts (the bot is running by the
    time a test's `async with start_bot()` body runs, so the task exists or is done); the
    test waits on the task itself, not on a guess of how long it takes.
    """
    checks = [task for task in asyncio.all_tasks()
              if getattr(task.get_coro(), "__name__", "") == "_warn_if_key_rejected"]
    if checks:
        await asyncio.wait(checks, timeout=30)
        assert all(task.done() for task in checks), "the start-up key check never finished"


async def test_a_rejected_key_is_logged_once_at_start_without_the_key(
    start_bot: StartBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    with FakeOpenAI(api_key="sk-right-key-123") as llm:
        async with start_bot(summarizer="llm", openai_base_url=llm.base_url,
                             openai_api_key=SecretStr("sk-wrong-key-456")):
            await _start_up_checks_done()
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
            await _start_up_checks_done()
        assert llm.model_lists == 1  # asked once, with the cheapest call there is
    assert "rejected the key" not in caplog.text


async def test_an_extractive_bot_asks_no_model(
    start_bot: StartBot, caplog: pytest.LogCaptureFixture
) -> None:
    with FakeOpenAI() as llm:
        async with start_bot(summarizer="extractive", openai_base_url=llm.base_url):
            await _start_up_checks_done()
        assert llm.model_lists == 0 and not llm.history
