"""A real OpenAI-compatible chat-completions server on loopback, for tests and benchmarks.

    with FakeOpenAI() as llm:
        settings = Settings(openai_base_url=llm.base_url)
        llm.queue(FakeReply(status=429, headers={"retry-after": "0"}))
        ...
        assert llm.calls == 2 and llm.history[-1].json["model"] == "gpt-4o-mini"

It is a `LoopbackServer` (tests/fakes/server.py): HTTP on 127.0.0.1 from a thread, so it
works whatever event loop the test runs.
`POST /v1/chat/completions` validates the request the way the real API does (model and
messages present, known `response_format` types only, sampling parameters in range) and
answers with completion JSON of the real shape. Scripted replies are consumed one per
request from a FIFO queue; with the queue empty it answers with a deterministic, faithful
default, as JSON when JSON was asked for and as numbered lines otherwise:

* a summary request: the first sentences of the <article> block ("[n] text" lines), each
  citing its own number — copied as they are, so in the article's language whatever
  language was asked for, as small local models often do;
* a merge request: the first point of each part of the <points> block, citations kept;
* a verification request: each claim judged supported when every word of 4+ letters in it
  occurs in the sentences quoted under it.

Failure modes of real servers, switchable at any time:
* `reject_json_schema` — llama.cpp's Python server answers `json_schema` with HTTP 500;
* `grammar_json` — a grammar-constrained JSON reply ends a string at the first `"` the
  model meant as a quotation mark, so such points come back as fragments;
* `serial_delay` — one request at a time, each taking that many seconds, the others
  waiting in the server's queue (llama.cpp with one slot, Ollama's default);
  `peak_in_flight` is the most requests the server held at once (queued or processing).

Thread-safe and cheap per request (a fan-out benchmark sends thousands); pass
`record=False` to keep no history.
"""

from __future__ import annotations

import collections
import itertools
import json
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.fakes.server import LoopbackServer, QuietHandler

_ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
_FORMATS = ("text", "json_object", "json_schema")
_BLOCK = re.compile(r"<(article|points)>\s*(.*?)\s*</\1>", re.DOTALL)
# Multi-source digests: numbered <source id="N" outlet="…"> blocks, points cite "[N]".
_SOURCE_BLOCK = re.compile(r'<source id="(\d+)"[^>]*>\s*(.*?)\s*</source>', re.DOTALL)
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=\S)")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
_LLAMA_CPP_REJECTION = (
    "1 validation error for CreateChatCompletionRequest\nresponse_format.type\n"
    "  Input should be 'text' or 'json_object' [type=literal_error, "
    "input_value='json_schema', input_type=str]"
)


@dataclass
class FakeReply:
    """One scripted answer; the fields combine (e.g. `hang` then `status=500`)."""

    content: str | None = None  # message content; None = the faithful default
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    error: str | None = None  # error message for a non-2xx status
    hang: float = 0.0  # seconds to wait before answering (cut short when the server stops)
    garbage: bool = False  # 200 with a body that is not JSON at all
    finish_reason: str = "stop"
    # Points written in the format the request asked for ({"text", "sentences"} objects
    # or numbered lines), each a (text, cited sentence numbers) pair or just a text.
    points: Sequence[str | tuple[str, Sequence[int]]] | None = None


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    json: Any  # the parsed body, or None when it was not JSON

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.json.get("messages", [])) if isinstance(self.json, dict) else []

    def content(self, role: str) -> str:
        """The text of the last message with `role` ("" if none)."""
        for message in reversed(self.messages):
            if message.get("role") == role:
                return _text_of(message.get("content"))
        return ""

    @property
    def response_format_type(self) -> str | None:
        fmt = self.json.get("response_format") if isinstance(self.json, dict) else None
        return fmt.get("type") if isinstance(fmt, dict) else None


