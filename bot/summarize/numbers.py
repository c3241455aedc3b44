"""Every number a text states, whatever way it is written, as comparable values.

The guard compares the numbers of a point with those of the sentences it cites. Writers
and models state the same figure in many ways, and the guard must not drop a faithful
rewording for it, so each number is reduced to a value:

* digits with thousands separators or a decimal comma: "15,000", "15 000", "6,5" → 15000, 6.5
* a scale after digits: "15 thousand", "2.5 million", "300 млн", "3 тисяч" → 15000, 2.5e6, ...
* spelled numbers: "five thousand", "twenty-five", "two and a half million", "дванадцять",
  "zwölf" (cardinals and ordinals: "the Third" → 3)
* vulgar fractions: "8½" → 8.5
* clock times: "7:30 p.m." and "19:30" → the time 19:30, compared as a time, not as 7 and 30
* Roman numerals after a name: "Charles III", "World War II", "WWII" → 3, 2, 2

Besides values, a text has *magnitudes* it states in words: "hundreds", "thousands",
"тисячі", "Tausende". A point saying "thousands of troops" needs a source that says
thousands (in words or with a number in that range), not "hundreds".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Digits joined by thousands separators or a decimal mark: "15,000", "15 000", "6.5". A
# space joins digits only before a group of exactly three, so "in 2024 15 ships" is two.
_DIGITS = re.compile(r"\d{1,3}(?:[\u00a0\u202f\u2009' ]\d{3})+(?!\d)|\d+(?:[.,]\d+)*")
_THOUSANDS = re.compile(r"\d{1,3}(?:([,.\u00a0\u202f\u2009' ])\d{3})+")
_SCALE_AFTER = re.compile(
    r"[\s\u00a0]*(thousand|million|billion|trillion|bn\b|k\b|m\b|тис|тыс|мільйон|миллион|"
    r"млн|мільярд|миллиард|млрд|трлн|tausend|millionen|million|milliarden|milliarde|mio\b|"
    r"mrd\b|mille|millions|milliards|mil\b|mln|mld)",
    re.IGNORECASE,
)
_SCALES = {
    "thousand": 1e3, "k": 1e3, "тис": 1e3, "тыс": 1e3, "tausend": 1e3, "mille": 1e3,
    "mil": 1e3, "million": 1e6, "millionen": 1e6, "millions": 1e6, "m": 1e6, "mio": 1e6,
    "мільйон": 1e6, "миллион": 1e6, "млн": 1e6, "mln": 1e6,
    "billion": 1e9, "bn": 1e9, "мільярд": 1e9, "миллиард": 1e9, "млрд": 1e9,
    "milliarden": 1e9, "milliarde": 1e9, "milliards": 1e9, "mrd": 1e9, "mld": 1e9,
    "trillion": 1e12, "трлн": 1e12,
}  # fmt: skip
_FRACTIONS = {"½": 0.5, "¼": 0.25, "¾": 0.75, "⅓": 1 / 3, "⅔": 2 / 3}
_FRACTION = re.compile(r"(\d*)\s?([½¼¾⅓⅔])")
_TIME = re.compile(
    r"\b(\d{1,2})[:.](\d{2})(?:\s*([ap])\.?\s?m\b\.?)?|\b(\d{1,2})\s*([ap])\.?\s?m\b\.?",
    re.IGNORECASE,
)
_ROMAN = re.compile(r"\b(?P<prev>[A-Z][\w'’-]*)\s+(?P<num>[IVX]{1,6})\b(?=\s*(?P<next>\S*))")
_ROMAN_SUFFIX = re.compile(r"\b[A-Z]{2,}?(?P<num>I{1,3}|IV|V|VI{1,3}|IX|X)\b")
_ROMAN_VALUE = re.compile(r"^(X{0,3})(IX|IV|V?I{0,3})$")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?", re.UNICODE)

_UNITS = {
    # English
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5,
    "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11,
    "twelfth": 12, "dozen": 12, "twice": 2, "thirteenth": 13, "fourteenth": 14,
    "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19,
    "twentieth": 20, "thirtieth": 30, "fortieth": 40, "fiftieth": 50, "hundredth": 100,
    # Ukrainian and Russian
    "один": 1, "одна": 1, "одне": 1, "два": 2, "дві": 2, "две": 2, "три": 3, "чотири": 4,
    "четыре": 4, "п'ять": 5, "п’ять": 5, "пять": 5, "шість": 6, "шесть": 6, "сім": 7,
    "семь": 7, "вісім": 8, "восемь": 8, "дев'ять": 9, "дев’ять": 9, "девять": 9,
    "десять": 10, "одинадцять": 11, "одиннадцать": 11, "дванадцять": 12,
    "двенадцать": 12, "тринадцять": 13, "тринадцать": 13, "чотирнадцять": 14,
    "четырнадцать": 14, "п'ятнадцять": 15, "п’ятнадцять": 15, "пятнадцать": 15,
    "двадцять": 20, "двадцать": 20, "тридцять": 30, "тридцать": 30, "сорок": 40,
    "п'ятдесят": 50, "пятьдесят": 50, "сто": 100,
    # German
    "eins": 1, "zwei": 2, "drei": 3, "vier": 4, "fünf": 5, "sechs": 6, "sieben": 7,
    "acht": 8, "neun": 9, "zehn": 10, "elf": 11, "zwölf": 12, "dreizehn": 13,
    "zwanzig": 20, "dreißig": 30, "vierzig": 40, "fünfzig": 50,
    # French, Spanish
    "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "huit": 8, "neuf": 9, "dix": 10,
    "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7, "ocho": 8,
    "nueve": 9, "diez": 10,
}  # fmt: skip
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}
_HUNDRED = {"hundred", "hundreds_"}  # "hundreds" alone is a magnitude, see _MAGNITUDES
_BIG = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
# Words that may stand inside a spelled number ("two and a half million").
_GLUE = {"and", "a"}
# Number words too common as ordinary words to be checked on the point side.
_AMBIGUOUS = {"one", "first", "second", "a", "sieben", "acht", "elf", "dos", "seis",
              "сім", "сто", "одна", "одне", "один", "eins"}  # fmt: skip

# Magnitude words: the order of magnitude they state (2 = hundreds, 3 = thousands, ...).
_MAGNITUDES = {
    "dozens": 1, "scores": 1, "hundreds": 2, "thousands": 3, "millions": 6, "billions": 9,
    "десятки": 1, "десятків": 1, "сотні": 2, "сотень": 2, "сотни": 2, "тисячі": 3,
    "тисяч": 3, "тысячи": 3, "тысяч": 3, "мільйони": 6, "мільйонів": 6, "миллионы": 6,
    "dutzende": 1, "hunderte": 2, "tausende": 3, "abertausende": 3,
    "centaines": 2, "milliers": 3, "cientos": 2, "miles": 3,
}  # fmt: skip
# Hedges under which a rounded figure is faithful: "about 5,000" for 4,870.
def _set(words: str) -> frozenset[str]:
    return frozenset(words.split("|"))


HEDGES = _set(
    "about|around|approximately|roughly|nearly|almost|some|over|more than|less than|under|"
    "close to|up to|estimated|circa|ca.|approx.|около|почти|более|майже|близько|понад|"
    "приблизно|біля|etwa|rund|fast|knapp|mehr als|über|ungefähr|presque|environ|casi"
)
ROUNDING = 0.1  # a hedged figure may differ from the source's by this fraction


@dataclass(frozen=True, slots=True)
class Figure:
    """One number as stated: its value, whether it is a time, and whether it is hedged."""

    value: float
    text: str
    time: bool = False
    hedged: bool = False


@dataclass(slots=True)
class Figures:
    """The figures and magnitude words of one text."""

    figures: list[Figure] = field(default_factory=list)
    magnitudes: set[int] = field(default_factory=set)

    @property
    def values(self) -> set[float]:
        return {f.value for f in self.figures if not f.time}

    @property
    def times(self) -> set[float]:
        return {f.value for f in self.figures if f.time}

    def supports(self, figure: Figure) -> bool:
        """Does this text state `figure` (exactly, or within rounding when hedged)?"""
        pool = self.times if figure.time else self.values
        if figure.value in pool:
            return True
        if any(abs(figure.value - v) < 1e-9 * max(1.0, abs(v)) for v in pool):
            return True
        if figure.hedged or figure.time:
            return not figure.time and any(
                abs(figure.value - v) <= ROUNDING * max(abs(v), abs(figure.value))
                for v in pool
            )
        return False

    def supports_magnitude(self, order: int) -> bool:
        """"thousands" is backed by "thousands" or a figure from 2,000 to 999,999, etc."""
        if order in self.magnitudes:
            return True
        low = 24 if order == 1 else 2 * 10**order
        high = 10 ** (order + 3) if order >= 3 else 10 ** (order + 1)
        # "thousands" covers "5,000" and "25,000"; "hundreds" covers 200-999.
        return any(low <= v < high for v in self.values)


def figures_of(text: str, *, point: bool = False) -> Figures:
    """All figures in `text`. With `point`, ambiguous number words ("one") are skipped."""
    found = Figures()
    text = _FRACTION.sub(lambda m: _fraction(m), text)
    masked = list(text)

    def mask(start: int, end: int) -> None:
        masked[start:end] = " " * (end - start)

    for m in _TIME.finditer(text):
        minutes = _clock(m)
        if minutes is not None:
            found.figures.append(Figure(minutes, m.group(0), time=True))
            mask(m.start(), m.end())
    for m in _ROMAN.finditer(text):
        value = roman_value(m.group("num"))
        nxt = m.group("next")
        # A lone "I" is a pronoun unless a name precedes it and nothing like a verb follows.
        lone_pronoun = m.group("num") == "I" and bool(nxt) and nxt[0].isalpha()
        if value and not (lone_pronoun and nxt not in {"and", "or"}):
            found.figures.append(Figure(value, m.group("num"), hedged=False))
            mask(m.start("num"), m.end("num"))
    for m in _ROMAN_SUFFIX.finditer(text):  # "WWII"
        value = roman_value(m.group("num"))
        if value:
            found.figures.append(Figure(value, m.group(0)))
    rest = "".join(masked)
    for m in _DIGITS.finditer(rest):
        for number in _digit_values(m, rest):
            found.figures.append(Figure(number, m.group(0), hedged=_hedged(rest, m.start())))
    for spelled, start, phrase in _spelled(rest, point=point):
        found.figures.append(Figure(spelled, phrase, hedged=_hedged(rest, start)))
    for word in _WORD.findall(rest):
        order = _MAGNITUDES.get(word.casefold())
        if order is not None:
            found.magnitudes.add(order)
    return found


def roman_value(numeral: str) -> int | None:
    m = _ROMAN_VALUE.match(numeral)
    if not numeral or not m:
        return None
    value = 10 * len(m.group(1))
    tail = m.group(2)
    value += {"IX": 9, "IV": 4}.get(tail, (5 if tail.startswith("V") else 0) + tail.count("I"))
    return value or None


def _fraction(m: re.Match[str]) -> str:
    whole = int(m.group(1)) if m.group(1) else 0
    return f"{whole + _FRACTIONS[m.group(2)]:g}"


def _clock(m: re.Match[str]) -> float | None:
    if m.group(4):  # "7 pm"
        hour, minute, half = int(m.group(4)), 0, m.group(5)
    else:
        hour, minute, half = int(m.group(1)), int(m.group(2)), m.group(3)
        if not half and m.group(0)[len(m.group(1))] == ".":
            return None  # "6.30" without am/pm is a decimal, not a time
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half.lower() == "p" else 0)
    if hour > 24 or minute > 59:
        return None
    return hour * 60 + minute


def _digit_values(m: re.Match[str], text: str) -> set[float]:
    raw = m.group(0)
    values: set[float] = set()
    plain = re.sub(r"[\u00a0\u202f\u2009' ]", "", raw)
    candidates = {plain.replace(",", ".")}
    if _THOUSANDS.fullmatch(raw):
        candidates.add(re.sub(r"\D", "", raw))  # "15,000" / "15.000" → 15000
    if re.fullmatch(r"\d+(?:[.,]\d+){2,}", plain):  # a date "14.07.2025": its parts
        candidates = set(re.findall(r"\d+", plain))
    for c in candidates:
        try:
            values.add(float(c))
        except ValueError:
            values.update(float(p) for p in re.findall(r"\d+", c))
    scale = _SCALE_AFTER.match(text, m.end())
    if scale:
        factor = _SCALES.get(scale.group(1).lower())
        if factor:
            # "2.5 million" is 2,500,000 and nothing else: "2.5 billion" must not match it.
            return {v * factor for v in values}
    return values


def _hedged(text: str, start: int) -> bool:
    before = [w.strip("$€£¥~") for w in text[max(0, start - 24) : start].casefold().split()]
    before = [w for w in before if w]
    return any(w in HEDGES for w in before[-2:]) or " ".join(before[-2:]) in HEDGES


def _spelled(text: str, *, point: bool) -> list[tuple[float, int, str]]:
    """Spelled-out numbers: ("five thousand", 5000), ("twenty-five", 25)."""
    tokens = [(m.group(0).casefold(), m.start()) for m in _WORD.finditer(text)]
    out: list[tuple[float, int, str]] = []
    i = 0
    while i < len(tokens):
        word, start = tokens[i]
        if word not in _UNITS and word not in _TENS and word not in _HUNDRED and word != "half":
            i += 1
            continue
        total = current = 0.0
        seen = False
        j = i
        words: list[str] = []
        while j < len(tokens):
            w = tokens[j][0]
            if w in _UNITS:
                current += _UNITS[w]
            elif w in _TENS:
                current += _TENS[w]
            elif w == "hundred":
                current = (current or 1) * 100
            elif w in _BIG and (seen or current):
                total += (current or 1) * _BIG[w]
                current = 0
            elif w == "half" and seen:
                current += 0.5
            elif w in _GLUE and seen and j + 1 < len(tokens) and (
                tokens[j + 1][0] in _UNITS or tokens[j + 1][0] in ("half", "a")
            ):
                pass
            else:
                break
            if w not in _GLUE:
                seen = True
                words.append(w)
            j += 1
        value = total + current
        if seen and value and not (point and len(words) == 1 and words[0] in _AMBIGUOUS):
            out.append((value, start, " ".join(words)))
        i = max(j, i + 1)
    return out


def is_number_word(word: str) -> bool:
    """Is `word` part of how numbers are spelled ("five", "thousand", "тисяч", "dozens")?"""
    w = word.casefold()
    return (
        w in _UNITS or w in _TENS or w in _BIG or w == "hundred" or w in _MAGNITUDES
        or w in _SCALES or any(w.startswith(s) for s in ("тисяч", "мільйон", "мільярд"))
    )  # fmt: skip


__all__ = ["HEDGES", "Figure", "Figures", "figures_of", "is_number_word", "roman_value"]
