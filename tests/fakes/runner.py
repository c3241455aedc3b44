"""Run the real PTB Application in a test's event loop, polling the fake Bot API."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from bot.telegram.app import ALLOWED_UPDATES, BotApp
from bot.telegram.flood import FloodLimiter


def fast_limiter() -> FloodLimiter:
    # Telegram's real per-chat pace would make every test wait seconds per reply; the
    # limiter's behaviour has its own tests in test_flood.py.
    return FloodLimiter(private_chat_rate=1000, backoff=0.01)


@contextlib.asynccontextmanager
async def running(app: BotApp) -> AsyncIterator[BotApp]:
    """Start `app` the way `run_polling` does, in this event loop, and stop it after."""
    async with app:
        assert app.post_init is not None and app.updater is not None
        await app.post_init(app)
        # Telegram takes whole seconds; the fake takes fractions, so a test's shutdown does
        # not wait out a long poll.
        await app.updater.start_polling(poll_interval=0, timeout=0.2,  # type: ignore[arg-type]
                                        allowed_updates=ALLOWED_UPDATES)
        await app.start()
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()
            assert app.post_shutdown is not None
            await app.post_shutdown(app)
