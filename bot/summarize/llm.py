"""The LLM summarizer: any OpenAI-compatible chat endpoint (OpenAI, Ollama, vLLM, llama.cpp).

The only module that imports `openai`. Everything the SDK can throw is translated here into
`SummarizerError`, whose message is the reason callers show when they fall back
("model unavailable: HTTP 500").

Servers differ in what structured output they accept, so the request degrades step by step:
`json_schema` (OpenAI, vLLM, Ollama) → `json_object` with a `schema` (llama.cpp's Python
server, which answers `json_schema` with HTTP 500) → no `response_format` at all; the first
mode that works is remembered per instance. Whatever comes back is validated: JSON, JSON in
a code fence, or bullet lines are accepted; anything else counts as a failed attempt.
"""

from __future__ import annotations

import asyncio
import email.utils
import enum
import json
import logging
import random
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any

import openai
from openai.types.chat import ChatCompletion, ChatCompletionMessageParam
from pydantic import SecretStr
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from bot import metrics
from bot.article import Article, Summary
from bot.config import Settings
from bot.errors import SummarizerError
from bot.summarize.chunking import estimate_tokens, split_for_budget

log = logging.getLogger(__name__)

PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"
MAX_POINTS = 5
MIN_POINTS = 2
OPENAI_BASE_URL = "https://api.openai.com/v1"
# Local servers ignore the key, but the SDK refuses to start without one.
DUMMY_API_KEY = "not-needed"
# A server that asks for a longer pause than this is treated as down: a user is waiting.
RETRY_AFTER_CAP = 20.0
MAX_BACKOFF = 8.0
# Parts of a long article summarized at once: enough to be quick, few enough that a
# single-GPU local server is not swamped by one article.
PART_CONCURRENCY = 3
# Below this the prompts don't leave room for a useful part (LLM_MAX_INPUT_TOKENS too small).
MIN_DATA_TOKENS = 200
_MARGIN = 16  # rounding in the per-message estimates, the separators between blocks

POINTS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "points": {
            "type": "array",
            "items": {"type": "string"},
            "minItems": 1,
            "maxItems": MAX_POINTS,
        }
    },
    "required": ["points"],
    "additionalProperties": False,
}

LANGUAGE_NAMES = {
    "ar": "Arabic", "be": "Belarusian", "bg": "Bulgarian", "cs": "Czech", "da": "Danish",
    "de": "German", "el": "Greek", "en": "English", "es": "Spanish", "et": "Estonian",
    "fa": "Persian", "fi": "Finnish", "fr": "French", "he": "Hebrew", "hi": "Hindi",
    "hu": "Hungarian", "id": "Indonesian", "it": "Italian", "ja": "Japanese", "ka": "Georgian",
    "kk": "Kazakh", "ko": "Korean", "lt": "Lithuanian", "lv": "Latvian", "nl": "Dutch",
    "no": "Norwegian", "pl": "Polish", "pt": "Portuguese", "ro": "Romanian", "ru": "Russian",
    "sk": "Slovak", "sl": "Slovenian", "sr": "Serbian", "sv": "Swedish", "tr": "Turkish",
    "uk": "Ukrainian", "vi": "Vietnamese", "zh": "Chinese",
}  # fmt: skip

_TAG = re.compile(r"<(\s*/?\s*(?:article|points)\b)", re.IGNORECASE)
_THINK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
_FENCE = re.compile(r"```[\w-]*[ \t]*\n?(.*?)```", re.DOTALL)
_BULLET_LINE = re.compile(r"^\s*(?:[-*•·–—]|\d{1,2}[.)])\s+(\S.*)$")
_LEADING_MARK = re.compile(r"^(?:[-*•·–—]+|\d{1,2}[.)])\s+")
_REJECTED_FORMAT = re.compile(
    r"response_format|json_schema|json_object|input should be", re.IGNORECASE
)


