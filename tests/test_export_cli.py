"""`newsbot export --chat ID [--output FILE]` on a real SQLite file: the /export file, offline."""

from __future__ import annotations

from pathlib import Path

from bot.config import GOOGLE_NEWS_SEARCH
from bot.opml import Outline, parse_opml, topic_url
from bot.store import Store
from tests.fakes.cli import newsbot, newsbot_process


def populate(data: Path) -> None:
    data.mkdir(exist_ok=True)
    store = Store.open(f"sqlite:///{data / 'newsbot.sqlite3'}")
    try:
        store.subscriptions.add(-1001, "Київ")
        store.subscriptions.add(-1001, "https://example.org/feed.xml", "feed")
        store.feeds.set_title("https://example.org/feed.xml", "Приклад — новини")
        store.subscriptions.add(-1001, "https://example.net/rss", "feed")  # no title known
        store.chats.set_language(-1001, "uk")
        store.chats.upsert(5)  # known, follows nothing
    finally:
        store.close()


def test_export_writes_the_chats_opml(clean_env: Path, tmp_path: Path) -> None:
    populate(clean_env / "data")
    out = newsbot_process("export", "--chat", "-1001")
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""
    assert parse_opml(out.stdout.encode()) == [
        Outline(topic_url(GOOGLE_NEWS_SEARCH, "Київ", "uk"), "Київ"),
        Outline("https://example.org/feed.xml", "Приклад — новини"),
        Outline("https://example.net/rss", "https://example.net/rss"),
    ]
    target = tmp_path / "мої стрічки.opml"
    to_file = newsbot("export", "--chat", "-1001", "--output", str(target))
    assert to_file.returncode == 0 and to_file.stdout == ""
    assert parse_opml(target.read_bytes()) == parse_opml(out.stdout.encode())


def test_export_of_a_chat_that_follows_nothing_is_an_empty_list(clean_env: Path) -> None:
    populate(clean_env / "data")
    out = newsbot("export", "--chat", "5")
    assert out.returncode == 0
    assert parse_opml(out.stdout.encode()) == []
    assert out.stderr == "newsbot: note: chat 5 follows no topic or feed; the file lists none\n"


def test_export_failures_are_one_line_and_exit_2(clean_env: Path, tmp_path: Path) -> None:
    missing = newsbot("export", "--chat", "42")
    assert missing.returncode == 2 and missing.stdout == ""
    assert missing.stderr.startswith("newsbot: error: no database file at ")
    populate(clean_env / "data")
    unknown = newsbot("export", "--chat", "42")
    assert unknown.returncode == 2 and unknown.stdout == ""
    assert unknown.stderr == (
        "newsbot: error: chat 42 is unknown: the bot has never talked to it (newsbot status "
        "counts the chats it knows)\n")
    unwritable = newsbot("export", "--chat", "-1001", "--output", str(tmp_path / "no" / "x"))
    assert unwritable.returncode == 2
    assert unwritable.stderr.startswith("newsbot: error: cannot write ")
    assert "No such file or directory" in unwritable.stderr
    not_an_id = newsbot_process("export", "--chat", "@mychannel")
    assert not_an_id.returncode == 2
    assert "'@mychannel' is not a chat id" in not_an_id.stderr
