"""Typed settings, read once from the environment (and `.env`) in `main()` and passed down."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

GOOGLE_NEWS_SEARCH = "https://news.google.com/rss/search?q={query}&hl={lang}&gl=US&ceid=US:{lang}"
BING_NEWS_SEARCH = "https://www.bing.com/news/search?q={query}&format=rss&setlang={lang}"


def _split_csv(value: object) -> object:
    """Accept `a,b, c` from the environment as well as a real list."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


CsvList = Annotated[list[str], NoDecode]

# `postgres://` (Heroku, most hosting panels) and bare `postgresql://` would make SQLAlchemy
# look for psycopg2 (or fail on the `postgres` name); the installed driver is psycopg 3.
_POSTGRES_SCHEMES = ("postgres://", "postgresql://")
PSYCOPG_SCHEME = "postgresql+psycopg://"


def _empty_is_unset(value: object) -> object:
    """`TOKEN=` as copied from .env.example means "not set", not "the empty string"."""
    if isinstance(value, str) and not value.strip():
        return None
    return value


def is_local_endpoint(base_url: str | None) -> bool:
    """A loopback, private-network or single-label host (`ollama:11434` in Docker)."""
    if not base_url:
        return False
    host = (urlsplit(base_url).hostname or "").strip("[]").lower()
    if not host:
        return False
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal", ".lan")):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return "." not in host
    return ip.is_loopback or ip.is_private or ip.is_link_local


