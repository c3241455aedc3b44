"""Delivery rounds: each chat's digest, built from the shared topic digests and delivered
exactly once.

A round (the scheduler's tick, or `/digest` for one chat) goes

    due chats ─► claim (chat, local date) ─► per topic: stories (shared by all chats)
              ─► pick what this chat hasn't seen ─► summaries (shared, cached by URL)
              ─► send ─► mark sent + remember the stories      (or mark failed: retried)

The per-topic half (stories, articles and points, memoised so a round makes one fetch per
feed and one summary per distinct story however many chats follow it) is
`bot.topic_digests.TopicDigests`, which `Digests` extends with chats and deliveries.

"Never twice": a digest of several messages keeps its rendered parts and how many went out
(a `Plan`, saved with the delivery), so a retry resumes at the first unsent part; recording
"sent" is retried, and a digest sent but not yet recorded is never offered again by this
process. The delivery row is claimed in the database before anything is sent, so two
processes sharing a database never send one digest twice.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol, TypeVar, runtime_checkable

from sqlalchemy.exc import SQLAlchemyError

from bot.config import Settings
from bot.errors import InvalidURL, RecipientGone
from bot.news import Source, TopicDigest
from bot.news.feed import canonical_key
from bot.news.google import GoogleNewsDecoder
from bot.news.selection import (
    MAX_LOOKBACK,
    CitedPoint,
    Selection,
    SentStory,
    choose_for_chat,
    summarized,
)
from bot.news.story import Story
from bot.pipeline import Pipeline
from bot.retries import RetryPolicy
from bot.schedule import zone
from bot.store import ChatInputs, Store
from bot.store.records import StoryRef
from bot.store.types import utcnow
from bot.terminal import since_words
from bot.topic_digests import DEFAULT_LANG, TopicDigests

log = logging.getLogger(__name__)

CLAIM_BATCH = 200  # digests claimed (and read) per transaction
SENT_MEMORY = timedelta(days=3)  # how far back "already sent" stories are looked up


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
    # The chat's local dates of this digest and of the one before it (None: never sent),
    # so a quiet topic says "since yesterday" only when that is true.
    today: date | None = None
    previous: date | None = None

    @property
    def story_count(self) -> int:
        return sum(len(t.stories) for t in self.topics)


Send = Callable[[ChatDigest], Awaitable[None]]
T = TypeVar("T")

# A write that must not be lost (recording a sent digest, or how far a multi-part digest
# got) is tried 4 times over about 3.5 s: long enough for a lock or a failover to pass;
# what still fails is kept in memory and retried next round.
STORE_WRITES = RetryPolicy(
    name="store write", attempts=4, backoff=0.5,
    retry=lambda exc: isinstance(exc, SQLAlchemyError), level=logging.WARNING,
)
PENDING_TTL = timedelta(hours=12)  # a /digest left half-sent is resumed within this time


@runtime_checkable
class PartSender(Protocol):
    """A sender that renders a digest into messages and sends them one at a time.

    `render` must give JSON-able parts (they are saved to resume a digest later).
    """

    def render(self, digest: ChatDigest) -> list[dict[str, Any]]: ...

    async def send_part(self, chat_id: int, part: dict[str, Any]) -> int | None:
        """Send one part; return its message id when Telegram gave one."""
        ...


@dataclass
class Plan:
    """A digest as rendered for sending, and how many of its parts have gone out."""

    parts: list[dict[str, Any]]
    stories: list[SentStory]
    sent: int = 0
    created_at: datetime | None = None
    # The digest's stories as a reply to one of its messages asks about them, and the ids
    # of the messages sent so far (bot.telegram.questions).
    asked: list[StoryRef] = field(default_factory=list)
    message_ids: list[int] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return self.sent >= len(self.parts)

    def asked_in(self, chat_id: int) -> Asked:
        return (chat_id, list(self.message_ids), list(self.asked))

    def to_json(self) -> dict[str, Any]:
        return {
            "parts": self.parts,
            "sent": self.sent,
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "stories": [
                {"story_key": s.story_key, "urls": sorted(s.member_urls),
                 "outlet_count": s.outlet_count, "outlet_keys": sorted(s.outlet_keys),
                 "signature": sorted(s.signature), "points": list(s.points)}
                for s in self.stories
            ],
            "asked": [story.to_json() for story in self.asked],
            "message_ids": list(self.message_ids),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Plan:
        created = data.get("created_at")
        return cls(
            parts=list(data["parts"]),
            sent=int(data.get("sent") or 0),
            created_at=datetime.fromisoformat(created) if created else None,
            stories=[
                SentStory(
                    story_key=s["story_key"], member_urls=frozenset(s["urls"]),
                    outlet_count=int(s["outlet_count"]),
                    outlet_keys=frozenset(s.get("outlet_keys") or ()),
                    signature=frozenset(s.get("signature") or ()),
                    # plans saved before points were kept load without them
                    points=tuple(s.get("points") or ()),
                )
                for s in data.get("stories") or []
            ],
            # plans saved before questions were answered load without them
            asked=[StoryRef.from_json(a) for a in data.get("asked") or []],
            message_ids=[int(m) for m in data.get("message_ids") or []],
        )


async def retried(what: str, call: Callable[[], T]) -> T:
    """Run a blocking store call in a thread, retried by `STORE_WRITES`.

    A database error that outlasts the attempts is raised; `what` names the write in the
    log line ("recording 3 sent digest(s) failed (attempt 1 of 4: …); retrying in 0.50 s").
    """
    async for attempt in dataclasses.replace(STORE_WRITES, name=what).retrying():
        with attempt:
            return await asyncio.to_thread(call)
    raise AssertionError("unreachable: tenacity returns or re-raises")  # pragma: no cover


@dataclass
class RoundReport:
    due: int = 0
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    gone: int = 0
    skipped: int = 0  # another process had the claim
    built: int = 0  # distinct digests built: the rest were reused (see `_Chosen.key`)
    errors: list[str] = field(default_factory=list)


class Digests(TopicDigests):
    """Builds each chat's digest from the topic digests, and runs delivery rounds."""

    def __init__(
        self,
        settings: Settings,
        *,
        pipeline: Pipeline,
        store: Store | None = None,
        sources: Sequence[Source] | None = None,
        clock: Callable[[], datetime] = utcnow,
        concurrency: int = 16,
        google: GoogleNewsDecoder | None = None,
    ) -> None:
        super().__init__(
            settings, pipeline=pipeline, sources=sources, clock=clock, google=google,
            feed_store=None if store is None else store.feeds,
        )
        self.store = store
        self.concurrency = concurrency
        self.worker = worker_id()
        # Sent, but "sent" could not be recorded yet: retried first thing every round, and
        # never claimed or sent again meanwhile.
        self.unrecorded: dict[tuple[int, date], list[SentStory]] = {}

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
            await asyncio.to_thread(
                store.deliveries.digest_inputs, [chat_id], sent_since=now - SENT_MEMORY
            )
        ).get(chat_id)
        if inputs is None:
            await asyncio.to_thread(store.chats.upsert, chat_id)
            return ChatDigest(chat_id, local_date, DEFAULT_LANG, ())
        return await self._build(inputs, local_date=local_date, now=now)

    async def _build(
        self, inputs: ChatInputs, *, local_date: date | None, now: datetime
    ) -> ChatDigest:
        chosen = await self._choose(inputs, local_date=local_date, now=now)
        return chosen.digest(await self._summarize(chosen))

    async def _choose(
        self, inputs: ChatInputs, *, local_date: date | None, now: datetime
    ) -> _Chosen:
        """What this chat gets from each of its topics, before anything is summarized."""
        chat = inputs.chat
        lang = chat.language or DEFAULT_LANG
        today, previous = _local_dates(chat.timezone, now, chat.last_digest_at, local_date)
        since = max(chat.last_digest_at or now - MAX_LOOKBACK, now - MAX_LOOKBACK)
        collected = await asyncio.gather(
            *(
                self.topic_stories(sub.topic, kind=sub.kind, lang=lang, now=now)
                for sub in inputs.subscriptions
            )
        )
        selections = tuple(
            choose_for_chat(c, since=since, max_stories=self.settings.digest_max_stories,
                            already_sent=inputs.sent)
            for c in collected
        )
        return _Chosen(chat.chat_id, local_date, lang, today, previous, selections)

    async def _summarize(self, chosen: _Chosen) -> tuple[TopicDigest, ...]:
        lang = chosen.language

        async def summarize(story: Story) -> list[CitedPoint]:
            return await self.summarize_story(story, lang)

        return tuple(await asyncio.gather(
            *(summarized(s, summarize_story=summarize) for s in chosen.selections)
        ))

    async def remember_sent(self, digest: ChatDigest, *, now: datetime | None = None) -> None:
        """Record what the chat has now seen, so tomorrow repeats none of it."""
        store = self._require_store()
        if digest.chat_id is None:
            return
        sent_at = now or self.clock()
        await asyncio.to_thread(
            store.sent.record, digest.chat_id, _sent(digest), sent_at
        )

    # --- delivery -------------------------------------------------------------------

    async def _deliver(
        self, claim: tuple[int, date], inputs: ChatInputs | None, plan: dict[str, Any] | None,
        send: Send | PartSender, report: RoundReport, now: datetime, recorder: _Recorder,
        builds: _Builds,
    ) -> None:
        """Build, send and record one claimed digest; a failure is retried by a later tick."""
        store = self._require_store()
        chat_id, local_date = claim
        try:
            if inputs is None:  # forgotten (/forget) between the claim and now
                raise LookupError("the chat is gone from the store")
            stories, asked = await self._send_claimed(claim, inputs, plan, send, now, builds)
        except RecipientGone as exc:
            report.gone += 1
            log.info("chat %s is gone (%s): marked inactive", chat_id, exc)
            await asyncio.to_thread(store.chats.set_active, chat_id, False)
            await asyncio.to_thread(
                store.deliveries.mark_failed, chat_id, local_date, f"gone: {exc}",
                worker=self.worker,
            )
            return
        except Exception as exc:  # any failure: the claim is released for a later tick
            report.failed += 1
            report.errors.append(f"{chat_id}: {type(exc).__name__}: {exc}")
            log.warning("digest for chat %s failed, will retry: %s: %s",
                        chat_id, type(exc).__name__, exc)
            await asyncio.to_thread(
                store.deliveries.mark_failed, chat_id, local_date, f"{type(exc).__name__}: {exc}",
                worker=self.worker,
            )
            return
        report.sent += 1
        await recorder.put((chat_id, local_date, stories), asked)

    async def _send_claimed(
        self, claim: tuple[int, date], inputs: ChatInputs, saved: dict[str, Any] | None,
        send: Send | PartSender, now: datetime, builds: _Builds,
    ) -> tuple[list[SentStory], Asked | None]:
        """Send a claimed digest, or what is left of it; return the stories it showed (and
        the messages that showed them, for questions).

        A digest is built (summarized, rendered, turned into records) once per distinct
        key in a round (`_Chosen.key`) and reused for every chat that shares the key.
        """
        store = self._require_store()
        chat_id, local_date = claim

        async def save(plan: Plan) -> None:
            await retried(
                f"saving digest progress for chat {chat_id}",
                lambda: store.deliveries.save_plan(
                    chat_id, local_date, plan.to_json(), worker=self.worker
                ),
            )

        if saved is not None and isinstance(send, PartSender):
            plan = Plan.from_json(saved)
            log.info("resuming the digest for chat %s at part %d of %d",
                     chat_id, plan.sent + 1, len(plan.parts))
            await self._send_plan(chat_id, plan, send, save)
            return plan.stories, plan.asked_in(chat_id)
        chosen = await self._choose(inputs, local_date=local_date, now=now)
        built = await builds.get(chosen.key, lambda: self._built(chosen, send))
        if not isinstance(send, PartSender):
            await send(chosen.digest(built.topics))
            return built.stories, None
        plan = Plan(built.parts, built.stories, created_at=now, asked=built.asked)
        await self._send_plan(chat_id, plan, send, save if len(plan.parts) > 1 else None)
        return plan.stories, plan.asked_in(chat_id)

    async def _built(self, chosen: _Chosen, send: Send | PartSender) -> _Built:
        """The digest of `chosen`, summarized, rendered and ready to record, for every chat
        with the same key."""
        digest = chosen.digest(await self._summarize(chosen))
        parts = send.render(digest) if isinstance(send, PartSender) else []
        return _Built(digest.topics, parts, _sent(digest), _asked(digest))

    async def _send_plan(
        self, chat_id: int, plan: Plan, send: PartSender,
        save: Callable[[Plan], Awaitable[None]] | None,
    ) -> None:
        """Send the parts not sent yet, saving progress after each (when `save` is given).

        The plan is saved before the first part goes out, so a failure after it leaves a
        record of what the chat already has; a failed save is logged and sending goes on
        (the digest is then at worst partly repeated on a retry, never lost).
        """
        if save is not None and plan.sent == 0:
            await self._try(save, plan)
        while not plan.done:
            message_id = await send.send_part(chat_id, plan.parts[plan.sent])
            if message_id is not None:
                plan.message_ids.append(message_id)
            plan.sent += 1
            if save is not None and not plan.done:
                await self._try(save, plan)

    @staticmethod
    async def _try(save: Callable[[Plan], Awaitable[None]], plan: Plan) -> None:
        try:
            await save(plan)
        except Exception as exc:
            log.error("digest progress could not be saved: %s: %s", type(exc).__name__, exc)

    async def send_on_demand(
        self, chat_id: int, send: PartSender, *, now: datetime | None = None
    ) -> Plan:
        """`/digest`: this chat's digest now — or the rest of one whose parts failed before.

        A digest of several parts saves its plan with the chat; if part 2 fails, the next
        `/digest` sends from part 2 on instead of starting over. Returns what was sent.
        """
        store = self._require_store()
        now = now or self.clock()
        saved = await asyncio.to_thread(store.deliveries.pending_digest, chat_id)
        plan = Plan.from_json(saved) if saved else None
        if plan is not None and (plan.created_at is None or now - plan.created_at > PENDING_TTL):
            plan = None  # too old to finish: today's digest replaces it

        async def save(p: Plan) -> None:
            await retried(f"saving /digest progress for chat {chat_id}",
                          lambda: store.deliveries.save_pending_digest(chat_id, p.to_json()))

        if plan is None:
            digest = await self.chat_digest(chat_id, now=now)
            plan = Plan(send.render(digest), _sent(digest), created_at=now, asked=_asked(digest))
        else:
            log.info("resuming /digest for chat %s at part %d of %d",
                     chat_id, plan.sent + 1, len(plan.parts))
        await self._send_plan(chat_id, plan, send, save if len(plan.parts) > 1 else None)
        # Sent: what it showed is not repeated by the next /digest or tomorrow's digest.
        await retried(f"recording /digest for chat {chat_id}",
                      lambda: store.deliveries.finish_on_demand(chat_id, plan.stories, now))
        await remember_asked(store, [plan.asked_in(chat_id)], now)
        return plan

    async def run_round(self, send: Send, *, now: datetime | None = None) -> RoundReport:
        """Deliver every digest that is due now.

        Claims are taken in batches just ahead of the workers (a bounded queue), so a long
        round never holds claims it won't reach for a while; reads for a batch are one
        transaction, and sent digests are recorded by a group commit (`_Recorder`).
        """
        store = self._require_store()
        now = now or self.clock()
        await self._record_leftovers(now)
        if len(self._feed_states):
            await self.evict_feeds(in_store=False)
        await asyncio.to_thread(store.deliveries.release_dead_claims, is_dead_local_worker, now=now)
        due = [
            d for d in await asyncio.to_thread(store.deliveries.due_chats, now)
            if (d.chat_id, d.local_date) not in self.unrecorded
        ]
        report = RoundReport(due=len(due))
        if not due:
            return report
        queue: asyncio.Queue[
            tuple[tuple[int, date], ChatInputs | None, dict[str, Any] | None] | None
        ] = asyncio.Queue(maxsize=CLAIM_BATCH)

        async def claimer() -> None:
            try:
                for start in range(0, len(due), CLAIM_BATCH):
                    batch = [(d.chat_id, d.local_date) for d in due[start:start + CLAIM_BATCH]]
                    won = await asyncio.to_thread(
                        store.deliveries.claim, batch, worker=self.worker, now=now
                    )
                    report.claimed += len(won)
                    report.skipped += len(batch) - len(won)
                    inputs = await asyncio.to_thread(
                        store.deliveries.digest_inputs, [c for c, _ in won],
                        sent_since=now - SENT_MEMORY,
                    )
                    plans = await asyncio.to_thread(store.deliveries.plans, won)
                    for claim in won:
                        await queue.put((claim, inputs.get(claim[0]), plans.get(claim)))
            finally:
                for _ in range(self.concurrency):
                    await queue.put(None)

        recorder = _Recorder(store, worker=self.worker, now=now, leftovers=self.unrecorded)
        builds = _Builds()

        async def worker() -> None:
            while (item := await queue.get()) is not None:
                await self._deliver(item[0], item[1], item[2], send, report, now, recorder,
                                    builds)

        async def workers() -> None:
            try:
                await asyncio.gather(*(worker() for _ in range(self.concurrency)))
            finally:
                recorder.close()

        await asyncio.gather(claimer(), workers(), recorder.run())
        report.built = builds.count
        self._forget_old_round()
        log.info(
            "digest round: %d due, %d sent (%d distinct), %d failed, %d gone, "
            "%d claimed elsewhere",
            report.due, report.sent, report.built, report.failed, report.gone, report.skipped,
        )
        return report

    # --- housekeeping -----------------------------------------------------------------

    async def evict_feeds(self, *, in_store: bool = True) -> int:
        """Drop the parsed items (and, `in_store`, the validators) of feeds nobody follows."""
        store = self._require_store()
        followed = await asyncio.to_thread(store.feeds.followed)
        dropped = self._feed_states.evict(followed)
        if in_store:
            dropped += await asyncio.to_thread(store.feeds.evict_unfollowed)
        return dropped

    async def housekeeping(self, now: datetime | None = None) -> dict[str, int]:
        """The daily clean-up that keeps the database and memory bounded.

        Cached articles go after CACHE_TTL_DAYS, sent stories once they are past the
        repeat memory (nothing reads them after `SENT_MEMORY`), feed states with the last
        chat that followed them.
        """
        store = self._require_store()
        now = now or self.clock()
        done = {
            "articles": await asyncio.to_thread(
                store.articles.prune, now - timedelta(days=self.settings.cache_ttl_days)
            ),
            "sent_stories": await asyncio.to_thread(store.sent.prune, now - SENT_MEMORY),
            # Questions read the cached articles: their messages are kept as long.
            "reply_messages": await asyncio.to_thread(
                store.replies.prune, now - timedelta(days=self.settings.cache_ttl_days)
            ),
            "feeds": await self.evict_feeds(),
        }
        log.info("housekeeping: pruned %(articles)d article(s), %(sent_stories)d sent "
                 "story record(s), %(reply_messages)d message(s) kept for questions, "
                 "%(feeds)d unfollowed feed state(s)", done)
        return done

    async def _record_leftovers(self, now: datetime) -> None:
        """Record digests sent in an earlier round whose "sent" could not be written then."""
        if not self.unrecorded:
            return
        batch = [(chat, day, stories) for (chat, day), stories in self.unrecorded.items()]
        try:
            await asyncio.to_thread(
                self._require_store().deliveries.finish, batch, worker=self.worker, now=now
            )
        except Exception as exc:
            log.error("%d sent digest(s) still not recorded: %s: %s",
                      len(batch), type(exc).__name__, exc)
            return
        for chat, day, _ in batch:
            self.unrecorded.pop((chat, day), None)
        log.info("recorded %d digest(s) sent in an earlier round", len(batch))



