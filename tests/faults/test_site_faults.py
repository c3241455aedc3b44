"""The news site misbehaves: slow, hanging, enormous, binary, redirecting in circles.

Each case must fail within its limit (FETCH_TIMEOUT=2 s, FETCH_MAX_BYTES=1 MB) with the
right answer: exit code 3 and one stderr line from the CLI, the specific friendly message
from the bot. The 50 MB body is generated lazily and counted, so the test never holds it and
can tell how much the server managed to send before the fetch gave up.
"""

from __future__ import annotations

import contextlib
import io
import threading
from collections.abc import Iterator

import pytest

from bot import errors
from bot.cli import main
from bot.i18n import ENGLISH
from bot.telegram import messages
from tests.fakes.articles import SEED_PARAGRAPHS, article_html
from tests.fakes.botapi import FakeBotAPI
from tests.fakes.site import FakeSite, Request, Response
from tests.harness import StartBot, replies

TIMEOUT = 2.0
MAX_BYTES = 1024 * 1024
FIFTY_MB = 50 * 1024 * 1024


class Firehose:
    """An endless-looking HTML body, made chunk by chunk; `sent` counts what was handed out."""

    def __init__(self, total: int, chunk: int = 64 * 1024) -> None:
        self.total = total
        self.chunk = b"<p>" + b"news " * ((chunk - 7) // 5) + b"</p>"
        self.sent = 0

    def __iter__(self) -> Iterator[bytes]:
        while self.sent < self.total:
            self.sent += len(self.chunk)
            yield self.chunk


class HostileSite:
    """One FakeSite with a route per fault; `release()` ends the hanging requests."""

    def __init__(self, site: FakeSite) -> None:
        self.site = site
        self.firehose = Firehose(FIFTY_MB)
        self._release = threading.Event()
        page = article_html().encode()
        drip = [page[i : i + 200] for i in range(0, len(page), 200)]
        self.urls = {
            # Headers at once, then 200 bytes every 0.3 s: each read is quick, the whole is not.
            "slow": site.route("/slow", Response(body=drip, chunk_delay=0.3)),
            # Accepts the connection and never answers.
            "hang": site.route("/hang", self._hang),
            "huge": site.route("/huge", Response(body=self.firehose)),
            # 8 MB of spaces, 8 KB gzipped: only decompression shows the size.
            "bomb": site.route("/bomb", Response(body=b" " * (8 * MAX_BYTES), gzip=True)),
            "binary": site.route("/binary", Response(
                body=bytes(range(256)) * 256, content_type="application/octet-stream")),
            "loop": site.route("/loop", Response(status=302, headers={"Location": "/loop"})),
        }

    def _hang(self, request: Request) -> Response:
        self._release.wait(30)
        return Response(body="too late")

    def release(self) -> None:
        self._release.set()


EXPECTED: dict[str, tuple[type[errors.FetchError], str]] = {
    "slow": (errors.FetchTimeout, "did not answer"),
    "hang": (errors.FetchTimeout, "did not answer"),
    "huge": (errors.TooLarge, "more than"),
    "bomb": (errors.TooLarge, "more than"),
    "binary": (errors.NotHTML, "application/octet-stream"),
    "loop": (errors.TooManyRedirects, "redirects more than"),
}


@pytest.fixture
def hostile(site: FakeSite) -> Iterator[HostileSite]:
    sites = HostileSite(site)
    yield sites
    sites.release()


def run_cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def limits(monkeypatch: pytest.MonkeyPatch, site: FakeSite) -> None:
    monkeypatch.setenv("FETCH_ALLOW_PRIVATE_HOSTS", site.host)
    monkeypatch.setenv("FETCH_TIMEOUT", str(TIMEOUT))
    monkeypatch.setenv("FETCH_MAX_BYTES", str(MAX_BYTES))
    monkeypatch.setenv("SUMMARIZER", "extractive")


@pytest.mark.parametrize("fault", list(EXPECTED))
@pytest.mark.usefixtures("limits")
def test_cli_gives_up_with_exit_3_and_one_line(fault: str, hostile: HostileSite) -> None:
    code, out, err = run_cli("summarize", hostile.urls[fault])
    assert code == 3, err
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("newsbot: error: "), err
    assert EXPECTED[fault][1] in lines[0]
    assert "Traceback" not in err


@pytest.mark.usefixtures("limits")
def test_the_50_mb_page_is_abandoned_early(hostile: HostileSite) -> None:
    code, _, err = run_cli("summarize", hostile.urls["huge"])
    assert code == 3, err
    # What the server handed to its socket before the client hung up: the limit plus what
    # loopback socket buffers absorb (a few MB), never the 50 MB.
    assert MAX_BYTES < hostile.firehose.sent < FIFTY_MB // 4


@pytest.mark.usefixtures("limits")
def test_a_healthy_page_on_the_same_site_still_works(hostile: HostileSite) -> None:
    url = hostile.site.page("/fine", article_html())
    code, out, err = run_cli("summarize", url)
    assert code == 0, err
    assert SEED_PARAGRAPHS[0][:40] in out


async def test_the_bot_answers_each_fault_with_its_own_message(
    botapi: FakeBotAPI, hostile: HostileSite, start_bot: StartBot
) -> None:
    users = {fault: 5000 + n for n, fault in enumerate(EXPECTED)}
    fine = hostile.site.page("/fine", article_html("Still serving"))
    async with start_bot(fetch_timeout=TIMEOUT, fetch_max_bytes=MAX_BYTES):
        # All at once, as users would: one stuck page must not hold up the others.
        for fault, user in users.items():
            botapi.push_message(f"what about this? {hostile.urls[fault]}", user_id=user)
        answers = {fault: (await botapi.wait_for(replies(botapi, user), TIMEOUT * 4))[0]
                   for fault, user in users.items()}
        botapi.push_message(fine, user_id=1)
        (ok,) = await botapi.wait_for(replies(botapi, 1))
    for fault, answer in answers.items():
        error = EXPECTED[fault][0]("")
        assert answer.text == messages.failure(ENGLISH, error, "127.0.0.1"), fault
    assert ok.text.startswith("Still serving")
