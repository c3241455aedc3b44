"""End to end: /import and /export of OPML files through the real bot and the fake Bot API.

The files travel as Telegram carries them (a document in the update, getFile, a download
from the file URL, sendDocument with a multipart upload); the feeds are served by the
loopback news site and checked through the SSRF guard like /subscribe checks them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from xml.sax.saxutils import quoteattr

from bot.opml import MAX_OPML_BYTES, Outline, parse_opml, topic_url
from bot.telegram import messages
from bot.telegram.markup import to_plain
from tests.fakes.botapi import BotMessage, FakeBotAPI
from tests.fakes.newsworld import NewsWorld
from tests.fakes.site import FakeSite, Response

USER = 1001
StartBot = Callable[..., Any]


def rss(title: str) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>{title}</title><link>http://example.org/</link>
<item><title>Something happened</title><link>http://example.org/a</link>
<pubDate>Wed, 25 Nov 2026 10:00:00 GMT</pubDate><description>It did.</description></item>
</channel></rss>"""


def feed(site: FakeSite, path: str, title: str) -> str:
    return site.route(path, Response(rss(title), content_type="application/rss+xml"))


def opml(*outlines: tuple[str, str] | str) -> bytes:
    """An OPML file: ("title", "url") outlines, or raw outline XML for nesting."""
    body = "".join(
        item if isinstance(item, str)
        else f"<outline type=\"rss\" text={quoteattr(item[0])} xmlUrl={quoteattr(item[1])}/>"
        for item in outlines
    )
    return f'<?xml version="1.0" encoding="UTF-8"?><opml version="2.0"><head><title>' \
           f'Export</title></head><body>{body}</body></opml>'.encode()


def after(api: FakeBotAPI, n: int, chat_id: int = USER) -> Callable[[], list[BotMessage]]:
    """A predicate: the bot's messages once there are more than `n` and none is in progress."""

    def check() -> list[BotMessage]:
        sent = api.sent_to(chat_id)
        busy = any(m.text.startswith("Checking the feeds of") for m in sent)
        return sent[n:] if len(sent) > n and not busy else []

    return check


async def send_file(api: FakeBotAPI, data: bytes, *, chat_id: int = USER,
                    **kw: Any) -> BotMessage:
    """Send a document as the user; the bot's last answer once it is done."""
    before = len(api.sent_to(chat_id))
    api.push_document(data, chat_id=chat_id, **kw)
    return (await api.wait_for(after(api, before, chat_id), timeout=30))[-1]


async def say(api: FakeBotAPI, text: str, *, chat_id: int = USER, **kw: Any) -> BotMessage:
    before = len(api.sent_to(chat_id))
    api.push_message(text, chat_id=chat_id, **kw)
    return (await api.wait_for(after(api, before, chat_id), timeout=30))[-1]