@dataclass(frozen=True, slots=True)
class _Chosen:
    """One chat's digest before summarizing: its topics' selections and how it is dated."""

    chat_id: int
    local_date: date | None
    language: str
    today: date
    previous: date | None
    selections: tuple[Selection, ...]

    @property
    def key(self) -> Hashable:
        """Equal for two chats exactly when their digests read the same.

        The language and local date (the title), how the chat's window is worded (quiet
        topics and update lines say "since yesterday" or "in the last 24 hours"), and per
        topic, in the chat's order, what its history left of it (`Selection.key`).
        """
        return (
            self.language,
            self.local_date,
            since_words(self.previous, self.today),
            tuple(s.key for s in self.selections),
        )

    def digest(self, topics: Sequence[TopicDigest]) -> ChatDigest:
        # A shared topic section carries this chat's window, as its own build would.
        own = tuple(
            t if t.since == s.since else dataclasses.replace(t, since=s.since)
            for t, s in zip(topics, self.selections, strict=True)
        )
        return ChatDigest(self.chat_id, self.local_date, self.language, own, self.today,
                          self.previous)


@dataclass(frozen=True, slots=True)
class _Built:
    topics: tuple[TopicDigest, ...]
    parts: list[dict[str, Any]]  # as the round's PartSender renders them (else empty)
    stories: list[SentStory]  # what recording the digest as sent remembers
    asked: list[StoryRef]  # what a reply to one of its messages asks about


