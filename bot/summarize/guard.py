"""The faithfulness guard: keep a point only if the sentences it cites back what it says.

Each point is checked against its cited sentences (and the sentence before each, where a
"he" got its name; see `Numbered.window`). A point is dropped when it states

* a number those sentences do not: digits, spelled numbers, times, fractions, Roman
  numerals, and magnitude words ("thousands" needs thousands, not "hundreds") — with
  faithful rewordings allowed ("five thousand" = "5,000", "7:30 p.m." = "19:30",
  "8½" = "8.5", "about 5,000" for 4,870; see `bot.summarize.numbers`);
* a name they do not: capitalised words, the point's first word included unless it is
  an ordinary opener ("Nepal's Prime Minister…" is checked), compared case-insensitively
  with light inflection, hyphenation ("Jong-un" = "Jong Un"), acronyms both ways ("U.S." =
  "United States", "WWII" = "World War II", "НБУ" = "Національний банк України") and
  demonyms ("French" = "France");
* a death, or a relation word ("his boss" / "his employee"), they do not;
* a source they do not name ("according to Reuters", "police said");
* mostly content words they do not have (the point is about something else);
* the relation of a cited sentence with its subject and object swapped ("Chelsea beat
  Arsenal" for "Arsenal beat Chelsea"; passive voice is read as such), in English.

Numbers, magnitudes and deaths are compared in every language and across languages;
words and names only when the point is in the article's language and script (a point
translated into Ukrainian spells "Kursk" as "Курськ"). Plain functions, no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.summarize.grounding import GroundedPoint, Numbered
from bot.summarize.lexicon import (
    ANAPHORS,
    AUXILIARIES,
    CONCEPTS,
    DEMONYM_GROUPS,
    IRREGULAR_VERBS,
    OPENERS,
    ROLE_WORDS,
    SAYING,
    STOPWORDS,
)
from bot.summarize.numbers import figures_of, is_number_word, roman_value

# Languages that capitalise common nouns: there every noun is checked like a name, with
# tolerance for compounds ("Zentralbank" backs "Bank").
NOUN_CAPITALISING = frozenset({"de", "lb"})
# Share of a point's content words that may be missing from its sentences (paraphrase).
MAX_UNSUPPORTED_SHARE = 0.5

_WORD = re.compile(r"[^\W\d_][\w'’.-]*[\w]|[^\W\d_]")
_TOKEN = re.compile(r"[^\W_][\w'’-]*")
_POSSESSIVE = re.compile(r"(?:['’]s|s['’]|['’])$", re.IGNORECASE)
_OPENS_SENTENCE = re.compile(r"(?:^\s*(?:[-*•–—]\s+)?|[.!?:;…]\s+|[\"“„«‘(\[]\s*|(?:^|\s)'\s*)$")
_BOUND_FIGURE = re.compile(
    r"([^\W\d_][\w'’-]*)\s+(?:(?:a|an|the|about|nearly|some|almost|over)\s+)?[$€£]?(?=\d)"
)
_CURRENCIES = {"dollar": "$", "euro": "€", "pound": "£", "yen": "¥", "hryvnia": "₴",
               "гривня": "₴", "гривень": "₴", "долар": "$", "євро": "€"}  # fmt: skip
_NOT_NAMES = frozenset({"i", "i'm", "i've", "i'd", "i'll", "ok"})
_ACRONYM_GLUE = frozenset({"of", "the", "for", "and", "de", "der", "des", "la", "du"})
_PASSIVE_AUX = frozenset({"was", "were", "been", "is", "are", "be", "being", "got"})


@dataclass(frozen=True, slots=True)
class Verdict:
    point: GroundedPoint
    problems: list[str] = field(default_factory=list)
    repaired: bool = False  # the citations were missing or wrong and were found anew

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True, slots=True)
class GuardResult:
    verdicts: list[Verdict]

    @property
    def kept(self) -> list[GroundedPoint]:
        return [v.point for v in self.verdicts if v.ok]

    @property
    def dropped(self) -> list[Verdict]:
        return [v for v in self.verdicts if not v.ok]

    @property
    def dropped_points(self) -> int:
        return len(self.dropped)


def check_grounded(
    points: Sequence[GroundedPoint],
    numbered: Numbered,
    *,
    point_language: str | None = None,
    article_language: str | None = None,
) -> GuardResult:
    """Check each point against the sentences it cites (found anew when it cites none)."""
    verdicts: list[Verdict] = []
    for point in points:
        cites = numbered.valid(point.cites)
        repaired = not cites
        if repaired:
            cites = numbered.best_match(point.text)
        if not cites:
            verdicts.append(Verdict(point, ["cites nothing the article says"], repaired))
            continue
        support = Support(
            f"{numbered.title}\n{numbered.window(cites)}", strict=numbered.text_of(cites)
        )
        problems = support.problems(
            point.text, point_language=point_language, article_language=article_language
        )
        verdicts.append(Verdict(GroundedPoint(point.text, cites), problems, repaired))
    return GuardResult(verdicts)


@dataclass(frozen=True, slots=True)
class TextResult:
    """`check_points`' answer, as the point texts that were kept and dropped."""

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
) -> TextResult:
    """Check uncited points against the sentences of `article_text` that match them best."""
    numbered = Numbered.from_text(article_text)
    result = check_grounded(
        [GroundedPoint(p) for p in points],
        numbered,
        point_language=point_language,
        article_language=article_language,
    )
    return TextResult(
        [v.point.text for v in result.verdicts if v.ok],
        [v.point.text for v in result.verdicts if not v.ok],
    )


