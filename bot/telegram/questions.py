"""Questions asked by replying to a summary or a digest: answered from the story's articles.

The bot remembers, for CACHE_TTL_DAYS, which stories each summary and digest message
showed (`bot.store.replies`); a reply to one of them is a question about its story. A
digest message holds several stories: the part of it the reader quoted picks one, else the
story whose words best match the question. The answer (`bot.summarize.answer`) says which
story it is about and cites the outlets; when the articles don't say, it says so.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError
from telegram import Message, Update
from telegram.constants import ChatType
from telegram.error import Forbidden

from bot.errors import NewsbotError
from bot.extract.language import detect_language
from bot.i18n import Translator
from bot.store.records import StoryRef
from bot.summarize.answer import Answer, terms
from bot.summarize.multisource import SourceArticle
from bot.telegram import handlers, messages, reply_targets
from bot.telegram.context import BotContext
from bot.telegram.links import extract_links
from bot.telegram.markup import NEWLINE, Markup, italic, pack
from bot.telegram.outgoing import reply

log = logging.getLogger(__name__)

MAX_STORY_SOURCES = 3  # articles an answer reads, as many as a digest story's points are from

MAX_OUTLET = 40


async def ask(update: Update, context: BotContext) -> None:
    """A reply with text: a question when it answers one of the bot's summaries or digests.

    Anything else goes where it would have gone without the reply: links are summarized,
    and in groups a reply to somebody else is none of the bot's business.
    """
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None:
        return
    target = message.reply_to_message
    if (target is None or not (message.text or "").strip()
            or extract_links(message, limit=1).urls):
        await handlers.links(update, context)
        return
    bot_user = target.from_user
    if bot_user is None or bot_user.id != context.bot.id:
        if chat.type == ChatType.PRIVATE:
            tr = await handlers.texts(update, context)
            await reply(message, tr(messages.ASK_NOT_A_SUMMARY), quote=True)
        return
    try:
        await _answer(message, target, update, context)
    except Forbidden as exc:
        await handlers.mark_blocked(context, chat.id, exc)


async def _answer(message: Message, target: Message, update: Update,
                  context: BotContext) -> None:
    services = context.services
    settings = services.settings
    chat_id = message.chat_id
    tr = await handlers.texts(update, context)  # the asker's language, as for every reply
    expired = tr(messages.ASK_EXPIRED, settings.cache_ttl_days).format(
        days=settings.cache_ttl_days)
    stories = await asyncio.to_thread(services.store.replies.stories_of, chat_id,
                                      target.message_id)
    if not stories:
        if _older_than(target, settings.cache_ttl_days, services.clock()):
            await reply(message, expired, quote=True)
        else:
            await reply(message, tr(messages.ASK_NOT_A_SUMMARY), quote=True)
        return
    question = message.text or ""
    who = handlers.requester(update)
    wait = await services.user_limit.acquire(str(who))
    if wait:
        await reply(message, messages.rate_limited(tr, wait), quote=True)
        return
    try:
        story, sources = await _story_and_sources(stories, target, message, question, context)
    except SQLAlchemyError:
        await services.user_limit.release(str(who))
        raise
    if not sources:
        await services.user_limit.release(str(who))
        if not story.points:  # a digest story none of whose articles could be read
            await reply(message, tr(messages.ASK_HEADLINE_ONLY), quote=True)
        else:  # the articles went with the link cache (CACHE_TTL_DAYS)
            await reply(message, expired, quote=True)
        return
    lang = (await services.chats.language(chat_id) or detect_language(question)
            or handlers.user_language(update))
    try:
        async with handlers.typing_action(message.chat), services.jobs.turn(who):
            answer = await services.answerer.answer(question, sources, lang=lang)
    except NewsbotError as exc:
        await services.user_limit.release(str(who))
        log.info("question in chat %s failed: %s: %s", chat_id, type(exc).__name__, exc)
        await reply(message, tr(messages.ASK_FAILED), quote=True)
        return
    log.info("question in chat %s about %r: %s by %s (%d dropped by the guard)", chat_id,
             story.title[:60], f"{len(answer.sentences)} sentence(s)" if answer.found
             else "not in the articles", answer.answerer, answer.dropped)
    sent = [await reply(message, part, quote=True)
            for part in render_answer(tr, story, sources, answer)]
    # A reply to the answer asks about the same story.
    await reply_targets.remember(context, chat_id, [m.message_id for m in sent], [story])


async def _story_and_sources(
    stories: list[StoryRef], target: Message, message: Message, question: str,
    context: BotContext,
) -> tuple[StoryRef, list[SourceArticle]]:
    """The story the question is about, and its articles still kept."""
    store = context.services.store
    urls = [url for s in stories for _, url in s.sources]
    articles = await asyncio.to_thread(store.articles.get_articles, urls)
    quote = message.quote.text if message.quote is not None else None
    story = choose_story(stories, question=question, quote=quote,
                         shown=target.text or target.caption or "",
                         texts={u: a.title + "\n" + a.text for u, a in articles.items()})
    sources = [SourceArticle(outlet, articles[url])
               for outlet, url in story.sources if url in articles][:MAX_STORY_SOURCES]
    return story, sources


def choose_story(stories: Sequence[StoryRef], *, question: str, quote: str | None,
                 shown: str, texts: dict[str, str]) -> StoryRef:
    """The story a reply asks about.

    A quote names it (the reader selected part of the message); otherwise the question's
    words pick it: first among the story's headline and points, then in its articles. Only
    stories the replied-to message shows are candidates (a digest comes in several parts).
    """
    if len(stories) == 1:
        return stories[0]
    on_screen = [s for s in stories if _squash(s.title) and _squash(s.title) in _squash(shown)]
    candidates = on_screen or list(stories)
    if quote and quote.strip():
        wanted = _squash(quote)
        for story in candidates:
            if any(wanted in _squash(t) or _squash(t) in wanted
                   for t in (story.title, *story.points) if _squash(t)):
                return story
        best = _best(candidates, set(terms(quote)), _shown_text)
        if best is not None:
            return best
    wanted_terms = set(terms(question))
    best = _best(candidates, wanted_terms, _shown_text)
    if best is None:
        best = _best(candidates, wanted_terms,
                     lambda s: "\n".join(texts.get(url, "") for _, url in s.sources))
    return best if best is not None else candidates[0]


def _best(stories: Sequence[StoryRef], wanted: set[str],
          text_of: Callable[[StoryRef], str]) -> StoryRef | None:
    scored = [(len(wanted & set(terms(text_of(s)))), -n, s) for n, s in enumerate(stories)]
    top = max(scored, key=lambda x: (x[0], x[1]))
    return top[2] if top[0] > 0 else None


def _shown_text(story: StoryRef) -> str:
    return "\n".join((story.title, *story.points))


def _squash(text: str) -> str:
    return " ".join(text.split()).casefold()


def _older_than(message: Message, days: int, now: datetime) -> bool:
    sent = message.date if message.date.tzinfo else message.date.replace(tzinfo=UTC)
    return now - sent > timedelta(days=days)


# --- rendering ----------------------------------------------------------------------------


def render_answer(tr: Translator, story: StoryRef, sources: Sequence[SourceArticle],
                  answer: Answer) -> list[Markup]:
    """The answer as HTML messages in the asker's language (`tr`): which story, the
    sentences with their outlets, or "doesn't say" naming the outlets looked in."""
    outlets = [_outlet(s.outlet) for s in sources]
    title = _cut(story.title or tr(messages.UNTITLED), 300)
    blocks: list[Markup] = [messages.ASK_ABOUT.format(title=title)]
    if not answer.found:
        said = messages.ASK_NOT_SAID if len(sources) == 1 else messages.ASK_NOT_SAID_MANY
        blocks.append(tr(said).format(outlets=", ".join(outlets)))
        return pack([NEWLINE.join(blocks)])
    template = tr(messages.ASK_QUOTE_LINE) if answer.quoted else messages.ASK_LINE
    for sentence in answer.sentences:
        cited = ", ".join(outlets[i] for i in sentence.sources if i < len(outlets))
        blocks.append(template.format(text=_cut(sentence.text, 1000), outlets=cited))
    if answer.fallback_reason is not None:
        blocks.append(italic(tr(messages.ASK_FALLBACK_NOTE)))
    elif answer.quoted:
        blocks.append(italic(tr(messages.ASK_QUOTED_NOTE)))
    return pack([NEWLINE.join(blocks)])


def _outlet(name: str) -> str:
    return _cut(" ".join(name.split()), MAX_OUTLET) or "?"






def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