class _Builds:
    """A round's digests by key, each built once (single flight) for every chat sharing it.

    Kept for one round only: the next round has new stories, and a chat's history changes
    with every digest it is sent. A build that failed is started again by the next chat.
    """

    def __init__(self) -> None:
        self._tasks: dict[Hashable, asyncio.Task[_Built]] = {}
        self.count = 0

    async def get(self, key: Hashable, build: Callable[[], Awaitable[_Built]]) -> _Built:
        task = self._tasks.get(key)
        if task is None or (task.done() and (task.cancelled() or task.exception() is not None)):
            task = asyncio.ensure_future(build())
            self._tasks[key] = task
            self.count += 1
        return await asyncio.shield(task)


Finished = tuple[int, date, list[SentStory]]
Asked = tuple[int, list[int], list[StoryRef]]  # chat, message ids, stories they show


async def remember_asked(store: Store, asked: Sequence[Asked], now: datetime) -> None:
    """Keep which stories the sent digest messages show, for questions asked by replying.

    One statement per batch; a failure costs only the answers to questions, so it is
    logged, not retried, and never holds up recording the digests themselves.
    """
    asked = [a for a in asked if a[1] and a[2]]
    if not asked:
        return
    try:
        await asyncio.to_thread(store.replies.remember_many, asked, now)
    except Exception as exc:
        log.warning("%d digest(s) not kept for questions: %s: %s",
                    len(asked), type(exc).__name__, exc)


