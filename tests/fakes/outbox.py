"""A digest `send` for delivery-round tests: records what went out, can refuse some chats."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Collection

from bot.errors import RecipientGone
from bot.rounds import ChatDigest


class Outbox:
    """A `send` that records digests and can refuse some chats."""

    def __init__(self, *, gone: Collection[int] = (), failing: Collection[int] = ()) -> None:
        self.sent: list[ChatDigest] = []
        self.gone = set(gone)
        self.failing = set(failing)

    async def __call__(self, digest: ChatDigest) -> None:
        await asyncio.sleep(0)
        assert digest.chat_id is not None
        if digest.chat_id in self.gone:
            raise RecipientGone("Forbidden: bot was blocked by the user")
        if digest.chat_id in self.failing:
            raise ConnectionError("Bot API unreachable")
        self.sent.append(digest)

    def per_chat(self) -> Counter[int]:
        # `__call__` records only digests with a chat id.
        return Counter(d.chat_id for d in self.sent if d.chat_id is not None)
