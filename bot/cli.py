"""`newsbot summarize | extract | digest | run | status | export` — the command line."""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import logging
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from pydantic import ValidationError

from bot import __version__
from bot.article import Article, Summary
from bot.config import Settings
from bot.errors import ExtractionError, InputError, InvalidURL, NewsbotError, UnreadableInput
from bot.redaction import Redactor

log = logging.getLogger("newsbot")
# Every line the CLI writes about a failure goes through this (set up with the logging).
_redact = Redactor()

HTML_SUFFIXES = (".html", ".htm", ".html.gz", ".htm.gz")
# A single line shorter than both is a title, not an article (characters for scripts
# written without spaces: one line of Chinese is one "word").
HEADLINE_WORDS = 20
HEADLINE_CHARS = 120
MAX_SINCE_HOURS = 168  # `newsbot digest --since`: up to a week (a weekend catch-up and more)


# --- inputs -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Source:
    """One INPUT as the user wrote it, classified."""

    raw: str
    kind: str  # "url" | "html" | "text"
    path: Path | None = None


def classify(raw: str) -> Source:
    if raw == "-":
        return Source(raw, "text")
    if "://" in raw or raw.lower().startswith(("http:", "https:", "www.")):
        return Source(raw, "url")
    path = Path(raw)
    lower = raw.lower()
    if lower.endswith(HTML_SUFFIXES):
        return Source(raw, "html", path)
    if lower.endswith(".txt"):
        return Source(raw, "text", path)
    if path.exists():
        raise UnreadableInput(f"{raw}: unsupported file type (use .html, .html.gz or .txt)")
    raise InvalidURL(f"{raw!r} is not an http(s) URL or a readable .html/.txt file")


def _read_text_input(source: Source, stdin: TextIO) -> str:
    if source.path is None:
        return stdin.read()
    try:
        return source.path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise UnreadableInput(f"cannot read {source.raw}: {exc.strerror or exc}") from exc


def _read_html_file(source: Source) -> str:
    assert source.path is not None
    try:
        data = source.path.read_bytes()
        if source.raw.lower().endswith(".gz"):
            data = gzip.decompress(data)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        cause = getattr(exc, "strerror", None) or exc
        raise UnreadableInput(f"cannot read {source.raw}: {cause}") from exc
    from bot.fetch import decode_html

    return decode_html(data, content_type=None)


async def load_article(source: Source, fetcher: Any, stdin: TextIO) -> Article:
    """Turn one INPUT into an Article (fetching it when it is a URL)."""
    from bot.extract import article_from_text
    from bot.pipeline import extract_safely, read_article

    if source.kind == "url":
        return await read_article(fetcher, source.raw)
    if source.kind == "html":
        html = _read_html_file(source)
        return await asyncio.to_thread(extract_safely, html, url=source.path.resolve().as_uri())  # type: ignore[union-attr]
    article = article_from_text(_read_text_input(source, stdin))
    where = "stdin" if source.path is None else source.raw
    if not article.text.strip():
        raise ExtractionError(f"no article text in {where}")
    if not article.title and "\n" not in article.text.strip() and \
            len(article.text.split()) < HEADLINE_WORDS and len(article.text) < HEADLINE_CHARS:
        # One short line is a headline: "summarizing" it would just repeat it as a point.
        raise ExtractionError(f"no article text in {where} (only a title)")
    return article


# --- output -------------------------------------------------------------------------------


def _is_local(source: Source) -> bool:
    return source.kind != "url"


def summary_record(source: Source, article: Article, summary: Summary) -> dict[str, Any]:
    local = _is_local(source)
    return {
        "input": source.raw,
        "url": None if local else article.url,
        "final_url": None if local else article.final_url,
        "title": article.title or None,
        "site": article.site,
        "published": article.published.isoformat() if article.published else None,
        "language": article.language,
        "points": list(summary.points),
        "summarizer": summary.summarizer,
        "partial": summary.partial,
        "dropped_points": summary.dropped_points,
    }


def extract_record(source: Source, article: Article) -> dict[str, Any]:
    return {
        "input": source.raw,
        "title": article.title or None,
        "text": article.text,
        "site": article.site,
        "published": article.published.isoformat() if article.published else None,
        "language": article.language,
    }


def error_record(source: Source, exc: NewsbotError) -> dict[str, Any]:
    return {"input": source.raw, "error": str(exc), "error_type": type(exc).__name__,
            "exit_code": exc.exit_code}


