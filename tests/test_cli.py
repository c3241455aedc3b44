"""The command line as a new user runs it: a real subprocess against a real loopback site."""

from __future__ import annotations

import gzip
import json
import subprocess
from pathlib import Path

import pytest

from bot.summarize.sentences import split_sentences
from tests.fakes.articles import SEED_TITLE, article_html, teaser_html
from tests.fakes.cli import newsbot, newsbot_process
from tests.fakes.site import FakeSite, Response

SUMMARY_FIELDS = {
    "input", "url", "final_url", "title", "site", "published", "language", "points",
    "summarizer", "partial", "dropped_points",
}


@pytest.fixture
def news(site: FakeSite, monkeypatch: pytest.MonkeyPatch) -> FakeSite:
    monkeypatch.setenv("FETCH_ALLOW_PRIVATE_HOSTS", site.host)
    monkeypatch.setenv("FETCH_TIMEOUT", "5")
    site.page("/world/north-korea-generals", article_html())
    site.page("/premium/chip-deal", teaser_html())
    site.page("/empty", "<html><head><title>x</title></head><body><script>1</script></body></html>")
    site.route("/data.json", Response(body='{"a": 1}', content_type="application/json"))
    site.route("/gone", Response(body="gone", status=404))
    return site


def assert_one_clean_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert "Traceback" not in proc.stderr
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("newsbot: error: ")
    return lines[0]


def test_summarize_url_human_output(news: FakeSite) -> None:
    url = news.url("/world/north-korea-generals?utm_source=tg")
    proc = newsbot_process("summarize", url)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.splitlines()[0] == SEED_TITLE
    assert "Example Media" in out and "2025-07-14" in out
    bullets = [ln for ln in out.splitlines() if ln.strip().startswith("•")]
    assert 2 <= len(bullets) <= 5
    assert news.url("/world/north-korea-generals") in out
    # Boilerplate is not summarized.
    assert "cookies" not in out and "More on the topic" not in out


def test_summarize_json_fields(news: FakeSite) -> None:
    proc = newsbot("summarize", news.url("/world/north-korea-generals"), "--json")
    assert proc.returncode == 0, proc.stderr
    rec = json.loads(proc.stdout)
    assert set(rec) == SUMMARY_FIELDS
    assert rec["title"] == SEED_TITLE
    assert rec["site"] == "Example Media"
    assert rec["published"].startswith("2025-07-14T")
    assert rec["language"] == "en"
    assert rec["summarizer"] == "extractive"
    assert rec["partial"] is False and rec["dropped_points"] == 0
    assert 2 <= len(rec["points"]) <= 5
    body = " ".join(p for p in article_html().split("<p>")[1:])
    # extractive points are verbatim sentences of the article (a sentence leaning on the one
    # before comes joined to it, so check sentence by sentence)
    for point in rec["points"]:
        for sentence in split_sentences(point):
            assert sentence.replace("'", "&#x27;") in body or sentence in body


def test_jsonl_batch_goes_on_after_a_failure(news: FakeSite) -> None:
    proc = newsbot(
        "summarize", news.url("/world/north-korea-generals"), "ftp://example.com/x",
        news.url("/gone"), news.url("/premium/chip-deal"), "--jsonl",
    )
    recs = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["input"] for r in recs] == [
        news.url("/world/north-korea-generals"), "ftp://example.com/x", news.url("/gone"),
        news.url("/premium/chip-deal"),
    ]
    assert recs[0]["points"] and "error" not in recs[0]
    assert "error" in recs[1] and "error" in recs[2]
    assert "404" in recs[2]["error"]
    assert recs[3]["partial"] is True
    assert proc.returncode == 2  # the first failure's exit code, so scripts notice


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["summarize", "ftp://example.com/a"], 2, "http"),
        (["summarize", "not a url"], 2, "URL"),
        (["summarize", "http://169.254.169.254/latest/meta-data/"], 2, "169.254.169.254"),
        (["summarize", "http://[::1]:8080/"], 2, "::1"),
        (["summarize", "missing-file.html"], 2, "missing-file.html"),
        (["extract", "http://0177.0.0.1/"], 2, "127.0.0.1"),  # octal for loopback
    ],
)
def test_bad_input_exits_2(args: list[str], code: int, needle: str) -> None:
    proc = newsbot(*args)
    assert proc.returncode == code, proc.stderr
    line = assert_one_clean_error_line(proc)
    assert needle in line


def test_unreachable_page_exits_3(news: FakeSite) -> None:
    proc = newsbot("summarize", news.url("/gone"))
    assert proc.returncode == 3
    assert "404" in assert_one_clean_error_line(proc)
    proc = newsbot("summarize", news.url("/data.json"))
    assert proc.returncode == 3
    assert "application/json" in assert_one_clean_error_line(proc)


def test_no_article_text_exits_4(news: FakeSite) -> None:
    proc = newsbot("summarize", news.url("/empty"))
    assert proc.returncode == 4
    assert_one_clean_error_line(proc)


def test_paywalled_teaser_is_marked_and_not_padded(news: FakeSite) -> None:
    proc = newsbot("summarize", news.url("/premium/chip-deal"), "--json")
    assert proc.returncode == 0, proc.stderr
    rec = json.loads(proc.stdout)
    assert rec["partial"] is True
    assert len(rec["points"]) <= 2
    human = newsbot("summarize", news.url("/premium/chip-deal"))
    assert "teaser" in human.stdout.lower()


def test_stdin_and_txt_and_html_gz(tmp_path: Path) -> None:
    text = "Council approves new budget\n\n" + " ".join(
        f"The council approved item {i} of the budget after a long debate on Tuesday."
        for i in range(1, 15)
    )
    proc = newsbot("summarize", "-", "--json", stdin=text)
    assert proc.returncode == 0, proc.stderr
    rec = json.loads(proc.stdout)
    assert rec["title"] == "Council approves new budget"
    assert rec["url"] is None and rec["input"] == "-"
    assert all(p in text for p in rec["points"])

    txt = tmp_path / "a.txt"
    txt.write_text(text, encoding="utf-8")
    page = tmp_path / "page.html.gz"
    page.write_bytes(gzip.compress(article_html().encode()))
    proc = newsbot("summarize", str(txt), str(page), "--jsonl")
    assert proc.returncode == 0, proc.stderr
    a, b = (json.loads(line) for line in proc.stdout.splitlines())
    assert a["title"] == "Council approves new budget"
    assert b["title"] == SEED_TITLE and b["points"]


def test_extract_jsonl(news: FakeSite, tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(article_html(), encoding="utf-8")
    proc = newsbot("extract", str(page), news.url("/world/north-korea-generals"), "--jsonl")
    assert proc.returncode == 0, proc.stderr
    recs = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(recs) == 2
    for rec in recs:
        assert set(rec) == {"input", "title", "text", "site", "published", "language"}
        assert rec["title"] == SEED_TITLE
        assert "15,000 North Korean soldiers" in rec["text"]
        assert "cookies" not in rec["text"]
        assert "Читати українською" not in rec["text"]


def test_bad_setting_is_one_line() -> None:
    proc = newsbot("summarize", "http://example.com/", env={"FETCH_TIMEOUT": "soon"})
    assert proc.returncode == 2
    assert "FETCH_TIMEOUT" in assert_one_clean_error_line(proc)


def test_run_without_token_is_one_line() -> None:
    proc = newsbot_process("run")
    assert proc.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in assert_one_clean_error_line(proc)