async def test_import_a_readers_export_says_what_was_added_and_skipped(
    botapi: FakeBotAPI, site: FakeSite, world: NewsWorld, start_bot: StartBot
) -> None:
    news = feed(site, "/ua.xml", "Українські новини")
    chinese = feed(site, "/cn.xml", "中文新闻")
    followed = feed(site, "/followed.xml", "Already There")
    page = site.page("/page", "<html><body><p>Hello</p></body></html>")
    gone = site.route("/gone.xml", Response("no", status=404))
    loopback = "http://127.0.0.1:9/feed.xml"  # the site's own address, another port
    metadata = "http://169.254.169.254/latest/meta-data/"
    topic = topic_url(world.templates[0], "Київ", "uk")  # a search feed: comes as a topic
    export = opml(
        ("Українські новини", news),
        '<outline text="Категорія"><outline text="Глибше">',
        ("中文", chinese),
        ('Page <b>&"', page),
        '</outline></outline>',
        ("Gone", gone),
        ("Loopback", loopback),
        ("Metadata", metadata),
        ("Again", news.replace("127.0.0.1", "127.0.0.1")),
        ("Followed", followed),
        ("Київ — Google News", topic),
        ("FTP", "ftp://example.org/feed"),
    )
    async with start_bot(**world.settings()) as app:
        store = app.bot_data.services.store
        await say(botapi, f"/subscribe {followed}")
        summary = await send_file(botapi, export, caption="/import",
                                  file_name='мої <b>&".opml')
        subs = [(s.kind, s.topic) for s in store.subscriptions.for_chat(USER)]
        titles = store.feeds.titles([news, chinese])
    assert subs == [("feed", followed), ("feed", news), ("feed", chinese), ("search", "Київ")]
    assert titles == {news: "Українські новини", chinese: "中文新闻"}
    text = summary.text
    assert summary.edits == 1  # the "Checking…" status became the summary
    # Names from the file are shown literally, in valid Telegram HTML.
    assert summary.parse_mode == "HTML" and "&lt;b&gt;&amp;&#34;" in summary.raw
    assert text.startswith('Import of мої <b>&".opml: 3 added, 7 skipped.')
    added = text.split("Added:\n")[1].split("\n\n")[0].splitlines()
    assert added == ["• Українські новини", "• 中文新闻", "• Київ"]
    skipped = text.split("Skipped:\n")[1].split("\n\n")[0].splitlines()
    assert skipped == [
        '• Page <b>&" — not an RSS or Atom feed',
        "• Gone — the site answered HTTP 404",
        "• Loopback — a private or local network address",
        "• Metadata — a private or local network address",
        "• Again — listed twice in the file",
        "• Followed — you already follow it",
        "• FTP — not a web address I can open",
    ]
    assert "Your next digest comes in" in text
    # The guard refused the private addresses before connecting: nothing was fetched there.
    assert not site.requests_to("/feed.xml")


async def test_import_stops_at_the_topic_limit(
    botapi: FakeBotAPI, site: FakeSite, world: NewsWorld, start_bot: StartBot
) -> None:
    urls = [feed(site, f"/f{n}.xml", f"Feed {n}") for n in range(6)]
    async with start_bot(**world.settings(), max_topics_per_chat=3) as app:
        store = app.bot_data.services.store
        await say(botapi, "/subscribe North Korea")
        summary = await send_file(botapi, opml(*((f"F{n}", u) for n, u in enumerate(urls))),
                                  caption="/import")
        subs = [s.topic for s in store.subscriptions.for_chat(USER)]
    assert subs == ["North Korea", urls[0], urls[1]]
    assert summary.text.startswith("Import of feeds.opml: 2 added, 4 skipped.")
    assert ("• 4 more not added: a chat follows at most 3 topics and feeds "
            "(/unsubscribe some first)") in summary.text
    # Only what could be added was fetched.
    assert [bool(site.requests_to(f"/f{n}.xml")) for n in range(6)] == [True] * 2 + [False] * 4


async def test_files_that_are_not_feed_lists_get_friendly_answers(
    botapi: FakeBotAPI, site: FakeSite, world: NewsWorld, start_bot: StartBot
) -> None:
    ok = feed(site, "/ok.xml", "OK")
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
              b'<opml><body><outline text="&lol2;" xmlUrl="' + ok.encode() + b'"/></body></opml>')
    huge = b"<opml>" + b" " * MAX_OPML_BYTES + b"</opml>"
    async with start_bot(**world.settings()) as app:
        store = app.bot_data.services.store
        malformed = await send_file(botapi, b"<opml><body><outline", caption="/import")
        bomb = await send_file(botapi, laughs, caption="/import")
        rss_file = await send_file(botapi, rss("A feed").encode(), caption="/import")
        empty = await send_file(botapi, opml(), caption="/import")
        declared = await send_file(botapi, huge, caption="/import")
        fetched_before = len(botapi.calls("getFile"))
        # Telegram did not say the size in the message: getFile does, before any download.
        unsaid = await send_file(botapi, huge, caption="/import", file_size=None)
        downloads, asked = botapi.downloads(), len(botapi.calls("getFile"))
        botapi.fail_next("getFile", status=400, description="Bad Request: invalid file_id")
        lost = await send_file(botapi, opml(("OK", ok)), caption="/import")
        subs = store.subscriptions.for_chat(USER)
    assert malformed.text.startswith("I couldn't read that file: it isn't well-formed XML")
    assert bomb.text.startswith("I didn't read that file: it has a DOCTYPE")
    assert rss_file.text.startswith("That file isn't an OPML feed list")
    assert empty.text == "That OPML file lists no feeds (no outline has an xmlUrl)."
    assert declared.text.startswith("That file is 512 KB: I read OPML files of up to 512 KB")
    assert fetched_before == 4  # the declared size was refused without asking for the file
    assert unsaid.text.startswith("That file is 512 KB: I read OPML files of up to 512 KB")
    assert asked == 5
    assert len(downloads) == 4  # neither large file was downloaded
    assert lost.text == "I couldn't download that file from Telegram. Please send it again."
    assert subs == [] and not site.requests_to("/ok.xml")


