"""A real OpenAI-compatible chat-completions server on loopback, for tests and benchmarks.

    with FakeOpenAI() as llm:
        settings = Settings(openai_base_url=llm.base_url)
        llm.queue(FakeReply(status=429, headers={"retry-after": "0"}))
        ...
        assert llm.calls == 2 and llm.history[-1].json["model"] == "gpt-4o-mini"

It speaks HTTP on 127.0.0.1 from a thread, so it works whatever event loop the test runs.
`POST /v1/chat/completions` validates the request the way the real API does (model and
messages present, known `response_format` types only) and answers with completion JSON of
the real shape. Scripted replies are consumed one per request from a FIFO queue; with the
queue empty it answers with a deterministic, faithful default: the first sentences of the
<article> block of the last user message (or of a <points> block, for merge calls) as
points, as JSON when JSON was asked for and as bullet lines otherwise. `reject_json_schema`
mimics llama.cpp's Python server, which answers `json_schema` with HTTP 500.

Thread-safe and cheap per request (a fan-out benchmark sends thousands); pass
`record=False` to keep no history.
"""

from __future__ import annotations

import collections
import itertools
import json
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

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


class FakeOpenAI:
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
        self.history: list[RecordedRequest] = []
        self._replies: collections.deque[FakeReply] = collections.deque()
        self._lock = threading.Lock()
        self._calls = 0
        self._ids = itertools.count(1)
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class(), False)
        self._server.daemon_threads = True
        # Thousands of concurrent connects must not overflow the default backlog of 5.
        self._server.request_queue_size = 1024
        self._server.server_bind()
        self._server.server_activate()
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes hanging handlers so nothing outlives the test
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

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

    # -- the API -----------------------------------------------------------------------
    def _answer(self, request: RecordedRequest) -> tuple[int, dict[str, str], bytes]:
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
        if reply.hang and self._stopping.wait(reply.hang):
            return _error(503, "server shutting down", "server_error")
        if reply.garbage:
            return 200, {}, b"<html><body>502 Bad Gateway</body></html>\x00\xff{"
        if reply.status >= 400:
            status, headers, payload = _error(
                reply.status, reply.error or f"scripted HTTP {reply.status}", "server_error"
            )
            return status, {**headers, **reply.headers}, payload

        content = reply.content
        if content is None:
            content = _default_content(request, fmt_type, self.default_points)
        model = str(body["model"])
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

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive: a benchmark reuses connections

            def setup(self) -> None:
                super().setup()
                # Headers and body leave in separate writes: without this, Nagle's
                # algorithm and the client's delayed ACK add ~40 ms to every answer.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

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
                if self.path.split("?", 1)[0].rstrip("/") == "/v1/models":
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


def _default_content(request: RecordedRequest, fmt_type: str | None, count: int) -> str:
    """The first sentences of the delimited data block: faithful by construction."""
    user = request.content("user")
    sources = _SOURCE_BLOCK.findall(user)
    blocks = _BLOCK.findall(user)
    if sources:  # each source's first sentence, citing it
        points = [f"{first[0]} [{n}]" for n, text in sources[:count]
                  if (first := _first_sentences(text, 1))]
    else:
        points = _first_sentences(blocks[-1][1] if blocks else user, count)
    if fmt_type in ("json_object", "json_schema"):
        return json.dumps({"points": points}, ensure_ascii=False)
    return "\n".join(f"- {p}" for p in points)


def _first_sentences(text: str, count: int) -> list[str]:
    found: list[str] = []
    for line in text.splitlines():
        line = _BULLET.sub("", line).strip()
        if not line or line.lower().startswith("title:"):
            continue
        for sentence in _SENTENCE_END.split(line):
            if sentence.strip():
                found.append(sentence.strip())
                if len(found) == count:
                    return found
    return found


def _usage(request: RecordedRequest, content: str) -> dict[str, int]:
    prompt = sum(len(_text_of(m.get("content"))) for m in request.messages) // 4 + 1
    completion = len(content) // 4 + 1
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }
