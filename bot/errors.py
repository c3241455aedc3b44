"""The error tree every layer below the UI raises.

    NewsbotError
    ├── InputError            bad input the user can fix (CLI exit 2)
    │   ├── InvalidURL        not an http(s) URL, no host, unparsable
    │   ├── BlockedAddress    resolves to loopback/private/reserved/... (SSRF guard)
    │   ├── UnreadableInput   a local file that can't be read
    │   └── ConfigError       settings the bot cannot start with (bot.preflight)
    │       ├── TelegramRefused  Telegram refused the token or API URL (bot.telegram.app)
    │       └── PollingConflict  another process polls this bot: 409 (bot.telegram.app)
    ├── FetchError            the page could not be fetched (CLI exit 3)
    │   ├── HTTPStatusError   the server answered 4xx/5xx
    │   ├── FetchTimeout      no answer within FETCH_TIMEOUT
    │   ├── TooLarge          more than FETCH_MAX_BYTES
    │   ├── NotHTML           a content type the caller does not accept (HTML, or a feed's)
    │   ├── TooManyRedirects  more than 5 redirects
    │   └── FeedError         an answer that is not a feed we can read (bot.news.source)
    ├── ExtractionError       no article text in the page (CLI exit 4)
    ├── SummarizerError       the model failed after retries (callers fall back)
    │   └── GarbageError      it answered, never usably (bot.summarize.chat)
    ├── StoreError            the store refused an operation (a rule, not an outage)
    │   ├── DuplicateTopic    the chat already follows this topic
    │   └── TooManyTopics     the chat follows the most topics allowed
    ├── RecipientGone         the chat can't receive messages any more
    ├── JobTimeout            a link job ran past LINK_JOB_TIMEOUT (bot.telegram.jobs)
    └── DecodeError           a Google News link without a publisher URL (bot.news.google)

Classes named with a module are defined there, next to their only raiser; the rest here.
Fetch's private retry markers (`_RetryableStatus`, `_NetworkError`) reach callers as the
HTTPStatusError and FetchError they subclass.
Messages are for logs and the CLI's one stderr line; user-facing wording in Telegram
lives in ``bot/telegram/`` and maps on the class, not on the text.
"""

from __future__ import annotations


class NewsbotError(Exception):
    """Base of every error newsbot raises on purpose."""

    exit_code = 1


class InputError(NewsbotError):
    exit_code = 2


class InvalidURL(InputError):
    pass


class BlockedAddress(InputError):
    pass


class UnreadableInput(InputError):
    pass


class FetchError(NewsbotError):
    exit_code = 3


class HTTPStatusError(FetchError):
    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


class FetchTimeout(FetchError):
    pass


class TooLarge(FetchError):
    pass


class NotHTML(FetchError):
    pass


class TooManyRedirects(FetchError):
    pass


class ExtractionError(NewsbotError):
    exit_code = 4


class SummarizerError(NewsbotError):
    """The model could not produce points (after retries); callers fall back to extractive."""


class StoreError(NewsbotError):
    """The store refused an operation (a rule about the stored data, not a database outage)."""


class DuplicateTopic(StoreError):
    """The chat already follows this topic (compared after normalisation)."""

    def __init__(self, topic: str) -> None:
        super().__init__(f"already subscribed to {topic!r}")
        self.topic = topic


class TooManyTopics(StoreError):
    """The chat already follows `limit` topics."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"a chat may follow at most {limit} topics")
        self.limit = limit


class RecipientGone(NewsbotError):
    """The chat can't receive messages any more (the user blocked the bot, chat deleted)."""