async def test_the_ways_telegram_users_send_a_file(
    botapi: FakeBotAPI, site: FakeSite, world: NewsWorld, start_bot: StartBot
) -> None:
    a, b, c = (feed(site, f"/{n}.xml", f"Feed {n}") for n in "abc")
    async with start_bot(**world.settings()) as app:
        store = app.bot_data.services.store
        # A feed list sent without a word: a hint, nothing imported.
        document = botapi.push_document(opml(("A", a)))
        hint = (await botapi.wait_for(after(botapi, 0)))[-1]
        assert hint.text == to_plain(messages.IMPORT_HINT)
        assert store.subscriptions.for_chat(USER) == []
        # /import as a reply to that file.
        replied = await say(botapi, "/import", reply_to=document["message_id"])
        assert replied.text.startswith("Import of feeds.opml: 1 added")
        # /import alone: a prompt asking for a reply, then the file (not as a reply).
        prompt = await say(botapi, "/import")
        assert prompt.text == to_plain(messages.IMPORT_PROMPT)
        assert botapi.calls("sendMessage")[-1].params["reply_markup"] == {
            "force_reply": True, "selective": True}
        taken = await send_file(botapi, opml(("B", b)), file_name="list.xml",
                                mime_type="application/xml")
        assert taken.text.startswith("Import of list.xml: 1 added")
        # The prompt was used up: the next file is only hinted at again.
        again = await send_file(botapi, opml(("C", c)))
        assert again.text == to_plain(messages.IMPORT_HINT)
        # A reply to the prompt: any file, whatever its name.
        prompt = await say(botapi, "/import")
        by_reply = await send_file(botapi, opml(("C", c)), file_name="x.txt",
                                   mime_type="text/plain", reply_to=prompt.message_id)
        assert by_reply.text.startswith("Import of x.txt: 1 added")
        subs = [s.topic for s in store.subscriptions.for_chat(USER)]
    assert subs == [a, b, c]


async def test_in_groups_only_admins_import(
    botapi: FakeBotAPI, site: FakeSite, world: NewsWorld, start_bot: StartBot
) -> None:
    group, admin, member = -100555, 7, 8
    a = feed(site, "/a.xml", "Feed A")
    botapi.set_admins(group, admin)
    async with start_bot(**world.settings()) as app:
        store = app.bot_data.services.store
        refused = await send_file(botapi, opml(("A", a)), chat_id=group, user_id=member,
                                  caption="/import@newsbot_test_bot")
        other_bot = len(botapi.sent_to(group))
        botapi.push_document(opml(("A", a)), chat_id=group, user_id=admin,
                             caption="/import@some_other_bot")
        ok = await send_file(botapi, opml(("A", a)), chat_id=group, user_id=admin,
                             caption="/import")
        subs = [s.topic for s in store.subscriptions.for_chat(group)]
    assert refused.text == to_plain(messages.ADMINS_ONLY)
    assert other_bot == 1 and len(botapi.sent_to(group)) == 2  # the other bot's: not ours
    assert ok.text.startswith("Import of feeds.opml: 1 added")
    assert subs == [a]


