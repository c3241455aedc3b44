"""`Deliveries`: which digests are due, who may send each, and what went out.

The unique (chat, local date) row of `digest_deliveries` is the lock that makes a digest go
out once however many processes share the database: a round claims its due chats, sends,
and finishes the claims together with the stories it sent. A digest of several messages
keeps its rendered parts and progress (`bot.rounds.Plan` as JSON) so a retry resumes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar, cast

from sqlalchemy import ColumnElement, and_, func, or_, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import col

from bot.schedule import due_date
from bot.store.chats import chat_record
from bot.store.records import ChatInputs, Delivery, DueChat
from bot.store.sent import SentStories, sent_story
from bot.store.session import Database, aware, dml, rowcount
from bot.store.subscriptions import subscription_record
from bot.store.tables import ChatRow, DeliveryRow, SentStoryRow, SubscriptionRow
from bot.store.types import utcnow

if TYPE_CHECKING:
    from bot.news.selection import SentStory

log = logging.getLogger(__name__)

MAX_ERROR_CHARS = 2000
# Digests claimed or finished per statement: a round's batch (bot.rounds.CLAIM_BATCH) fits
# one, and a pile-up of finished digests stays far below both engines' bound parameters.
CHUNK = 500

T = TypeVar("T")


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


class Deliveries:
    """Claims, due chats and the bookkeeping of sent digests."""

    def __init__(
        self,
        db: Database,
        sent: SentStories,
        *,
        stale_after: timedelta = timedelta(minutes=30),
        retry_failed_after: timedelta = timedelta(minutes=5),
        max_attempts: int = 5,
    ) -> None:
        self._db = db
        self._sent = sent
        # A claim older than this belongs to a process that died mid-send.
        self.stale_after = stale_after
        # A failed send is retried after this pause, at most `max_attempts` claims in all.
        self.retry_failed_after = retry_failed_after
        self.max_attempts = max_attempts

    # --- what is due, and what building it needs ----------------------------------------

    def due_chats(self, now_utc: datetime) -> list[DueChat]:
        """Active chats with topics whose digest should go out at `now_utc` (see schedule)."""
        # Local dates run from UTC-12 to UTC+14: two days back covers yesterday everywhere.
        window_start = (now_utc - timedelta(days=2)).date()
        with self._db.read() as session:
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
                    not_before=aware(since),
                )
            except ValueError:
                log.warning("chat %s has an unusable timezone %r", chat.chat_id, chat.timezone)
                continue
            if local_date is not None:
                due.append(DueChat(chat.chat_id, local_date, chat.language, chat.timezone))
        return due

    def digest_inputs(
        self, chat_ids: Collection[int], *, sent_since: datetime
    ) -> dict[int, ChatInputs]:
        """What building these chats' digests needs, read in one transaction."""
        ids = list(chat_ids)
        found: dict[int, ChatInputs] = {}
        with self._db.read() as session:
            for row in session.scalars(select(ChatRow).where(col(ChatRow.chat_id).in_(ids))):
                found[row.chat_id] = ChatInputs(chat_record(row), [], {})
            for sub in session.scalars(
                select(SubscriptionRow)
                .where(col(SubscriptionRow.chat_id).in_(ids))
                .order_by(col(SubscriptionRow.created_at), col(SubscriptionRow.id))
            ):
                if sub.chat_id in found:
                    found[sub.chat_id].subscriptions.append(subscription_record(sub))
            for story in session.scalars(
                select(SentStoryRow).where(
                    col(SentStoryRow.chat_id).in_(ids), col(SentStoryRow.sent_at) >= sent_since
                )
            ):
                if story.chat_id in found:
                    found[story.chat_id].sent[story.story_key] = sent_story(story)
        return found

    # --- claims -------------------------------------------------------------------------

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

    def claim(
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
        try:
            with self._db.write() as session:
                return self._claim_batch(session, wanted, worker, now, guarded=False)
        except IntegrityError as exc:
            # A chat forgotten between the existence check and its INSERT fails the foreign
            # key (PostgreSQL lets another transaction delete it meanwhile; SQLite's writers
            # are serialised), and the batch's transaction with it: nothing was claimed.
            # Claim again, re-checked, each chat in a savepoint, so that a second such race
            # costs only that chat. (A savepoint around every claim, for a race this rare,
            # would halve claims per second on both engines: bench/claims.py.)
            log.info("claiming %d digest(s) again: %s", len(wanted), exc.orig)
        with self._db.write() as session:
            return self._claim_batch(session, wanted, worker, now, guarded=True)

    def _claim_batch(
        self,
        session: Session,
        wanted: Sequence[tuple[int, date]],
        worker: str,
        now: datetime,
        *,
        guarded: bool,
    ) -> list[tuple[int, date]]:
        existing = set(
            session.scalars(
                select(col(ChatRow.chat_id)).where(
                    col(ChatRow.chat_id).in_({chat for chat, _ in wanted})
                )
            )
        )
        if not guarded:
            return self._claim_all(
                session, [(c, d) for c, d in wanted if c in existing], worker, now
            )
        return [
            (chat, day)
            for chat, day in wanted
            if chat in existing and self._claim_guarded(session, chat, day, worker, now)
        ]

    def _claim_all(
        self, session: Session, wanted: Sequence[tuple[int, date]], worker: str, now: datetime
    ) -> list[tuple[int, date]]:
        """Claim a batch in two statements: INSERT what has no row yet, then take over the
        reclaimable rest (a conditional UPDATE only one caller can win)."""
        won: set[tuple[int, date]] = set()
        # Sorted, so two processes claiming overlapping batches lock rows in one order and
        # wait for each other instead of deadlocking.
        ordered = sorted(set(wanted))
        for chunk in _chunks(ordered, CHUNK):
            inserted = dml(
                session,
                self._db.insert(DeliveryRow)
                .values([
                    {"chat_id": chat, "local_date": day, "status": "claimed",
                     "claimed_at": now, "claimed_by": worker, "attempts": 1}
                    for chat, day in chunk
                ])
                .on_conflict_do_nothing(index_elements=["chat_id", "local_date"])
                .returning(col(DeliveryRow.chat_id), col(DeliveryRow.local_date)),
            )
            won.update((r[0], r[1]) for r in cast("list[tuple[int, date]]", inserted.all()))
            rest = [pair for pair in chunk if pair not in won]
            if not rest:
                continue
            # PostgreSQL re-checks this WHERE against each row as committed by a concurrent
            # winner, so a second taker sees `claimed` and matches nothing.
            taken = dml(
                session,
                update(DeliveryRow)
                .where(
                    tuple_(col(DeliveryRow.chat_id), col(DeliveryRow.local_date)).in_(rest),
                    self._reclaimable(now, self.stale_after),
                )
                .values(
                    status="claimed",
                    claimed_at=now,
                    claimed_by=worker,
                    attempts=col(DeliveryRow.attempts) + 1,
                    error=None,
                )
                .returning(col(DeliveryRow.chat_id), col(DeliveryRow.local_date)),
            )
            won.update((r[0], r[1]) for r in cast("list[tuple[int, date]]", taken.all()))
        return [pair for pair in wanted if pair in won]

    def _claim_guarded(
        self, session: Session, chat_id: int, local_date: date, worker: str, now: datetime
    ) -> bool:
        # The batch's two statements for one chat, in a savepoint: the same rules, so the
        # same winner, and a foreign-key failure costs only this chat.
        try:
            with session.begin_nested():
                return bool(self._claim_all(session, [(chat_id, local_date)], worker, now))
        except IntegrityError as exc:
            log.warning("digest of chat %s not claimed: %s", chat_id, exc.orig)
            return False

    def release_dead_claims(
        self, is_dead: Callable[[str], bool], *, now: datetime | None = None
    ) -> int:
        """Free the claims of workers known to be dead, so their digests go out now.

        A claim whose process was killed would otherwise wait `stale_after` (30 min). The
        row is turned into a failed attempt that is already due a retry; the UPDATE names
        the dead worker, so a claim somebody else took meanwhile is never touched.
        """
        now = now or utcnow()
        with self._db.read() as session:
            holders = set(
                session.scalars(
                    select(col(DeliveryRow.claimed_by))
                    .where(col(DeliveryRow.status) == "claimed")
                    .distinct()
                )
            )
        released = 0
        for worker in sorted(w for w in holders if is_dead(w)):
            with self._db.write() as session:
                result = dml(
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
                released += rowcount(result)
        if released:
            log.warning("released %d digest claim(s) held by dead workers", released)
        return released

    # --- finishing ----------------------------------------------------------------------

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
        result = dml(session, update(DeliveryRow).where(*conditions).values(**values))
        if rowcount(result) != 1:
            return False
        if values.get("status") == "sent":
            dml(
                session,
                update(ChatRow)
                .where(col(ChatRow.chat_id) == chat_id)
                .values(last_digest_at=values["sent_at"]),
            )
        return True

    def finish(
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
        with self._db.write() as session:
            # Three statements per chunk of digests, not three per digest: the deliveries,
            # the chats' last digest time, and every story they showed.
            for chunk in _chunks(done, CHUNK):
                conditions = [
                    tuple_(col(DeliveryRow.chat_id), col(DeliveryRow.local_date)).in_(
                        sorted({(chat, day) for chat, day, _ in chunk})
                    ),
                    col(DeliveryRow.status) == "claimed",
                ]
                if worker is not None:
                    # A worker whose claim went stale and was taken over must not overwrite it.
                    conditions.append(col(DeliveryRow.claimed_by) == worker)
                result = dml(
                    session,
                    update(DeliveryRow)
                    .where(*conditions)
                    .values(status="sent", sent_at=now, error=None)
                    .returning(col(DeliveryRow.chat_id)),
                )
                chats = {chat for (chat,) in result.all()}
                marked += len(chats)
                if chats:
                    dml(
                        session,
                        update(ChatRow)
                        .where(col(ChatRow.chat_id).in_(sorted(chats)))
                        .values(last_digest_at=now),
                    )
                self._sent.record_many_in(
                    session, [(chat, stories) for chat, _, stories in chunk], now
                )
        return marked

    def mark_failed(
        self, chat_id: int, local_date: date, error: str, *, worker: str | None = None
    ) -> bool:
        """Record a failed send; it is claimed again after `retry_failed_after`."""
        with self._db.write() as session:
            return self._finish_in(
                session, chat_id, local_date, worker, status="failed",
                error=error[:MAX_ERROR_CHARS],
            )

    def get(self, chat_id: int, local_date: date) -> Delivery | None:
        with self._db.read() as session:
            row = session.scalars(
                select(DeliveryRow).where(
                    col(DeliveryRow.chat_id) == chat_id,
                    col(DeliveryRow.local_date) == local_date,
                )
            ).first()
            return None if row is None else _delivery(row)

    # --- digests of several parts: what went out, to resume -----------------------------

    def plans(
        self, claims: Collection[tuple[int, date]]
    ) -> dict[tuple[int, date], dict[str, Any]]:
        """The saved plans (bot.rounds.Plan as JSON) of these deliveries, where there is one."""
        wanted = set(claims)
        if not wanted:
            return {}
        with self._db.read() as session:
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

    def save_plan(
        self, chat_id: int, local_date: date, plan: dict[str, Any], *, worker: str
    ) -> bool:
        """Keep a claimed digest's parts and progress; False if the claim is no longer ours."""
        with self._db.write() as session:
            result = dml(
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
            return rowcount(result) == 1

    # --- /digest on demand: no claim, the plan is kept on the chat ------------------------

    def pending_digest(self, chat_id: int) -> dict[str, Any] | None:
        """The plan of a `/digest` whose later parts have not gone out yet, if any."""
        with self._db.read() as session:
            return session.scalar(
                select(col(ChatRow.pending_digest)).where(col(ChatRow.chat_id) == chat_id)
            )

    def save_pending_digest(self, chat_id: int, plan: dict[str, Any] | None) -> None:
        with self._db.write() as session:
            dml(
                session,
                update(ChatRow)
                .where(col(ChatRow.chat_id) == chat_id)
                .values(pending_digest=plan),
            )

    def finish_on_demand(
        self, chat_id: int, stories: Iterable[SentStory], sent_at: datetime
    ) -> None:
        """A `/digest` went out whole: remember its stories and drop its plan, atomically."""
        with self._db.write() as session:
            self._sent.record_in(session, chat_id, stories, sent_at)
            dml(
                session,
                update(ChatRow)
                .where(col(ChatRow.chat_id) == chat_id)
                .values(pending_digest=None),
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
