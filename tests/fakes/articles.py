"""Realistic news pages for the fake site: an article body wrapped in the boilerplate real
outlets carry (navigation, cookie notice, language switcher, "More on the topic", share).

The default article is modelled on ../shared/seed-article.txt (in our own words).
"""

from __future__ import annotations

from html import escape

from bot.article import Article

SEED_TITLE = "North Korea unexpectedly withdrew its generals from Russia — what's happening?"
SEED_PARAGRAPHS = [
    "According to The Wall Street Journal, North Korean leader Kim Jong-un has ordered his "
    "officers to return home after they fought in Russia's war against Ukraine. Foreign "
    "analysts say this points to a gradual retreat of the DPRK's combat role and a smaller "
    "part in any peace negotiations about the war.",
    "As journalists found out, more than ten commanders were solemnly welcomed in Kim's "
    "personal office.",
    "Kim called them heroes and embraced each of them in person.",
    "Among them were Colonel General Kim Yong-bok and Major General Sin Kum-chol.",
    "Both had been decorated by Vladimir Putin during the Victory Day parade a few months ago.",
    "North Korea still supplies Russia with ammunition and intends to send 6,000 workers for "
    "reconstruction, but the part its troops play in the fighting has shrunk markedly.",
    "Since the autumn of 2024, about 15,000 North Korean soldiers have arrived in Russia to "
    "help hold the Kursk region. The front line there has stabilised, and the Kremlin probably "
    "believes it can hold the region on its own.",
]

BOILERPLATE_TOP = """
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li>
<li><a href="/ukraine">Ukraine</a></li><li><a href="/economy">Economy</a></li></ul></nav>
<div class="lang-switch"><a href="/uk/">Читати українською</a></div></header>
"""
BOILERPLATE_BOTTOM = """
<aside class="related"><h2>More on the topic</h2><ul>
<li><a href="/a1">North Korea wants to send a large number of troops to the war</a></li>
<li><a href="/a2">What North Korea told Russia — a warning to South Korea</a></li>
<li><a href="/a3">1,200 North Korean soldiers will soon arrive in Kurshchyna</a></li></ul></aside>
<div class="share">Share <a href="#">Facebook</a> <a href="#">X</a> How do you like that?</div>
<div class="cookie-banner">By staying online, you consent to the use of cookies files, which
help us make your stay here even better. <button>OK</button></div>
<footer>© 2025 Example Media. All rights reserved. <a href="/privacy">Privacy</a></footer>
"""


def article_html(
    title: str = SEED_TITLE,
    paragraphs: list[str] | None = None,
    *,
    site: str = "Example Media",
    published: str = "2025-07-14T09:30:00+03:00",
    lang: str = "en",
    charset: str | None = "utf-8",
    escape_title: bool = True,
) -> str:
    """A full page; `escape_title=False` lets a test plant hostile markup in the title."""
    paragraphs = SEED_PARAGRAPHS if paragraphs is None else paragraphs
    t = escape(title) if escape_title else title
    body = "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    meta_charset = f'<meta charset="{charset}">' if charset else ""
    return f"""<!DOCTYPE html>
<html lang="{lang}"><head>{meta_charset}
<title>{t} | {escape(site)}</title>
<meta property="og:title" content="{escape(title, quote=True)}">
<meta property="og:site_name" content="{escape(site, quote=True)}">
<meta property="article:published_time" content="{published}">
</head><body>{BOILERPLATE_TOP}
<main><article><h1>{t}</h1>
<div class="meta">Category: World · <time datetime="{published}">{published[:10]}</time></div>
{body}
</article></main>{BOILERPLATE_BOTTOM}</body></html>"""


def teaser_html(title: str = "Inside the deal that reshaped the chip industry") -> str:
    """A paywalled page: a two-sentence teaser and a subscribe box."""
    return article_html(
        title,
        [
            "Executives spent months negotiating behind closed doors before the agreement was "
            "announced on Monday.",
            "Subscribe to continue reading. Already a subscriber? Log in.",
        ],
    )


def long_article_paragraphs(n: int = 200) -> list[str]:
    """A very long article with distinct, checkable paragraphs."""
    return [
        f"Paragraph {i} reports that the committee reviewed budget line {i} and approved "
        f"{i * 3} new positions for the regional office in Springfield."
        for i in range(1, n + 1)
    ]


def seed_article(**kw: object) -> Article:
    """The seed article as extraction would give it, with any field overridden."""
    fields: dict[str, object] = {
        "url": "https://example.com/a",
        "final_url": "https://example.com/a",
        "title": SEED_TITLE,
        "text": "\n".join(SEED_PARAGRAPHS),
        "language": "en",
    }
    fields.update(kw)
    return Article(**fields)  # type: ignore[arg-type]


# A short Ukrainian news article (Cyrillic, a figure in digits): the hostile-page tests wrap
# it in hostile charsets and metadata.
KYIV_BUDGET_PARAGRAPHS = [
    "Київська міська рада у четвер ухвалила бюджет міста на 2027 рік після тривалих "
    "дебатів, які тривали майже вісім годин.",
    "За рішення проголосували 78 депутатів; опозиція критикувала скорочення видатків на "
    "громадський транспорт та ремонт мостів.",
    "Міський голова заявив, що пріоритетом залишаються школи, лікарні та укриття, а "
    "фінансування метро буде переглянуто навесні.",
    "Експерти зауважують, що доходи бюджету залежать від податку на доходи фізичних осіб, "
    "який минулого року зріс на дванадцять відсотків.",
]
