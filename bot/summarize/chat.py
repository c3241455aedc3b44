"""The chat endpoint: any OpenAI-compatible server (OpenAI, Ollama, vLLM, llama.cpp).

The only module that imports `openai`. Everything the SDK can throw is translated here into
`SummarizerError`, whose message is the reason callers show when they fall back
("model unavailable: HTTP 500").

Servers differ in what they accept, so a request degrades step by step and remembers what
worked: structured output goes `json_schema` (OpenAI, vLLM, Ollama) → `json_object` with
a `schema` (llama.cpp's Python server answers `json_schema` with HTTP 500) → none; a
sampling parameter the server rejects by name (`seed`, `temperature` on reasoning
models, `max_tokens` where `max_completion_tokens` is wanted) is dropped or renamed.

Requests in flight are capped by `concurrency` (LLM_CONCURRENCY), shared by all users and
all parts of long articles: llama.cpp and Ollama serve one request at a time, and a
request waiting in *their* queue would spend its timeout there. Waiting happens here
instead, and the timeout counts only from when the request is sent.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import logging
import re
from collections.abc import Callable
from typing import Any, TypeVar

import openai
from openai.types.chat import ChatCompletion, ChatCompletionMessageParam
from pydantic import SecretStr

from bot import metrics
from bot.errors import SummarizerError
from bot.retries import RetryPolicy, retry_after_header

log = logging.getLogger(__name__)

T = TypeVar("T")
OPENAI_BASE_URL = "https://api.openai.com/v1"
# Local servers ignore the key, but the SDK refuses to start without one.
DUMMY_API_KEY = "not-needed"
# A user is waiting: a server asking for a longer pause than this is asked again after it.
RETRY_AFTER_CAP = 20.0
MAX_BACKOFF = 8.0
SEED = 7  # any fixed value: the same article gives the same answer where seeds are honoured
_REJECTED_FORMAT = re.compile(
    r"response_format|json_schema|json_object|input should be", re.IGNORECASE
)


class ResponseMode(enum.Enum):
    """How structured output is asked for, from strictest to none."""

    JSON_SCHEMA = "json_schema"
    JSON_OBJECT = "json_object"
    PLAIN = "plain"

    def response_format(self, schema: dict[str, Any], name: str) -> dict[str, Any] | None:
        if self is ResponseMode.JSON_SCHEMA:
            return {
                "type": "json_schema",
                "json_schema": {"name": name, "strict": True, "schema": schema},
            }
        if self is ResponseMode.JSON_OBJECT:
            # llama.cpp reads `schema` here and constrains its grammar with it.
            return {"type": "json_object", "schema": schema}
        return None

    def weaker(self) -> ResponseMode | None:
        order = list(ResponseMode)
        i = order.index(self)
        return order[i + 1] if i + 1 < len(order) else None

    @property
    def is_json(self) -> bool:
        return self is not ResponseMode.PLAIN


class Failure(Exception):
    """One failed attempt; `reason` ends up in `Summary.fallback_reason`."""

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class Transient(Failure):
    """Worth another attempt: 429, 5xx, timeout, connection error."""


class Fatal(Failure):
    """Another attempt would fail the same way: 401, 404, a 400 in every format."""


class Garbage(Failure):
    """The server answered 200 with no usable reply.

    `plain` asks the next attempt for plain lines (JSON strings were cut at quotes);
    `note` is added to the next attempt's user message (e.g. "write in German");
    `salvage` is what the last attempt did produce, for the caller to fall back on.
    """

    def __init__(
        self, reason: str, *, plain: bool = False, note: str | None = None, salvage: Any = None
    ) -> None:
        super().__init__(reason, retry_after=0.0)  # the server is fine; only the answer was not
        self.plain = plain
        self.note = note
        self.salvage = salvage


class GarbageError(SummarizerError):
    """The model answered, but never usably; `salvage` is the last attempt's leftovers."""

    def __init__(self, message: str, salvage: Any = None) -> None:
        super().__init__(message)
        self.salvage = salvage


# Reads a reply's text in a mode; raises Garbage when it is unusable.
Reader = Callable[[str, ResponseMode], T]


