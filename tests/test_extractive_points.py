"""Keyless points a reader can use: short (long sentences trimmed at a clause boundary that
keeps the statement), standing on their own (a sentence leaning on the one before is joined
to it or left out, told in several languages), and covering the story's distinct facts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.extract import extract_article
from bot.summarize.cohesion import dangles, leans, names_back, points_back
from bot.summarize.extractive import _trim, select_points
from tests.fakes.cli import newsbot
from tests.fakes.site import FakeSite

FIXTURE = Path(__file__).parent / "fixtures" / "pages" / "seed-article.html"


def _fact_points(points: list[str]) -> dict[str, list[str]]:
    """Which points carry each fact the seed story's reader needs."""
    return {
        fact: [p for p in points if all(k in p.lower() for k in keys)]
        for fact, keys in {
            "recall": ("kim jong-un", "officers"),
            "heroes": ("heroes",),
            "15,000 troops": ("15,000",),
            "front settled": ("front",),
        }.items()
    }


def _assert_usable(points: list[str]) -> None:
    assert 3 <= len(points) <= 5, points
    for point in points:
        assert len(point.split()) <= 30, point  # short
        assert point[:1].isupper() and point.endswith((".", "!")), point  # whole
        assert not dangles(point) and not points_back(point), point  # stands alone
        assert not names_back(point), point
    # the page's own "Points of attention" box is the outlet's gloss, not a point
    assert not any(p.startswith(("The recall of", "The departure of")) for p in points)


