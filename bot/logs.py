"""The log: what reaches it at INFO, in which format, and what never does.

At INFO an operator sees the start-up line, one line per link, one line per digest round
that did something, warnings and errors. Libraries that narrate routine work are held at
WARNING: Alembic (eleven lines per start saying which migrations it considered),
APScheduler (two lines a minute, forever, for each digest tick), httpx (every request with
its full URL). PTB's start-up getMe failure is reported by the CLI as one line naming the
setting, so PTB's own traceback of it is dropped.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TextIO

from bot.redaction import Redactor, install

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Quiet always: per-request lines with full URLs (the redaction would mask a token in them).
ALWAYS_QUIET = ("httpx", "httpcore", "openai", "telegram.ext.Updater")
# Quiet unless debugging: routine narration of migrations, scheduler ticks, PTB's start/stop.
ROUTINE = ("alembic", "apscheduler", "telegram.ext.Application")
# PTB's retry loop around the start-up getMe logs the failure with a full traceback before
# raising it; the CLI turns the raised error into one line that names the setting.
_BOOTSTRAP = "Network Retry Loop (Bootstrap Initialize Application)"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, message (and exc, when there is one)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


class _DropBootstrapFailure(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno < logging.ERROR or not record.getMessage().startswith(_BOOTSTRAP)


def setup(
    *, level: int, fmt: str = "text", secrets: Iterable[str | None] = (),
    stream: TextIO | None = None,
) -> Redactor:
    """Configure the root logger once for this process; returns the redactor it installed."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in ALWAYS_QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in ROUTINE:
        logging.getLogger(name).setLevel(logging.WARNING if level > logging.DEBUG else level)
    network_loop = logging.getLogger("telegram.ext")  # PTB names its loggers by package
    if not any(isinstance(f, _DropBootstrapFailure) for f in network_loop.filters):
        network_loop.addFilter(_DropBootstrapFailure())
    return install(secrets)