def print_summary(rec: dict[str, Any], summary: Summary, out: TextIO) -> None:
    out.write(f"{rec['title'] or '(untitled)'}\n")
    meta = " · ".join(x for x in (rec["site"], (rec["published"] or "")[:10]) if x)
    if meta:
        out.write(f"{meta}\n")
    out.write("\n")
    for note in summary.notes:
        out.write(f"({note})\n")
    if rec["partial"] and not any(n.kind == "long_article" for n in summary.notes):
        out.write("Only a teaser of this article could be read (paywall or a very short "
                  "page); these points cover just that part.\n\n")
    for point in rec["points"]:
        out.write(f"  • {point}\n")
    out.write("\n")
    if summary.fallback_reason:
        out.write(f"(extractive summary: the model was unavailable — {summary.fallback_reason})\n")
    if rec["url"]:
        out.write(f"{rec['final_url'] or rec['url']}\n")


def print_article(rec: dict[str, Any], out: TextIO) -> None:
    out.write(f"title:     {rec['title'] or ''}\n")
    out.write(f"site:      {rec['site'] or ''}\n")
    out.write(f"published: {rec['published'] or ''}\n")
    out.write(f"language:  {rec['language'] or ''}\n\n")
    out.write(rec["text"].rstrip() + "\n")


# --- commands -----------------------------------------------------------------------------


async def cmd_summarize(args: argparse.Namespace, settings: Settings) -> int:
    from bot.fetch import Fetcher
    from bot.pipeline import Pipeline
    from bot.summarize.factory import build_summarizer

    lang = args.lang
    if lang is not None and not settings.use_llm:
        # The extractive summarizer quotes the article and cannot translate: say so, once.
        sys.stderr.write(f"newsbot: note: --lang {lang} ignored: translation needs a model "
                         "(set OPENAI_API_KEY or OPENAI_BASE_URL); the points stay in each "
                         "article's language\n")
        lang = None
    fetcher = Fetcher(settings)
    pipeline = Pipeline(settings, fetcher=fetcher, summarizer=build_summarizer(settings))
    records: list[dict[str, Any]] = []
    status = 0
    try:
        for raw in args.inputs:
            try:
                source = classify(raw)
                article = await load_article(source, fetcher, sys.stdin)
                summary = await pipeline.summarize_article(article, lang=lang)
                if not summary.points:
                    raise ExtractionError("no article text to summarize (only a title, or "
                                          "too little text)")
            except NewsbotError as exc:
                status = status or exc.exit_code
                if args.jsonl or (args.json and len(args.inputs) > 1):
                    records.append(error_record(Source(raw, "?"), exc))
                    if args.jsonl:
                        _emit_jsonl(records[-1])
                    continue
                _fail(exc, multi=len(args.inputs) > 1, raw=raw)
                continue
            rec = summary_record(source, article, summary)
            if args.jsonl:
                _emit_jsonl(rec)
            elif args.json:
                records.append(rec)
            else:
                if len(args.inputs) > 1 and raw != args.inputs[0]:
                    sys.stdout.write("\n" + "─" * 40 + "\n\n")
                print_summary(rec, summary, sys.stdout)
        if args.json and records:
            payload: Any = records[0] if len(args.inputs) == 1 else records
            sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    finally:
        await pipeline.aclose()
    return status


async def cmd_extract(args: argparse.Namespace, settings: Settings) -> int:
    from bot.fetch import Fetcher

    status = 0
    async with Fetcher(settings) as fetcher:
        for raw in args.inputs:
            try:
                source = classify(raw)
                article = await load_article(source, fetcher, sys.stdin)
            except NewsbotError as exc:
                status = status or exc.exit_code
                if args.jsonl:
                    _emit_jsonl(error_record(Source(raw, "?"), exc))
                else:
                    _fail(exc, multi=len(args.inputs) > 1, raw=raw)
                continue
            rec = extract_record(source, article)
            if args.jsonl:
                _emit_jsonl(rec)
            else:
                print_article(rec, sys.stdout)
    return status