def words_comparable(point_language: str | None, article_language: str | None) -> bool:
    """Can words and names be compared as written? Not across languages."""
    p, a = _base(point_language), _base(article_language)
    return not (p and a and p != a)


class Support:
    """What a piece of source text backs: its figures, words, names and acronyms."""

    def __init__(self, text: str, *, strict: str | None = None) -> None:
        self.text = text
        self.strict = strict if strict is not None else text
        self.figures = figures_of(text)
        self.words: set[str] = set()
        for token in _TOKEN.findall(text):
            w = token.casefold().strip("'’-")
            self.words |= {w, _POSSESSIVE.sub("", w), w.replace(".", "")}
            if "-" in w:
                self.words |= set(w.split("-")) | {w.replace("-", "")}
        self.words.discard("")
        # Each word's prefixes that lack at most 3 letters: "ыном" → "ын", "ыно", "ыном".
        self._prefixes = {
            w[:n] for w in self.words for n in range(max(2, len(w) - 3), len(w) + 1)
        }
        self._stems5 = {w[:5] for w in self.words if len(w) >= 5}
        self.acronyms = _acronyms(text)
        self.script = dominant_script(text)
        self.concepts = {name for name, markers in CONCEPTS.items() if _mentions(text, markers)}
        self.bindings = _bindings(text)

    # -- the checks ----------------------------------------------------------------------
    def problems(
        self,
        point: str,
        *,
        point_language: str | None = None,
        article_language: str | None = None,
    ) -> list[str]:
        """What in `point` this text does not back (empty: the point is supported)."""
        found: list[str] = []
        figures = figures_of(point, point=True)
        found.extend(f"number {text!r}" for text in self.unsupported_numbers(point))
        for word, value in _bindings(point).items():
            bound = self.bindings.get(word)
            if bound and not any(_close(v, x) for v in value for x in bound):
                found.append(f"number after {word!r} differs from the sentence's")
        for order in sorted(figures.magnitudes):
            if not self.figures.supports_magnitude(order):
                found.append(f"magnitude 10^{order}")
        for name, markers in CONCEPTS.items():
            if name not in self.concepts and _mentions(point, markers):
                found.append(f"claims a {name}")
        same_language = words_comparable(point_language, article_language)
        if not same_language or dominant_script(point) != self.script:
            return found  # a translation: words cannot be compared as written
        lang = _base(point_language) or _base(article_language)
        nouns = lang in NOUN_CAPITALISING
        found.extend(f"name {n!r}" for n in self._unsupported_names(point, compounds=nouns))
        found.extend(self._unsupported_roles(point))
        found.extend(self._unsupported_sayer(point))
        found.extend(self._coverage(point, compounds=nouns))
        if lang in ("", "en"):
            found.extend(self._swapped_relation(point))
        return found

    def unsupported_numbers(self, point: str) -> list[str]:
        """The numbers of `point`, as written, that this text does not state."""
        # "5,000" may be read as 5000 or as 5.0 (a decimal comma): one reading must match.
        readings: dict[str, bool] = {}
        for figure in figures_of(point, point=True).figures:
            ok = readings.get(figure.text, False) or self.figures.supports(figure)
            readings[figure.text] = ok
        return [text for text, ok in readings.items() if not ok]

    def _unsupported_names(self, point: str, *, compounds: bool) -> list[str]:
        missing: list[str] = []
        for run in name_runs(point, numerals=True):
            initials = "".join(_initial(w) for w in run if w.casefold() not in _ACRONYM_GLUE)
            if len(run) > 1 and initials in self.acronyms:
                continue  # "United States" for "U.S.", "World War II" for "WWII"
            missing.extend(
                w for w in run
                if w.casefold() not in _ACRONYM_GLUE and not roman_value(w)
                and not self.has_name(w, compounds=compounds)
            )  # fmt: skip
        return missing

    def has_name(self, word: str, *, compounds: bool = False) -> bool:
        w = _POSSESSIVE.sub("", word.casefold()).replace(".", "").strip("'’-")
        if not w or w in self.words or w in self._prefixes:
            return True
        if word.isupper() and w in self.acronyms:
            return True
        if "-" in w and all(self.has_name(p) for p in w.split("-") if p):
            return True
        if any(g in self.words for g in DEMONYM_GROUPS.get(w, ())):
            return True
        if len(w) >= 5 and w[: max(4, len(w) - 2)] in self._prefixes:
            return True  # "Путину" ~ "Путин", "Germany's" ~ "Germany"
        if len(w) >= 6 and not w.isascii() and w[:5] in self._stems5:
            return True  # Slavic stems: "Франція" ~ "Французький"
        if compounds and len(w) >= 4:
            return any(w in s or (len(s) >= 5 and s in w) for s in self.words)
        return False

    def has_word(self, word: str) -> bool:
        w = _POSSESSIVE.sub("", word.casefold())
        if w in self.words or w in self._prefixes:
            return True
        if len(w) >= 5 and w[: max(4, len(w) - 3)] in self._prefixes:
            return True  # "treated" ~ "treatment", "cancelled" ~ "cancellation"
        return not w.isascii() and len(w) >= 6 and w[:5] in self._stems5

    def _unsupported_roles(self, point: str) -> list[str]:
        return [
            f"relation {w!r}"
            for w in (t.casefold() for t in _TOKEN.findall(point))
            if _POSSESSIVE.sub("", w).rstrip("s") in ROLE_WORDS and not self.has_word(w)
        ]

    def _unsupported_sayer(self, point: str) -> list[str]:
        """Whoever a point says said something must be named in the sentences too."""
        raw = _TOKEN.findall(point)
        tokens = [t.casefold() for t in raw]
        names = {t.casefold() for t in raw if t[0].isupper()}  # checked as names already
        sayers: list[str] = []
        for i, t in enumerate(tokens):
            if t == "according" and tokens[i + 1 : i + 2] == ["to"]:
                sayers.extend(_phrase(tokens[i + 2 :]))
            elif t in SAYING and t != "according":
                sayers.extend(_phrase(list(reversed(tokens[:i])), backwards=True))
                if t in ("told", "tells"):
                    sayers.extend(_phrase(tokens[i + 1 :]))
        return [
            f"source {w!r}"
            for w in sayers
            if w not in ANAPHORS and w not in names and not self.has_word(w)
        ]

    def _coverage(self, point: str, *, compounds: bool) -> list[str]:
        # Names, numbers and currencies have checks of their own; this is about the rest.
        names = set() if compounds else {w.casefold() for w in names_in(point)}
        content = [
            w for w in (t.casefold() for t in _TOKEN.findall(point))
            if w not in STOPWORDS and len(w) >= 4 and not any(c.isdigit() for c in w)
            and w not in names and not is_number_word(w) and not self._currency(w)
        ]  # fmt: skip
        if not content:
            return []
        missing = [w for w in content if not self.has_word(w)
                   and not (compounds and self.has_name(w, compounds=True))]  # fmt: skip
        # One unknown word is a paraphrase; most of them, another subject.
        if len(missing) >= 2 and len(missing) > MAX_UNSUPPORTED_SHARE * len(content):
            return [f"about something else ({', '.join(missing[:4])})"]
        return []

    def _currency(self, word: str) -> bool:
        symbol = _CURRENCIES.get(word.rstrip("s"))
        return symbol is not None and symbol in self.text

    def _swapped_relation(self, point: str) -> list[str]:
        """The cited sentence's relation with subject and object swapped."""
        p_tokens = [t.casefold() for t in _TOKEN.findall(point)]
        s_tokens = [t.casefold() for t in _TOKEN.findall(self.strict)]
        for i, verb in enumerate(p_tokens):
            if not _verb_like(verb) or verb in AUXILIARIES:
                continue
            j = next((k for k, s in enumerate(s_tokens) if _same(s, verb)), None)
            if j is None:
                continue
            p_agent, p_patient = _roles(p_tokens, i)
            s_agent, s_patient = _roles(s_tokens, j)
            if p_agent is None or s_agent is None:
                return []  # a passive without its agent: nothing to compare
            if p_agent and s_agent and not _overlap(p_agent, s_agent) and (
                _overlap(p_agent, s_patient) or _overlap(p_patient, s_agent)
            ):
                return [f"{' '.join(p_agent)!r} is not who {verb!r} in the sentence"]
            return []
        # No verb in common: compare the main verbs' arguments (a swap with another verb).
        p_verb, s_verb = _main_verb(p_tokens), _main_verb(s_tokens)
        if p_verb is None or s_verb is None:
            return []
        p_agent, p_patient = _roles(p_tokens, p_verb)
        s_agent, s_patient = _roles(s_tokens, s_verb)
        if not p_agent or not s_agent or _overlap(p_agent, s_agent):
            return []
        if _overlap(p_agent, s_patient) and _overlap(p_patient, s_agent):
            return [f"{' '.join(p_agent)!r} is the object, not the subject, in the sentence"]
        return []

    def _tokens(self) -> list[str]:
        return [t.casefold() for t in _TOKEN.findall(self.text)]