class ResponseMode(enum.Enum):
    """How structured output is asked for, from strictest to none."""

    JSON_SCHEMA = "json_schema"
    JSON_OBJECT = "json_object"
    PLAIN = "plain"

    def response_format(self) -> dict[str, Any] | None:
        if self is ResponseMode.JSON_SCHEMA:
            return {
                "type": "json_schema",
                "json_schema": {"name": "points", "strict": True, "schema": POINTS_SCHEMA},
            }
        if self is ResponseMode.JSON_OBJECT:
            # llama.cpp reads `schema` here and constrains its grammar with it.
            return {"type": "json_object", "schema": POINTS_SCHEMA}
        return None

    def weaker(self) -> ResponseMode | None:
        order = list(ResponseMode)
        i = order.index(self)
        return order[i + 1] if i + 1 < len(order) else None


@dataclass(frozen=True, slots=True)
class Prompts:
    """The prompt texts, kept in `prompts/` so they can be reviewed and tuned as text."""

    system: str
    user: Template  # $min_points $max_points $language $notes $article
    merge: Template  # $min_points $max_points $language $notes $points
    part_note: Template  # $part $parts
    teaser_note: str

    @classmethod
    def load(cls, directory: Path = PROMPTS_DIR) -> Prompts:
        def read(name: str) -> str:
            return (directory / name).read_text(encoding="utf-8").strip()

        return cls(
            system=read("system.txt"),
            user=Template(read("user.txt")),
            merge=Template(read("merge.txt")),
            part_note=Template(read("part_note.txt")),
            teaser_note=read("teaser_note.txt"),
        )


class InvalidReply(ValueError):
    """The model answered, but not with usable points."""


def parse_points(content: str, *, max_points: int = MAX_POINTS) -> list[str]:
    """Read points from a reply: a JSON object (maybe in a code fence) or bullet lines."""
    text = _THINK.sub("", content).strip()
    fence = _FENCE.search(text)
    if fence:
        text = fence.group(1).strip()
    items = _json_items(text)
    if items is None:
        items = [m.group(1) for line in text.splitlines() if (m := _BULLET_LINE.match(line))]
    points: list[str] = []
    seen: set[str] = set()
    for item in items:
        point = _LEADING_MARK.sub("", item.strip()).strip()
        if point and point.casefold() not in seen:
            seen.add(point.casefold())
            points.append(point)
    if not points:
        raise InvalidReply(f"no points in the reply: {content[:80]!r}")
    return points[:max_points]


def _json_items(text: str) -> list[str] | None:
    """The strings of a `{"points": [...]}` (or bare list) reply; None if it is not JSON."""
    data: Any
    try:
        data = json.loads(text)
    except ValueError:
        start, end = text.find("{"), text.rfind("}")
        if start < 0 or end <= start:
            return None
        try:
            data = json.loads(text[start : end + 1])
        except ValueError:
            return None
    if isinstance(data, dict):
        data = data.get("points")
    if not isinstance(data, list):
        raise InvalidReply("JSON reply without a list of points")
    return [item for item in data if isinstance(item, str)]


def neutralise_tags(text: str) -> str:
    """Make `<article>`/`</article>` (and `<points>`) in untrusted text inert."""
    return _TAG.sub(r"‹\1", text)


def language_name(code: str | None) -> str:
    if not code:
        return "the language of the article"
    base = re.split(r"[-_]", code.strip())[0].lower()
    return LANGUAGE_NAMES.get(base, code)


class _Failure(Exception):
    """One failed attempt; `reason` ends up in `Summary.fallback_reason`."""

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class _Transient(_Failure):
    """Worth another attempt: 429, 5xx, timeout, connection error."""


class _Fatal(_Failure):
    """Another attempt would fail the same way: 401, 404, a 400 in every format."""


class _Garbage(_Failure):
    """The server answered 200 with no usable points."""


