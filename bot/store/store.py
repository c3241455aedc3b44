"""`Store`: every read and write of newsbot's durable state, one short transaction per call.

The store is synchronous SQLAlchemy; async callers wrap calls in `asyncio.to_thread`. Each
method opens its own session, so one Store is safe to share between threads, and the
conditional writes below keep several processes sharing one database honest.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import ColumnElement, Engine, and_, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import col

from bot.article import Article, Summary
from bot.errors import DuplicateTopic, TooManyTopics
from bot.schedule import DEFAULT_DIGEST_TIME, due_date, parse_digest_time, valid_timezone
from bot.store.engine import READ_ONLY, make_engine
from bot.store.migrate import migrate_engine
from bot.store.records import (
    CachedSummary,
    Chat,
    ChatInputs,
    Delivery,
    DueChat,
    FeedState,
    SentStory,
    Subscription,
)
from bot.store.tables import (
    ArticleRow,
    ChatRow,
    DeliveryRow,
    FeedStateRow,
    SentStoryRow,
    SubscriptionRow,
    SummaryRow,
)
from bot.store.topic import KINDS, MAX_TOPIC_CHARS, TopicKind, normalize_topic
from bot.store.types import utcnow

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger(__name__)

MAX_ERROR_CHARS = 2000


class Store:
    """Durable state of the bot on SQLite or PostgreSQL."""

    def __init__(
        self,
        engine: Engine,
        *,
        max_topics_per_chat: int = 20,
        default_timezone: str = "UTC",
        default_digest_time: time = DEFAULT_DIGEST_TIME,
        stale_after: timedelta = timedelta(minutes=30),
        retry_failed_after: timedelta = timedelta(minutes=5),
        max_attempts: int = 5,
    ) -> None:
        if not valid_timezone(default_timezone):
            raise ValueError(f"unknown default timezone {default_timezone!r}")
        self.engine = engine
        self._read_engine = engine.execution_options(**{READ_ONLY: True})
        self.max_topics_per_chat = max_topics_per_chat
        self.default_timezone = default_timezone
        self.default_digest_time = default_digest_time
        # A claim older than this belongs to a process that died mid-send.
        self.stale_after = stale_after
        # A failed send is retried after this pause, at most `max_attempts` claims in all.
        self.retry_failed_after = retry_failed_after
        self.max_attempts = max_attempts

    @classmethod
    def open(cls, database_url: str, **options: Any) -> Store:
        """Connect to `database_url`, migrate it to the newest schema, and return a Store."""
        engine = make_engine(database_url)
        try:
            migrate_engine(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, **options)

    @classmethod
    def from_settings(cls, settings: Settings) -> Store:
        return cls.open(
            settings.effective_database_url,
            max_topics_per_chat=settings.max_topics_per_chat,
            default_timezone=settings.digest_default_timezone,
            default_digest_time=parse_digest_time(settings.digest_default_time),
        )

    def close(self) -> None:
        self.engine.dispose()

    # --- sessions ---------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def _read(self) -> Iterator[Session]:
        with Session(self._read_engine, expire_on_commit=False) as session, session.begin():
            yield session

    def _insert(self, table: type[Any]) -> Any:
        """A dialect INSERT, for ON CONFLICT clauses (same spelling on both backends)."""
        if self.engine.dialect.name == "postgresql":
            return postgresql.insert(table)
        return sqlite.insert(table)

    # --- chats ------------------------------------------------------------------------

    def _ensure_chat(self, session: Session, chat_id: int, now: datetime) -> None:
        _dml(
            session,
            self._insert(ChatRow)
            .values(
                chat_id=chat_id,
                language=None,
                timezone=self.default_timezone,
                digest_time=self.default_digest_time,
                active=True,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=["chat_id"]),
        )

    def _update_chat(self, chat_id: int, **values: Any) -> Chat:
        now = utcnow()
        with self._write() as session:
            self._ensure_chat(session, chat_id, now)
            _dml(
                session,
                update(ChatRow)
                .where(col(ChatRow.chat_id) == chat_id)
                .values(updated_at=now, **values),
            )
            row = session.get_one(ChatRow, chat_id, populate_existing=True)
            return _chat(row)

    def upsert_chat(self, chat_id: int, *, language: str | None = None) -> Chat:
        """Create the chat if it is new; set its language when one is given."""
        if language is None:
            now = utcnow()
            with self._write() as session:
                self._ensure_chat(session, chat_id, now)
                return _chat(session.get_one(ChatRow, chat_id))
        return self._update_chat(chat_id, language=language)

    def set_language_if_unset(self, chat_id: int, language: str) -> None:
        """Give a chat a first language without overwriting one chosen meanwhile.

        First contact stores the Telegram language of who wrote; updates are handled
        concurrently, so a `/lang de` in the same burst may already have written its choice.
        """
        with self._write() as session:
            self._ensure_chat(session, chat_id, utcnow())
            _dml(
                session,
                update(ChatRow)
                .where(col(ChatRow.chat_id) == chat_id, col(ChatRow.language).is_(None))
                .values(language=language, updated_at=utcnow()),
            )

    def get_chat(self, chat_id: int) -> Chat | None:
        with self._read() as session:
            row = session.get(ChatRow, chat_id)
            return None if row is None else _chat(row)

    def set_language(self, chat_id: int, language: str | None) -> Chat:
        return self._update_chat(chat_id, language=language)

    def set_schedule(self, chat_id: int, digest_time: time, tz: str) -> Chat:
        """Set the local digest time and IANA timezone (ValueError for an unknown zone)."""
        if not valid_timezone(tz):
            raise ValueError(f"unknown timezone {tz!r} (expected an IANA name like Europe/Kyiv)")
        # Seconds would make the minute-by-minute job fire a minute late; drop them.
        digest_time = digest_time.replace(second=0, microsecond=0, tzinfo=None)
        return self._update_chat(chat_id, digest_time=digest_time, timezone=tz)

    def set_active(self, chat_id: int, active: bool) -> Chat:
        """Pause or resume digests (e.g. the user blocked the bot or left the group)."""
        return self._update_chat(chat_id, active=active)

    def forget_chat(self, chat_id: int) -> bool:
        """Delete everything stored about a chat; True if there was something to delete."""
        with self._write() as session:
            # Explicit child deletes, not only ON DELETE CASCADE: correct even on a SQLite
            # connection someone opened without `PRAGMA foreign_keys`.
            for table in (SubscriptionRow, SentStoryRow, DeliveryRow):
                _dml(session, delete(table).where(col(table.chat_id) == chat_id))
            result = _dml(session, delete(ChatRow).where(col(ChatRow.chat_id) == chat_id))
            return _rowcount(result) > 0

    # --- subscriptions ----------------------------------------------------------------

    def add_subscription(
        self, chat_id: int, topic: str, kind: TopicKind = "search"
    ) -> Subscription:
        """Follow a topic; raises DuplicateTopic or TooManyTopics (and ValueError for junk)."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        topic = " ".join(topic.split()) if kind == "search" else topic.strip()
        if not topic:
            raise ValueError("topic is empty")
        if len(topic) > MAX_TOPIC_CHARS:
            raise ValueError(f"topic is longer than {MAX_TOPIC_CHARS} characters")
        key = normalize_topic(topic, kind)
        now = utcnow()
        try:
            with self._write() as session:
                self._ensure_chat(session, chat_id, now)
                # Row lock on PostgreSQL so two concurrent adds can't both pass the limit
                # check; SQLite's BEGIN IMMEDIATE already serialises writers.
                session.execute(
                    select(col(ChatRow.chat_id))
                    .where(col(ChatRow.chat_id) == chat_id)
                    .with_for_update()
                )
                keys = set(
                    session.scalars(
                        select(col(SubscriptionRow.topic_key)).where(
                            col(SubscriptionRow.chat_id) == chat_id
                        )
                    )
                )
                if key in keys:
                    raise DuplicateTopic(topic)
                if len(keys) >= self.max_topics_per_chat:
                    raise TooManyTopics(self.max_topics_per_chat)
                row = SubscriptionRow(
                    chat_id=chat_id, kind=kind, topic=topic, topic_key=key, created_at=now
                )
                session.add(row)
                session.flush()
                return _subscription(row)
        except IntegrityError as exc:  # the unique constraint, if a racer slipped through
            raise DuplicateTopic(topic) from exc

    def remove_subscription(self, chat_id: int, topic: str, kind: TopicKind | None = None) -> bool:
        """Stop following a topic (matched after normalisation); True if it was followed."""
        kinds = KINDS if kind is None else (kind,)
        keys = {normalize_topic(topic, k) for k in kinds}
        with self._write() as session:
            result = _dml(
                session,
                delete(SubscriptionRow).where(
                    col(SubscriptionRow.chat_id) == chat_id,
                    col(SubscriptionRow.topic_key).in_(keys),
                    col(SubscriptionRow.kind).in_(kinds),
                ),
            )
            return _rowcount(result) > 0

    def digest_inputs(
        self, chat_ids: Collection[int], *, sent_since: datetime
    ) -> dict[int, ChatInputs]:
        """What building these chats' digests needs, read in one transaction."""
        ids = list(chat_ids)
        found: dict[int, ChatInputs] = {}
        with self._read() as session:
            for row in session.scalars(select(ChatRow).where(col(ChatRow.chat_id).in_(ids))):
                found[row.chat_id] = ChatInputs(_chat(row), [], {})
            for sub in session.scalars(
                select(SubscriptionRow)
                .where(col(SubscriptionRow.chat_id).in_(ids))
                .order_by(col(SubscriptionRow.created_at), col(SubscriptionRow.id))
            ):
                if sub.chat_id in found:
                    found[sub.chat_id].subscriptions.append(_subscription(sub))
            for story in session.scalars(
                select(SentStoryRow).where(
                    col(SentStoryRow.chat_id).in_(ids), col(SentStoryRow.sent_at) >= sent_since
                )
            ):
                if story.chat_id in found:
                    found[story.chat_id].sent[story.story_key] = _sent_story(story)
        return found

    def list_subscriptions(self, chat_id: int) -> list[Subscription]:
        with self._read() as session:
            rows = session.scalars(
                select(SubscriptionRow)
                .where(col(SubscriptionRow.chat_id) == chat_id)
                .order_by(col(SubscriptionRow.created_at), col(SubscriptionRow.id))
            )
            return [_subscription(row) for row in rows]

    # --- articles and summaries (the shared link cache) -------------------------------

    def get_summary(
        self, canonical_url: str, lang: str | None, *, summarizer: str | None = None
    ) -> CachedSummary | None:
        """The newest stored summary of this article in this language, if any."""
        query = (
            select(SummaryRow, ArticleRow)
            .join(ArticleRow, col(ArticleRow.canonical_url) == col(SummaryRow.canonical_url))
            .where(
                col(SummaryRow.canonical_url) == canonical_url,
                col(SummaryRow.lang) == (lang or ""),
            )
            .order_by(col(SummaryRow.created_at).desc(), col(SummaryRow.id).desc())
            .limit(1)
        )
        if summarizer is not None:
            query = query.where(col(SummaryRow.summarizer) == summarizer)
        with self._read() as session:
            hit = session.execute(query).first()
            if hit is None:
                return None
            summary_row, article_row = hit
            return _cached_summary(summary_row, article_row)

    def put_article_summary(
        self, article: Article, summary: Summary, canonical_url: str, lang: str | None
    ) -> None:
        """Store (or replace) an article and its summary; concurrent puts of a key are fine."""
        now = utcnow()
        article_values = {
            "url": article.url,
            "final_url": article.final_url,
            "title": article.title,
            "text": article.text,
            "site": article.site,
            "published": _aware(article.published),
            "language": article.language,
            "fetched_at": now,
        }
        summary_values = {
            "points": list(summary.points),
            "partial": summary.partial,
            "dropped_points": summary.dropped_points,
            "created_at": now,
        }
        with self._write() as session:
            _dml(
                session,
                self._insert(ArticleRow)
                .values(canonical_url=canonical_url, **article_values)
                .on_conflict_do_update(index_elements=["canonical_url"], set_=article_values),
            )
            _dml(
                session,
                self._insert(SummaryRow)
                .values(
                    canonical_url=canonical_url,
                    lang=lang or "",
                    summarizer=summary.summarizer,
                    **summary_values,
                )
                .on_conflict_do_update(
                    index_elements=["canonical_url", "lang", "summarizer"], set_=summary_values
                ),
            )

    def prune_articles(self, older_than: datetime) -> int:
        """Drop cached articles (and their summaries) fetched before `older_than`.

        Full article text is the bulk of the database (ten links grew it by 53 MB); the
        cache only has to outlive the days a link is shared.
        """
        with self._write() as session:
            old = select(col(ArticleRow.canonical_url)).where(
                col(ArticleRow.fetched_at) < older_than
            )
            _dml(session, delete(SummaryRow).where(col(SummaryRow.canonical_url).in_(old)))
            result = _dml(
                session, delete(ArticleRow).where(col(ArticleRow.fetched_at) < older_than)
            )
            return _rowcount(result)

    # --- stories already sent ---------------------------------------------------------

    def sent_stories(self, chat_id: int, since: datetime) -> dict[str, SentStory]:
        """Stories sent to this chat at or after `since`, by story key."""
        with self._read() as session:
            rows = session.scalars(
                select(SentStoryRow).where(
                    col(SentStoryRow.chat_id) == chat_id, col(SentStoryRow.sent_at) >= since
                )
            )
            return {row.story_key: _sent_story(row) for row in rows}

    def record_sent_stories(
        self, chat_id: int, stories: Iterable[SentStory], sent_at: datetime
    ) -> None:
        """Remember what a digest contained; a story sent again is updated, not duplicated."""
        with self._write() as session:
            self._record_sent_in(session, chat_id, stories, sent_at)

    def _record_sent_in(
        self, session: Session, chat_id: int, stories: Iterable[SentStory], sent_at: datetime
    ) -> None:
        rows = [
            {
                "chat_id": chat_id,
                "story_key": story.story_key,
                "urls": list(story.urls),
                "outlet_count": story.outlet_count,
                "sent_at": sent_at,
                "outlet_keys": sorted(story.outlet_keys),
                "signature": sorted(story.signature),
                "points": list(story.points),
            }
            for story in stories
        ]
        if not rows:
            return
        insert = self._insert(SentStoryRow)
        # One statement for all rows (executemany); each row upserts on (chat, story).
        _dml_many(
            session,
            insert.on_conflict_do_update(
                index_elements=["chat_id", "story_key"],
                set_={
                    k: getattr(insert.excluded, k)
                    for k in (
                        "urls", "outlet_count", "sent_at", "outlet_keys", "signature", "points"
                    )
                },
            ),
            rows,
        )

    def prune_sent_stories(self, older_than: datetime) -> int:
        """Forget stories sent before `older_than` (they can't be repeats any more)."""
        with self._write() as session:
            result = _dml(
                session, delete(SentStoryRow).where(col(SentStoryRow.sent_at) < older_than)
            )
            return _rowcount(result)

    # --- digest deliveries ------------------------------------------------------------

    def _reclaimable(self, now: datetime, stale_after: timedelta) -> ColumnElement[bool]:
        """Rows another worker may take over: failed and due a retry, or claimed and stale."""
        return or_(
            and_(
                col(DeliveryRow.status) == "failed",
                col(DeliveryRow.attempts) < self.max_attempts,
                col(DeliveryRow.claimed_at) <= now - self.retry_failed_after,
            ),
            and_(
                col(DeliveryRow.status) == "claimed",
                col(DeliveryRow.claimed_at) < now - stale_after,
            ),
        )

    def claim_deliveries(
        self,
        wanted: Sequence[tuple[int, date]],
        *,
        worker: str,
        now: datetime | None = None,
    ) -> list[tuple[int, date]]:
        """Take the right to send these chats' digests; returns the (chat, date) pairs won.

        The unique (chat, date) row is the lock: the first INSERT wins. A row left
        `claimed` longer than `stale_after` ago (its worker died) or `failed` (and due a
        retry) is taken over by a conditional UPDATE that, again, only one caller can win.
        A chat that is gone (forgotten) is not claimed. A digest round claims its due chats
        in batches: one write transaction per batch instead of one per chat is what lets a
        single SQLite file keep up with thousands of chats a minute.
        """
        now = now or utcnow()
        if not wanted:
            return []
        with self._write() as session:
            existing = set(
                session.scalars(
                    select(col(ChatRow.chat_id)).where(
                        col(ChatRow.chat_id).in_({chat for chat, _ in wanted})
                    )
                )
            )
            return [
                (chat, day)
                for chat, day in wanted
                if chat in existing
                and self._claim(session, chat, day, worker, now, self.stale_after)
            ]

    def _claim(
        self,
        session: Session,
        chat_id: int,
        local_date: date,
        worker: str,
        now: datetime,
        stale_after: timedelta,
    ) -> bool:
        inserted = _dml(
            session,
            self._insert(DeliveryRow)
            .values(
                chat_id=chat_id,
                local_date=local_date,
                status="claimed",
                claimed_at=now,
                claimed_by=worker,
                attempts=1,
            )
            .on_conflict_do_nothing(index_elements=["chat_id", "local_date"])
            # A returned row means this INSERT created it (rowcount is unreliable
            # with the RETURNING SQLAlchemy adds for the primary key anyway).
            .returning(col(DeliveryRow.id)),
        )
        if inserted.first() is not None:
            return True
        # PostgreSQL re-checks this WHERE against the row as committed by a
        # concurrent winner, so a second taker sees `claimed` and matches nothing.
        taken = _dml(
            session,
            update(DeliveryRow)
            .where(
                col(DeliveryRow.chat_id) == chat_id,
                col(DeliveryRow.local_date) == local_date,
                self._reclaimable(now, stale_after),
            )
            .values(
                status="claimed",
                claimed_at=now,
                claimed_by=worker,
                attempts=col(DeliveryRow.attempts) + 1,
                error=None,
            ),
        )
        return _rowcount(taken) == 1

    def _finish(self, chat_id: int, local_date: date, worker: str | None, **values: Any) -> bool:
        with self._write() as session:
            return self._finish_in(session, chat_id, local_date, worker, **values)

    def _finish_in(
        self, session: Session, chat_id: int, local_date: date, worker: str | None,
        **values: Any,
    ) -> bool:
        conditions = [
            col(DeliveryRow.chat_id) == chat_id,
            col(DeliveryRow.local_date) == local_date,
            col(DeliveryRow.status) == "claimed",
        ]
        if worker is not None:
            # A worker whose claim went stale and was taken over must not overwrite it.
            conditions.append(col(DeliveryRow.claimed_by) == worker)
        result = _dml(session, update(DeliveryRow).where(*conditions).values(**values))
        if _rowcount(result) != 1:
            return False
        if values.get("status") == "sent":
            _dml(
                session,
                update(ChatRow)
                .where(col(ChatRow.chat_id) == chat_id)
                .values(last_digest_at=values["sent_at"]),
            )
        return True

    def finish_deliveries(
        self,
        done: Sequence[tuple[int, date, Sequence[SentStory]]],
        *,
        worker: str | None = None,
        now: datetime | None = None,
    ) -> int:
        """Mark sent digests sent and remember their stories, all in one transaction.

        A digest round records what it sent as a group commit: one write transaction per
        batch instead of one per chat. Returns how many claims were still held and marked.
        """
        now = now or utcnow()
        marked = 0
        with self._write() as session:
            for chat_id, local_date, stories in done:
                marked += self._finish_in(
                    session, chat_id, local_date, worker, status="sent", sent_at=now,
                    error=None,
                )
                self._record_sent_in(session, chat_id, stories, now)
        return marked

    def mark_failed(
        self, chat_id: int, local_date: date, error: str, *, worker: str | None = None
    ) -> bool:
        """Record a failed send; it is claimed again after `retry_failed_after`."""
        return self._finish(
            chat_id, local_date, worker, status="failed", error=error[:MAX_ERROR_CHARS]
        )

    def release_dead_claims(
        self, is_dead: Callable[[str], bool], *, now: datetime | None = None
    ) -> int:
        """Free the claims of workers known to be dead, so their digests go out now.

        A claim whose process was killed would otherwise wait `stale_after` (30 min). The
        row is turned into a failed attempt that is already due a retry; the UPDATE names
        the dead worker, so a claim somebody else took meanwhile is never touched.
        """
        now = now or utcnow()
        with self._read() as session:
            holders = set(
                session.scalars(
                    select(col(DeliveryRow.claimed_by))
                    .where(col(DeliveryRow.status) == "claimed")
                    .distinct()
                )
            )
        released = 0
        for worker in sorted(w for w in holders if is_dead(w)):
            with self._write() as session:
                result = _dml(
                    session,
                    update(DeliveryRow)
                    .where(
                        col(DeliveryRow.status) == "claimed",
                        col(DeliveryRow.claimed_by) == worker,
                    )
                    .values(
                        status="failed",
                        error=f"worker {worker} died",
                        claimed_at=now - self.retry_failed_after,
                    ),
                )
                released += _rowcount(result)
        if released:
            log.warning("released %d digest claim(s) held by dead workers", released)
        return released

    # --- digests of several parts: what went out, to resume -----------------------------

    def delivery_plans(
        self, claims: Collection[tuple[int, date]]
    ) -> dict[tuple[int, date], dict[str, Any]]:
        """The saved plans (bot.rounds.Plan as JSON) of these deliveries, where there is one."""
        wanted = set(claims)
        if not wanted:
            return {}
        with self._read() as session:
            rows = session.execute(
                select(col(DeliveryRow.chat_id), col(DeliveryRow.local_date), col(DeliveryRow.plan))
                .where(
                    col(DeliveryRow.chat_id).in_({chat for chat, _ in wanted}),
                    col(DeliveryRow.plan).is_not(None),
                )
            ).all()
        return {
            (chat, day): plan for chat, day, plan in rows if (chat, day) in wanted and plan
        }

    def save_delivery_plan(
        self, chat_id: int, local_date: date, plan: dict[str, Any], *, worker: str
    ) -> bool:
        """Keep a claimed digest's parts and progress; False if the claim is no longer ours."""
        with self._write() as session:
            result = _dml(
                session,
                update(DeliveryRow)
                .where(
                    col(DeliveryRow.chat_id) == chat_id,
                    col(DeliveryRow.local_date) == local_date,
                    col(DeliveryRow.status) == "claimed",
                    col(DeliveryRow.claimed_by) == worker,
                )
                .values(plan=plan),
            )
            return _rowcount(result) == 1

    def pending_digest(self, chat_id: int) -> dict[str, Any] | None:
        """The plan of a `/digest` whose later parts have not gone out yet, if any."""
        with self._read() as session:
            return session.scalar(
                select(col(ChatRow.pending_digest)).where(col(ChatRow.chat_id) == chat_id)
            )

    def save_pending_digest(self, chat_id: int, plan: dict[str, Any] | None) -> None:
        with self._write() as session:
            _dml(
                session,
                update(ChatRow)
                .where(col(ChatRow.chat_id) == chat_id)
                .values(pending_digest=plan),
            )

    def finish_on_demand(
        self, chat_id: int, stories: Iterable[SentStory], sent_at: datetime
    ) -> None:
        """A `/digest` went out whole: remember its stories and drop its plan, atomically."""
        with self._write() as session:
            self._record_sent_in(session, chat_id, stories, sent_at)
            _dml(
                session,
                update(ChatRow)
                .where(col(ChatRow.chat_id) == chat_id)
                .values(pending_digest=None),
            )

    def get_delivery(self, chat_id: int, local_date: date) -> Delivery | None:
        with self._read() as session:
            row = session.scalars(
                select(DeliveryRow).where(
                    col(DeliveryRow.chat_id) == chat_id,
                    col(DeliveryRow.local_date) == local_date,
                )
            ).first()
            return None if row is None else _delivery(row)

    def due_chats(self, now_utc: datetime) -> list[DueChat]:
        """Active chats with topics whose digest should go out at `now_utc` (see schedule)."""
        # Local dates run from UTC-12 to UTC+14: two days back covers yesterday everywhere.
        window_start = (now_utc - timedelta(days=2)).date()
        with self._read() as session:
            first_topic = (
                select(
                    col(SubscriptionRow.chat_id),
                    func.min(SubscriptionRow.created_at).label("since"),
                )
                .group_by(col(SubscriptionRow.chat_id))
                .subquery()
            )
            chats = session.execute(
                select(ChatRow, first_topic.c.since)
                .join(first_topic, first_topic.c.chat_id == col(ChatRow.chat_id))
                .where(col(ChatRow.active).is_(True))
                .order_by(col(ChatRow.chat_id))
            ).all()
            # Deliveries that still count: not a stale claim, not a failure due a retry.
            blocking = session.execute(
                select(col(DeliveryRow.chat_id), col(DeliveryRow.local_date)).where(
                    col(DeliveryRow.local_date) >= window_start,
                    ~self._reclaimable(now_utc, self.stale_after),
                )
            ).all()
        delivered: dict[int, set[date]] = {}
        for chat_id, delivered_date in blocking:
            delivered.setdefault(chat_id, set()).add(delivered_date)
        due: list[DueChat] = []
        for chat, since in chats:
            try:
                local_date = due_date(
                    chat.timezone,
                    chat.digest_time,
                    now_utc,
                    delivered=delivered.get(chat.chat_id, set()),
                    # No catch-up for a slot that passed before the chat had any topic.
                    not_before=_aware(since),
                )
            except ValueError:
                log.warning("chat %s has an unusable timezone %r", chat.chat_id, chat.timezone)
                continue
            if local_date is not None:
                due.append(DueChat(chat.chat_id, local_date, chat.language, chat.timezone))
        return due

    # --- feeds ------------------------------------------------------------------------

    def get_feed_state(self, feed_url: str) -> FeedState | None:
        with self._read() as session:
            row = session.get(FeedStateRow, feed_url)
            if row is None:
                return None
            return FeedState(row.feed_url, row.etag, row.last_modified, row.checked_at)

    def put_feed_state(
        self,
        feed_url: str,
        *,
        etag: str | None,
        last_modified: str | None,
        checked_at: datetime | None = None,
    ) -> None:
        values = {
            "etag": etag,
            "last_modified": last_modified,
            "checked_at": checked_at or utcnow(),
        }
        with self._write() as session:
            _dml(
                session,
                self._insert(FeedStateRow)
                .values(feed_url=feed_url, **values)
                .on_conflict_do_update(index_elements=["feed_url"], set_=values),
            )

    def subscribed_feeds(self) -> set[str]:
        """Every feed URL some chat follows."""
        with self._read() as session:
            return set(
                session.scalars(
                    select(col(SubscriptionRow.topic))
                    .where(col(SubscriptionRow.kind) == "feed")
                    .distinct()
                )
            )

    def evict_feed_states(self) -> int:
        """Forget the validators of feeds nobody follows any more."""
        followed = select(col(SubscriptionRow.topic)).where(col(SubscriptionRow.kind) == "feed")
        with self._write() as session:
            result = _dml(
                session, delete(FeedStateRow).where(col(FeedStateRow.feed_url).not_in(followed))
            )
            return _rowcount(result)


