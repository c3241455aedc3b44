"""A cheap guess at a text's language, for pages that do not declare one.

Writing systems settle most languages; Latin-script and Cyrillic texts are told apart by
their most frequent function words and a few tell-tale letters. It answers None rather
than guess on too little evidence: the summarizer then follows the user's language.
"""

from __future__ import annotations

import re
from collections import Counter

_WORD = re.compile(r"[^\W\d_]+")
_SAMPLE_CHARS = 4000  # the first few paragraphs say enough and keep this O(1)
_MIN_HITS = 3  # function words needed before a Latin/Cyrillic guess is trusted

# Unicode ranges of scripts that (nearly) belong to one language.
_SCRIPTS: tuple[tuple[str, str], ...] = (
    ("ja", "\u3040-\u30ff"),  # kana (checked before Han: Japanese also uses kanji)
    ("ko", "\uac00-\ud7af\u1100-\u11ff"),
    ("zh", "\u4e00-\u9fff"),
    ("ar", "\u0600-\u06ff"),
    ("he", "\u0590-\u05ff"),
    ("el", "\u0370-\u03ff"),
    ("th", "\u0e00-\u0e7f"),
    ("hi", "\u0900-\u097f"),
    ("ka", "\u10a0-\u10ff"),
    ("hy", "\u0530-\u058f"),
)
_SCRIPT_RES = tuple((lang, re.compile(f"[{chars}]")) for lang, chars in _SCRIPTS)
_CYRILLIC = re.compile("[\u0400-\u04ff]")

_STOPWORDS: dict[str, frozenset[str]] = {
    lang: frozenset(words.split())
    for lang, words in {
        "en": "the and of to in is that for it was with on as are be by this have from",
        "de": "der die und das ist nicht den von zu mit sich des auf für ein eine dem im",
        "fr": "le la les et des est une un du que pour dans qui pas sur au avec sont",
        "es": "el la los las de que y en del por con una para es se lo como más",
        "it": "il di che la per non una sono gli con del della le nel anche è dei",
        "pt": "o os de que não uma um para com do da em por mais se as dos das é",
        "nl": "de het een en van is dat op te zijn niet met voor ook aan er",
        "pl": "i w nie na się że do jest z to jak co ale po tak od",
        "id": "yang dan di dari ini itu dengan untuk tidak dalam akan pada juga ada",
        "tr": "ve bir bu da de için ile çok daha olarak gibi ama olan en",
        "sv": "och att det som är en på för med har av till inte den jag",
        "uk": "і та що не на в з до як це від про але для за його",
        "ru": "и в не на что с по как это от для из но за его то",
        "bg": "и в на се за да е от че с по не са като това",
    }.items()
}


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of `text`'s language, or None when unsure."""
    sample = text[:_SAMPLE_CHARS]
    letters = sum(1 for ch in sample if ch.isalpha())
    if letters < 20:
        return None
    for lang, pattern in _SCRIPT_RES:
        # a third of the letters: enough to beat Latin brand names sprinkled in
        if len(pattern.findall(sample)) * 3 >= letters:
            return lang
    if len(_CYRILLIC.findall(sample)) * 2 >= letters:
        return _cyrillic_language(sample)
    return _by_stopwords(sample, exclude={"uk", "ru", "bg"})


def _cyrillic_language(sample: str) -> str | None:
    lower = sample.lower()
    # letters one language has and its neighbours do not
    if any(ch in lower for ch in "їєґ") or lower.count("і") > lower.count("ы"):
        return "uk"
    if any(ch in lower for ch in "ыэ"):
        return "ru"
    return _by_stopwords(sample, exclude=set(_STOPWORDS) - {"uk", "ru", "bg"})


def _by_stopwords(sample: str, *, exclude: set[str]) -> str | None:
    words = Counter(w.lower() for w in _WORD.findall(sample))
    scores = {
        lang: sum(words[w] for w in stop)
        for lang, stop in _STOPWORDS.items()
        if lang not in exclude
    }
    best = max(scores, key=scores.__getitem__, default=None)
    if best is None or scores[best] < _MIN_HITS:
        return None
    return best