class LLMSummarizer:
    """Summarize with a chat model; raise `SummarizerError` when the model can't deliver."""

    def __init__(
        self,
        *,
        model: str,
        base_url: str | None = None,
        api_key: SecretStr | None = None,
        max_input_tokens: int = 6000,
        timeout: float = 60.0,
        max_retries: int = 3,
        prompts: Prompts | None = None,
        backoff: float = 0.5,
    ) -> None:
        self.model = model
        self.name = f"llm:{model}"
        self._base_url = base_url or OPENAI_BASE_URL
        self._api_key = api_key
        self._max_input_tokens = max_input_tokens
        self._timeout = timeout
        self._max_retries = max_retries
        self._backoff = backoff
        self._prompts = prompts or Prompts.load()
        self._mode = ResponseMode.JSON_SCHEMA
        self._client: openai.AsyncOpenAI | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> LLMSummarizer:
        return cls(
            model=settings.openai_model,
            base_url=settings.openai_base_url,
            api_key=settings.openai_api_key,
            max_input_tokens=settings.llm_max_input_tokens,
            timeout=settings.llm_timeout,
            max_retries=settings.llm_max_retries,
        )

    def __repr__(self) -> str:  # never the key
        return f"LLMSummarizer(model={self.model!r}, base_url={self._base_url!r})"

    @property
    def response_mode(self) -> ResponseMode:
        """The structured-output mode the server was last seen to accept."""
        return self._mode

    async def aclose(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await client.close()

    # -- the use case ------------------------------------------------------------------
    async def summarize(self, article: Article, *, lang: str | None = None) -> Summary:
        language = lang or article.language
        teaser = article.is_teaser
        # A teaser may hold a single fact; asking for two would invite invention.
        min_points = 1 if teaser else MIN_POINTS
        notes = [self._prompts.teaser_note] if teaser else []
        # CPU-bound on long texts (~1.4 s for 3 MB): off the event loop, like extraction.
        parts = await asyncio.to_thread(
            split_for_budget, article.text, self._text_budget(article.title, language, notes)
        )
        if not parts:
            raise SummarizerError("nothing to summarize: the article has no text")
        if len(parts) == 1:
            points = await self._complete(
                self._article_messages(article.title, parts[0], language, notes, min_points),
                min_points=min_points,
            )
        else:
            points = await self._summarize_parts(article.title, parts, language, notes)
        return Summary(
            points=points,
            summarizer=self.name,
            language=language,
            partial=teaser,
            notes=[f"summarized in {len(parts)} parts"] if len(parts) > 1 else [],
        )

    async def _summarize_parts(
        self, title: str, parts: list[str], language: str | None, notes: list[str]
    ) -> list[str]:
        gate = asyncio.Semaphore(PART_CONCURRENCY)

        async def one(i: int, text: str) -> list[str]:
            note = self._prompts.part_note.substitute(part=i + 1, parts=len(parts))
            messages = self._article_messages(title, text, language, [*notes, note], 1)
            async with gate:
                return await self._complete(messages, min_points=1)

        partials = list(await asyncio.gather(*(one(i, p) for i, p in enumerate(parts))))
        return await self._merge(partials, language, notes)

    async def _merge(
        self, partials: list[list[str]], language: str | None, notes: list[str]
    ) -> list[str]:
        """Merge partial points; in rounds when they don't fit one call (very long texts)."""
        budget = self._budget(self._merge_messages("", language, notes))
        while True:
            groups = _groups(partials, budget)
            if len(groups) == 1:
                return await self._complete(
                    self._merge_messages(_points_text(groups[0]), language, notes),
                    min_points=MIN_POINTS,
                )

            async def merge(group: list[list[str]]) -> list[str]:
                if len(group) == 1:  # nothing to merge it with in this round
                    return group[0]
                return await self._complete(
                    self._merge_messages(_points_text(group), language, notes), min_points=1
                )

            partials = list(await asyncio.gather(*(merge(g) for g in groups)))

    async def complete(self, system: str, user: str, *, min_points: int = 1) -> list[str]:
        """One logical call with prompts built elsewhere (multi-source digests): retries,
        response-format fallback and reply validation as for an article; SummarizerError."""
        messages: list[ChatCompletionMessageParam] = [
            {"role": "system", "content": system},
            {"role": "user", "content": user},
        ]
        return await self._complete(messages, min_points=min_points)

    # -- prompts -----------------------------------------------------------------------
    def _budget(self, empty: list[ChatCompletionMessageParam]) -> int:
        """Tokens left for data in messages that cost `empty` without it."""
        overhead = sum(estimate_tokens(str(m["content"])) for m in empty) + _MARGIN
        return max(self._max_input_tokens - overhead, MIN_DATA_TOKENS)

    def _text_budget(self, title: str, language: str | None, notes: list[str]) -> int:
        # Priced with the longest note a part can carry, so that every part fits.
        note = self._prompts.part_note.substitute(part=999, parts=999)
        return self._budget(self._article_messages(title, "", language, [*notes, note], 1))

    def _article_messages(
        self, title: str, text: str, language: str | None, notes: list[str], min_points: int
    ) -> list[ChatCompletionMessageParam]:
        article = f"Title: {title}\n\n{text}" if title else text
        user = self._prompts.user.substitute(
            min_points=min_points,
            max_points=MAX_POINTS,
            language=language_name(language),
            notes="\n".join(notes),
            article=neutralise_tags(article),
        )
        return [
            {"role": "system", "content": self._prompts.system},
            {"role": "user", "content": user},
        ]

    def _merge_messages(
        self, points: str, language: str | None, notes: list[str]
    ) -> list[ChatCompletionMessageParam]:
        user = self._prompts.merge.substitute(
            min_points=MIN_POINTS,
            max_points=MAX_POINTS,
            language=language_name(language),
            notes="\n".join(notes),
            points=neutralise_tags(points),
        )
        return [
            {"role": "system", "content": self._prompts.system},
            {"role": "user", "content": user},
        ]

    # -- one logical call: retries around attempts -------------------------------------
    async def _complete(
        self, messages: list[ChatCompletionMessageParam], *, min_points: int
    ) -> list[str]:
        garbage_seen = 0

        def retryable(exc: BaseException) -> bool:
            nonlocal garbage_seen
            if isinstance(exc, _Garbage):
                # A model that babbled once may do better; twice, it won't.
                garbage_seen += 1
                return garbage_seen <= 1
            return isinstance(exc, _Transient)

        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._max_retries),
            wait=self._wait,
            retry=retry_if_exception(retryable),
            before_sleep=_log_retry,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._attempt(messages, min_points)
        except _Failure as exc:
            unusable = isinstance(exc, _Garbage)
            kind = "model gave no usable points" if unusable else "model unavailable"
            raise SummarizerError(f"{kind}: {exc.reason}") from exc
        raise AssertionError("unreachable: tenacity either returns or re-raises")

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Failure) and exc.retry_after is not None:
            return min(exc.retry_after, RETRY_AFTER_CAP)
        delay = min(self._backoff * 2.0 ** (state.attempt_number - 1), MAX_BACKOFF)
        return delay * random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not crypto

    async def _attempt(
        self, messages: list[ChatCompletionMessageParam], min_points: int
    ) -> list[str]:
        mode: ResponseMode | None = self._mode
        while mode is not None:
            try:
                content = await self._request(messages, mode)
            except openai.APIStatusError as exc:
                weaker = mode.weaker()
                if weaker is not None and _rejects_format(exc):
                    log.info(
                        "%s rejected response_format %s (HTTP %s); trying %s",
                        self._base_url,
                        mode.value,
                        exc.status_code,
                        weaker.value,
                    )
                    mode = weaker
                    continue
                raise _status_failure(exc) from exc
            except openai.APITimeoutError as exc:
                raise _Transient(f"timeout after {self._timeout:g}s") from exc
            except openai.APIConnectionError as exc:
                raise _Transient("connection error") from exc
            except openai.OpenAIError as exc:
                raise _Fatal(type(exc).__name__) from exc
            except ValueError as exc:  # a 200 whose body is not JSON (or not UTF-8)
                raise _Garbage("unreadable response body") from exc
            try:
                points = parse_points(content)
            except InvalidReply as exc:
                raise _Garbage(str(exc)) from exc
            if len(points) < min_points:
                raise _Garbage(f"{len(points)} point(s), wanted at least {min_points}")
            if mode is not self._mode:
                log.info("%s: using response_format mode %s", self._base_url, mode.value)
                self._mode = mode  # remembered only once it has worked
            return points
        raise AssertionError("unreachable: PLAIN has no weaker mode")

    async def _request(self, messages: list[ChatCompletionMessageParam], mode: ResponseMode) -> str:
        fmt = mode.response_format()
        try:
            completion: Any = await self._openai().chat.completions.create(
                model=self.model,
                messages=messages,
                response_format=fmt if fmt is not None else openai.omit,  # type: ignore[arg-type]
                timeout=self._timeout,
            )
        except openai.OpenAIError as exc:
            metrics.model_call(metrics.cause(exc))
            raise
        usage = getattr(completion, "usage", None)
        metrics.model_call("ok", getattr(usage, "prompt_tokens", 0) or 0,
                           getattr(usage, "completion_tokens", 0) or 0)
        # A non-JSON content type makes the SDK hand back the raw text instead.
        if not isinstance(completion, ChatCompletion):
            raise _Garbage("the reply was not a chat completion")
        try:
            choice = completion.choices[0]
            content = choice.message.content
        except (AttributeError, IndexError, TypeError) as exc:
            raise _Garbage("a completion without choices") from exc
        if not content:
            raise _Garbage(f"empty message (finish_reason={choice.finish_reason})")
        return str(content)

    def _openai(self) -> openai.AsyncOpenAI:
        # Created on first use, inside the running loop, and closed by `aclose`.
        if self._client is None:
            key = self._api_key.get_secret_value() if self._api_key else DUMMY_API_KEY
            self._client = openai.AsyncOpenAI(
                api_key=key,
                base_url=self._base_url,
                timeout=self._timeout,
                max_retries=0,  # tenacity retries here, with our own budget
            )
        return self._client


