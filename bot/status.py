"""`newsbot status`: what an operator asks first — is the database there, at which schema,
how many chats and topics, how did the last digest round go, what is due in the next hour.

Read-only: it never migrates or creates the database (a missing SQLite file is reported).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlmodel import col

from bot import metrics
from bot.config import Settings
from bot.store.engine import make_engine
from bot.store.migrate import current_revision, head_revision
from bot.store.store import Store
from bot.store.tables import ChatRow, DeliveryRow, SubscriptionRow
from bot.store.types import utcnow

# Deliveries claimed within this long before the latest claim count as one round.
ROUND_WINDOW = timedelta(minutes=1)


def collect(settings: Settings, now: datetime | None = None) -> dict[str, Any]:
    """The status as a JSON-ready dict; `database.ok` is False when it does not answer."""
    now = now or utcnow()
    url = settings.effective_database_url
    parsed = make_url(url)
    report: dict[str, Any] = {
        "database": {"url": parsed.render_as_string(hide_password=True), "ok": False,
                     "error": None},
        "migrations": None, "chats": None, "subscriptions": None, "last_round": None,
        "digests_due_next_hour": None,
    }
    sqlite_file = parsed.get_backend_name() == "sqlite" and parsed.database not in (
        None, "", ":memory:")
    if sqlite_file and not Path(str(parsed.database)).exists():
        report["database"]["error"] = (
            f"no database file at {parsed.database} (newsbot run creates it)")
        return report
    engine = make_engine(url)
    try:
        try:
            current = current_revision(engine)
        except Exception as exc:  # the one-line cause is the answer; never a traceback
            report["database"]["error"] = f"{metrics.cause(exc)}: {str(exc).splitlines()[0]}"
            return report
        report["database"]["ok"] = True
        head = head_revision()
        report["migrations"] = {"current": current, "head": head, "up_to_date": current == head}
        if current != head:
            return report  # the tables may not be there yet; `newsbot run` migrates
        _fill(report, Store(engine, default_timezone="UTC"), now)
    finally:
        engine.dispose()
    return report


def _fill(report: dict[str, Any], store: Store, now: datetime) -> None:
    with store.engine.connect() as conn:
        chats = conn.execute(select(func.count()).select_from(ChatRow)).scalar_one()
        active = conn.execute(
            select(func.count()).select_from(ChatRow).where(col(ChatRow.active).is_(True))
        ).scalar_one()
        subs = conn.execute(select(func.count()).select_from(SubscriptionRow)).scalar_one()
        latest = conn.execute(select(func.max(DeliveryRow.claimed_at))).scalar_one()
        if latest is not None:
            rows = conn.execute(
                select(col(DeliveryRow.status), func.count())
                .where(col(DeliveryRow.claimed_at) >= latest - ROUND_WINDOW)
                .group_by(col(DeliveryRow.status))
            ).all()
            counts = {status: n for status, n in rows}
            at = latest if isinstance(latest, datetime) else datetime.fromisoformat(str(latest))
            report["last_round"] = {
                "at": at.isoformat(), "sent": counts.get("sent", 0),
                "failed": counts.get("failed", 0), "in_progress": counts.get("claimed", 0),
                "result": "failed" if counts.get("failed") else
                          ("in progress" if counts.get("claimed") else "ok"),
            }
    report["chats"] = {"total": chats, "active": active}
    report["subscriptions"] = subs
    report["digests_due_next_hour"] = len(store.deliveries.due_chats(now + timedelta(hours=1)))


def render(report: dict[str, Any]) -> str:
    db = report["database"]
    lines = [f"database: {db['url']} — " + ("ok" if db["ok"] else f"error: {db['error']}")]
    mig = report["migrations"]
    if mig is not None:
        state = "up to date" if mig["up_to_date"] else f"behind (head {mig['head']})"
        lines.append(f"migrations: {mig['current'] or 'none applied'} — {state}")
    if report["chats"] is not None:
        lines.append(f"chats: {report['chats']['total']} ({report['chats']['active']} active)")
        lines.append(f"subscriptions: {report['subscriptions']}")
        last = report["last_round"]
        lines.append("last round: never" if last is None else
                     f"last round: {last['at']} — {last['result']} "
                     f"({last['sent']} sent, {last['failed']} failed, "
                     f"{last['in_progress']} in progress)")
        lines.append(f"digests due in the next hour: {report['digests_due_next_hour']}")
    return "\n".join(lines) + "\n"
