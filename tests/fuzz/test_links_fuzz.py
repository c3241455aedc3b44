"""Links are found in any message Telegram could send, and in messages it never would."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telegram import Message

from bot.telegram.links import extract_links
from bot.urls import canonical_url
from tests.fuzz.strategies import bmp_text, entities, message_text

LIMIT = 3
FUZZ = settings(max_examples=500, derandomize=True, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


def message(text: str | None, ents: list[dict[str, Any]], *, caption: bool) -> Message:
    data: dict[str, Any] = {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}}
    if caption:
        data.update(photo=[{"file_id": "P", "file_unique_id": "P", "width": 1, "height": 1}],
                    caption=text, caption_entities=ents)
    else:
        data.update(text=text, entities=ents)
    return Message.de_json(data, None)


@st.composite
def messages(draw: st.DrawFn, *, valid: bool) -> Message:
    # Wild offsets go with BMP-only text: an offset inside an emoji's pair is the known
    # failure tested on its own below.
    text = draw(message_text if valid else bmp_text)
    ents = draw(entities(text, valid=valid))
    return message(text, ents, caption=draw(st.booleans()))


def check(msg: Message) -> None:
    found = extract_links(msg, limit=LIMIT)
    found_urls = found.urls
    # `skipped` counts exactly the distinct links past the limit, the ones the bot
    # mentions without reading.
    everything = extract_links(msg, limit=10_000).urls
    assert found_urls == everything[:LIMIT]
    assert found.skipped == len(everything) - len(found_urls)
    assert all(u.lower().startswith(("http://", "https://")) for u in found_urls)
    keys = []
    for url in found_urls:
        try:
            keys.append(canonical_url(url))
        except Exception:
            continue
    assert len(keys) == len(set(keys))  # one answer per article, however it was spelled


@FUZZ
@given(messages(valid=True))
def test_links_from_any_well_formed_message(msg: Message) -> None:
    check(msg)


@FUZZ
@given(messages(valid=False))
def test_offsets_outside_the_text_or_negative_lengths_do_not_crash(msg: Message) -> None:
    check(msg)


def test_an_entity_cutting_an_emoji_in_half_does_not_crash() -> None:
    # PTB decodes the UTF-16 slice strictly; that one entity is skipped, the others count.
    text = "🙂 http://example.com/a http://example.org/b"
    msg = message(text, [{"type": "url", "offset": 1, "length": 22},
                         {"type": "url", "offset": 24, "length": 20}], caption=False)
    found = extract_links(msg, limit=LIMIT)
    assert found.urls == ["http://example.org/b"]
