"""Extraction keeps the article's own text, in any script, and drops the outlet's summary box.

Each case is a line the clean-up once deleted although the benchmarks' reference bodies
count it as article text (bench/extraction.py measures the whole effect).
"""

from __future__ import annotations

import pytest

from bot.extract import extract_article

PARAGRAPHS = {
    "en": [
        "The city council approved the new budget on Monday after a debate that lasted "
        "more than six hours and ended with a narrow vote.",
        "The plan adds money for buses and schools, while the tax on small shops stays "
        "where it was last year, the mayor said after the vote.",
        "Opposition members said the spending would have to be cut again next spring if "
        "the economy slows, and asked for a review in March.",
    ],
    "uk": [
        "Міська рада в понеділок ухвалила новий бюджет після дебатів, які тривали понад "
        "шість годин і завершилися голосуванням з невеликою перевагою.",
        "План додає гроші на автобуси та школи, а податок для малих крамниць лишається "
        "таким, як торік, сказав мер після голосування.",
        "Опозиція заявила, що видатки доведеться знову скоротити навесні, якщо економіка "
        "сповільниться, і попросила переглянути їх у березні.",
    ],
    "el": [
        "Το δημοτικό συμβούλιο ενέκρινε τη Δευτέρα τον νέο προϋπολογισμό μετά από συζήτηση "
        "που κράτησε πάνω από έξι ώρες και έκλεισε με οριακή ψηφοφορία.",
        "Το σχέδιο δίνει χρήματα για λεωφορεία και σχολεία, ενώ ο φόρος για τα μικρά "
        "καταστήματα μένει όπως πέρυσι, είπε ο δήμαρχος μετά την ψηφοφορία.",
        "Η αντιπολίτευση είπε ότι οι δαπάνες θα πρέπει να περικοπούν ξανά την άνοιξη αν η "
        "οικονομία επιβραδυνθεί, και ζήτησε αναθεώρηση τον Μάρτιο.",
    ],
}
SUBHEADING = {"en": "WHAT HAPPENS NEXT?", "uk": "ЩО БУДЕ ДАЛІ?", "el": "ΤΙ ΘΑ ΓΙΝΕΙ ΜΕΤΑ;"}
HEADLINE = {
    "en": "Council approves the budget",
    "uk": "Рада ухвалила бюджет",
    "el": "Το συμβούλιο ενέκρινε τον προϋπολογισμό",
}


def _page(lang: str, *, og_title: str, h1: str, extra: str = "", box: str = "") -> str:
    first, second, third = PARAGRAPHS[lang]
    return f"""<html lang="{lang}"><head><title>{og_title} | Daily</title>
<meta property="og:title" content="{og_title}"></head><body>
<nav><a href="/">Home</a></nav>
<article><h1>{h1}</h1>{box}
<p>{first}</p><p>{second}</p><h2>{SUBHEADING[lang]}</h2><p>{third}</p>{extra}</article>
</body></html>"""


@pytest.mark.parametrize("lang", ["en", "uk", "el"])
def test_a_subheading_in_capitals_stays(lang: str) -> None:
    html = _page(lang, og_title=HEADLINE[lang], h1=HEADLINE[lang])
    text = extract_article(html, url="https://news.example/a").text
    assert SUBHEADING[lang] in text
    assert text.index(SUBHEADING[lang]) < text.index(PARAGRAPHS[lang][2])


@pytest.mark.parametrize("lang", ["en", "uk", "el"])
def test_the_headline_is_dropped_only_when_it_repeats_the_stated_title(lang: str) -> None:
    repeated = extract_article(
        _page(lang, og_title=HEADLINE[lang], h1=HEADLINE[lang]), url="https://news.example/a"
    )
    assert repeated.title == HEADLINE[lang]
    assert repeated.text.startswith(PARAGRAPHS[lang][0])  # the title is a field of its own

    # An <h1> that no stated title repeats is a heading the article gave itself.
    own_heading = f"{SUBHEADING[lang]} {HEADLINE[lang]}"
    kept = extract_article(
        _page(lang, og_title=HEADLINE[lang], h1=own_heading), url="https://news.example/a"
    )
    assert kept.text.startswith(own_heading)


def test_an_agency_copyright_line_is_part_of_the_article() -> None:
    line = (
        "Copyright 2019 The Associated Press. All rights reserved. This material may not be "
        "published, broadcast, rewritten or redistributed."
    )
    html = _page("en", og_title=HEADLINE["en"], h1=HEADLINE["en"], extra=f"<p>{line}</p>")
    assert extract_article(html, url="https://news.example/a").text.endswith(line)


@pytest.mark.parametrize(
    ("lang", "box_class", "heading"),
    [
        ("en", "RenderKeyPoints-keyPoints", "Key Points"),
        ("uk", "points-of-attention", "Головне"),
        ("el", "story-highlights", "Με μια ματιά"),
    ],
)
def test_the_outlets_summary_box_is_not_the_article(
    lang: str, box_class: str, heading: str
) -> None:
    item = {"en": "Buses get more money.", "uk": "Автобуси отримають більше грошей.",
            "el": "Τα λεωφορεία παίρνουν περισσότερα χρήματα."}[lang]
    box = f'<div class="{box_class}"><h2>{heading}</h2><ul><li>{item}</li></ul></div>'
    html = _page(lang, og_title=HEADLINE[lang], h1=HEADLINE[lang], box=box)
    text = extract_article(html, url="https://news.example/a").text
    assert heading not in text and item not in text
    assert all(p in text for p in PARAGRAPHS[lang])


def test_the_seed_pages_points_of_attention_box_is_left_out() -> None:
    from pathlib import Path

    html = (Path(__file__).parent / "fixtures" / "pages" / "seed-article.html").read_text()
    text = extract_article(html, url="https://www.frontline.example/news/north-korea").text
    assert "Points of attention" not in text
    assert "The recall of the generals hints at a shift" not in text
    # the paragraphs on either side of the box stay
    assert "along with its weight in any future peace talks" in text
    assert "more than ten commanders were received with ceremony" in text


BARE_DIV_TEXT = {
    "en": "The new timetable starts in June: night buses every twenty minutes on the four "
    "busiest lines, and a school bus for each of the three new districts in the north.",
    "uk": "Новий розклад почне діяти в червні: нічні автобуси кожні двадцять хвилин на "
    "чотирьох найзавантаженіших лініях і шкільний автобус для трьох нових районів.",
    "el": "Το νέο δρομολόγιο ξεκινά τον Ιούνιο: νυχτερινά λεωφορεία κάθε είκοσι λεπτά στις "
    "τέσσερις πιο πολυσύχναστες γραμμές και σχολικό λεωφορείο για τις τρεις νέες συνοικίες.",
}


@pytest.mark.parametrize("lang", ["en", "uk", "el"])
def test_a_section_written_as_bare_text_in_a_div_stays(lang: str) -> None:
    # A page with little <p> text whose last section sits directly in a <div> (no <p>):
    # trafilatura reads such divs only while its minimum size is on.
    extra = f"<h2>{HEADLINE[lang]}</h2><div>\n  {BARE_DIV_TEXT[lang]}\n</div>"
    html = _page(lang, og_title=HEADLINE[lang], h1=HEADLINE[lang], extra=extra)
    text = extract_article(html, url="https://news.example/a").text
    assert BARE_DIV_TEXT[lang] in text
    assert all(p in text for p in PARAGRAPHS[lang])
    assert text.index(PARAGRAPHS[lang][2]) < text.index(BARE_DIV_TEXT[lang])
