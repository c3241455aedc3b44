"""Which stories the bot's sent messages show, kept so that a reply to one is a question
about its story (read by `bot.telegram.questions`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from sqlalchemy.exc import SQLAlchemyError

from bot.store.records import StoryRef
from bot.telegram.context import BotContext

log = logging.getLogger(__name__)

async def remember(context: BotContext, chat_id: int, message_ids: Sequence[int],
                   stories: Sequence[StoryRef]) -> None:
    """Keep which stories these sent messages show; a storage problem costs only questions."""
    try:
        await asyncio.to_thread(context.services.store.replies.remember, chat_id, message_ids,
                                stories)
    except SQLAlchemyError as exc:
        log.warning("chat %s: messages %s not kept for questions (storage problem): %s: %s",
                    chat_id, list(message_ids), type(exc).__name__, exc)