# --- row → record ---------------------------------------------------------------------


def _dml(session: Session, statement: Any) -> CursorResult[Any]:
    """Run INSERT/UPDATE/DELETE as plain Core on the session's connection.

    Through `Session.execute` the ORM adds RETURNING to inserts of mapped classes, and
    the row count (which the claim logic depends on) stops meaning "rows changed".
    """
    return session.connection().execute(statement)


def _dml_many(session: Session, statement: Any, rows: list[dict[str, Any]]) -> None:
    session.connection().execute(statement, rows)


def _sent_story(row: SentStoryRow) -> SentStory:
    return SentStory(
        story_key=row.story_key,
        urls=tuple(row.urls),
        outlet_count=row.outlet_count,
        sent_at=row.sent_at,
        outlet_keys=tuple(row.outlet_keys or ()),
        signature=tuple(row.signature or ()),
        points=tuple(row.points or ()),
    )


def _rowcount(result: CursorResult[Any]) -> int:
    return result.rowcount


def _aware(value: datetime | None) -> datetime | None:
    """Treat a naive datetime as UTC (SQLite aggregates and some feeds drop the zone)."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _chat(row: ChatRow) -> Chat:
    return Chat(
        chat_id=row.chat_id,
        language=row.language,
        timezone=row.timezone,
        digest_time=row.digest_time,
        active=row.active,
        created_at=row.created_at,
        updated_at=row.updated_at,
        last_digest_at=row.last_digest_at,
    )


def _subscription(row: SubscriptionRow) -> Subscription:
    return Subscription(
        chat_id=row.chat_id,
        topic=row.topic,
        topic_key=row.topic_key,
        kind=cast(TopicKind, row.kind),
        created_at=row.created_at,
    )


def _cached_summary(summary: SummaryRow, article: ArticleRow) -> CachedSummary:
    return CachedSummary(
        article=Article(
            url=article.url,
            final_url=article.final_url,
            title=article.title,
            text=article.text,
            site=article.site,
            published=article.published,
            language=article.language,
        ),
        summary=Summary(
            points=list(summary.points),
            summarizer=summary.summarizer,
            language=summary.lang or None,
            partial=summary.partial,
            dropped_points=summary.dropped_points,
        ),
        canonical_url=summary.canonical_url,
        created_at=summary.created_at,
    )


def _delivery(row: DeliveryRow) -> Delivery:
    return Delivery(
        chat_id=row.chat_id,
        local_date=row.local_date,
        status=cast(Any, row.status),
        claimed_at=row.claimed_at,
        claimed_by=row.claimed_by,
        sent_at=row.sent_at,
        attempts=row.attempts,
        error=row.error,
    )
