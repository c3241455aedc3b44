"""The faithfulness guard: each point against the sentences it cites. Pure functions.

The examples here are not the benchmark's pairs (bench/faithfulness_pairs.jsonl): they pin
each rule once, in several languages, so that breaking a rule fails a test by name.
"""

from __future__ import annotations

import pytest

from bot.summarize.grounding import GroundedPoint, Numbered
from bot.summarize.guard import (
    Support,
    check_grounded,
    check_points,
    dominant_script,
    names_in,
    supported,
)
from bot.summarize.numbers import figures_of
from tests.fakes.articles import SEED_PARAGRAPHS, SEED_TITLE

ARTICLE = Numbered.from_text("\n".join(SEED_PARAGRAPHS), title=SEED_TITLE)


def number_of(prefix: str) -> int:
    (n,) = [s.number for s in ARTICLE.sentences if s.text.startswith(prefix)]
    return n


def kept(point: str, *cites: int, lang: str = "en", article_lang: str = "en") -> bool:
    result = check_grounded(
        [GroundedPoint(point, cites)], ARTICLE, point_language=lang, article_language=article_lang
    )
    return result.dropped_points == 0


@pytest.mark.parametrize(
    ("source", "point"),
    [
        # numbers in other words
        ("Eighteen-year-old Tom Price was named captain.",
         "18-year-old Tom Price was named captain."),
        ("The museum got 7,500 visitors.", "The museum got seven thousand five hundred visitors."),
        ("Bail was set at $2.5m.", "Bail was set at 2.5 million dollars."),
        ("The train leaves at 6:45 a.m. daily.", "The train leaves at 06:45 every day."),
        ("The ferry sank at 9 pm.", "The ferry sank at 21:00."),
        ("He ran 3¼ miles.", "He ran 3.25 miles."),
        ("Some six thousand people marched.", "About 6,000 people marched."),
        ("Pope Benedict XVI resigned.", "Pope Benedict the Sixteenth resigned."),
        ("The dam holds 96.4 million cubic metres.",
         "The dam holds about 96 million cubic metres."),
        # names in other forms
        ("The World Health Organization warned of measles.", "The WHO warned of measles."),
        ("NATO allies met in Vilnius.",
         "North Atlantic Treaty Organization allies met in Vilnius."),
        ("The U.K. economy shrank.", "The United Kingdom economy shrank."),
        ("The WWI memorial was restored.", "The World War I memorial was restored."),
        ("Italian prosecutors opened a case.", "Prosecutors in Italy opened a case."),
        ("Abu Bakr al-Baghdadi was named.", "Abu Bakr Al Baghdadi was named."),
        ("Mary-Kate Olsen attended the gala.", "Mary Kate Olsen attended the gala."),
        # voice and attribution
        ("Rebels captured the airport at dawn.", "The airport was captured by rebels at dawn."),
        ("The mayor said the bridge will reopen in May.",
         "The bridge will reopen in May, the mayor said."),
    ],
)  # fmt: skip
def test_faithful_rewordings_are_kept(source: str, point: str) -> None:
    assert Support(source).problems(point) == [], point


@pytest.mark.parametrize(
    ("source", "point", "problem"),
    [
        ("The museum got 7,500 visitors.", "The museum got 5,700 visitors.", "number"),
        ("The train leaves at 6:45 a.m. daily.", "The train leaves at 18:45 daily.", "number"),
        ("Pope Benedict XVI resigned.", "Pope Benedict XV resigned.", "number"),
        ("Scores of homes were flooded.", "Thousands of homes were flooded.", "magnitude"),
        ("Rebels captured the airport at dawn.",
         "Rebels captured the airport at dawn, Reuters said.",
         "name"),
        ("Italian prosecutors opened a case.", "Spanish prosecutors opened a case.", "name"),
        ("Portugal beat Ghana 3-2.", "Ghana beat Portugal 3-2.", "is not who"),
        ("The nurse helped the patient to walk.", "The patient helped the nurse to walk.",
         "is not who"),
        ("The miner was trapped for two days.", "The miner died after two days trapped.", "death"),
        ("She was fired by her employer in June.", "She was fired by her husband in June.",
         "relation"),
        ("The bridge will reopen in May.", "The bridge will reopen in May, engineers said.",
         "source"),
        ("The dam holds 96.4 million cubic metres.", "The dam holds 90 million cubic metres.",
         "number"),
        ("Bail was set at $2.5m.", "Bail was set at $2.5bn.", "number"),
    ],
)  # fmt: skip
def test_unfaithful_points_are_dropped_with_a_reason(
    source: str, point: str, problem: str
) -> None:
    problems = Support(source).problems(point)
    assert any(problem in p for p in problems), problems


def test_numbers_bound_to_words_cannot_swap() -> None:
    source = "The crash killed 4 people and injured 19."
    assert Support(source).problems("The crash killed 19 people and injured 4.")
    assert not Support(source).problems("The crash injured 19 people and killed 4.")


def test_a_hedged_figure_may_round_but_a_bare_one_may_not() -> None:
    source = "The fund holds $4.86 billion."
    assert supported("The fund holds nearly $4.9 billion.", source)
    assert not supported("The fund holds $4.9 billion.", source)
    assert not supported("The fund holds nearly $6 billion.", source)


def test_the_first_word_is_checked_as_a_name_unless_it_is_an_ordinary_opener() -> None:
    source = "India's prime minister visited Kathmandu."
    assert not supported("Nepal's prime minister visited Kathmandu.", source)
    assert supported("The prime minister of India visited Kathmandu.", source)
    assert names_in("Nepal's prime minister met Modi. Then Biden called.") == [
        "Nepal's", "Modi", "Biden",
    ]  # fmt: skip


