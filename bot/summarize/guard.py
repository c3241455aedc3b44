"""The faithfulness guard: drop a point that states a number or a name the article doesn't.

Models invent most harmfully in the details a reader takes as fact: figures, dates and
people. So a point survives only if

* every number in it (digits only: "15,000", "15 000", "6.5", "2024", "G7") occurs in the
  article, after normalising thousands separators and decimal commas, and allowing
  "15 thousand" / "15 тыс." for "15,000"; and
* every capitalised word that does not open a sentence (a name: "Kim Jong-un", "Putin's",
  "Kursk") occurs in the article, compared case-insensitively and with light tolerance for
  possessives and inflection ("Putin's" ~ "Putin", "Путина" ~ "Путин").

Numbers are checked in every language. Names are checked only when the point is written in
the same script as the article and in a language that does not capitalise ordinary nouns:
a point translated into Ukrainian from an English article spells "Kursk" as "Курськ", and a
German point capitalises every noun, so there the check would drop faithful points. Number
words ("three") are not checked: they are rare in the details that matter and too easy to
confuse with ordinary words.

Plain functions over plain data, no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

# Languages that capitalise common nouns: a capital there does not mark a name.
NOUN_CAPITALISING = frozenset({"de", "lb"})

# Digits joined by thousands separators or a decimal mark: "15,000", "15 000", "6.5". A
# space joins digits only before a group of exactly three, so "in 2024 15 ships" is two.
_NUMBER = re.compile(r"\d{1,3}(?:[\u00a0\u202f\u2009' ]\d{3})+(?!\d)|\d+(?:[.,]\d+)*")
_THOUSANDS = re.compile(r"\d{1,3}(?:([,.\u00a0\u202f\u2009' ])\d{3})+")
_DIGIT_RUN = re.compile(r"\d+")
_SCALE_WORD = re.compile(
    r"\s*(thousand|million|billion|trillion|k\b|m\b|bn\b|тис|тыс|млн|млрд|трлн|tausend|"
    r"millionen|million|milliarden|mille|millions|milliards|mil|mln|mld)",
    re.IGNORECASE,
)
_SCALES = {
    "thousand": 1_000, "k": 1_000, "тис": 1_000, "тыс": 1_000, "tausend": 1_000,
    "mille": 1_000, "mil": 1_000,
    "million": 1_000_000, "millionen": 1_000_000, "millions": 1_000_000, "m": 1_000_000,
    "млн": 1_000_000, "mln": 1_000_000,
    "billion": 1_000_000_000, "bn": 1_000_000_000, "млрд": 1_000_000_000,
    "milliarden": 1_000_000_000, "milliards": 1_000_000_000, "mld": 1_000_000_000,
    "trillion": 1_000_000_000_000, "трлн": 1_000_000_000_000,
}  # fmt: skip
# Number words an article may spell out where a point uses digits ("six months" → "6").
_NUMBER_WORDS = {
    word: str(value)
    for value, words in enumerate(
        [
            "zero", "one first", "two second twice", "three third", "four fourth",
            "five fifth", "six sixth", "seven seventh", "eight eighth", "nine ninth",
            "ten tenth", "eleven eleventh", "twelve twelfth dozen", "thirteen", "fourteen",
            "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty",
        ]
    )
    for word in words.split()
} | {
    "thirty": "30", "forty": "40", "fifty": "50", "sixty": "60", "seventy": "70",
    "eighty": "80", "ninety": "90", "hundred": "100", "thousand": "1000",
    "один": "1", "одна": "1", "два": "2", "дві": "2", "две": "2", "три": "3",
    "чотири": "4", "четыре": "4", "п'ять": "5", "пять": "5", "шість": "6", "шесть": "6",
    "сім": "7", "семь": "7", "вісім": "8", "восемь": "8", "дев'ять": "9", "девять": "9",
    "десять": "10",
    "eins": "1", "zwei": "2", "drei": "3", "vier": "4", "fünf": "5", "sechs": "6",
    "sieben": "7", "acht": "8", "neun": "9", "zehn": "10",
    "deux": "2", "trois": "3", "quatre": "4", "cinq": "5", "sept": "7", "huit": "8",
    "neuf": "9", "dix": "10", "dos": "2", "tres": "3", "cuatro": "4", "cinco": "5",
    "seis": "6", "siete": "7", "ocho": "8", "nueve": "9", "diez": "10",
}  # fmt: skip
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
# Words after these open a sentence (or a quote, or a list item) in a point.
_OPENERS = re.compile(
    r"(?:^\s*(?:[-*•–—]\s+)?|[.!?:;…]\s+|[\"“„«‘(\[]\s*|(?:^|\s)'\s*|\n\s*(?:[-*•]\s+)?)$"
)
_POSSESSIVE = re.compile(r"(?:['’]s|s['’]|['’])$", re.IGNORECASE)
# Short words that are capitalised mid-sentence without being names.
_NOT_NAMES = frozenset({"i", "i'm", "i've", "i'd", "i'll", "ok"})


@dataclass(frozen=True, slots=True)
class GuardResult:
    kept: list[str]
    dropped: list[str]

    @property
    def dropped_points(self) -> int:
        return len(self.dropped)


def check_points(
    points: Sequence[str],
    article_text: str,
    *,
    point_language: str | None = None,
    article_language: str | None = None,
) -> GuardResult:
    """Keep the points whose numbers and names all occur in `article_text`."""
    source = Source(article_text)
    names = names_comparable(point_language, article_language)
    kept: list[str] = []
    dropped: list[str] = []
    for point in points:
        unsupported = source.unsupported(point, check_names=names)
        (dropped if unsupported else kept).append(point)
    return GuardResult(kept, dropped)


def names_comparable(point_language: str | None, article_language: str | None) -> bool:
    """Can names be compared as written? Not across languages, nor in German and kin."""
    p, a = _base(point_language), _base(article_language)
    if p and a and p != a:
        return False
    return (p or a) not in NOUN_CAPITALISING


class Source:
    """The article's numbers and words, indexed once for checking many points."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.numbers: set[str] = set()
        for match in _NUMBER.finditer(text):
            self.numbers |= _number_forms(match, text)
        # Bare digit runs too, so "14" in a point matches the date "14.07.2025".
        self.numbers |= {_strip_zeros(d) for d in _DIGIT_RUN.findall(text)}
        words = [w.casefold() for w in _WORD.findall(text)]
        self.words = {_POSSESSIVE.sub("", w) for w in words} | set(words)
        self.numbers |= {_NUMBER_WORDS[w] for w in self.words if w in _NUMBER_WORDS}
        for compound in re.findall(r"\b([a-z]+)-([a-z]+)\b", text.lower()):
            if all(part in _NUMBER_WORDS for part in compound):  # "twenty-five" → 25
                self.numbers.add(str(sum(int(_NUMBER_WORDS[part]) for part in compound)))
        # Each word's prefixes that lack at most 3 letters: "ыном" → "ын", "ыно", "ыном".
        self._prefixes = {w[:n] for w in self.words for n in range(max(2, len(w) - 3), len(w) + 1)}
        self.acronyms = _acronyms(text)
        self.script = dominant_script(text)

    def unsupported(self, point: str, *, check_names: bool = True) -> list[str]:
        """The numbers and names in `point` that the article does not contain."""
        missing = [
            m.group(0).strip()
            for m in _NUMBER.finditer(point)
            if not (_number_forms(m, point) & self.numbers)
        ]
        if check_names and dominant_script(point) == self.script:
            missing.extend(n for n in names_in(point) if not self.has_name_word(n))
        return missing

    def has_name_word(self, word: str) -> bool:
        w = _POSSESSIVE.sub("", word.casefold())
        if not w or w in self.words:
            return True
        if word.isupper() and word.casefold() in self.acronyms:
            return True
        # Light inflection either way: "Ын" ~ "Ыном", "Путину" ~ "Путин".
        if w in self._prefixes:
            return True
        return len(w) >= 5 and w[: max(4, len(w) - 2)] in self._prefixes


