"""Digest claims per second, as a round takes them, on SQLite and PostgreSQL.

`deliveries.claim` takes a batch of (chat, date) claims in one transaction. A chat forgotten
between its existence check and its INSERT breaks the foreign key; the store then claims the
batch again with a savepoint per chat. The baseline in the same run is that guarded path
taken for every batch: what wrapping every claim in a savepoint would have cost.

    uv run python bench/claims.py [--chats 2000] [--repeat 3] [--postgres URL]

Without --postgres the local trust-auth server is tried (a fresh database, dropped after);
`--postgres ''` measures SQLite only.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from datetime import time as clock_time
from pathlib import Path
from uuid import uuid4

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, insert  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bot.store import Store  # noqa: E402
from bot.store.tables import ChatRow  # noqa: E402

BATCH = 200  # as bot.rounds.CLAIM_BATCH
DAY = date(2025, 5, 1)
LOCAL_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def claims_per_second(url: str, chats: int, *, savepoints: bool) -> float:
    store = Store.open(url)
    try:
        now = datetime.now(UTC)
        with store.engine.begin() as conn:
            conn.execute(insert(ChatRow), [
                {"chat_id": i, "timezone": "UTC", "digest_time": clock_time(8), "active": True,
                 "created_at": now, "updated_at": now}
                for i in range(chats)
            ])
        won = 0
        start = time.perf_counter()
        for first in range(0, chats, BATCH):
            wanted = [(i, DAY) for i in range(first, min(first + BATCH, chats))]
            if savepoints:  # the path taken after a foreign-key failure, for every batch
                with store.db.write() as session:
                    won += len(store.deliveries._claim_batch(
                        session, wanted, "bench", now, guarded=True))
            else:
                won += len(store.deliveries.claim(wanted, worker="bench", now=now))
        elapsed = time.perf_counter() - start
        assert won == chats, (won, chats)
        return chats / elapsed
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", default=LOCAL_PG)
    args = parser.parse_args()

    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        backends = [("sqlite", None)] + ([("postgresql", args.postgres)] if args.postgres else [])
        for name, server in backends:
            runs: dict[str, list[float]] = {"as landed": [], "savepoint per chat": []}
            for _ in range(args.repeat):
                for label in runs:  # interleaved, so load changes hit both alike
                    if server is None:
                        url = f"sqlite:///{tmp}/{uuid4().hex}.db"
                        runs[label].append(
                            claims_per_second(url, args.chats, savepoints=label != "as landed"))
                        continue
                    admin = create_engine(server, isolation_level="AUTOCOMMIT")
                    db = f"bench_claims_{uuid4().hex[:8]}"
                    with admin.connect() as conn:
                        conn.exec_driver_sql(f'CREATE DATABASE "{db}"')
                    try:
                        url = make_url(server).set(database=db).render_as_string(
                            hide_password=False)
                        runs[label].append(
                            claims_per_second(url, args.chats, savepoints=label != "as landed"))
                    finally:
                        with admin.connect() as conn:
                            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
                        admin.dispose()
            results[name] = {label: statistics.median(v) for label, v in runs.items()}

    print(f"{args.chats} claims in batches of {BATCH}, median of {args.repeat}")
    print(f"{'backend':<12} {'as landed':>12} {'savepoint per chat':>20} {'ratio':>7}")
    for name, r in results.items():
        ratio = r["as landed"] / r["savepoint per chat"]
        print(f"{name:<12} {r['as landed']:>10.0f}/s {r['savepoint per chat']:>18.0f}/s "
              f"{ratio:>6.2f}×")
    print(json.dumps({"chats": args.chats, "batch": BATCH, "claims_per_s": {
        name: {k: round(v) for k, v in r.items()} for name, r in results.items()}}))


if __name__ == "__main__":
    main()