def _rejects_format(exc: openai.APIStatusError) -> bool:
    """Does this error mean "I don't do that response_format" (not a general failure)?"""
    if exc.status_code in (400, 422):
        return True  # a bad request in this mode may well be fine in a simpler one
    detail = f"{exc.message} {exc.body!r}"
    return exc.status_code >= 500 and bool(_REJECTED_FORMAT.search(detail))


def _status_failure(exc: openai.APIStatusError) -> _Failure:
    reason = f"HTTP {exc.status_code}"
    if exc.status_code == 429:
        return _Transient(reason, retry_after=_retry_after(exc.response.headers))
    if exc.status_code >= 500 or exc.status_code in (408, 409):
        return _Transient(reason)
    return _Fatal(reason)


def _retry_after(headers: Any) -> float | None:
    """Seconds the server asked us to wait (`retry-after-ms`, `retry-after` secs or date)."""
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(float(ms) / 1000, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def _points_text(partials: Sequence[Sequence[str]]) -> str:
    return "\n\n".join("\n".join(f"- {p}" for p in points) for points in partials)


def _groups(partials: list[list[str]], budget: int) -> list[list[list[str]]]:
    """Consecutive partial lists grouped to fit `budget` (a pair always goes together).

    Every group but the last holds two lists or more, so each merge round at least nearly
    halves their number and the rounds end in one final call.
    """
    groups: list[list[list[str]]] = [[]]
    size = 0
    for points in partials:
        cost = estimate_tokens(_points_text([points])) + 1
        if size + cost > budget and len(groups[-1]) >= 2:
            groups.append([])
            size = 0
        groups[-1].append(points)
        size += cost
    return groups


def _log_retry(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    reason = exc.reason if isinstance(exc, _Failure) else repr(exc)
    log.info(
        "LLM attempt %d failed (%s); retrying in %.1fs",
        state.attempt_number,
        reason,
        state.upcoming_sleep,
    )