def names_in(point: str) -> list[str]:
    """Capitalised words that do not open a sentence: the names a point mentions."""
    found: list[str] = []
    for match in _WORD.finditer(point):
        word = match.group(0).strip("'’-")
        if not word or not word[0].isupper() or word.casefold() in _NOT_NAMES:
            continue
        if _OPENERS.search(point[: match.start()]):
            continue
        # Hyphenated names are checked whole and by part ("Kim Jong-un" ~ "Jong-un").
        found.append(word)
    return found


def dominant_script(text: str) -> str:
    """The Unicode script most letters of `text` belong to ("LATIN", "CYRILLIC", ...)."""
    counts: dict[str, int] = {}
    # Each distinct character is looked up once: per character, a 3 MB article held the
    # event loop for seconds (the guard runs on it, in the bot's loop).
    for ch, n in Counter(text).items():
        if ch.isalpha():
            name = unicodedata.name(ch, "")
            script = name.split(" ", 1)[0] if name else "OTHER"
            counts[script] = counts.get(script, 0) + n
    return max(counts, key=lambda s: counts[s]) if counts else ""


def _number_forms(match: re.Match[str], text: str) -> set[str]:
    """The values a written number may stand for: "15,000" → {"15000", "15.000"}."""
    raw = match.group(0)
    forms = {_strip_zeros(re.sub(r"[\u00a0\u202f\u2009' ]", "", raw).replace(",", "."))}
    if _THOUSANDS.fullmatch(raw):
        forms.add(_strip_zeros(re.sub(r"\D", "", raw)))
    scale = _SCALE_WORD.match(text, match.end())
    if scale:
        factor = _SCALES.get(scale.group(1).lower())
        value = _to_float(raw)
        if factor and value is not None:
            forms.add(_format(value * factor))
    return forms


def _to_float(raw: str) -> float | None:
    try:
        return float(re.sub(r"[\u00a0\u202f\u2009' ]", "", raw).replace(",", "."))
    except ValueError:
        return None


def _format(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


def _strip_zeros(digits: str) -> str:
    stripped = digits.lstrip("0")
    return stripped if stripped and not stripped.startswith(".") else "0" + stripped


def _acronyms(text: str) -> set[str]:
    """Initials of runs of capitalised words: "Wall Street Journal" → "wsj", "sj"."""
    found: set[str] = set()
    run: list[str] = []
    for word in [*_WORD.findall(text), ""]:
        if word and word[0].isupper():
            run.append(word[0].casefold())
            continue
        if word.casefold() in ("of", "the", "for", "and") and run:
            continue  # "Bank of England" → "BoE", "BE"
        for i in range(len(run)):
            for j in range(i + 2, min(len(run), i + 6) + 1):
                found.add("".join(run[i:j]))
        run = []
    return found


def _base(language: str | None) -> str:
    return re.split(r"[-_]", language.strip().lower())[0] if language else ""


def supported(point: str, article_text: str) -> bool:
    """Shorthand for one point (tests, the CLI's debugging)."""
    return not Source(article_text).unsupported(point)


__all__ = [
    "GuardResult", "Source", "check_points", "dominant_script", "names_comparable",
    "names_in", "supported",
]  # fmt: skip
