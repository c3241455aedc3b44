"""The process's Prometheus metrics: the one module that owns prometheus_client.

Call sites record with one line (`metrics.link_failed(exc)`); `render()` is what /metrics
serves. Counters are process-wide (one bot per process), in a registry of our own so that
nothing else registered in the default one leaks into /metrics.
"""

from __future__ import annotations

import re

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

REGISTRY = CollectorRegistry(auto_describe=True)
CONTENT_TYPE = CONTENT_TYPE_LATEST

LINKS = Counter("newsbot_links_total", "Links answered, by result and cause of failure",
                ["result", "cause"], registry=REGISTRY)
MODEL_CALLS = Counter("newsbot_model_calls_total", "Requests to the model endpoint, by outcome",
                      ["outcome"], registry=REGISTRY)
MODEL_TOKENS = Counter("newsbot_model_tokens_total", "Tokens the model endpoint reported",
                       ["kind"], registry=REGISTRY)
FALLBACKS = Counter("newsbot_extractive_fallbacks_total",
                    "Summaries where the extractive summarizer stood in for the model",
                    registry=REGISTRY)
DIGESTS = Counter("newsbot_digests_total", "Scheduled digests, by result", ["result"],
                  registry=REGISTRY)
ROUND_SECONDS = Histogram("newsbot_digest_round_seconds", "Duration of one digest round",
                          buckets=(0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600), registry=REGISTRY)
DUE_CHATS = Gauge("newsbot_due_chats", "Chats whose digest was due in the last round",
                  registry=REGISTRY)
LAST_ROUND = Gauge("newsbot_last_digest_round_timestamp_seconds",
                   "When the last digest round finished (Unix time)", registry=REGISTRY)
TELEGRAM_429 = Counter("newsbot_telegram_429_total",
                       "Bot API answers 'Too Many Requests' (RetryAfter)", registry=REGISTRY)
TELEGRAM_RETRIES = Counter("newsbot_telegram_retries_total",
                           "Bot API requests sent again, by reason", ["reason"], registry=REGISTRY)
FETCH_FAILURES = Counter("newsbot_fetch_failures_total", "Page and feed fetches that failed",
                         ["cause"], registry=REGISTRY)

LINKS.labels("summarized", "")  # shown at 0 before the first link
for _result in ("sent", "failed"):
    DIGESTS.labels(_result)


def cause(exc: BaseException) -> str:
    """A label for an error: its class in snake case (HTTPStatusError → http_status_error)."""
    name = type(exc).__name__
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


def link_summarized() -> None:
    LINKS.labels("summarized", "").inc()


def link_failed(exc: BaseException) -> None:
    LINKS.labels("failed", cause(exc)).inc()


def model_call(outcome: str, prompt_tokens: int = 0, completion_tokens: int = 0) -> None:
    MODEL_CALLS.labels(outcome).inc()
    if prompt_tokens:
        MODEL_TOKENS.labels("prompt").inc(prompt_tokens)
    if completion_tokens:
        MODEL_TOKENS.labels("completion").inc(completion_tokens)


def fallback() -> None:
    FALLBACKS.inc()


def digest_round(seconds: float, *, due: int, sent: int, failed: int, finished_at: float) -> None:
    ROUND_SECONDS.observe(seconds)
    DUE_CHATS.set(due)
    DIGESTS.labels("sent").inc(sent)
    DIGESTS.labels("failed").inc(failed)
    LAST_ROUND.set(finished_at)


def telegram_429() -> None:
    TELEGRAM_429.inc()


def telegram_retry(reason: str) -> None:
    TELEGRAM_RETRIES.labels(reason).inc()


def fetch_failed(exc: BaseException) -> None:
    FETCH_FAILURES.labels(cause(exc)).inc()


def render() -> bytes:
    return generate_latest(REGISTRY)
