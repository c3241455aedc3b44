"""Short articles and teasers, as a reader meets them: a three-paragraph brief must give its
body alone (not a dump of the page), and "teaser" must mean the page said so — a paywall or
login-wall notice, `isAccessibleForFree: false`, a truncation mark — never length alone.

Through the real CLI against the fake news site, and through extract_article directly for
the variants (languages, scripts, JSON-LD).
"""

from __future__ import annotations

import json
from html import escape

import pytest

from bot.extract import extract_article
from tests.fakes.cli import newsbot
from tests.fakes.site import FakeSite

URL = "https://news.example.com/world/brief"

BRIEF_EN = [
    "Kim Jong-un has ordered more than ten North Korean commanders home from Russia.",
    "He embraced each of them in his office and called them heroes.",
    "About 15,000 soldiers were sent to the Kursk region since autumn 2024.",
]
# A complete 55-word brief: a whole story, however short.
BRIEF_55 = [
    "The city council voted on Tuesday to keep the central library open until ten at night "
    "from next month.",
    "Students had asked for longer hours during the exam season, and the council found the "
    "money in this year's culture budget.",
    "The library will also open on Sunday mornings, starting on the first weekend of March.",
]
BRIEF_UK = [
    "Кім Чен Ин наказав повернути додому понад десять північнокорейських командирів з Росії.",
    "Він особисто обійняв кожного з них у своєму кабінеті та назвав їх героями.",
    "Відтоді як восени 2024 року до Курської області прибули близько 15 тисяч солдатів.",
]
BRIEF_JA = [
    "金正恩総書記は、ロシアに派遣していた北朝鮮の司令官十数人を帰国させた。",
    "総書記は執務室で一人ひとりを抱きしめ、英雄とたたえた。",
    "二〇二四年秋以降、約一万五千人の兵士がクルスク州に送られた。",
]
# Three paragraphs of about 100 words: past any length rule, so only the page's notice
# can tell that the story goes on behind a paywall.
STORY_START = [
    "According to The Wall Street Journal, North Korean leader Kim Jong-un has ordered more "
    "than ten of his officers to return home after they fought in Russia's war against "
    "Ukraine, a sign that the country's combat role is shrinking.",
    "The commanders were welcomed in Kim's personal office, where he embraced each of them "
    "and called them heroes; two of them had been decorated by Vladimir Putin at the Victory "
    "Day parade a few months earlier.",
    "Analysts say the recall points to a gradual retreat from the front, although Pyongyang "
    "still ships artillery shells to Moscow and plans to send thousands of workers.",
]
SUBSCRIBERS_ONLY = (
    "This article is for subscribers only. Subscribe to read the full story."
)


def news_page(
    paragraphs: list[str],
    *,
    title: str = "Kim Jong-un recalls North Korean generals from Russia",
    lang: str = "en",
    after_body: str = "",
    head_extra: str = "",
) -> str:
    """A short news page laid out like the issue's example: category label, headline,
    standfirst, source line and date above a few <p>; tags and share buttons below."""
    body = "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">
