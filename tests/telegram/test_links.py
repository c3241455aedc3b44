"""Links in real Telegram updates: entities, captions, text_link, UTF-16 offsets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from telegram import Message, Update

from bot.telegram.links import extract_links


def load(shared_dir: Path, name: str) -> Message:
    data = json.loads((shared_dir / "datasets" / "telegram-updates" / name).read_text("utf-8"))
    update = Update.de_json(data, None)
    message = update.effective_message
    assert message is not None
    return message


def message(text: str, entities: list[dict[str, Any]], **extra: Any) -> Message:
    data = {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"},
            "text": text, "entities": entities, **extra}
    return Message.de_json(data, None)


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("private_text_url.constructed.json",
         ["https://www.example.com/world/2025/08/14/north-korea-generals?utm_source=tg"]),
        ("text_link.constructed.json", ["https://core.telegram.org/bots/api-changelog"]),
        ("photo_caption_link.json", ["http://www.example.com"]),
        ("forwarded_channel_post_caption.constructed.json",
         ["https://example.com/ep/42", "https://example.com/blog/42"]),
        ("emoji_nonlatin_url.constructed.json", ["https://telegram.org/blog"]),
        ("forwarded_channel_post.json", []),
        ("custom_emoji_utf16.json", []),
    ],
)
def test_links_from_real_updates(shared_dir: Path, fixture: str, expected: list[str]) -> None:
    assert extract_links(load(shared_dir, fixture), limit=3).urls == expected


def test_channel_post_url_before_cjk_text(shared_dir: Path) -> None:
    (url,) = extract_links(load(shared_dir, "channel_post.json"), limit=3).urls
    assert url.startswith("https://userinterfacing.com/") and url.endswith("RD+Station")


def test_duplicates_collapse_and_the_cap_counts_the_rest() -> None:
    text = "a https://x.org/1 b https://x.org/1?utm_source=tg c https://x.org/2 d https://x.org/3"
    ents = [{"type": "url", "offset": text.index(u), "length": len(u)}
            for u in ("https://x.org/1", "https://x.org/1?utm_source=tg", "https://x.org/2",
                      "https://x.org/3")]
    links = extract_links(message(text, ents), limit=2)
    assert links.urls == ["https://x.org/1", "https://x.org/2"]
    assert links.skipped == 1


def test_links_come_in_message_order_whatever_the_entity_order() -> None:
    text = "first https://a.example/1 then more"
    ents = [{"type": "text_link", "offset": 26, "length": 4, "url": "https://b.example/2"},
            {"type": "url", "offset": 6, "length": 19}]
    assert extract_links(message(text, ents), limit=3).urls == [
        "https://a.example/1", "https://b.example/2"]


def test_non_web_links_are_ignored() -> None:
    text = "write mailto:me@example.com or open tg://resolve?domain=x"
    ents = [{"type": "url", "offset": 6, "length": 21},
            {"type": "text_link", "offset": 31, "length": 4, "url": "tg://resolve?domain=x"}]
    assert extract_links(message(text, ents), limit=3).urls == []


def test_plain_text_without_entities_has_no_links() -> None:
    assert extract_links(message("no links here", []), limit=3).urls == []