def _bindings(text: str) -> dict[str, set[float]]:
    """Which figures follow which word ("killed 31 people" → {"kill": {31}})."""
    out: dict[str, set[float]] = {}
    for m in _BOUND_FIGURE.finditer(text):
        word = m.group(1).casefold()
        if word in STOPWORDS or len(word) < 4:
            continue
        rest = text[m.end() : m.end() + 30]
        figures = figures_of(rest).figures
        values = {f.value for f in figures if f.text == figures[0].text} if figures else set()
        if values:
            out.setdefault(word[:5], set()).update(values)
    return out


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 0.1 * max(abs(a), abs(b))


class Source:
    """A whole article, for callers that check a point against all of it (no citations)."""

    def __init__(self, text: str) -> None:
        self._support = Support(text)

    def unsupported(self, point: str, *, check_names: bool = True) -> list[str]:
        """The numbers (and names) of `point`, as written, that the article does not state."""
        missing = self._support.unsupported_numbers(point)
        if check_names and dominant_script(point) == self._support.script:
            missing.extend(self._support._unsupported_names(point, compounds=False))
        return missing


# -- names -------------------------------------------------------------------------------
def name_runs(point: str, *, numerals: bool = False) -> list[list[str]]:
    """Runs of consecutive names in `point`; a sentence's first word only if not an opener.

    Roman numerals are numbers, not names; with `numerals` they still end a run they
    follow ("World War II"), for comparing its initials with an acronym ("WWII").
    """
    runs: list[list[str]] = []
    current: list[str] = []
    last_end = -1
    for match in _WORD.finditer(point):
        word = match.group(0).strip("'’-.") if not _is_dotted(match.group(0)) else match.group(0)
        opener = bool(_OPENS_SENTENCE.search(point[: match.start()]))
        is_name = bool(word) and word[0].isupper() and word.casefold() not in _NOT_NAMES
        if is_name and (figures_of(word).figures or figures_of(word).magnitudes):
            is_name = False  # "Third", "Twelve", "Thousands", "II": numbers, checked as such
        if roman_value(word):
            # "World War I": the numeral belongs to the run (never the pronoun "I" here).
            is_name = numerals and bool(current) and not gap_breaks(point, last_end, match)
        if is_name and opener and _POSSESSIVE.sub("", word.casefold()) in OPENERS:
            is_name = False
        gap = point[last_end : match.start()] if last_end >= 0 else ""
        joined = current and (gap.strip() == "" or gap.strip().casefold() in _ACRONYM_GLUE)
        if is_name:
            if not joined and current:
                runs.append(current)
                current = []
            if joined and gap.strip():
                current.append(gap.strip())
            current.append(word)
        elif current:
            runs.append(current)
            current = []
        last_end = match.end()
    if current:
        runs.append(current)
    return runs