def test_the_seed_page_points_cover_its_facts_through_the_cli(
    site: FakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FETCH_ALLOW_PRIVATE_HOSTS", site.host)
    site.page("/news/north-korea-generals", FIXTURE.read_text(encoding="utf-8"))

    proc = newsbot("summarize", site.url("/news/north-korea-generals"), "--json")

    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["summarizer"] == "extractive"
    points = summary["points"]
    _assert_usable(points)
    facts = _fact_points(points)
    assert all(facts.values()), facts
    assert any("Kursk" in p for p in points), points
    assert any("settled" in p for p in facts["front settled"]), points


def test_the_raw_seed_article_points_cover_its_facts_through_the_cli(
    shared_dir: Path,
) -> None:
    proc = newsbot("summarize", str(shared_dir / "seed-article.txt"), "--json")

    assert proc.returncode == 0, proc.stderr
    points = json.loads(proc.stdout)["points"]
    _assert_usable(points)
    facts = _fact_points(points)
    assert all(facts.values()), facts
    assert any("Kursk" in p for p in points), points
    assert any("stabil" in p for p in facts["front settled"]), points


def test_the_points_are_the_same_with_or_without_the_summary_box() -> None:
    with_box = FIXTURE.read_text(encoding="utf-8")
    start = with_box.index('<div class="points-of-attention">')
    end = with_box.index("</div>", start) + len("</div>")
    without_box = with_box[:start] + with_box[end:]
    url = "https://frontline.example/news/north-korea-generals"

    def points(html: str) -> list[str]:
        article = extract_article(html, url=url)
        return select_points(article.text, title=article.title)

    assert points(with_box) == points(without_box)


@pytest.mark.parametrize(
    ("text", "joined"),
    [
        (
            "The city council approved the hospital budget on Tuesday after a long debate.\n\n"
            "Points of attention\n\n- The council backs the hospital.\n- Money is short.\n\n"
            "More than ten deputies were received in the mayor's office.\n\n"
            "The mayor called them heroes and thanked each of them.\n\n"
            "The new wing will open next spring with two hundred additional beds for patients.",
            "More than ten deputies were received in the mayor's office. The mayor called "
            "them heroes and thanked each of them.",
        ),
        (
            "Міська рада у вівторок ухвалила бюджет лікарні після довгих дебатів у залі.\n\n"
            "Головне\n\n• Рада підтримала лікарню.\n• Грошей бракує.\n\n"
            "Понад десять депутатів прийняли в кабінеті міського голови.\n\n"
            "Він назвав їх героями і подякував кожному.\n\n"
            "Нове крило відкриють наступної весни, і там буде двісті додаткових ліжок.",
            "Понад десять депутатів прийняли в кабінеті міського голови. Він назвав їх "
            "героями і подякував кожному.",
        ),
    ],
    ids=["en", "uk"],
)
def test_a_leaning_sentence_comes_joined_to_the_one_before(text: str, joined: str) -> None:
    points = select_points(text)

    assert joined in points, points
    # the box's bullets are no points, and no point starts with a bare pronoun
    assert not any(p.startswith(("The council backs", "Рада підтримала")) for p in points)
    assert not any(p.startswith(("The mayor called", "Він назвав")) for p in points)


@pytest.mark.parametrize(
    ("sentence", "kept"),
    [
        (
            "The council approved the new budget for the regional hospital on Tuesday after a "
            "long debate, with the opposition warning that the money would run out next year.",
            "The council approved the new budget for the regional hospital on Tuesday after a "
            "long debate.",
        ),
        (
            "Міська рада ухвалила новий бюджет регіональної лікарні у вівторок після довгих "
            "дебатів у залі засідань, яка була переповнена журналістами та мешканцями міста "
            "з усіх районів.",
            "Міська рада ухвалила новий бюджет регіональної лікарні у вівторок після довгих "
            "дебатів у залі засідань.",
        ),
    ],
    ids=["en", "uk"],
)
def test_a_long_sentence_is_cut_after_its_main_clause(sentence: str, kept: str) -> None:
    assert _trim(sentence) == kept


def test_a_long_sentence_without_a_safe_boundary_stays_whole() -> None:
    # "Despite …, it is impossible …": the first clause alone states nothing.
    sentence = (
        "Despite the fact that North Korea continues to supply Russia with ammunition and "
        "still intends to send 6,000 workers for reconstruction, the participation of its "
        "troops in the fighting has significantly decreased."
    )
    assert _trim(sentence) == sentence


@pytest.mark.parametrize(
    "sentence",
    [
        "First of all, we are talking about Colonel General Kim Yong-bok.",
        "However, the ministry denied the report.",
        "This indicates a gradual retreat of the DPRK's combat contribution.",
        "According to foreign analysts, this indicates a gradual retreat.",
        "By the way, they were the ones who were awarded by Putin.",
        "Це свідчить про поступовий відхід КНДР.",
        "Однак міністерство спростувало це повідомлення.",
        "Крім того, Пхеньян постачає боєприпаси.",
        "Однако министерство опровергло сообщение.",
        "Jedoch bestritt das Ministerium den Bericht.",
    ],
)
def test_openers_that_lean_on_the_previous_sentence(sentence: str) -> None:
    assert leans(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "The ministry denied the report on Tuesday.",
        "Thirty soldiers returned home.",
        "Міністерство спростувало повідомлення.",
        "Theodore Roosevelt visited the plant.",
    ],
)
def test_sentences_that_stand_on_their_own(sentence: str) -> None:
    assert not leans(sentence)


@pytest.mark.parametrize(
    "text",
    [
        "The city council approved the hospital budget on Tuesday after a long debate. "
        "Among them were the mayor and two deputies who had opposed the plan for months. "
        "The new wing will open next spring with two hundred additional beds for patients. "
        "Builders say the work will start in March once the contracts are signed by all sides.",
        "Міська рада у вівторок ухвалила бюджет лікарні після довгих дебатів у залі. "
        "Перш за все, йдеться про мера та двох заступників, які місяцями були проти плану. "
        "Нове крило відкриють наступної весни, і там буде двісті додаткових ліжок для хворих. "
        "Будівельники кажуть, що роботи почнуться в березні після підписання всіх контрактів.",
    ],
    ids=["en", "uk"],
)
def test_a_sentence_continuing_the_one_before_is_never_a_point(text: str) -> None:
    points = select_points(text, min_points=3)

    assert len(points) == 3, points
    assert not any(p.startswith(("Among them", "Перш за все")) for p in points), points
