"""Issue 11 item 5 on the command line, through the real entry point (`python -m bot`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes.process import newsbot

ARTICLE = (
    "Bridge to open in May\n\n"
    "Kyiv said on Monday that the new bridge over the Dnipro will open in May. "
    "The city council approved a budget of 2 billion hryvnias for the work. "
    "Officials expect traffic on the old crossings to fall by a third.\n"
)


@pytest.mark.parametrize(("args", "stdin"), [
    (["summarize", "-"], ""),
    (["summarize", "-"], "   \n\n"),
    (["summarize", "-"], "Bridge to open in May\n"),  # a title and nothing else
    (["summarize", "empty.txt"], ""),
    (["extract", "empty.txt"], ""),
])
def test_empty_input_is_exit_4_no_article_text(tmp_path: Path, args: list[str],
                                               stdin: str) -> None:
    (tmp_path / "empty.txt").write_text("")
    done = newsbot(*args, cwd=tmp_path, stdin=stdin)
    assert done.returncode == 4, done.stdout + done.stderr
    assert done.stdout == ""
    assert done.stderr.startswith("newsbot: error: no article text"), done.stderr


def test_verbose_after_the_subcommand(tmp_path: Path) -> None:
    done = newsbot("summarize", "-v", "-", cwd=tmp_path, stdin=ARTICLE)
    assert done.returncode == 0, done.stderr
    assert "DEBUG" in done.stderr  # -v took effect
    assert "Kyiv said on Monday" in done.stdout


def test_lang_without_a_model_is_said_on_stderr(tmp_path: Path) -> None:
    done = newsbot("summarize", "--lang", "de", "-", cwd=tmp_path, stdin=ARTICLE)
    assert done.returncode == 0, done.stderr
    assert "--lang de ignored: translation needs a model" in done.stderr
    assert "Kyiv said on Monday" in done.stdout  # in the article's own language


@pytest.mark.parametrize("code", ["klingon", "xx", "e"])
def test_lang_that_is_not_a_language_is_refused(tmp_path: Path, code: str) -> None:
    done = newsbot("summarize", "--lang", code, "-", cwd=tmp_path, stdin=ARTICLE)
    assert done.returncode == 2
    assert f"{code!r} is not a language code" in done.stderr
    assert done.stdout == ""


@pytest.mark.parametrize(("hours", "ok"), [("168", True), ("72", True), ("0", False),
                                           ("168.5", False), ("-1", False)])
def test_digest_since_takes_up_to_a_week(tmp_path: Path, hours: str, ok: bool) -> None:
    # No feeds configured: a valid --since gets as far as "no news source could be reached"
    # (exit 3) or an empty digest; an invalid one is an argument error (exit 2).
    done = newsbot("digest", "Chess", "--since", hours, cwd=tmp_path,
                   NEWS_SEARCH_FEEDS="http://127.0.0.1:9/rss?q={query}", GDELT_ENABLED="false",
                   GOOGLE_NEWS_DECODE="false")
    if ok:
        assert "--since" not in done.stderr, done.stderr
        assert done.returncode in (0, 3), done.stderr
    else:
        assert done.returncode == 2
        assert "--since takes more than 0 and at most 168 hours" in done.stderr


def test_one_long_line_without_spaces_is_an_article_not_a_title(tmp_path: Path) -> None:
    line = ("基辅市政府周一表示，第聂伯河上的新桥将于五月通车。市议会批准了二十亿格里夫纳的预算。"
            "官员预计旧桥上的交通量将减少三分之一。工程由本地公司承建，预计雇用五百名工人。") * 2
    done = newsbot("summarize", "-", cwd=tmp_path, stdin=line + "\n")
    assert done.returncode == 0, done.stderr
    assert "•" in done.stdout


def test_a_rejected_model_key_is_named_in_the_fallback_note(tmp_path: Path) -> None:
    from tests.fakes.openai_server import FakeOpenAI

    with FakeOpenAI(api_key="sk-right") as llm:
        done = newsbot("summarize", "-", cwd=tmp_path, stdin=ARTICLE, SUMMARIZER="llm",
                       OPENAI_BASE_URL=llm.base_url, OPENAI_API_KEY="sk-wrong-key")
    assert done.returncode == 0, done.stderr
    assert "Kyiv said on Monday" in done.stdout  # the extractive points still come
    assert "the model rejected the key (HTTP 401; check OPENAI_API_KEY)" in done.stdout
    assert "sk-wrong-key" not in done.stdout + done.stderr
