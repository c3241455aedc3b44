"""The embedded summarizer: verbatim, clean, bounded points from real-looking article text."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.article import Article
from bot.summarize import Summarizer
from bot.summarize.extractive import ExtractiveSummarizer, select_points
from bot.summarize.sentences import split_sentences
from tests.fakes.articles import SEED_PARAGRAPHS, SEED_TITLE, long_article_paragraphs

# Scraped text the way an extractor can leave it: the article with its page furniture
# (modelled on ../shared/seed-article.txt, in our own words).
BOILERPLATE = [
    "Category",
    "World",
    "Publication date",
    "Читати українською",
    "Source: The Wall Street Journal",
    "By Example Media staff",
    "Photo: Getty Images",
    "Read more: North Korea wants to send a large number of troops to the war.",
    "Click here to subscribe to our newsletter.",
    "More on the topic",
    "What North Korea told Russia — a warning to South Korea",
    "Share",
    "How do you like that?",
    "By staying online, you consent to the use of cookies files, which help us make your "
    "stay here even better.",
    "© 2025 Example Media. All rights reserved.",
]
SEED_TEXT = "\n\n".join(
    [
        SEED_TITLE,
        *BOILERPLATE[:6],
        *SEED_PARAGRAPHS[:3],
        BOILERPLATE[6],
        *SEED_PARAGRAPHS[3:],
        *BOILERPLATE[7:],
    ]
)


def _flat(text: str) -> str:
    return " ".join(text.split())


def _assert_good_points(points: list[str], text: str, *, low: int = 2, high: int = 5) -> None:
    assert low <= len(points) <= high
    assert len(set(points)) == len(points)
    body = _flat(text)
    for point in points:
        # verbatim, or a long sentence cut after its main clause (its words, then a full stop)
        assert point in body or point[:-1] in body, f"not verbatim: {point!r}"
        # whole sentences (one, or a run of them when one leans on the one before), or the
        # start of one up to a clause boundary
        sentences = split_sentences(text)
        runs = [" ".join(sentences[i:j]) for i in range(len(sentences))
                for j in range(i + 1, min(i + 4, len(sentences) + 1))]
        assert any(
            s == point or (s.startswith(point[:-1]) and s[len(point) - 1] in ",;—– ")
            for s in runs
        ), f"not whole sentences: {point!r}"


def test_seed_article_points_are_clean_verbatim_sentences() -> None:
    points = select_points(SEED_TEXT, title=SEED_TITLE)

    _assert_good_points(points, SEED_TEXT, low=3)
    for junk in BOILERPLATE:
        assert _flat(junk) not in points
    assert SEED_TITLE not in points
    # The lead (who did what) is the first point: it is what the story is about.
    assert points[0] == split_sentences(SEED_PARAGRAPHS[0])[0]


def test_shared_seed_page_when_present(shared_dir: Path) -> None:
    text = (shared_dir / "seed-article.txt").read_text(encoding="utf-8")
    title = text.splitlines()[0]

    points = select_points(text, title=title)

    _assert_good_points(points, text, low=3)
    for point in points:
        assert "cookies" not in point
        assert not point.endswith("?")
    assert any("Kim Jong-un" in point for point in points)


def test_points_respect_bounds_and_prefer_more_than_the_lead() -> None:
    text = "\n".join(long_article_paragraphs(40))

    assert len(select_points(text, max_points=2, min_points=2)) == 2
    five = select_points(text, max_points=5, min_points=5)
    assert len(five) == 5
    _assert_good_points(five, text)


def test_repetition_is_not_picked_twice() -> None:
    lead = "The city council approved a new budget for schools on Tuesday evening."
    text = " ".join(
        [
            lead,
            "The city council approved a new budget for schools on Tuesday evening, aides said.",
            "Teachers will get a four per cent raise under the plan starting in September.",
            "Parents had campaigned for smaller classes at the district's crowded schools.",
            "Opposition members said the plan relies on optimistic property tax forecasts.",
        ]
    )

    points = select_points(text, min_points=3, max_points=3)

    assert points[0] == lead
    assert not any(p.startswith(lead[:-1] + ",") for p in points)


def test_dailymail_style_stamps_and_bylines_are_dropped() -> None:
    text = (
        "By . Daily Mail Reporter . PUBLISHED: . 09:12 EST, 3 April 2013 . | . "
        "UPDATED: . 10:40 EST, 3 April 2013 . "
        "A pensioner has won the lottery twice in the same month, organisers said on Tuesday. "
        "The 71-year-old from Leeds matched five numbers in both draws. "
        "She plans to spend the money on a new kitchen and a holiday in Spain. "
        "Scroll down for video. Read more: Lottery winners who lost it all."
    )

    points = select_points(text)

    assert points[0].startswith("A pensioner has won")
    for point in points:
        assert not point.startswith(("By", "PUBLISHED", "UPDATED", "Scroll", "Read more"))


@pytest.mark.parametrize(
    ("text", "expected_first"),
    [
        pytest.param(
            "Київ, 14 липня. Північна Корея відкликала своїх генералів із Росії, повідомляє "
            "The Wall Street Journal. Кім Чен Ин особисто зустрів понад десять командирів у "
            "своєму кабінеті. Серед них були генерал-полковник Кім Йон Бок і генерал-майор "
            "Сін Кум Чхоль. Аналітики вважають, що роль КНДР у війні поступово зменшується. "
            "Читайте також: інші новини дня.",
            "Північна Корея відкликала своїх генералів із Росії, повідомляє The Wall Street "
            "Journal.",
            id="ukrainian",
        ),
        pytest.param(
            "Die Bundesregierung hat am 3. Oktober ein neues Klimapaket beschlossen. "
            "Es sieht z. B. höhere Abgaben auf Heizöl und Benzin vor. Die Opposition "
            "kritisierte das Paket als sozial unausgewogen und zu spät. Der Bundestag soll "
            "im November über das Gesetz abstimmen. Lesen Sie auch: Was das Paket kostet.",
            # "Es sieht … vor" names the package only in the sentence before: joined to it
            "Die Bundesregierung hat am 3. Oktober ein neues Klimapaket beschlossen. "
            "Es sieht z. B. höhere Abgaben auf Heizöl und Benzin vor.",
            id="german",
        ),
        pytest.param(
            "日本銀行は火曜日、政策金利を0.5%に引き上げると発表した。これは17年ぶりの水準となる。"
            "市場では円高が進み、株価は一時下落した。専門家は追加の利上げは年内にはないと見ている。",
            "日本銀行は火曜日、政策金利を0.5%に引き上げると発表した。",
            id="japanese",
        ),
    ],
)
def test_non_english_articles(text: str, expected_first: str) -> None:
    points = select_points(text)

    _assert_good_points(points, text)
    assert points[0] == expected_first
    assert not any(p.startswith(("Читайте", "Lesen")) for p in points)


def test_huge_input_completes_with_points_from_the_top() -> None:
    paragraphs = long_article_paragraphs(2_000)
    text = "\n".join(paragraphs)
    assert len(text) > 200_000

    points = select_points(text)

    _assert_good_points(points, text, low=3)
    assert paragraphs[0] in points


def test_text_without_usable_sentences_gives_no_points() -> None:
    assert select_points("") == []
    assert select_points("Home\nWorld\nShare\nMore on the topic") == []
    assert select_points("word " * 50_000) == []  # one endless run-on "sentence"


async def test_summarizer_satisfies_the_protocol() -> None:
    # mypy (run over tests/ in CI) checks the assignment; the call checks the behaviour
    # a caller of the protocol relies on: a Summary that names its summarizer.
    summarizer: Summarizer = ExtractiveSummarizer()
    article = Article(url="https://example.org/a", final_url="https://example.org/a",
                      title=SEED_TITLE, text="\n\n".join(SEED_PARAGRAPHS), language="en")
    summary = await summarizer.summarize(article, lang="en")
    assert summary.summarizer == summarizer.name == "extractive"
    assert 2 <= len(summary.points) <= 5


async def test_summarizer_returns_a_summary_of_the_article() -> None:
    text = "\n\n".join(SEED_PARAGRAPHS)
    article = Article(
        url="https://example.org/a",
        final_url="https://example.org/a",
        title=SEED_TITLE,
        text=text,
        language="en",
    )

    summary = await ExtractiveSummarizer().summarize(article, lang="uk")

    assert summary.summarizer == "extractive"
    assert summary.language == "en"
    assert summary.partial is False
    _assert_good_points(summary.points, text, low=3)


async def test_teaser_is_not_padded() -> None:
    text = (
        "Executives spent months negotiating behind closed doors before the agreement was "
        "announced on Monday.\n\nSubscribe to continue reading. Already a subscriber? Log in."
    )
    article = Article(
        url="https://example.org/deal",
        final_url="https://example.org/deal",
        title="Inside the deal that reshaped the chip industry",
        text=text,
    )
    assert article.is_teaser

    summary = await ExtractiveSummarizer().summarize(article)

    assert summary.partial is True
    assert summary.points == [
        "Executives spent months negotiating behind closed doors before the agreement was "
        "announced on Monday."
    ]
