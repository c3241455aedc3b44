"""Keyless points a reader can use: short (long sentences trimmed at a clause boundary that
keeps the statement) and standing on their own (openers that lean on the sentence before
are told in several languages and count against a sentence)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.summarize.extractive import _leans, _trim, select_points
from tests.test_cli import newsbot


def test_the_seed_article_gives_short_points_through_the_cli(shared_dir: Path) -> None:
    proc = newsbot("summarize", str(shared_dir / "seed-article.txt"), "--json")

    assert proc.returncode == 0, proc.stderr
    points = json.loads(proc.stdout)["points"]
    assert points
    assert all(len(p.split()) <= 30 for p in points), points
    # the 30-word sentence lost its appended circumstance, not its statement
    assert (
        "The departure of North Korean generals hints at a potential shift in dynamics in "
        "the Russian-Ukrainian war." in points
    ), points


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
    assert _leans(sentence)


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
    assert not _leans(sentence)


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
