"""ChatAdmins against the fake Bot API through a real PTB Bot: getChatMember's answers and
errors, and how long an answer is trusted."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot, ChatMemberAdministrator, ChatMemberLeft, ChatMemberOwner
from telegram.error import BadRequest

from bot.telegram.admins import CACHE_SECONDS, ChatAdmins
from tests.fakes.botapi import FakeBotAPI

GROUP = -100777


@pytest.fixture
async def bot(botapi: FakeBotAPI) -> AsyncIterator[Bot]:
    async with Bot(botapi.token, base_url=f"{botapi.base_url}/bot") as b:
        yield b


async def test_get_chat_member_answers_like_telegram(botapi: FakeBotAPI, bot: Bot) -> None:
    botapi.set_admins(GROUP, 1, creator=2)
    for user_id in (1, 2, 3):
        botapi.push_message("hi", chat_id=GROUP, user_id=user_id)
    botapi.push_message("hi", chat_id=-100888, user_id=4)
    admin = await bot.get_chat_member(GROUP, 1)
    owner = await bot.get_chat_member(GROUP, 2)
    member = await bot.get_chat_member(GROUP, 3)
    elsewhere = await bot.get_chat_member(GROUP, 4)
    assert isinstance(admin, ChatMemberAdministrator) and admin.can_change_info
    assert isinstance(owner, ChatMemberOwner) and owner.user.id == 2
    assert member.status == "member" and isinstance(elsewhere, ChatMemberLeft)
    with pytest.raises(BadRequest, match=r"(?i)user not found"):
        await bot.get_chat_member(GROUP, 999)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_an_answer_is_trusted_briefly_then_asked_again(
    botapi: FakeBotAPI, bot: Bot
) -> None:
    botapi.set_admins(GROUP, 1)
    botapi.push_message("hi", chat_id=GROUP, user_id=1)
    clock = Clock()
    admins = ChatAdmins(clock=clock)
    assert await admins.is_admin(bot, GROUP, 1)
    botapi.set_admins(GROUP)  # demoted
    clock.now += CACHE_SECONDS - 1
    assert await admins.is_admin(bot, GROUP, 1)  # still the cached answer
    clock.now += 2
    assert not await admins.is_admin(bot, GROUP, 1)
    assert len(botapi.calls("getChatMember")) == 2


async def test_when_telegram_cannot_say_the_answer_is_no_and_not_kept(
    botapi: FakeBotAPI, bot: Bot
) -> None:
    botapi.set_admins(GROUP, 1)
    botapi.push_message("hi", chat_id=GROUP, user_id=1)
    admins = ChatAdmins()
    botapi.fail_next("getChatMember", status=500)
    assert not await admins.is_admin(bot, GROUP, 1)
    assert await admins.is_admin(bot, GROUP, 1)  # asked again, not the cached failure