<title>{escape(title)} | Example Media</title>
<meta property="og:title" content="{escape(title, quote=True)}">
<meta property="og:site_name" content="Example Media">
<meta property="article:published_time" content="2025-08-14T09:30:00+00:00">
{head_extra}</head><body>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li>
<li><a href="/economy">Economy</a></li></ul></nav></header>
<main><div class="post">
<div class="category">Category <a href="/world">World</a></div>
<h1>{escape(title)}</h1>
<div class="standfirst">The commanders were welcomed home.</div>
<div class="source">Source: <a href="https://wsj.example">The Wall Street Journal</a></div>
<div class="date">14 August 2025</div>
<div class="body">
{body}
</div>
{after_body}
<div class="tags"><a href="/tag/nk">North Korea</a></div>
<div class="share">Share <a href="#">Facebook</a> <a href="#">X</a> How do you like that?</div>
</div></main>
<footer>© 2025 Example Media. All rights reserved.</footer>
</body></html>"""


PAYWALL_BOX = f"""<aside class="paywall"><h3>Premium</h3><p>{SUBSCRIBERS_ONLY}</p>
<button>Subscribe</button> <a href="/login">Already a subscriber? Log in</a></aside>"""


# --- short articles: the body alone ------------------------------------------------------


@pytest.mark.parametrize("paragraphs", [BRIEF_EN, BRIEF_UK, BRIEF_JA], ids=["en", "uk", "ja"])
def test_a_three_paragraph_brief_gives_its_body_alone(paragraphs: list[str]) -> None:
    article = extract_article(news_page(paragraphs), url=URL)

    assert article.text.split("\n\n") == paragraphs
    assert not article.is_teaser


def test_a_short_brief_through_the_cli_has_no_page_furniture_in_its_points(
    site: FakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FETCH_ALLOW_PRIVATE_HOSTS", site.host)
    url = site.page("/world/brief", news_page(BRIEF_EN))

    proc = newsbot("summarize", url, "--json")

    assert proc.returncode == 0, proc.stderr
    rec = json.loads(proc.stdout)
    assert rec["partial"] is False
    joined = " ".join(rec["points"])
    for furniture in ("Category", "Source:", "Share", "Facebook", "How do you like", "14 August"):
        assert furniture not in joined, (furniture, rec["points"])
    assert any("15,000" in p for p in rec["points"]), rec["points"]


# --- teasers: evidence, not length ---------------------------------------------------------


def test_a_complete_55_word_brief_is_not_a_teaser(
    site: FakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FETCH_ALLOW_PRIVATE_HOSTS", site.host)
    assert sum(len(p.split()) for p in BRIEF_55) == 55
    url = site.page("/city/library", news_page(BRIEF_55, title="Library to stay open late"))

    rec = json.loads(newsbot("summarize", url, "--json").stdout)
    human = newsbot("summarize", url).stdout

    assert rec["partial"] is False
    assert "teaser" not in human.lower()


def test_three_paragraphs_then_a_subscribers_only_box_is_a_teaser(
    site: FakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FETCH_ALLOW_PRIVATE_HOSTS", site.host)
    assert sum(len(p.split()) for p in STORY_START) > 90
    url = site.page("/premium/generals", news_page(STORY_START, after_body=PAYWALL_BOX))

    rec = json.loads(newsbot("summarize", url, "--json").stdout)
    human = newsbot("summarize", url).stdout

    assert rec["partial"] is True
    assert "teaser" in human.lower()
    # the notice is evidence, not a point of the story
    assert not any("subscri" in p.lower() for p in rec["points"]), rec["points"]


@pytest.mark.parametrize(
    ("paragraphs", "lang", "notice"),
    [
        (BRIEF_UK, "uk", "Цей матеріал доступний лише для передплатників. Оформіть передплату."),
        (BRIEF_UK, "ru", "Этот материал доступен только для подписчиков."),
        (STORY_START, "de", "Dieser Artikel ist nur für Abonnenten. Jetzt abonnieren."),
        (BRIEF_EN, "fr", "Cet article est réservé aux abonnés. Il vous reste 80% à lire."),
        (BRIEF_EN, "es", "Este contenido es exclusivo para suscriptores."),
        (BRIEF_JA, "ja", "この記事は有料会員限定です。続きを読むには会員登録が必要です。"),
        (BRIEF_EN, "zh", "订阅后阅读全文"),
        (BRIEF_EN, "ar", "هذا المحتوى حصري للمشتركين"),
        (STORY_START, "en", "You have reached your free article limit this month."),
        (STORY_START, "en", "Log in to continue reading."),
    ],
)
def test_paywall_and_login_notices_in_several_languages(
    paragraphs: list[str], lang: str, notice: str
) -> None:
    box = f'<div class="wall"><p>{escape(notice)}</p></div>'
    article = extract_article(news_page(paragraphs, lang=lang, after_body=box), url=URL)

    assert article.is_teaser, article.partial_evidence
    assert notice not in article.text


def _ld(obj: dict[str, object]) -> str:
    return f'<script type="application/ld+json">{json.dumps(obj)}</script>'


def test_json_ld_not_free_marks_a_teaser() -> None:
    ld = _ld({
        "@context": "https://schema.org", "@type": "NewsArticle",
        "headline": "Kim Jong-un recalls North Korean generals from Russia",
        "isAccessibleForFree": False,
        "hasPart": {"@type": "WebPageElement", "isAccessibleForFree": False,
                    "cssSelector": ".paywall"},
    })
    article = extract_article(news_page(STORY_START, head_extra=ld), url=URL)

    assert article.is_teaser
    assert "isAccessibleForFree" in (article.partial_evidence or "")


def test_json_ld_not_free_but_the_whole_text_on_the_page_is_not_a_teaser() -> None:
    # Metered paywalls serve the whole text and hide it in the browser; the page's own
    # articleBody shows that what we read is all of it.
    ld = _ld({
        "@context": "https://schema.org", "@type": "NewsArticle",
        "isAccessibleForFree": "False", "articleBody": " ".join(BRIEF_EN),
    })
    article = extract_article(news_page(BRIEF_EN, head_extra=ld), url=URL)

    assert not article.is_teaser, article.partial_evidence


def test_a_body_cut_with_a_truncation_mark_is_a_teaser() -> None:
    cut = [
        *STORY_START[:2],
        "About 15,000 soldiers were sent to the Kursk region since autumn 2024, and the "
        "front there has stabilised enough that the Kremlin now believes it can […]",
    ]
    article = extract_article(news_page(cut), url=URL)

    assert article.is_teaser
    assert "truncation" in (article.partial_evidence or "")


def test_newsletter_prompts_are_not_paywall_evidence() -> None:
    box = (
        '<div class="newsletter"><p>Subscribe to our newsletter and get the best stories '
        "delivered to your inbox.</p><p>Sign in to comment.</p></div>"
    )
    article = extract_article(news_page(BRIEF_55, after_body=box), url=URL)

    assert not article.is_teaser, article.partial_evidence
