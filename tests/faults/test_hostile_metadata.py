"""Pages that lie about themselves get clean answers (issue 8, item 9).

A 20,000-character og:site_name made Telegram refuse the footer with the link; a JSON-LD
"\\ud83d" (a lone surrogate) cannot be encoded for the store or for Telegram; a declared
charset Python can't decode with raised outside the error tree and ended a `--jsonl` batch.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Callable

import pytest

from bot.cli import main
from tests.fakes.articles import KYIV_BUDGET_PARAGRAPHS
from tests.fakes.botapi import FakeBotAPI
from tests.fakes.site import FakeSite, Response
from tests.harness import StartBot, replies

PARAS = "".join(f"<p>{p}</p>" for p in KYIV_BUDGET_PARAGRAPHS)
HUGE_SITE = "Вісті Києва " * 1_700  # ~20,000 characters
HUGE_TITLE = "Бюджет ухвалено " * 1_000
LD = ('{"@context": "https://schema.org", "@type": "NewsArticle", '
      '"headline": "Київрада ухвалила бюджет \\ud83d", '
      '"publisher": {"@type": "Organization", "name": "Вісті \\udc00"}}')


def lying_page() -> str:
    return (f'<html><head><meta property="og:site_name" content="{HUGE_SITE}">'
            f'<meta property="og:title" content="{HUGE_TITLE}"><title>x</title></head>'
            f"<body><article><h1>Бюджет</h1>{PARAS}</article></body></html>")


def surrogate_page() -> str:
    return (f'<html><head><script type="application/ld+json">{LD}</script></head>'
            f"<body><article>{PARAS}</article></body></html>")


def has_surrogate(text: str) -> bool:
    return any(0xD800 <= ord(c) <= 0xDFFF for c in text)


@pytest.mark.parametrize("page", [lying_page, surrogate_page])
async def test_bot_answers_with_the_summary_and_a_sane_footer(
    page: Callable[[], str], botapi: FakeBotAPI, site: FakeSite, start_bot: StartBot
) -> None:
    url = site.page(f"/{page.__name__}", page())
    async with start_bot():
        botapi.push_message(url, user_id=9101)
        (reply,) = await botapi.wait_for(replies(botapi, 9101), timeout=30)
    assert "бюджет" in reply.text.lower()  # the summary, not an apology
    assert len(reply.text) < 2_000, len(reply.text)  # title and site cut to sane lengths
    assert not has_surrogate(reply.text)


def run_cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def test_cli_cuts_fields_and_strips_surrogates(
    site: FakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FETCH_ALLOW_PRIVATE_HOSTS", site.host)
    monkeypatch.setenv("SUMMARIZER", "extractive")
    lying = site.page("/lying", lying_page())
    surrogate = site.page("/surrogate", surrogate_page())
    code, out, err = run_cli("summarize", lying, surrogate, "--jsonl")
    assert code == 0, err
    first, second = (json.loads(line) for line in out.splitlines())
    assert 0 < len(first["site"]) <= 100 and first["site"].startswith("Вісті Києва")
    assert 0 < len(first["title"]) <= 300 and first["title"].startswith("Бюджет ухвалено")
    assert second["title"] == "Київрада ухвалила бюджет"
    assert second["site"] == "Вісті"
    assert not has_surrogate(out)


def test_jsonl_batch_goes_on_past_an_undecodable_page(
    site: FakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FETCH_ALLOW_PRIVATE_HOSTS", site.host)
    monkeypatch.setenv("SUMMARIZER", "extractive")
    good = site.page("/good", lying_page())
    odd = site.route("/odd", Response(body=surrogate_page().encode(),
                                      content_type="text/html; charset=undefined"))
    empty = site.page("/empty", "<html><body><nav>menu</nav></body></html>")
    code, out, err = run_cli("summarize", good, odd, empty, good, "--jsonl")
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["input"] for r in records] == [good, odd, empty, good]
    assert "points" in records[1], records[1]  # label ignored, charset detected
    assert records[2]["exit_code"] == 4 and records[2]["error_type"]
    assert code == 4
    assert "Traceback" not in err
