"""Helpers for the coordination tests (tests/coordination): the `replicas` fixture's type and
a wait on an async condition."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from bot.coordination import Coordination

Make = Callable[[], Coordination]  # what the `replicas` fixture yields


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 10) -> None:
    async with asyncio.timeout(timeout):
        while not await check():
            await asyncio.sleep(0.02)