def test_points_are_checked_against_their_cited_sentences_only() -> None:
    workers = number_of("North Korea still supplies")
    decorated = number_of("Both had been decorated")
    point = "North Korea intends to send 6,000 workers for reconstruction."
    assert kept(point, workers)
    # The same point citing a sentence that does not say it: the number is not there.
    assert not kept(point, decorated)


def test_the_sentence_before_a_cited_one_lends_its_names() -> None:
    # "Both had been decorated by Vladimir Putin" — "both" are named one sentence earlier.
    point = "Kim Yong-bok had been decorated by Vladimir Putin."
    assert kept(point, number_of("Both had been decorated"))


def test_missing_or_impossible_citations_are_found_anew() -> None:
    result = check_grounded(
        [GroundedPoint("About 15,000 North Korean soldiers arrived in Russia.", (99,))], ARTICLE
    )
    (verdict,) = result.verdicts
    assert verdict.ok and verdict.repaired
    assert number_of("Since the autumn") in verdict.point.cites
    assert check_points(["Kim met Donald Trump in Hanoi."], "\n".join(SEED_PARAGRAPHS)).dropped


# -- other languages and scripts ---------------------------------------------------------------
UK = "Міністр оборони Рустем Умєров заявив, що Україна отримала сорок танків від Польщі."


@pytest.mark.parametrize(
    "point",
    [
        "Україна отримала 40 танків від Польщі, заявив міністр оборони Рустем Умєров.",
        "Умєров заявив, що Польща передала Україні 40 танків.",
        "Польща передала Україні сорок танків, заявив міністр оборони.",
    ],
)
def test_ukrainian_faithful_points_are_kept(point: str) -> None:
    assert Support(UK).problems(point, point_language="uk", article_language="uk") == []


@pytest.mark.parametrize(
    "point",
    [
        "Україна отримала 14 танків від Польщі.",  # number
        "Україна отримала сорок танків від Німеччини.",  # country
        "Україна отримала сотні танків від Польщі.",  # magnitude word
        "Міністр оборони Рустем Умєров загинув після отримання танків.",  # invented death
    ],
)
def test_ukrainian_unfaithful_points_are_dropped(point: str) -> None:
    assert Support(UK).problems(point, point_language="uk", article_language="uk")


DE = "Die Polizei nahm in München drei Verdächtige fest, teilte die Staatsanwaltschaft mit."


def test_german_nouns_are_checked_with_compounds_and_numbers() -> None:
    support = Support(DE)
    ok = "In München nahm die Polizei 3 Verdächtige fest."
    assert support.problems(ok, point_language="de", article_language="de") == []
    for bad in (
        "In Hamburg nahm die Polizei drei Verdächtige fest.",
        "In München nahm die Polizei fünf Verdächtige fest.",
        "In München starben drei Verdächtige bei der Festnahme.",
    ):
        assert support.problems(bad, point_language="de", article_language="de"), bad


def test_a_translated_point_is_checked_for_numbers_magnitudes_and_deaths() -> None:
    soldiers = number_of("Since the autumn")
    faithful = "Близько 15 тис. північнокорейських солдатів прибули до Курської області."
    assert kept(faithful, soldiers, lang="uk")
    assert not kept(faithful.replace("15", "20"), soldiers, lang="uk")
    assert not kept("Тисячі північнокорейських солдатів загинули у Курській області.",
                    soldiers, lang="uk")  # fmt: skip


def test_names_in_another_script_are_compared_with_inflection() -> None:
    source = "Президент Путін зустрівся з Кім Чен Ином у Москві."
    assert supported("Кім Чен Ин прилетів до Путіна в Москву.", source, language="uk")
    assert not supported("Кім Чен Ин зустрівся з Байденом.", source, language="uk")


def test_cjk_points_are_checked_for_numbers() -> None:
    source = "东京电力公司表示，将排放约134万吨处理水。"
    assert supported("东京电力公司将排放约134万吨处理水。", source, language="zh")
    assert not supported("东京电力公司将排放约143万吨处理水。", source, language="zh")


def test_figures_of_reads_every_way_of_writing_a_number() -> None:
    values = figures_of("Twenty-five people, 1,200 troops, 6,5 %, 3 млн, at 7:30 p.m., WWII").values
    assert {25, 1200, 6.5, 3_000_000, 2} <= values
    assert 19 * 60 + 30 in figures_of("at 7:30 p.m.").times


def test_dominant_script() -> None:
    assert dominant_script("Hello Київ") == "LATIN"
    assert dominant_script("Привіт, Kyiv!") == "CYRILLIC"
    assert dominant_script("2024") == ""


def test_an_empty_list_is_fine() -> None:
    result = check_grounded([], ARTICLE)
    assert result.kept == [] and result.dropped == []


def test_a_point_nothing_in_the_article_backs_is_dropped_and_the_next_still_checked() -> None:
    # No citation and no sentence that matches it: dropped with the reason, and the points
    # after it are still checked (one unsupported point must not end the summary).
    soldiers = number_of("Since the autumn")
    faithful = "About 15,000 North Korean soldiers arrived in Russia."
    for invented, lang in (("Zebras sing opera loudly.", "en"), ("Зебри співають оперу.", "uk")):
        result = check_grounded(
            [GroundedPoint(invented, (99,)), GroundedPoint(faithful, (soldiers,))],
            ARTICLE, point_language=lang, article_language="en",
        )  # fmt: skip
        assert result.kept == [GroundedPoint(faithful, (soldiers,))]
        (dropped,) = result.dropped
        assert dropped.point.text == invented
        assert dropped.problems == ["cites nothing the article says"] and dropped.repaired