class FakeOpenAI(LoopbackServer):
    """`with FakeOpenAI() as llm:` then point an OpenAI client at `llm.base_url`."""

    def __init__(
        self,
        *,
        reject_json_schema: bool = False,
        default_points: int = 3,
        record: bool = True,
        api_key: str | None = None,
    ) -> None:
        self.reject_json_schema = reject_json_schema  # llama.cpp mode, switchable at any time
        self.default_points = default_points
        self.record = record
        self.api_key = api_key  # when set, other bearer tokens get 401 like the real API
        self.model_lists = 0  # GET /v1/models answered (the bot's start-up key check)
        self.grammar_json = False
        self.serial_delay = 0.0
        self.peak_in_flight = 0
        self._in_flight = 0
        self._serial = threading.Lock()
        self.history: list[RecordedRequest] = []
        self.answers: list[str] = []  # the message content of each 200 answer, in order
        self._replies: collections.deque[FakeReply] = collections.deque()
        self._lock = threading.Lock()
        self._calls = 0
        self._ids = itertools.count(1)
        super().__init__()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # -- scripting and inspection -----------------------------------------------------
    def queue(self, *replies: FakeReply) -> None:
        """Answer the next requests with `replies`, in order."""
        with self._lock:
            self._replies.extend(replies)

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._replies)

    @property
    def calls(self) -> int:
        """Requests to /chat/completions so far, rejected ones included."""
        with self._lock:
            return self._calls

    @property
    def last(self) -> RecordedRequest:
        with self._lock:
            return self.history[-1]

    @property
    def summary_calls(self) -> list[RecordedRequest]:
        """Recorded requests that asked for points (articles, parts and merges)."""
        return [r for r in self.history if _kind(r) != "verify"]

    @property
    def verify_calls(self) -> list[RecordedRequest]:
        return [r for r in self.history if _kind(r) == "verify"]

    # -- the API -----------------------------------------------------------------------
    def _answer(self, request: RecordedRequest) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            self._in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self._in_flight)
        try:
            if self.serial_delay:
                # One slot: the others wait here, in the server's queue, as on llama.cpp.
                with self._serial:
                    self.pause(self.serial_delay)
                    return self._respond(request)
            return self._respond(request)
        finally:
            with self._lock:
                self._in_flight -= 1

    def _respond(self, request: RecordedRequest) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            self._calls += 1
            if self.record:
                self.history.append(request)
        if self.api_key is not None:
            auth = request.headers.get("authorization", "")
            if auth != f"Bearer {self.api_key}":
                return _error(401, "Incorrect API key provided.", "invalid_api_key")
        body = request.json
        problem = _invalid(body)
        if problem is not None:
            return _error(400, problem, "invalid_request_error")
        fmt_type = request.response_format_type
        if fmt_type == "json_schema" and self.reject_json_schema:
            # llama.cpp validates before it generates: the scripted reply is not used up.
            return 500, {}, json.dumps({"detail": _LLAMA_CPP_REJECTION}).encode()

        with self._lock:
            reply = self._replies.popleft() if self._replies else FakeReply()
        if reply.hang and self.stopping.wait(reply.hang):
            return _error(503, "server shutting down", "server_error")
        if reply.garbage:
            return 200, {}, b"<html><body>502 Bad Gateway</body></html>\x00\xff{"
        if reply.status >= 400:
            status, headers, payload = _error(
                reply.status, reply.error or f"scripted HTTP {reply.status}", "server_error"
            )
            return status, {**headers, **reply.headers}, payload

        content = reply.content
        if content is None and reply.points is not None:
            content = _render(
                [(p[0], list(p[1])) if isinstance(p, tuple) else (p, []) for p in reply.points],
                fmt_type,
                grammar=self.grammar_json,
            )
        if content is None:
            content = _default_content(request, fmt_type, self.default_points, self.grammar_json)
        model = str(body["model"])
        if self.record:
            with self._lock:
                self.answers.append(content)
        completion = {
            "id": f"chatcmpl-fake{next(self._ids):08d}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "system_fingerprint": "fp_fake",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content, "refusal": None},
                    "logprobs": None,
                    "finish_reason": reply.finish_reason,
                }
            ],
            "usage": _usage(request, content),
        }
        return reply.status, dict(reply.headers), json.dumps(completion).encode()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class _Handler(QuietHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                path = self.path.split("?", 1)[0].rstrip("/")
                if path not in ("/v1/chat/completions", "/chat/completions"):
                    self._send(*_error(404, f"Unknown path {self.path}", "invalid_request_error"))
                    return
                try:
                    parsed: Any = json.loads(raw)
                except ValueError:
                    parsed = None
                request = RecordedRequest(
                    "POST", self.path, {k.lower(): v for k, v in self.headers.items()}, parsed
                )
                self._send(*fake._answer(request))

            def do_GET(self) -> None:
                auth = self.headers.get("Authorization", "")
                if fake.api_key is not None and auth != f"Bearer {fake.api_key}":
                    # The real API refuses a wrong key on every endpoint, /models included.
                    self._send(*_error(401, "Incorrect API key provided.", "invalid_api_key"))
                elif self.path.split("?", 1)[0].rstrip("/") == "/v1/models":
                    fake.model_lists += 1
                    payload = {"object": "list", "data": [{"id": "fake", "object": "model"}]}
                    self._send(200, {}, json.dumps(payload).encode())
                else:
                    self._send(*_error(404, f"Unknown path {self.path}", "invalid_request_error"))

            def _send(self, status: int, headers: dict[str, str], payload: bytes) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out and left: that is what the test wanted

        return _Handler


def _invalid(body: Any) -> str | None:
    """What the real API would reject in this request body, or None."""
    if not isinstance(body, dict):
        return "We could not parse the JSON body of your request."
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "you must provide a model parameter"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "[] is too short - 'messages'"
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in _ROLES:
            return f"Invalid value for 'messages[{i}].role'"
        if "content" not in message:
            return f"Missing required parameter: 'messages[{i}].content'."
    fmt = body.get("response_format")
    if fmt is None:
        return None
    if not isinstance(fmt, dict) or fmt.get("type") not in _FORMATS:
        kind = fmt.get("type") if isinstance(fmt, dict) else fmt
        return (
            f"Invalid value: '{kind}'. Supported values are: 'json_object', 'json_schema', "
            "and 'text'."
        )
    if fmt["type"] == "json_schema":
        schema = fmt.get("json_schema")
        if not isinstance(schema, dict) or not schema.get("name"):
            return "Missing required parameter: 'response_format.json_schema.name'."
    return _invalid_sampling(body)


def _invalid_sampling(body: dict[str, Any]) -> str | None:
    temperature = body.get("temperature")
    if temperature is not None and not (
        isinstance(temperature, int | float) and 0 <= temperature <= 2
    ):
        return f"Invalid 'temperature': {temperature!r}; expected a number from 0 to 2."
    for name in ("max_tokens", "max_completion_tokens", "seed"):
        value = body.get(name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            return f"Invalid type for '{name}': expected an integer."
    if body.get("max_tokens") is not None and body["max_tokens"] < 1:
        return "Invalid 'max_tokens': must be at least 1."
    return None


def _error(status: int, message: str, kind: str) -> tuple[int, dict[str, str], bytes]:
    payload = {"error": {"message": message, "type": kind, "param": None, "code": None}}
    return status, {}, json.dumps(payload).encode()


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # the content-parts form
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


_LINE_NUMBER = re.compile(r"^\[(\d+)\]\s*(.*)$")
_CITED_POINT = re.compile(r"^\s*-\s+(.*?)\s*\[([\d,\s]*)\]\s*$")
_CLAIM = re.compile(r"^(\d+)\.\s+(.*)$")
_QUOTED = re.compile(r"^\s+\[\d+\]\s*(.*)$")


def _kind(request: RecordedRequest) -> str:
    fmt = request.json.get("response_format") if isinstance(request.json, dict) else None
    schema = fmt.get("json_schema") if isinstance(fmt, dict) else None
    if isinstance(schema, dict) and schema.get("name") == "verdicts":
        return "verify"
    if isinstance(fmt, dict) and "verdicts" in json.dumps(fmt.get("schema") or {}):
        return "verify"
    user = request.content("user")
    if "claim" in user.split("<points>")[0] and "<points>" in user:
        return "verify"
    return "merge" if "<points>" in user and "<article>" not in user else "summary"


def _default_content(
    request: RecordedRequest, fmt_type: str | None, count: int, grammar: bool = False
) -> str:
    """A faithful answer to whatever the request asked for."""
    kind = _kind(request)
    user = request.content("user")
    sources = _SOURCE_BLOCK.findall(user)
    blocks = _BLOCK.findall(user)
    if sources and kind != "verify":  # several articles: each one's first sentence, citing it
        points = [(first[0][0], [int(n)]) for n, text in sources[:count]
                  if (first := _first_sentences(text, 1))]  # fmt: skip
        return _render(points, fmt_type, grammar=grammar)
    source = blocks[-1][1] if blocks else user
    if kind == "verify":
        return _verdicts(source, fmt_type)
    if kind == "merge":
        points = _first_of_each_part(source, count)
    else:
        points = _first_sentences(source, count)
    return _render(points, fmt_type, grammar=grammar)


def _render(points: list[tuple[str, list[int]]], fmt_type: str | None, *, grammar: bool) -> str:
    if fmt_type in ("json_object", "json_schema"):
        items = []
        for text, cites in points:
            if grammar and '"' in text:
                # The grammar closes the string at the model's quotation mark.
                text = text.split('"', 1)[0]
            items.append({"text": text, "sentences": cites})
        return json.dumps({"points": items}, ensure_ascii=False)
    return "\n".join(
        f"{i}. {text}" + (f" [{', '.join(map(str, cites))}]" if cites else "")
        for i, (text, cites) in enumerate(points, 1)
    )


def _first_sentences(text: str, count: int) -> list[tuple[str, list[int]]]:
    found: list[tuple[str, list[int]]] = []
    for line in text.splitlines():
        line = line.strip()
        numbered = _LINE_NUMBER.match(line)
        if numbered:
            found.append((numbered.group(2).strip(), [int(numbered.group(1))]))
        else:
            line = _BULLET.sub("", line).strip()
            if not line or line.lower().startswith("title:"):
                continue
            found.extend((s.strip(), []) for s in _SENTENCE_END.split(line) if s.strip())
        if len(found) >= count:
            return found[:count]
    return found[:count]


def _first_of_each_part(text: str, count: int) -> list[tuple[str, list[int]]]:
    parts = [p for p in re.split(r"(?m)^Part \d+:\s*$", text) if p.strip()]
    found = []
    for part in parts:
        for line in part.splitlines():
            m = _CITED_POINT.match(line)
            if m:
                found.append((m.group(1), [int(n) for n in re.findall(r"\d+", m.group(2))]))
                break
    return found[: max(count, 5)]


def _verdicts(text: str, fmt_type: str | None) -> str:
    claims: dict[int, tuple[str, list[str]]] = {}
    current = 0
    for line in text.splitlines():
        claimed, quoted = _CLAIM.match(line), _QUOTED.match(line)
        if claimed and not line.startswith(" "):
            current = int(claimed.group(1))
            claims[current] = (claimed.group(2), [])
        elif quoted and current:
            claims[current][1].append(quoted.group(1))
    verdicts = []
    for number, (claim, sentences) in claims.items():
        words = set(re.findall(r"\w+", " ".join(sentences).casefold()))
        needed = [w for w in re.findall(r"\w+", claim.casefold()) if len(w) >= 4]
        verdicts.append((number, all(w in words for w in needed)))
    if fmt_type in ("json_object", "json_schema"):
        return json.dumps({"verdicts": [{"claim": n, "supported": ok} for n, ok in verdicts]})
    return "\n".join(f"{n}. {'yes' if ok else 'no'}" for n, ok in verdicts)


def _usage(request: RecordedRequest, content: str) -> dict[str, int]:
    prompt = sum(len(_text_of(m.get("content"))) for m in request.messages) // 4 + 1
    completion = len(content) // 4 + 1
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }
