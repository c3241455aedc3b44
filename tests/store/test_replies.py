"""Which stories each sent message shows, on SQLite and PostgreSQL: a digest's stories are
stored once however many chats get it; /forget and unknown messages."""

from __future__ import annotations

from bot.store import Store
from bot.store.records import StoryRef

STORIES = [
    StoryRef.of("Північна Корея відкликала війська", [("Укрінформ", "https://ukr.test/a")],
                ["Пхеньян відкликав 11 000 солдатів."]),
    StoryRef.of("朝鲜召回军队", [("新华社", "https://xinhua.test/b"), ("BBC", "https://bbc.test/c")]),
]


def test_a_digest_sent_to_many_chats_keeps_its_stories_once(store: Store) -> None:
    for chat in (1, 2, 3):
        store.chats.upsert(chat)
    store.replies.remember_many([(chat, [10, 11], STORIES) for chat in (1, 2, 3)])
    assert store.replies.stories_of(2, 11) == STORIES
    assert store.replies.stories_of(2, 12) is None
    assert store.replies.stories_of(4, 10) is None
    with store.engine.connect() as conn:
        shared = conn.exec_driver_sql("SELECT count(*) FROM reply_stories").scalar()
        messages = conn.exec_driver_sql("SELECT count(*) FROM reply_messages").scalar()
    assert (shared, messages) == (1, 6)


def test_forget_drops_the_chats_messages(store: Store) -> None:
    store.chats.upsert(1)
    store.chats.upsert(2)
    store.replies.remember(1, [5], STORIES[:1])
    store.replies.remember(2, [5], STORIES[:1])
    store.chats.forget(1)
    assert store.replies.stories_of(1, 5) is None
    assert store.replies.stories_of(2, 5) == STORIES[:1]


def test_a_story_is_stored_bounded() -> None:
    huge = StoryRef.of("t" * 5000, [(f"o{i}", f"https://x.test/{i}") for i in range(50)],
                       ["p" * 5000] * 50)
    assert len(huge.title) <= 300 and len(huge.sources) == 5
    assert len(huge.points) == 5 and all(len(p) <= 600 for p in huge.points)