def gap_breaks(point: str, last_end: int, match: re.Match[str]) -> bool:
    return last_end < 0 or point[last_end : match.start()].strip() != ""


def names_in(point: str) -> list[str]:
    return [w for run in name_runs(point) for w in run if w.casefold() not in _ACRONYM_GLUE]


def _is_dotted(word: str) -> bool:
    dotted = word if word.endswith(".") else word + "."
    return bool(re.fullmatch(r"(?:[A-ZА-ЯЁІЇЄҐ]\.){2,}", dotted))


def _initial(word: str) -> str:
    if roman_value(word):
        return word.casefold()  # "World War II" → "wwii"
    return word[0].casefold()


def _acronyms(text: str) -> set[str]:
    """Acronyms a text states or implies: "U.S.", "NATO", and initials of name runs."""
    found: set[str] = set()
    tokens = _WORD.findall(text)
    for token in tokens:
        bare = token.replace(".", "")
        if len(bare) >= 2 and bare.isupper():
            found.add(bare.casefold())
    # Initials of windows of 2-6 words starting with a capital ("Національний банк
    # України" → "нбу", "Wall Street Journal" → "wsj"), skipping "of", "the", "and".
    words = [w for w in tokens if w.casefold() not in _ACRONYM_GLUE]
    for i, first in enumerate(words):
        if not first[0].isupper():
            continue
        initials = ""
        for w in words[i : i + 6]:
            initials += _initial(w)
            if len(initials) >= 2:
                found.add(initials)
    return found


