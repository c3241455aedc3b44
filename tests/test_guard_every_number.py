"""The faithfulness guard checks every number of a point, not just the first one.

A point that gets one figure right and invents a second is the most convincing kind of
unfaithful: the reader checks the first figure, finds it, and trusts the rest.
"""

from __future__ import annotations

import pytest

from bot.summarize.guard import Source, check_points

ARTICLES = {
    "en": "Since the autumn of 2024, about 15,000 North Korean soldiers have arrived in "
          "Russia. North Korea intends to send 6,000 workers for reconstruction.",
    "uk": "Від осені 2024 року до Росії прибуло близько 15 000 північнокорейських "
          "солдатів. КНДР має намір надіслати 6 000 робітників на відбудову.",
    "zh": "自2024年秋季以来，约15,000名朝鲜士兵抵达俄罗斯。朝鲜打算派遣6,000名工人参加重建。",
}

INVENTED_LAST = {
    "en": "About 15,000 soldiers and 90,000 workers went to Russia.",
    "uk": "До Росії прибули 15 000 солдатів і 90 000 робітників.",
    "zh": "约15,000名士兵和90,000名工人前往俄罗斯。",
}

ALL_KNOWN = {
    "en": "About 15,000 soldiers and 6,000 workers went to Russia.",
    "uk": "До Росії прибули 15 000 солдатів і 6 000 робітників.",
    "zh": "约15,000名士兵和6,000名工人前往俄罗斯。",
}


@pytest.mark.parametrize("lang", sorted(ARTICLES))
def test_an_invented_second_number_drops_the_point(lang: str) -> None:
    article, point = ARTICLES[lang], INVENTED_LAST[lang]
    assert Source(article).unsupported(point, check_names=False) == [
        "90 000" if lang == "uk" else "90,000"
    ]
    result = check_points([point], article)
    assert result.kept == [] and result.dropped == [point]


@pytest.mark.parametrize("lang", sorted(ARTICLES))
def test_a_point_whose_numbers_are_all_in_the_article_is_kept(lang: str) -> None:
    article, point = ARTICLES[lang], ALL_KNOWN[lang]
    assert Source(article).unsupported(point, check_names=False) == []
    assert check_points([point], article).kept == [point]


def test_an_invented_number_in_the_middle_of_three_is_found() -> None:
    article = ARTICLES["en"]
    point = "In 2024 about 15,000 soldiers, 4,000 guards and 6,000 workers went to Russia."
    assert Source(article).unsupported(point, check_names=False) == ["4,000"]
