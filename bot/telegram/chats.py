"""Per-chat preferences and delivery state, behind a small interface the store can replace."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

_LANG = "lang"
_ACTIVE = "active"


class ChatPrefs(Protocol):
    """What the bot remembers about a chat."""

    async def language(self, chat_id: int) -> str | None: ...

    async def set_language(self, chat_id: int, code: str | None) -> None: ...

    async def is_active(self, chat_id: int) -> bool: ...

    async def set_active(self, chat_id: int, active: bool) -> None: ...


class ChatDataPrefs:
    """Keep preferences in PTB's per-chat `chat_data` (in memory until the store lands).

    `chat_data` is the Application's mapping of chat id → dict; reading a missing chat
    creates its dict, which is what PTB does for handlers too.
    """

    def __init__(self, chat_data: Mapping[int, dict[Any, Any]]) -> None:
        self._chat_data = chat_data

    async def language(self, chat_id: int) -> str | None:
        value = self._chat_data[chat_id].get(_LANG)
        return value if isinstance(value, str) else None

    async def set_language(self, chat_id: int, code: str | None) -> None:
        data = self._chat_data[chat_id]
        if code is None:
            data.pop(_LANG, None)
        else:
            data[_LANG] = code

    async def is_active(self, chat_id: int) -> bool:
        return bool(self._chat_data[chat_id].get(_ACTIVE, True))

    async def set_active(self, chat_id: int, active: bool) -> None:
        self._chat_data[chat_id][_ACTIVE] = active