async def test_export_then_import_into_another_chat_gives_the_same_subscriptions(
    botapi: FakeBotAPI, site: FakeSite, world: NewsWorld, start_bot: StartBot
) -> None:
    ua = feed(site, "/ua.xml", "Новини & <події>")
    plain = feed(site, "/plain.xml", "")
    other = 2002
    async with start_bot(**world.settings()) as app:
        store = app.bot_data.services.store
        empty = await say(botapi, "/export")
        await say(botapi, "/lang de")  # the chat's language: the file's topic URLs say hl=de
        await say(botapi, "/subscribe North Korea")
        await say(botapi, f"/subscribe {ua}")
        await say(botapi, f"/subscribe {plain}")
        await say(botapi, "/subscribe Київ і Харків")
        exported = await say(botapi, "/export")
        assert exported.document is not None
        data = exported.document.data
        # The exported file, sent on to another chat with the caption /import.
        imported = await send_file(botapi, data, chat_id=other, user_id=other,
                                   caption="/import", file_name=exported.document.file_name)
        mine = [(s.kind, s.topic) for s in store.subscriptions.for_chat(USER)]
        theirs = [(s.kind, s.topic) for s in store.subscriptions.for_chat(other)]
    assert empty.text.startswith("You don't follow any topic yet")
    assert exported.document.file_name == "newsbot-feeds.opml"
    assert exported.text.startswith("Deine Themen und Feeds (4) als OPML")
    assert parse_opml(data) == [
        Outline(topic_url(world.templates[0], "North Korea", "de"), "North Korea"),
        Outline(ua, "Новини & <події>"),
        Outline(plain, plain),  # a feed without a title is named by its address
        Outline(topic_url(world.templates[0], "Київ і Харків", "de"), "Київ і Харків"),
    ]
    assert b'<opml version="2.0">' in data and b"<dateCreated>" in data
    assert imported.text.startswith("Import of newsbot-feeds.opml: 4 added, 0 skipped.")
    assert theirs == mine


async def test_an_import_is_one_request_of_the_budget(
    botapi: FakeBotAPI, site: FakeSite, world: NewsWorld, start_bot: StartBot
) -> None:
    a, b, c = (feed(site, f"/{n}.xml", f"Feed {n}") for n in "abc")
    async with start_bot(**world.settings(), rate_limit_links=1) as app:
        store = app.bot_data.services.store
        refused = await send_file(botapi, b"<opml", caption="/import")  # given back
        ok = await send_file(botapi, opml(("A", a), ("B", b)), caption="/import")
        limited = await send_file(botapi, opml(("C", c)), caption="/import")
        subs = [s.topic for s in store.subscriptions.for_chat(USER)]
    assert refused.text.startswith("I couldn't read that file")
    assert ok.text.startswith("Import of feeds.opml: 2 added")  # two feeds, one request
    assert limited.text.startswith("You've reached the limit of summaries, feed checks")
    assert subs == [a, b] and not site.requests_to("/c.xml")


async def test_the_summary_speaks_the_chats_language(
    botapi: FakeBotAPI, site: FakeSite, world: NewsWorld, start_bot: StartBot
) -> None:
    a = feed(site, "/a.xml", "Стрічка А")
    page = site.page("/page", "<html><body><p>Привіт</p></body></html>")
    async with start_bot(**world.settings()):
        summary = await send_file(botapi, opml(("А", a), ("Сторінка", page), ("А", a)),
                                  caption="/import", file_name="стрічки.opml",
                                  language_code="uk")
        prompt = await say(botapi, "/import", language_code="uk")
        by_reply = await send_file(botapi, b"<opml", file_name="x.txt", mime_type="text/plain",
                                   reply_to=prompt.message_id, language_code="uk")
    assert summary.text.splitlines() == [
        "Імпорт стрічки.opml: додано 1, пропущено 2.", "", "Додано:", "• Стрічка А", "",
        "Пропущено:", "• Сторінка — не стрічка RSS чи Atom", "• А — у файлі двічі", "",
        summary.text.splitlines()[-1]]
    assert summary.text.splitlines()[-1].startswith("Наступний дайджест прийде ")
    assert prompt.text.startswith("Надішліть мені список стрічок як файл OPML")
    # The file that answers the prompt, refused in Ukrainian too.
    assert by_reply.text.startswith("Не вдалося прочитати цей файл")
