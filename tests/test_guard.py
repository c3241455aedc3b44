"""The faithfulness guard: pure functions, no I/O."""

from __future__ import annotations

import pytest

from bot.summarize.guard import (
    Source,
    check_points,
    dominant_script,
    names_comparable,
    names_in,
)
from tests.fakes.articles import SEED_PARAGRAPHS, SEED_TITLE

ARTICLE = SEED_TITLE + "\n" + "\n".join(SEED_PARAGRAPHS)


@pytest.mark.parametrize(
    "point",
    [
        "About 15,000 North Korean soldiers have arrived in Russia since autumn 2024.",
        "North Korea intends to send 6 000 workers to Russia for reconstruction.",
        "North Korea intends to send 6000 workers to Russia.",
        "Some 15 thousand troops helped hold the Kursk region.",
        "The WSJ reports that Kim Jong-un ordered his officers home.",
        "Putin's decorations went to Colonel General Kim Yong-bok.",
        "Kim called the returning commanders heroes: They were embraced one by one.",
        "The Kremlin probably believes it can hold the region on its own.",
        "«Heroes», Kim called them.",
    ],
)
def test_faithful_points_are_kept(point: str) -> None:
    result = check_points([point], ARTICLE)
    assert result.kept == [point]
    assert result.dropped_points == 0


@pytest.mark.parametrize(
    ("point", "missing"),
    [
        ("North Korea sent 60,000 workers to Russia.", ["60,000"]),
        ("About 16,000 soldiers arrived in Russia.", ["16,000"]),
        ("Troops have been in Russia since 2023.", ["2023"]),
        ("North Korea's role shrank by 6.5 percent.", ["6.5"]),
        ("Kim met Donald Trump to discuss the war.", ["Donald", "Trump"]),
        ("The generals were welcomed in Pyongyang.", ["Pyongyang"]),
    ],
)
def test_invented_numbers_and_names_are_reported(point: str, missing: list[str]) -> None:
    assert Source(ARTICLE).unsupported(point) == missing
    result = check_points([point], ARTICLE)
    assert result.kept == []
    assert result.dropped == [point]


def test_only_the_unsupported_points_are_dropped() -> None:
    points = [
        "Kim ordered his officers to return home.",
        "North Korea sent 50,000 soldiers.",
        "Both generals were decorated by Vladimir Putin.",
    ]
    result = check_points(points, ARTICLE)
    assert result.kept == [points[0], points[2]]
    assert result.dropped == [points[1]]
    assert result.dropped_points == 1


@pytest.mark.parametrize(
    ("article", "point"),
    [
        ("Inflation rose to 6,5% in May.", "Inflation rose to 6.5% in May."),
        ("The deal is worth $1.2 billion.", "The deal is worth 1,200,000,000 dollars."),
        ("Published 14.07.2025.", "It was published on July 14."),
        ("The budget is 3 млн гривень.", "Бюджет становить 3 000 000 гривень."),
        ("It had 007 agents.", "It had 7 agents."),
        ("He was banned for six months.", "He was banned for 6 months."),
        ("Twenty-five people came.", "25 people came."),
    ],
)
def test_number_formats_are_normalised(article: str, point: str) -> None:
    assert Source(article).unsupported(point, check_names=False) == []


def test_a_translated_point_is_checked_for_numbers_only() -> None:
    # Ukrainian point about an English article: "Курська" can't be compared with "Kursk".
    faithful = "Близько 15 тис. північнокорейських солдатів прибули до Курської області."
    invented = "Близько 20 тис. північнокорейських солдатів прибули до Курської області."
    result = check_points([faithful, invented], ARTICLE, point_language="uk", article_language="en")
    assert result.kept == [faithful]
    assert result.dropped == [invented]


def test_a_point_in_another_script_skips_names_even_without_languages() -> None:
    point = "Ким Чен Ын отозвал генералов из России."
    assert check_points([point], ARTICLE).kept == [point]


def test_names_are_compared_with_light_inflection() -> None:
    article = "Президент Путин встретился с Ким Чен Ыном в Москве."
    source = Source(article)
    assert source.unsupported("Ким Чен Ын прилетел к Путину в Москву.") == []
    assert source.unsupported("Ким Чен Ын встретился с Байденом.") == ["Байденом"]


def test_german_points_skip_the_name_check() -> None:
    assert not names_comparable("de", "de")
    assert not names_comparable("uk", "en")
    assert names_comparable("en", "en")
    assert names_comparable(None, "en")
    assert names_comparable("en-GB", "en")
    point = "Die Soldaten kehren nach Hause zurück."
    result = check_points([point], "Die Truppen sind zurück.", point_language="de")
    assert result.kept == [point]


def test_names_in_skips_sentence_openers() -> None:
    assert names_in("Kim met Putin. Then Biden called: Everyone agreed.") == ["Putin", "Biden"]
    assert names_in("- The Bank of England held rates.") == ["Bank", "England"]
    assert names_in("I think (Reuters) said so.") == []
    assert names_in("Boase said: 'It is my intention to stop'") == []


def test_dominant_script() -> None:
    assert dominant_script("Hello Київ") == "LATIN"
    assert dominant_script("Привіт, Kyiv!") == "CYRILLIC"
    assert dominant_script("2024") == ""


def test_an_empty_list_is_fine() -> None:
    result = check_points([], ARTICLE)
    assert result.kept == [] and result.dropped == []
