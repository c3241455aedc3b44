"""Secrets never reach the output: a logging filter that redacts them from every record.

The bot token is part of every Bot API URL (`…/bot<id>:<secret>/getMe`) and PTB puts it in
some of its exception messages ("The token `…` was rejected"), so redacting at each call
site would always miss one. Instead one filter sits on the root logger's handlers — a
filter on the logger itself would see only records logged *at* the root, not the ones that
propagate up from `telegram.*`, `httpx` or `bot.*` — and rewrites each record's message,
traceback and stack before any handler formats it. The CLI passes its own error lines
through the same `Redactor`.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import traceback
from collections.abc import Iterable
from types import TracebackType

MASK = "[REDACTED]"

# `bot<id>:<secret>` as it appears in Bot API URLs, whatever the token.
_TOKEN_IN_URL = re.compile(r"bot\d+:[A-Za-z0-9_-]+")
# A bare token of the shape @BotFather hands out (id, colon, 35 URL-safe characters), so a
# token other than the configured one (an old one in a proxy's error page) is caught too.
_TOKEN_SHAPE = re.compile(r"(?<![A-Za-z0-9_])\d{5,}:[A-Za-z0-9_-]{30,}(?![A-Za-z0-9_-])")
_MIN_SECRET = 6  # shorter "secrets" would turn ordinary words into [REDACTED]


class Redactor:
    """Replace known secrets and anything shaped like a bot token with `[REDACTED]`."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        found = {s for s in secrets if s and len(s) >= _MIN_SECRET}
        # Longest first, so a secret that contains another is masked whole.
        self._secrets = sorted(found, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        text = _TOKEN_IN_URL.sub("bot" + MASK, text)
        return _TOKEN_SHAPE.sub(MASK, text)


class RedactingFilter(logging.Filter):
    """Rewrite a record so that no handler can format a secret out of it."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self.redact = redact
        self._formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep what there is, redacted
            message = f"{record.msg} {record.args!r}"
        record.msg, record.args = self.redact(message), ()
        if record.exc_info and not record.exc_text:
            # Formatted here, redacted, and cached where Formatter.format looks first (it
            # formats exc_info only when exc_text is empty). exc_info itself stays for
            # handlers that inspect the exception object.
            record.exc_text = self.redact(self._formatter.formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def install(secrets: Iterable[str | None]) -> Redactor:
    """Put the filter on the root logger and all its handlers; route uncaught exceptions
    (main thread and other threads) through logging so they are redacted too."""
    redact = Redactor(secrets)
    flt = RedactingFilter(redact)
    root = logging.getLogger()
    for target in (root, *root.handlers):
        for old in [f for f in target.filters if isinstance(f, RedactingFilter)]:
            target.removeFilter(old)
        target.addFilter(flt)
    if logging.lastResort is not None:
        logging.lastResort.addFilter(flt)

    def excepthook(
        typ: type[BaseException], value: BaseException, tb: TracebackType | None
    ) -> None:
        text = "".join(traceback.format_exception(typ, value, tb))
        sys.stderr.write(redact(text))

    def thread_excepthook(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None:
            return
        logging.getLogger("newsbot").error(
            "uncaught exception in thread %s",
            getattr(args.thread, "name", "?"),
            exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
        )

    sys.excepthook = excepthook
    threading.excepthook = thread_excepthook
    return redact