class _Recorder:
    """Record sent digests as soon as possible, many per transaction when busy.

    Each commit takes every digest finished so far: an idle round commits one at a time,
    with no waiting; a busy one commits what piled up during the previous commit. Either
    way a digest is recorded within one commit's time of being sent, which is all the
    window a crash has to make it go out twice.
    """

    def __init__(
        self, store: Store, *, worker: str, now: datetime,
        leftovers: dict[tuple[int, date], list[SentStory]],
    ) -> None:
        self._store = store
        self._worker = worker
        self._now = now
        self._pending: list[Finished] = []
        self._asked: list[Asked] = []
        self._wake = asyncio.Event()
        self._closed = False
        self._leftovers = leftovers

    async def put(self, item: Finished, asked: Asked | None = None) -> None:
        self._pending.append(item)
        if asked is not None:
            self._asked.append(asked)
        self._wake.set()

    def close(self) -> None:
        self._closed = True
        self._wake.set()

    async def run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            batch, self._pending = self._pending, []
            asked, self._asked = self._asked, []
            if batch:
                await self._record(batch)
            await remember_asked(self._store, asked, self._now)
            if self._closed and not self._pending:
                return

    async def _record(self, batch: list[Finished]) -> None:
        """Record a batch, retrying; what still fails is kept for the next round.

        Swallowing the error (as this once did) let the claim go stale after 30 minutes,
        and the digest went out again.
        """
        try:
            await retried(
                f"recording {len(batch)} sent digest(s)",
                lambda: self._store.deliveries.finish(batch, worker=self._worker, now=self._now),
            )
        except Exception:
            log.exception("%d sent digest(s) could not be recorded; kept to record next round",
                          len(batch))
            for chat_id, local_date, stories in batch:
                self._leftovers[(chat_id, local_date)] = list(stories)


def _asked(digest: ChatDigest) -> list[StoryRef]:
    """The digest's stories as a reply to it asks about them: their articles by canonical URL
    (as the topic digests keep them in the link cache)."""
    return [
        StoryRef.of(s.headline, [(o, _canonical(u)) for o, u in s.sources], s.points)
        for topic in digest.topics for s in topic.stories
    ]


def _canonical(url: str) -> str:
    try:
        return canonical_key(url)  # the key feed items (and their cached articles) go by
    except InvalidURL:
        return url


def _sent(digest: ChatDigest) -> list[SentStory]:
    """What the store keeps of a delivered digest: its stories as sent."""
    return [s.as_sent() for topic in digest.topics for s in topic.stories]


def _local_dates(
    timezone: str, now: datetime, last: datetime | None, local_date: date | None
) -> tuple[date, date | None]:
    try:
        tz = zone(timezone)
    except (ValueError, KeyError):
        tz = zone("UTC")
    today = local_date or now.astimezone(tz).date()
    return today, (last.astimezone(tz).date() if last is not None else None)
