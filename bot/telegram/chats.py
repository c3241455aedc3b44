"""Per-chat preferences, kept in the store so they survive restarts."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from bot.store import Store

_KNOWN_CAP = 100_000  # chat ids remembered as "already stored"; past this, ask the store again


class ChatPrefs(Protocol):
    """What the bot remembers about a chat."""

    async def seen(self, chat_id: int, user_language: str | None) -> None: ...

    async def language(self, chat_id: int) -> str | None: ...

    async def set_language(self, chat_id: int, code: str | None) -> None: ...

    async def is_active(self, chat_id: int) -> bool: ...

    async def set_active(self, chat_id: int, active: bool) -> None: ...

    async def forget(self, chat_id: int) -> bool: ...


class StoreChatPrefs:
    """`ChatPrefs` on the store; every call is a short transaction in a worker thread."""

    def __init__(self, store: Store) -> None:
        self._store = store
        # Chats known to have a row: saves a database round trip on every update. Only a
        # hint — a chat forgotten by another process is simply created again on contact.
        self._known: set[int] = set()

    async def seen(self, chat_id: int, user_language: str | None) -> None:
        """Store a chat on first contact, with the Telegram language of who wrote first."""
        if chat_id in self._known:
            return
        await asyncio.to_thread(self._first_contact, chat_id, user_language)
        if len(self._known) >= _KNOWN_CAP:
            self._known.clear()
        self._known.add(chat_id)

    def _first_contact(self, chat_id: int, user_language: str | None) -> None:
        chat = self._store.chats.get(chat_id)
        if chat is None:
            self._store.chats.upsert(chat_id)  # create first: a racer may do the same
            if user_language:
                self._store.chats.set_language_if_unset(chat_id, user_language)
        elif not chat.active:
            # Writing again after blocking the bot (or re-adding it) means it is back.
            self._store.chats.set_active(chat_id, True)

    async def language(self, chat_id: int) -> str | None:
        chat = await asyncio.to_thread(self._store.chats.get, chat_id)
        return None if chat is None else chat.language

    async def set_language(self, chat_id: int, code: str | None) -> None:
        await asyncio.to_thread(self._store.chats.set_language, chat_id, code)

    async def is_active(self, chat_id: int) -> bool:
        chat = await asyncio.to_thread(self._store.chats.get, chat_id)
        return True if chat is None else chat.active

    async def set_active(self, chat_id: int, active: bool) -> None:
        await asyncio.to_thread(self._store.chats.set_active, chat_id, active)
        self._known.add(chat_id)

    async def forget(self, chat_id: int) -> bool:
        """Delete everything stored about the chat; True if there was anything."""
        self._known.discard(chat_id)
        return await asyncio.to_thread(self._store.chats.forget, chat_id)
