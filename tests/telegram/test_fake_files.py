"""The fake Bot API's files, through the real PTB client: what Telegram does, and refuses."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr
from telegram import Bot, InputFile
from telegram.error import BadRequest

from bot.config import Settings
from bot.telegram.app import build_application
from bot.telegram.markup import Markup
from tests.fakes.botapi import MAX_DOWNLOAD, FakeBotAPI


@pytest.fixture
async def bot(botapi: FakeBotAPI) -> AsyncIterator[Bot]:
    """The bot exactly as the app builds it from TELEGRAM_API_URL (base_url and files)."""
    app = build_application(Settings(telegram_bot_token=SecretStr(botapi.token),
                                     telegram_api_url=botapi.base_url + "/"))
    async with app.bot:
        yield app.bot


async def test_a_document_is_downloaded_where_telegram_serves_files(
    botapi: FakeBotAPI, bot: Bot
) -> None:
    data = "<opml>Новини</opml>".encode()
    message = botapi.push_document(data, file_name="мої стрічки.opml", caption="/import")
    document = message["document"]
    assert document["file_size"] == len(data) and document["mime_type"] == "text/x-opml"
    assert message["caption"] == "/import"
    assert message["caption_entities"] == [{"offset": 0, "length": 7, "type": "bot_command"}]
    file = await bot.get_file(document["file_id"])
    assert file.file_size == len(data)
    # PTB joins base_file_url, the token and file_path: the app's TELEGRAM_API_URL drives
    # both the methods and the downloads.
    assert file.file_path == (
        f"{botapi.base_url}/file/bot{botapi.token}/documents/file_1.opml")
    assert bytes(await file.download_as_bytearray()) == data
    assert botapi.downloads() == ["documents/file_1.opml"]


async def test_get_file_refuses_unknown_ids_and_files_over_20_mb(
    botapi: FakeBotAPI, bot: Bot
) -> None:
    with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
        await bot.get_file("nope")
    big = botapi.push_document(b"x" * (MAX_DOWNLOAD + 1), file_size=None)
    with pytest.raises(BadRequest, match=r"(?i)file is too big"):
        await bot.get_file(big["document"]["file_id"])


async def test_send_document_uploads_multipart_and_checks_the_caption(
    botapi: FakeBotAPI, bot: Bot
) -> None:
    body = b"<?xml version='1.0'?><opml/>"
    sent = await bot.send_document(42, InputFile(body, filename="newsbot.opml"),
                                   caption=Markup("<b>Ваші</b> стрічки"), parse_mode="HTML")
    assert sent.document is not None and sent.document.file_name == "newsbot.opml"
    assert sent.caption == "Ваші стрічки"
    (doc,) = botapi.documents_to(42)
    assert doc.document is not None and doc.document.data == body
    assert doc.document.file_name == "newsbot.opml"
    # Telegram keeps the upload: it can be sent again by its file_id, and downloaded.
    again = await bot.send_document(42, sent.document.file_id)
    assert again.document is not None
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_document(42, InputFile(body, filename="a.opml"),
                                caption=Markup("<b>open"), parse_mode="HTML")
    with pytest.raises(BadRequest, match="caption is too long"):
        await bot.send_document(42, InputFile(body, filename="a.opml"), caption="я" * 1025,
                                parse_mode=None)
    with pytest.raises(BadRequest, match="must be non-empty"):
        await bot.send_document(42, InputFile(b"", filename="a.opml"))
    assert len(botapi.documents_to(42)) == 2


async def test_a_reply_carries_the_message_it_answers(botapi: FakeBotAPI) -> None:
    original = botapi.push_document(b"<opml/>", chat_id=-100, user_id=7)
    reply = botapi.push_message("/import", chat_id=-100, user_id=7,
                                reply_to=original["message_id"])
    assert reply["reply_to_message"]["document"] == original["document"]