async def cmd_digest(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import timedelta

    from bot.errors import FetchError
    from bot.pipeline import Pipeline
    from bot.store.types import utcnow
    from bot.terminal import digest_record, digest_text
    from bot.topic_digests import TopicDigests

    topic = " ".join(args.topic.split())
    if not 2 <= len(topic) <= 100:
        raise InputError("a topic is 2 to 100 characters")
    pipeline = Pipeline.build(settings)
    digests = TopicDigests(settings, pipeline=pipeline)  # no chats, no store
    progress = _Progress(sys.stderr)
    now = utcnow()
    try:
        kind = "feed" if topic.lower().startswith(("http://", "https://")) else "search"
        progress.say(f"Searching {len(digests.sources_for(topic, kind))} source(s) for {topic!r}…")
        collected = await digests.topic_stories(topic, kind=kind, now=now)
        for failure in collected.errors:
            progress.say(f"  {failure.source} failed: {failure.error}")
        if collected.sources_asked and len(collected.errors) == collected.sources_asked:
            raise FetchError(f"no news source could be reached for {topic!r}")
        progress.say(f"{collected.items_seen} articles, {len(collected.stories)} stories; "
                     "summarizing the top ones…")
        digest = await digests.topic_digest(
            topic, kind=kind, since=now - timedelta(hours=args.since), now=now,
            max_stories=args.max_stories, on_summarized=progress.tick,
        )
        progress.done()
    finally:
        await pipeline.aclose()
    if args.json:
        sys.stdout.write(json.dumps(digest_record(digest), ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(digest_text(digest, since_hours=args.since))
    return 0


class _Progress:
    """Progress lines on stderr, so stdout stays clean for `--json`."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.count = 0

    def say(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def tick(self) -> None:
        self.count += 1
        self.out.write(f"  summarized {self.count}\r" if self.out.isatty() else "")
        self.out.flush()

    def done(self) -> None:
        self.say(f"summarized {self.count} stories")


def _positive_hours(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of hours") from None
    if not 0 < value <= MAX_SINCE_HOURS:
        raise argparse.ArgumentTypeError(
            f"--since takes more than 0 and at most {MAX_SINCE_HOURS} hours (a week)"
        )
    return value


def _language(text: str) -> str:
    from bot.languages import normalize

    code = normalize(text)
    if code is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a language code (use a two-letter ISO 639-1 code such as de or uk)"
        )
    return code


def _story_count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= 20:
        raise argparse.ArgumentTypeError("--max-stories takes 1 to 20")
    return value


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.preflight import check_storage
    from bot.telegram.app import run_bot

    if settings.telegram_bot_token is None:
        raise InputError(
            "TELEGRAM_BOT_TOKEN is not set: get a token from @BotFather and put it in the "
            "environment or .env"
        )
    # The data directory and the database first: a start that would fail there must not
    # have talked to Telegram (or registered a webhook) already.
    # A SIGTERM during start-up (before PTB installs its handlers) stops the start like
    # Ctrl-C does, instead of killing the process mid-migration.
    signal.signal(signal.SIGTERM, _interrupt)
    check_storage(settings)
    run_bot(settings, webhook_url=args.webhook_url, listen=args.listen, port=args.port)
    # Stopped cleanly: a late second signal (a wrapper forwarding the first) changes nothing.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    return 0


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    from bot.status import collect, render

    report = collect(settings)
    sys.stdout.write(json.dumps(report, ensure_ascii=False, indent=2) + "\n" if args.json
                     else render(report))
    return 0 if report["database"]["ok"] else 1


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    """A chat's topics and feeds as OPML 2.0, like /export: on stdout, or in --output."""
    from sqlalchemy.engine import make_url

    from bot.opml import export_chat
    from bot.store import Store

    url = make_url(settings.effective_database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:") \
            and not Path(str(url.database)).exists():
        raise InputError(f"no database file at {url.database} (newsbot run creates it)")
    store = Store.from_settings(settings)
    try:
        if store.chats.get(args.chat) is None:
            raise InputError(f"chat {args.chat} is unknown: the bot has never talked to it "
                             "(newsbot status counts the chats it knows)")
        count = len(store.subscriptions.for_chat(args.chat))
        document = export_chat(settings, store, args.chat)
    finally:
        store.close()
    if args.output is None:
        sys.stdout.write(document.decode("utf-8"))
    else:
        try:
            Path(args.output).write_bytes(document)
        except OSError as exc:
            raise UnreadableInput(
                f"cannot write {args.output}: {exc.strerror or exc}") from exc
    if count == 0:
        sys.stderr.write(f"newsbot: note: chat {args.chat} follows no topic or feed; "
                         "the file lists none\n")
    return 0


def _chat_id(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a chat id (a whole number, negative for groups)") from None


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _emit_jsonl(rec: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(rec, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _fail(exc: NewsbotError, *, multi: bool, raw: str) -> None:
    prefix = f"{raw}: " if multi and raw not in str(exc) else ""
    sys.stderr.write(_redact(f"newsbot: error: {prefix}{exc}") + "\n")


# --- entry point --------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsbot",
        description="Turn news links into short, faithful points of attention.",
    )
    parser.add_argument("--version", action="version", version=f"newsbot {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more (to stderr)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    # `-v` after the subcommand too (`newsbot summarize -v URL`); SUPPRESS keeps the
    # subparser from resetting a `-v` given before it.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                        help="log more (to stderr)")

    p = sub.add_parser("summarize", parents=[common],
                       help="summarize articles (URLs, .html/.txt files, - for stdin)")
    p.add_argument("inputs", nargs="+", metavar="INPUT")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="one JSON object (an array for many)")
    fmt.add_argument("--jsonl", action="store_true", help="one JSON object per input per line")
    p.add_argument("--lang", metavar="CODE", type=_language,
                   help="language of the points, an ISO 639-1 code such as de or uk "
                        "(needs a model; default: the article's)")

    p = sub.add_parser("extract", parents=[common],
                       help="show the article text newsbot reads from a page")
    p.add_argument("inputs", nargs="+", metavar="PATH_OR_URL")
    p.add_argument("--jsonl", action="store_true", help="one JSON object per input per line")

    p = sub.add_parser("run", parents=[common], help="run the Telegram bot")
    p.add_argument("--webhook-url", metavar="URL", help="serve a webhook instead of polling")
    p.add_argument("--listen", default="0.0.0.0", metavar="ADDR",  # noqa: S104 - a server's job
                   help="webhook listen address (default 0.0.0.0)")
    p.add_argument("--port", type=int, default=8443, metavar="N",
                   help="webhook port (default 8443)")

    p = sub.add_parser("status", parents=[common],
                       help="database, chats, topics, last digest round, what is due")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser("digest", parents=[common],
                       help="print one topic's digest of the last day")
    p.add_argument("topic", metavar="TOPIC", help='free text ("North Korea") or a feed URL')
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--since", type=_positive_hours, default=24.0, metavar="HOURS",
                   help="news of the last HOURS hours (default 24)")
    p.add_argument("--max-stories", type=_story_count, default=None, metavar="N",
                   help="at most N stories (default DIGEST_MAX_STORIES, 5)")

    p = sub.add_parser("export", parents=[common],
                       help="a chat's topics and feeds as an OPML file (like /export)")
    p.add_argument("--chat", type=_chat_id, required=True, metavar="ID",
                   help="the Telegram chat id (negative for groups)")
    p.add_argument("--output", "-o", metavar="FILE", help="write the OPML here, not to stdout")
    return parser


def _configure_logging(settings: Settings, verbose: bool) -> None:
    from bot import logs

    level = logging.DEBUG if verbose else getattr(logging, settings.log_level, logging.INFO)
    global _redact
    _redact = logs.setup(
        level=level, fmt=settings.log_format,
        secrets=(
            secret.get_secret_value()
            for secret in (settings.telegram_bot_token, settings.telegram_webhook_secret,
                           settings.openai_api_key)
            if secret is not None
        ),
    )


def setting_problem(exc: ValidationError) -> str:
    """One line naming the first bad setting and what is wrong with it (secrets not shown)."""
    first = exc.errors()[0]
    where = ".".join(str(x) for x in first["loc"]).upper()
    message = str(first["msg"]).removeprefix("Value error, ")
    value = first.get("input")
    # REDIS_URL may carry a password (redis://:pw@host).
    secret = any(word in where for word in ("TOKEN", "KEY", "SECRET", "REDIS_URL"))
    if isinstance(value, str) and not secret and value not in message:
        message = f"{value!r}: {message}"
    return f"setting {where}: {message}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as exc:
        sys.stderr.write(f"newsbot: error: {setting_problem(exc)}\n")
        return 2
    if args.command in ("summarize", "extract", "digest", "status", "export"):
        # A terminal user wants results on stdout and only warnings on stderr.
        _configure_logging(settings.model_copy(update={"log_level": "WARNING"}), args.verbose)
    else:
        _configure_logging(settings, args.verbose)
    try:
        if args.command == "run":
            return cmd_run(args, settings)
        if args.command == "status":
            return cmd_status(args, settings)
        if args.command == "export":
            return cmd_export(args, settings)
        handler = {
            "summarize": cmd_summarize, "extract": cmd_extract, "digest": cmd_digest,
        }[args.command]
        return asyncio.run(handler(args, settings))
    except NewsbotError as exc:
        # `bare_message`: the message is the whole diagnosis (Telegram refusing the token).
        label = "" if getattr(exc, "bare_message", False) else "error: "
        sys.stderr.write(_redact(f"newsbot: {label}{exc}") + "\n")
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("newsbot: interrupted\n")
        return 130
    except BrokenPipeError:  # `newsbot … | head`
        return 0
    except Exception as exc:  # last line of defence: one line, never a traceback
        log.debug("unexpected error", exc_info=True)
        sys.stderr.write(_redact(f"newsbot: internal error: {type(exc).__name__}: {exc}") + "\n")
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