# -- relations ---------------------------------------------------------------------------
def _verb_like(word: str) -> bool:
    if word in IRREGULAR_VERBS or word in AUXILIARIES:
        return True
    return len(word) > 4 and word.endswith("ed")


def _main_verb(tokens: list[str]) -> int | None:
    return next((k for k, t in enumerate(tokens) if _verb_like(t) and t not in AUXILIARIES), None)


def _roles(tokens: list[str], i: int) -> tuple[list[str] | None, list[str]]:
    """(agent, patient) around the verb at `i`; agent None for an agentless passive."""
    before = [t for t in tokens[max(0, i - 6) : i]]
    after = tokens[i + 1 : i + 7]
    passive = bool(before) and before[-1] in _PASSIVE_AUX
    if passive:
        if "by" not in after:
            return None, _content(before)
        by = after.index("by")
        return _content(after[by + 1 : by + 5]), _content(before)
    return _content(before), _content(after)


def _content(tokens: list[str]) -> list[str]:
    return [t for t in tokens if t not in STOPWORDS and t not in AUXILIARIES and len(t) > 2]


def _overlap(a: list[str], b: list[str]) -> bool:
    return any(_same(x, y) for x in a for y in b)


def _same(a: str, b: str) -> bool:
    if a == b:
        return True
    n = max(4, min(len(a), len(b)) - 3)
    return len(a) >= 4 and len(b) >= 4 and a[:n] == b[:n]


def _phrase(tokens: list[str], *, backwards: bool = False) -> list[str]:
    """The content words of the noun phrase at the start of `tokens` (up to 3 words)."""
    out: list[str] = []
    for t in tokens[:4]:
        if t in ("the", "a", "an", "local", "his", "her", "their"):
            if backwards and out:
                break  # reading backwards, a determiner opens the phrase
            continue
        if t in STOPWORDS or t in AUXILIARIES or _verb_like(t):
            break
        out.append(t)
        if len(out) == 3:
            break
    return out


def _mentions(text: str, markers: tuple[str, ...]) -> bool:
    lower = " " + " ".join(_TOKEN.findall(text.casefold())) + " "
    for marker in markers:
        if len(marker) <= 4 or " " in marker:
            if f" {marker} " in lower:
                return True
        elif f" {marker}" in lower:
            return True
    return False


# -- scripts -----------------------------------------------------------------------------
def dominant_script(text: str) -> str:
    """The Unicode script most letters of `text` belong to ("LATIN", "CYRILLIC", ...)."""
    counts: dict[str, int] = {}
    # Each distinct character is looked up once: per character, a 3 MB article held the
    # event loop for seconds.
    for ch, n in Counter(text).items():
        if ch.isalpha():
            name = unicodedata.name(ch, "")
            script = name.split(" ", 1)[0] if name else "OTHER"
            counts[script] = counts.get(script, 0) + n
    return max(counts, key=lambda s: counts[s]) if counts else ""


def _base(language: str | None) -> str:
    return re.split(r"[-_]", language.strip().lower())[0] if language else ""


def supported(point: str, source_text: str, *, language: str | None = None) -> bool:
    """Shorthand for one point against one source text (tests, the benchmark)."""
    return not Support(source_text).problems(
        point, point_language=language, article_language=language
    )


__all__ = [
    "GuardResult", "Source", "Support", "TextResult", "Verdict", "check_grounded", "check_points",
    "dominant_script", "name_runs", "names_in", "supported", "words_comparable",
]  # fmt: skip
