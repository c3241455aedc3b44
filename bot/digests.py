"""Daily digests: what each chat gets, built once per topic and delivered exactly once.

A round (the scheduler's tick, `/digest`, or `newsbot digest`) goes

    due chats ─► claim (chat, local date) ─► per topic: stories (shared by all chats)
              ─► pick what this chat hasn't seen ─► summaries (shared, cached by URL)
              ─► send ─► mark sent + remember the stories      (or mark failed: retried)

Feeds and clustering are memoised per topic for `ROUND_TTL`, and points per canonical URL,
so a round makes one fetch per feed and one summary per distinct story however many chats
follow it. The delivery row is claimed in the database before anything is sent, so two
processes sharing a database never send one digest twice.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bot.config import Settings
from bot.errors import NewsbotError, RecipientGone
from bot.news import FeedSource, FeedStates, NewsItem, Source, TopicDigest, topic_sources
from bot.news.digest import (
    MAX_LOOKBACK,
    SentStory,
    TopicStories,
    collect_topic_stories,
    select_for_chat,
)
from bot.pipeline import Pipeline
from bot.store import ChatInputs, Store
from bot.store import SentStory as StoredStory
from bot.store.types import utcnow

log = logging.getLogger(__name__)

ROUND_TTL = 15 * 60.0  # seconds a topic's stories are reused by later chats of a round
CLAIM_BATCH = 200  # digests claimed (and read) per transaction
SENT_MEMORY = timedelta(days=3)  # how far back "already sent" stories are looked up
DEFAULT_LANG = "en"


def worker_id() -> str:
    """Who holds a delivery claim: host and process, for the logs and dead-claim checks."""
    return f"{socket.gethostname()}:{os.getpid()}"


def is_dead_local_worker(worker: str) -> bool:
    """True for a claim holder that was a process on this host that no longer runs.

    A bot killed mid-round leaves claims behind; a restarted bot frees them at once
    instead of waiting for them to go stale. Claims of other hosts are left to the stale
    timeout, since their processes can't be seen from here.
    """
    host, _, pid_text = worker.rpartition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, owned by someone else
        return False
    return False


@dataclass(frozen=True, slots=True)
class ChatDigest:
    """Everything one chat gets in one digest message, one section per topic."""

    chat_id: int | None
    local_date: date | None
    language: str
    topics: tuple[TopicDigest, ...]

    @property
    def story_count(self) -> int:
        return sum(len(t.stories) for t in self.topics)


Send = Callable[[ChatDigest], Awaitable[None]]


@dataclass
class RoundReport:
    due: int = 0
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    gone: int = 0
    skipped: int = 0  # another process had the claim
    errors: list[str] = field(default_factory=list)


class Digests:
    """Builds digests for topics and chats, and runs delivery rounds."""

    def __init__(
        self,
        settings: Settings,
        *,
        pipeline: Pipeline,
        store: Store | None = None,
        sources: Sequence[Source] | None = None,
        clock: Callable[[], datetime] = utcnow,
        concurrency: int = 16,
    ) -> None:
        self.settings = settings
        self.pipeline = pipeline
        self.store = store
        self.clock = clock
        self._search_sources = list(
            sources if sources is not None else topic_sources(settings, pipeline.fetcher)
        )
        self._feed_states = FeedStates()
        self._stories: dict[tuple[str, str, str], tuple[float, asyncio.Task[TopicStories]]] = {}
        self._points: dict[tuple[str, str], asyncio.Task[list[str]]] = {}
        self.concurrency = concurrency
        self.worker = worker_id()

    # --- one topic ------------------------------------------------------------------

    def sources_for(self, topic: str, kind: str) -> list[Source]:
        if kind == "feed":
            return [FeedSource(topic, self.pipeline.fetcher, states=self._feed_states)]
        return self._search_sources

    async def topic_stories(
        self, topic: str, *, kind: str = "search", lang: str = DEFAULT_LANG,
        now: datetime | None = None,
    ) -> TopicStories:
        """The topic's ranked stories of the last 24 h, shared within a round."""
        now = now or self.clock()
        key = (kind, topic.casefold().strip(), lang)
        hit = self._stories.get(key)
        if hit is not None and time.monotonic() - hit[0] < ROUND_TTL:
            task = hit[1]
            if not (task.done() and task.exception() is not None):
                return await asyncio.shield(task)
        task = asyncio.ensure_future(
            collect_topic_stories(
                topic, sources=self.sources_for(topic, kind), since=now - MAX_LOOKBACK,
                now=now, lang=lang,
            )
        )
        self._stories[key] = (time.monotonic(), task)
        return await asyncio.shield(task)

    async def summarize_item(self, item: NewsItem, lang: str) -> list[str]:
        """Points for a story's best article; one model call per URL and language per round."""
        if item.is_token_link:
            return []  # Google News tokens can't be resolved offline: headline and lead only
        key = (item.canonical, lang)
        task = self._points.get(key)
        if task is None or (task.done() and task.exception() is not None):
            task = asyncio.ensure_future(self._summarize(item, lang))
            self._points[key] = task
        return await asyncio.shield(task)

    async def _summarize(self, item: NewsItem, lang: str) -> list[str]:
        try:
            result = await self.pipeline.summarize_url(item.url, lang=lang)
        except NewsbotError as exc:
            log.info("no summary for %s: %s", item.url, exc)
            return []
        return list(result.summary.points)

    async def topic_digest(
        self,
        topic: str,
        *,
        kind: str = "search",
        lang: str = DEFAULT_LANG,
        since: datetime | None = None,
        max_stories: int | None = None,
        already_sent: dict[str, SentStory] | None = None,
        now: datetime | None = None,
    ) -> TopicDigest:
        now = now or self.clock()
        collected = await self.topic_stories(topic, kind=kind, lang=lang, now=now)
        return await select_for_chat(
            collected,
            since=since,
            max_stories=max_stories or self.settings.digest_max_stories,
            summarize=lambda item: self.summarize_item(item, lang),
            already_sent=already_sent,
        )

    # --- one chat -------------------------------------------------------------------

    def _require_store(self) -> Store:
        if self.store is None:
            raise RuntimeError("chat digests need a store")
        return self.store

    async def chat_digest(
        self, chat_id: int, *, local_date: date | None = None, now: datetime | None = None
    ) -> ChatDigest:
        """This chat's digest: every topic, only what is new to it."""
        store = self._require_store()
        now = now or self.clock()
        inputs = (
            await asyncio.to_thread(store.digest_inputs, [chat_id], sent_since=now - SENT_MEMORY)
        ).get(chat_id)
        if inputs is None:
            await asyncio.to_thread(store.upsert_chat, chat_id)
            return ChatDigest(chat_id, local_date, DEFAULT_LANG, ())
        return await self._build(inputs, local_date=local_date, now=now)

    async def _build(
        self, inputs: ChatInputs, *, local_date: date | None, now: datetime
    ) -> ChatDigest:
        chat = inputs.chat
        lang = chat.language or DEFAULT_LANG
        since = max(chat.last_digest_at or now - MAX_LOOKBACK, now - MAX_LOOKBACK)
        already = {key: _from_store(s) for key, s in inputs.sent.items()}
        topics = await asyncio.gather(
            *(
                self.topic_digest(
                    sub.topic, kind=sub.kind, lang=lang, since=since, already_sent=already,
                    now=now,
                )
                for sub in inputs.subscriptions
            )
        )
        return ChatDigest(chat.chat_id, local_date, lang, tuple(topics))

    async def remember_sent(self, digest: ChatDigest, *, now: datetime | None = None) -> None:
        """Record what the chat has now seen, so tomorrow repeats none of it."""
        store = self._require_store()
        if digest.chat_id is None:
            return
        sent_at = now or self.clock()
        await asyncio.to_thread(
            store.record_sent_stories, digest.chat_id, _to_store(digest), sent_at
        )

    # --- delivery -------------------------------------------------------------------

    async def _deliver(
        self, claim: tuple[int, date], inputs: ChatInputs | None, send: Send,
        report: RoundReport, now: datetime, recorder: _Recorder,
    ) -> None:
        """Build, send and record one claimed digest; a failure is retried by a later tick."""
        store = self._require_store()
        chat_id, local_date = claim
        try:
            if inputs is None:  # forgotten (/forget) between the claim and now
                raise LookupError("the chat is gone from the store")
            digest = await self._build(inputs, local_date=local_date, now=now)
            await send(digest)
        except RecipientGone as exc:
            report.gone += 1
            log.info("chat %s is gone (%s): marked inactive", chat_id, exc)
            await asyncio.to_thread(store.set_active, chat_id, False)
            await asyncio.to_thread(
                store.mark_failed, chat_id, local_date, f"gone: {exc}", worker=self.worker
            )
            return
        except Exception as exc:  # any failure: the claim is released for a later tick
            report.failed += 1
            report.errors.append(f"{chat_id}: {type(exc).__name__}: {exc}")
            log.warning("digest for chat %s failed, will retry: %s: %s",
                        chat_id, type(exc).__name__, exc)
            await asyncio.to_thread(
                store.mark_failed, chat_id, local_date, f"{type(exc).__name__}: {exc}",
                worker=self.worker,
            )
            return
        report.sent += 1
        await recorder.put((chat_id, local_date, _to_store(digest)))

    async def run_round(self, send: Send, *, now: datetime | None = None) -> RoundReport:
        """Deliver every digest that is due now.

        Claims are taken in batches just ahead of the workers (a bounded queue), so a long
        round never holds claims it won't reach for a while; reads for a batch are one
        transaction, and sent digests are recorded by a group commit (`_Recorder`).
        """
        store = self._require_store()
        now = now or self.clock()
        await asyncio.to_thread(store.release_dead_claims, is_dead_local_worker, now=now)
        due = await asyncio.to_thread(store.due_chats, now)
        report = RoundReport(due=len(due))
        if not due:
            return report
        queue: asyncio.Queue[tuple[tuple[int, date], ChatInputs | None] | None] = (
            asyncio.Queue(maxsize=CLAIM_BATCH)
        )

        async def claimer() -> None:
            try:
                for start in range(0, len(due), CLAIM_BATCH):
                    batch = [(d.chat_id, d.local_date) for d in due[start:start + CLAIM_BATCH]]
                    won = await asyncio.to_thread(
                        store.claim_deliveries, batch, worker=self.worker, now=now
                    )
                    report.claimed += len(won)
                    report.skipped += len(batch) - len(won)
                    inputs = await asyncio.to_thread(
                        store.digest_inputs, [c for c, _ in won], sent_since=now - SENT_MEMORY
                    )
                    for claim in won:
                        await queue.put((claim, inputs.get(claim[0])))
            finally:
                for _ in range(self.concurrency):
                    await queue.put(None)

        recorder = _Recorder(store, worker=self.worker, now=now)

        async def worker() -> None:
            while (item := await queue.get()) is not None:
                await self._deliver(item[0], item[1], send, report, now, recorder)

        async def workers() -> None:
            try:
                await asyncio.gather(*(worker() for _ in range(self.concurrency)))
            finally:
                recorder.close()

        await asyncio.gather(claimer(), workers(), recorder.run())
        self._forget_old_round()
        log.info(
            "digest round: %d due, %d sent, %d failed, %d gone, %d claimed elsewhere",
            report.due, report.sent, report.failed, report.gone, report.skipped,
        )
        return report

    def _forget_old_round(self) -> None:
        cutoff = time.monotonic() - ROUND_TTL
        for key in [k for k, (t, _) in self._stories.items() if t < cutoff]:
            del self._stories[key]
        # Points are cached durably by the pipeline's store cache; the memo only spans a
        # round, so a page that failed today is tried again tomorrow.
        self._points.clear()


