"""The model endpoint misbehaves during link summaries: every user still gets points.

End to end: a user sends a link to the real bot (fake Bot API), the bot fetches it from the
fake site and asks FakeOpenAI, which answers 429, 500, hangs or babbles. With LLM_MAX_RETRIES=2
and LLM_TIMEOUT=0.5 s, the reply must be the extractive summary marked as such, and the next
message must get the model's summary again.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.telegram import messages
from tests.fakes.articles import SEED_PARAGRAPHS, SEED_TITLE, article_html
from tests.fakes.botapi import FakeBotAPI
from tests.fakes.openai_server import FakeOpenAI, FakeReply
from tests.fakes.site import FakeSite
from tests.harness import StartBot, replies

USER = 4242
RETRIES = 2
FAULTS = {
    "429": FakeReply(status=429, headers={"retry-after": "0"}),
    "500": FakeReply(status=500),
    "hang": FakeReply(hang=5.0),  # ten times LLM_TIMEOUT; the server wakes it at teardown
    "garbage": FakeReply(garbage=True),
    "empty": FakeReply(content=""),
    "not-json": FakeReply(content="I'm sorry, as an AI I cannot help with that."),
}


@pytest.fixture
def llm() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


def bullets(text: str) -> list[str]:
    return [line.removeprefix("• ") for line in text.splitlines() if line.startswith("• ")]


async def test_every_model_fault_still_gets_the_user_an_answer_and_the_bot_goes_on(
    botapi: FakeBotAPI, site: FakeSite, llm: FakeOpenAI, start_bot: StartBot
) -> None:
    # One bot for every fault (starting one costs about a second): each fault is followed by
    # a healthy request, so "keeps serving the next message" is checked after each of them.
    article = " ".join(SEED_PARAGRAPHS)
    async with start_bot(summarizer="llm", openai_base_url=llm.base_url, llm_timeout=0.5,
                         llm_max_retries=RETRIES):
        for n, (fault, reply) in enumerate(FAULTS.items()):
            failing = site.page(f"/news/{fault}", article_html())
            healthy = site.page(f"/news/{fault}-calm", article_html(f"A calm day number {n}"))
            calls = llm.calls
            llm.queue(*[reply] * RETRIES)
            botapi.push_message(failing, user_id=USER + n)
            (fallback,) = await botapi.wait_for(replies(botapi, USER + n, 1))
            assert llm.calls - calls == RETRIES, fault  # each attempt was made, no more
            botapi.push_message(healthy, user_id=USER + n)
            _, normal = await botapi.wait_for(replies(botapi, USER + n, 2))

            assert fallback.text.startswith(SEED_TITLE), fault
            assert messages.FALLBACK_NOTE in fallback.text, fault
            points = bullets(fallback.text)
            assert len(points) >= 2, fault
            assert all(point in article for point in points), (fault, points)
            # The next link got the model's own points, not the fallback.
            assert normal.text.startswith(f"A calm day number {n}"), fault
            assert messages.FALLBACK_NOTE not in normal.text, fault
            assert len(bullets(normal.text)) >= 2, fault
            assert llm.pending == 0, fault

        # A model that fails once and then answers within the retries speaks for itself.
        url = site.page("/news/recovering", article_html("The model came back"))
        llm.queue(FakeReply(status=503))
        calls = llm.calls
        botapi.push_message(url, user_id=USER - 1)
        (answer,) = await botapi.wait_for(replies(botapi, USER - 1, 1))
        assert llm.calls - calls == 2
    assert answer.text.startswith("The model came back")
    assert messages.FALLBACK_NOTE not in answer.text
    assert len(bullets(answer.text)) >= 2