# Telegram's limit for a bot sending paid broadcasts (allow_paid_broadcast).
PAID_BROADCAST_RATE = 1000


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    # --- summarizer -------------------------------------------------------------------
    summarizer: Literal["auto", "llm", "extractive"] = "auto"
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    openai_model: str = "gpt-4o-mini"
    llm_max_input_tokens: int = Field(default=6000, ge=500)
    llm_timeout: float = Field(default=60.0, gt=0)
    llm_max_retries: int = Field(default=3, ge=1, le=10)
    # Sampling: 0 keeps small models from wandering off the article (llama.cpp's default
    # is 0.8, OpenAI's 1.0); the output cap leaves room for 5 points with citations.
    llm_temperature: float = Field(default=0.0, ge=0, le=2)
    llm_max_output_tokens: int = Field(default=400, ge=64)
    # Model work per article: beyond this many tokens only the first part is summarized.
    llm_max_article_tokens: int = Field(default=24_000, ge=500)
    # Requests in flight to the endpoint at once (None: 1 for a local server, 4 hosted).
    llm_concurrency: int | None = Field(default=None, ge=1)
    # A second call that checks each point against its cited sentences (None: on for
    # hosted endpoints, off for a local OPENAI_BASE_URL, where every call costs seconds).
    llm_verify: bool | None = None

    # --- fetching ---------------------------------------------------------------------
    fetch_timeout: float = Field(default=15.0, gt=0)
    fetch_max_bytes: int = Field(default=5 * 1024 * 1024, gt=0)
    fetch_allow_private_hosts: CsvList = Field(default_factory=list)
    # A 5 MB feed holds ~30,000 items; parsing and clustering them all froze the bot.
    feed_max_items: int = Field(default=300, ge=1)
    fetch_user_agent: str = (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0 Safari/537.36 newsbot/0.1"
    )

    # --- telegram ---------------------------------------------------------------------
    telegram_bot_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    telegram_webhook_secret: SecretStr | None = None
    # Paid broadcasts (Telegram Stars per message above the free limit): digests go out
    # with allow_paid_broadcast, and the bot's send limit is 1,000 messages/s, not 30.
    telegram_paid_broadcast: bool = False
    allowed_users: CsvList = Field(default_factory=list)
    rate_limit_links: int = Field(default=10, ge=1)
    rate_limit_window: int = Field(default=600, ge=1, description="seconds")
    max_concurrent_jobs: int = Field(default=4, ge=1)
    max_links_per_message: int = Field(default=3, ge=1)
    link_job_timeout: float = Field(default=120.0, gt=0, description="seconds per link job")
    digest_on_demand_per_hour: int = Field(default=3, ge=1, description="/digest per chat")
    # Telegram's limit for one bot (all chats, all replicas together); paid broadcasts allow
    # more, and the setting that turns them on raises this.
    telegram_messages_per_second: int = Field(default=30, ge=1)

    # --- store ------------------------------------------------------------------------
    newsbot_data_dir: Path = Path("./data")
    database_url: str | None = None
    cache_ttl_days: int = Field(default=7, ge=1, description="days a cached article is kept")
    # Replicas share budgets, Telegram's send limits and in-flight links through Redis
    # (`redis://host:6379/0`); unset, one process keeps them in memory.
    redis_url: str | None = None

    # --- news and digests -------------------------------------------------------------
    news_search_feeds: CsvList = Field(
        default_factory=lambda: [GOOGLE_NEWS_SEARCH, BING_NEWS_SEARCH]
    )
    gdelt_enabled: bool = False
    # Google News links are tokens; resolve them to the publisher's article (paced, cached).
    google_news_decode: bool = True
    google_news_url: str = "https://news.google.com"
    digest_max_stories: int = Field(default=5, ge=1, le=20)
    digest_default_time: str = "08:00"
    digest_default_timezone: str = "UTC"
    max_topics_per_chat: int = Field(default=20, ge=1)

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    # /healthz and /metrics on this port (off when unset or empty).
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    # `text` for people, `json` (one object per line) for log collectors.
    log_format: Literal["text", "json"] = "text"

    _unset = field_validator(
        "telegram_bot_token", "openai_api_key", "openai_base_url", "database_url", "redis_url",
        mode="before",
    )(_empty_is_unset)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower_format(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _database_driver(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        for scheme in _POSTGRES_SCHEMES:
            if value.startswith(scheme):
                return PSYCOPG_SCHEME + value[len(scheme):]
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if urlsplit(value).scheme not in ("redis", "rediss", "unix"):
            raise ValueError("expected redis://host:6379/0 (or rediss:// for TLS)")
        return value

    @field_validator("digest_default_time")
    @classmethod
    def _digest_time(cls, value: str) -> str:
        from bot.schedule import format_digest_time, parse_digest_time

        return format_digest_time(parse_digest_time(value))

    @field_validator("digest_default_timezone")
    @classmethod
    def _digest_zone(cls, value: str) -> str:
        from bot.schedule import valid_timezone

        value = value.strip()
        if not valid_timezone(value):
            raise ValueError(f"unknown timezone {value!r} (expected an IANA name like Europe/Kyiv)")
        return value

    @field_validator("llm_concurrency", "llm_verify", mode="before")
    @classmethod
    def _empty_is_auto(cls, value: object) -> object:
        # `LLM_CONCURRENCY=` as copied from .env.example means "pick for me".
        return None if isinstance(value, str) and not value.strip() else value

    _csv = field_validator(
        "fetch_allow_private_hosts", "allowed_users", "news_search_feeds", mode="before"
    )(_split_csv)

    @field_validator("metrics_port", mode="before")
    @classmethod
    def _empty_is_off(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.newsbot_data_dir / 'newsbot.sqlite3'}"

    @property
    def telegram_send_rate(self) -> int:
        """Messages a second Telegram lets the whole bot send."""
        if self.telegram_paid_broadcast:
            return max(self.telegram_messages_per_second, PAID_BROADCAST_RATE)
        return self.telegram_messages_per_second

    @property
    def llm_is_local(self) -> bool:
        """Is the endpoint a server on this machine or network (Ollama, llama.cpp)?"""
        return is_local_endpoint(self.openai_base_url)

    @property
    def effective_llm_concurrency(self) -> int:
        if self.llm_concurrency is not None:
            return self.llm_concurrency
        return 1 if self.llm_is_local else 4

    @property
    def effective_llm_verify(self) -> bool:
        return self.llm_verify if self.llm_verify is not None else not self.llm_is_local

    @property
    def use_llm(self) -> bool:
        """`auto` picks the LLM when an endpoint or key is configured."""
        if self.summarizer == "llm":
            return True
        if self.summarizer == "extractive":
            return False
        return bool(self.openai_api_key or self.openai_base_url)