Finished = tuple[int, date, list[StoredStory]]


class _Recorder:
    """Record sent digests as soon as possible, many per transaction when busy.

    Each commit takes every digest finished so far: an idle round commits one at a time,
    with no waiting; a busy one commits what piled up during the previous commit. Either
    way a digest is recorded within one commit's time of being sent, which is all the
    window a crash has to make it go out twice.
    """

    def __init__(self, store: Store, *, worker: str, now: datetime) -> None:
        self._store = store
        self._worker = worker
        self._now = now
        self._pending: list[Finished] = []
        self._wake = asyncio.Event()
        self._closed = False

    async def put(self, item: Finished) -> None:
        self._pending.append(item)
        self._wake.set()

    def close(self) -> None:
        self._closed = True
        self._wake.set()

    async def run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            batch, self._pending = self._pending, []
            if batch:
                try:
                    await asyncio.to_thread(
                        self._store.finish_deliveries, batch, worker=self._worker, now=self._now
                    )
                except Exception:
                    log.exception("%d sent digest(s) could not be recorded", len(batch))
            if self._closed and not self._pending:
                return


def _to_store(digest: ChatDigest) -> list[StoredStory]:
    return [
        StoredStory(
            story_key=s.story_key,
            urls=tuple(sorted(s.member_urls)),
            outlet_count=s.outlet_count,
            outlet_keys=tuple(sorted(s.outlet_keys)),
            signature=tuple(sorted(s.signature)),
        )
        for topic in digest.topics
        for s in topic.stories
    ]


def _from_store(s: StoredStory) -> SentStory:
    return SentStory(
        story_key=s.story_key,
        member_urls=frozenset(s.urls),
        outlet_keys=frozenset(s.outlet_keys),
        signature=frozenset(s.signature),
        sent_at=s.sent_at,
        outlet_count=s.outlet_count,
    )