class ChatEndpoint:
    """Ask a chat model, with retries, format degradation and a cap on requests in flight."""

    def __init__(
        self,
        *,
        model: str,
        base_url: str | None = None,
        api_key: SecretStr | None = None,
        timeout: float = 60.0,
        max_retries: int = 3,
        backoff: float = 0.5,
        temperature: float | None = 0.0,
        max_output_tokens: int | None = 400,
        seed: int | None = SEED,
        concurrency: int = 1,
    ) -> None:
        self.model = model
        self.base_url = base_url or OPENAI_BASE_URL
        self._api_key = api_key
        self.timeout = timeout
        # Transient failures are asked again; `ask` adds a first unusable answer.
        self.retry_policy = RetryPolicy(
            name="model", attempts=max_retries, retry=lambda exc: isinstance(exc, Transient),
            backoff=backoff, max_backoff=MAX_BACKOFF, cap=RETRY_AFTER_CAP, jitter=True,
        )  # fmt: skip
        self._mode = ResponseMode.JSON_SCHEMA
        # Sampling parameters still sent; one the server rejects is removed for good.
        self._params: dict[str, Any] = {
            k: v
            for k, v in (
                ("temperature", temperature),
                ("max_tokens", max_output_tokens),
                ("seed", seed),
            )
            if v is not None
        }
        self._gate = asyncio.Semaphore(concurrency)
        self.concurrency = concurrency
        self._client: openai.AsyncOpenAI | None = None

    def __repr__(self) -> str:  # never the key
        return f"ChatEndpoint(model={self.model!r}, base_url={self.base_url!r})"

    @property
    def response_mode(self) -> ResponseMode:
        """The structured-output mode the server was last seen to accept."""
        return self._mode

    @property
    def params(self) -> dict[str, Any]:
        return dict(self._params)

    async def aclose(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await client.close()

    async def check_key(self) -> str | None:
        """Ask the cheapest endpoint (`GET /models`, no tokens) whether the key is accepted.

        Returns what to tell the operator when the server refuses the key (401/403), None
        otherwise: a server that is down, slow or has no `/models` is not a key problem,
        and each summary handles those on its own with the extractive fallback.
        """
        try:
            await asyncio.wait_for(self._openai().models.list(), timeout=min(self.timeout, 10))
        except (openai.AuthenticationError, openai.PermissionDeniedError) as exc:
            return f"the model rejected the key (HTTP {exc.status_code}; check OPENAI_API_KEY)"
        except Exception as exc:  # anything else is not the key's fault
            log.debug("model key check inconclusive: %s", type(exc).__name__)
        return None

    # -- one logical call: retries around attempts -------------------------------------
    async def ask(
        self,
        build: Callable[[ResponseMode], list[ChatCompletionMessageParam]],
        read: Reader[T],
        *,
        schema: dict[str, Any],
        schema_name: str,
    ) -> T:
        """`build(mode)` gives the messages for a mode (JSON or plain lines are asked for)."""
        garbage_seen = 0
        plain = False
        extra: str | None = None

        def retryable(exc: BaseException) -> bool:
            nonlocal garbage_seen, plain, extra
            if isinstance(exc, Garbage):
                # A model that babbled once may do better; twice, it won't.
                garbage_seen += 1
                plain = plain or exc.plain
                extra = exc.note or extra
                return garbage_seen <= 1
            return self.retry_policy.retry(exc)

        policy = dataclasses.replace(self.retry_policy, retry=retryable)
        try:
            async for attempt in policy.retrying():
                with attempt:
                    return await self._attempt(build, extra, read, schema, schema_name, plain=plain)
        except Garbage as exc:
            raise GarbageError(f"model gave no usable points: {exc.reason}", exc.salvage) from exc
        except Failure as exc:
            raise SummarizerError(f"model unavailable: {exc.reason}") from exc
        raise AssertionError("unreachable: tenacity either returns or re-raises")

    async def _attempt(
        self,
        build: Callable[[ResponseMode], list[ChatCompletionMessageParam]],
        note: str | None,
        read: Reader[T],
        schema: dict[str, Any],
        schema_name: str,
        *,
        plain: bool,
    ) -> T:
        mode: ResponseMode | None = ResponseMode.PLAIN if plain else self._mode
        while mode is not None:
            messages = _with_note(build(mode), note)
            try:
                content = await self._request(messages, mode.response_format(schema, schema_name))
            except openai.APIStatusError as exc:
                if self._drop_rejected_param(exc):
                    continue
                weaker = mode.weaker()
                if weaker is not None and _rejects_format(exc):
                    log.info(
                        "%s rejected response_format %s (HTTP %s); trying %s",
                        self.base_url, mode.value, exc.status_code, weaker.value,
                    )  # fmt: skip
                    mode = weaker
                    continue
                raise _status_failure(exc) from exc
            except openai.APITimeoutError as exc:
                raise Transient(f"timeout after {self.timeout:g}s") from exc
            except openai.APIConnectionError as exc:
                raise Transient("connection error") from exc
            except openai.OpenAIError as exc:
                raise Fatal(type(exc).__name__) from exc
            except ValueError as exc:  # a 200 whose body is not JSON (or not UTF-8)
                raise Garbage("unreadable response body") from exc
            result = read(content, mode)
            if mode is not self._mode and not plain:
                log.info("%s: using response_format mode %s", self.base_url, mode.value)
                self._mode = mode  # remembered only once it has worked
            return result
        raise AssertionError("unreachable: PLAIN has no weaker mode")

    def _drop_rejected_param(self, exc: openai.APIStatusError) -> bool:
        """Adapt to a 400 that names one of our optional parameters; True to try again."""
        if exc.status_code not in (400, 422):
            return False
        detail = f"{exc.message} {exc.body!r}".lower()
        for name in list(self._params):
            if name in detail:
                value = self._params.pop(name)
                if name == "max_tokens" and "max_completion_tokens" in detail:
                    self._params["max_completion_tokens"] = value
                log.info("%s rejected %s; no longer sent", self.base_url, name)
                return True
        return False

    async def _request(
        self, messages: list[ChatCompletionMessageParam], fmt: dict[str, Any] | None
    ) -> str:
        # Waiting for a slot is not part of the timeout: the SDK's clock starts below.
        async with self._gate:
            try:
                completion: Any = await self._openai().chat.completions.create(
                    model=self.model,
                    messages=messages,
                    response_format=fmt if fmt is not None else openai.omit,  # type: ignore[arg-type]
                    timeout=self.timeout,
                    **self._params,
                )
            except openai.OpenAIError as exc:
                metrics.model_call(metrics.cause(exc))
                raise
        usage = getattr(completion, "usage", None)
        metrics.model_call("ok", getattr(usage, "prompt_tokens", 0) or 0,
                           getattr(usage, "completion_tokens", 0) or 0)
        # A non-JSON content type makes the SDK hand back the raw text instead.
        if not isinstance(completion, ChatCompletion):
            raise Garbage("the reply was not a chat completion")
        try:
            choice = completion.choices[0]
            content = choice.message.content
        except (AttributeError, IndexError, TypeError) as exc:
            raise Garbage("a completion without choices") from exc
        if not content:
            raise Garbage(f"empty message (finish_reason={choice.finish_reason})")
        return str(content)

    def _openai(self) -> openai.AsyncOpenAI:
        # Created on first use, inside the running loop, and closed by `aclose`.
        if self._client is None:
            key = self._api_key.get_secret_value() if self._api_key else DUMMY_API_KEY
            self._client = openai.AsyncOpenAI(
                api_key=key,
                base_url=self.base_url,
                timeout=self.timeout,
                max_retries=0,  # tenacity retries here, with our own budget
            )
        return self._client


def _with_note(
    messages: list[ChatCompletionMessageParam], note: str | None
) -> list[ChatCompletionMessageParam]:
    if not note:
        return messages
    *head, last = messages
    return [*head, {"role": "user", "content": f"{last['content']}\n\n{note}"}]


def _rejects_format(exc: openai.APIStatusError) -> bool:
    """Does this error mean "I don't do that response_format" (not a general failure)?"""
    if exc.status_code in (400, 422):
        return True  # a bad request in this mode may well be fine in a simpler one
    detail = f"{exc.message} {exc.body!r}"
    return exc.status_code >= 500 and bool(_REJECTED_FORMAT.search(detail))


def _status_failure(exc: openai.APIStatusError) -> Failure:
    reason = f"HTTP {exc.status_code}"
    if exc.status_code in (401, 403):
        # Said plainly: "HTTP 401" on every link sent operators looking at the network.
        return Fatal(f"the model rejected the key (HTTP {exc.status_code}; check OPENAI_API_KEY)")
    if exc.status_code == 429 or exc.status_code >= 500 or exc.status_code in (408, 409):
        # A 503 may say when to come back as well as a 429 (RFC 9110); the cap is the policy's.
        return Transient(reason, retry_after=retry_after_header(exc.response.headers))
    return Fatal(reason)
