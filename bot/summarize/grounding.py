"""Grounded points: the article as numbered sentences, points that cite them, replies read.

The model sees the article as lines "[n] sentence" and answers with each point and the
numbers of the sentences that support it; the guard then checks every point against just
those sentences. Numbers are global across the text handed to the model, so a long
article's parts keep their citations through the merge, and a digest of several articles
can number all their sentences in one sequence (`Numbered.join`) with each sentence
remembering its `source`.

Replies are read whatever shape they come in: `{"points": [{"text", "sentences"}]}`, a
list of strings with "[3, 5]" at the end, or plain numbered lines. Then the points that
are not sentences are dropped — fragments that a `"` inside a grammar-constrained JSON
string cut off, lines with unbalanced quotes, no verb or fewer than four words — points
over ~30 words are split at a sentence boundary or rejected, and repeats are removed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.summarize.lexicon import AUXILIARIES, IRREGULAR_VERBS, STOPWORDS
from bot.summarize.sentences import split_sentences

MAX_POINT_WORDS = 32  # "~30": a point longer than this is split or rejected
MIN_POINT_WORDS = 4
MAX_CITES = 6
_THINK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
_FENCE = re.compile(r"```[\w-]*[ \t]*\n?(.*?)```", re.DOTALL)
_LINE = re.compile(r"^\s*(?:[-*•·–—]|\d{1,2}[.)]|\(\d{1,2}\))\s+(\S.*)$")
_LEADING_MARK = re.compile(r"^(?:[-*•·–—]+|\d{1,2}[.)])\s+")
# "[3]", "[3, 5]", "(sentences 3 and 5)", "[S3][S5]" at the end of a point.
_CITES_TAIL = re.compile(
    r"\s*(?:(?:\[\s*(?:s(?:entences?)?\s*)?\d{1,4}(?:\s*(?:[,;–-]|and)\s*\d{1,4})*\s*\])\s*|"
    r"\(\s*(?:sentences?|s\.?|src|sources?)?\s*\d{1,4}(?:\s*(?:[,;–-]|and)\s*\d{1,4})*\s*\)\s*)+"
    r"[.;]?\s*$",
    re.IGNORECASE,
)
_INT = re.compile(r"\d{1,4}")
_WORD = re.compile(r"[^\W_][\w'’-]*")
_SPACELESS = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af\u0e00-\u0e7f]")
_DANGLING_WORDS = (
    "and or but of to in on at by for with from including such as the a an that which "
    "who whose than und oder der die das mit von zu і та або що з до на в у и или с к"
)
_DANGLING = frozenset(_DANGLING_WORDS.split())


@dataclass(frozen=True, slots=True)
class Sentence:
    number: int
    text: str
    source: int = 0  # which article, for a digest of several


@dataclass(frozen=True, slots=True)
class GroundedPoint:
    text: str
    cites: tuple[int, ...] = ()


@dataclass(slots=True)
class Numbered:
    """An article (or several) as numbered sentences; numbers start at 1."""

    sentences: list[Sentence]
    title: str = ""
    _by_number: dict[int, Sentence] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._by_number = {s.number: s for s in self.sentences}

    @classmethod
    def from_text(cls, text: str, *, title: str = "", start: int = 1, source: int = 0) -> Numbered:
        sentences = [
            Sentence(start + i, s, source) for i, s in enumerate(split_sentences(text)) if s
        ]
        return cls(sentences, title)

    @classmethod
    def join(cls, parts: Sequence[Numbered]) -> Numbered:
        """Several texts in one numbering (each sentence keeps its `source`)."""
        out: list[Sentence] = []
        for i, part in enumerate(parts):
            for s in part.sentences:
                out.append(Sentence(len(out) + 1, s.text, i))
        return cls(out, "")

    def lines(self) -> list[str]:
        return [f"[{s.number}] {s.text}" for s in self.sentences]

    def get(self, number: int) -> Sentence | None:
        return self._by_number.get(number)

    def valid(self, cites: Iterable[int]) -> tuple[int, ...]:
        return tuple(dict.fromkeys(n for n in cites if n in self._by_number))[:MAX_CITES]

    def text_of(self, cites: Iterable[int]) -> str:
        return " ".join(s.text for n in cites if (s := self.get(n)) is not None)

    def window(self, cites: Iterable[int]) -> str:
        """The cited sentences with the one before each (where "he" got his name)."""
        numbers: list[int] = []
        for n in cites:
            numbers.extend(m for m in (n - 1, n) if m in self._by_number and m not in numbers)
        same = {self._by_number[n].source for n in cites if n in self._by_number}
        return " ".join(
            self._by_number[m].text for m in sorted(numbers) if self._by_number[m].source in same
        )

    def best_match(self, point: str, k: int = 2) -> tuple[int, ...]:
        """The sentences sharing most words with `point`: citations for an uncited point."""
        words = _terms(point)
        if not words:
            return ()
        scored = []
        for s in self.sentences:
            overlap = len(words & _terms(s.text))
            if overlap:
                scored.append((overlap, -s.number, s.number))
        scored.sort(reverse=True)
        return tuple(sorted(n for _, _, n in scored[:k]))

    def word_count(self) -> int:
        return sum(len(s.text.split()) for s in self.sentences)


def _content(text: str) -> set[str]:
    return {w for w in (m.group(0).casefold() for m in _WORD.finditer(text))
            if w not in STOPWORDS and (len(w) > 2 or w.isdigit())}  # fmt: skip


def _terms(text: str) -> set[str]:
    """Content words, numbers without separators, and CJK character pairs of `text`."""
    folded = text.casefold()
    terms = {re.sub(r"[^\d.]|\.(?=\d{3})", "", n) for n in _NUMBER.findall(folded)}
    for cjk in _SPACELESS_RUN.findall(folded):
        terms.update(cjk[i : i + 2] for i in range(max(1, len(cjk) - 1)))
    return terms | _content(_SPACELESS_RUN.sub(" ", _NUMBER.sub(" ", folded)))


_NUMBER = re.compile(r"\d{1,3}(?:[,.\u00a0\u202f ]\d{3})+(?!\d)|\d+(?:[.,]\d+)?")
_SPACELESS_RUN = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af\u0e00-\u0e7f]+")


# -- reading replies ---------------------------------------------------------------------
class InvalidReply(ValueError):
    """The model answered, but not with usable points."""


def parse_reply(content: str) -> list[GroundedPoint]:
    """Every point a reply holds, with its citations; raises InvalidReply if there are none."""
    text = _THINK.sub("", content).strip()
    fence = _FENCE.search(text)
    if fence:
        text = fence.group(1).strip()
    items = _json_items(text)
    if items is None:
        items = [_from_string(m.group(1)) for line in text.splitlines()
                 if (m := _LINE.match(line))]  # fmt: skip
    points = [p for p in items if p.text]
    if not points:
        raise InvalidReply(f"no points in the reply: {content[:80]!r}")
    return points


def _json_items(text: str) -> list[GroundedPoint] | None:
    data: Any
    try:
        data = json.loads(text)
    except ValueError:
        start, end = text.find("{"), text.rfind("}")
        if start < 0 or end <= start:
            return None
        try:
            data = json.loads(text[start : end + 1])
        except ValueError:
            return None
    if isinstance(data, dict):
        data = data.get("points")
    if not isinstance(data, list):
        raise InvalidReply("JSON reply without a list of points")
    out: list[GroundedPoint] = []
    for item in data:
        if isinstance(item, str):
            out.append(_from_string(item))
        elif isinstance(item, dict):
            text = item.get("text") or item.get("point") or ""
            cites = item.get("sentences") or item.get("sources") or item.get("cites") or []
            if isinstance(text, str):
                point = _from_string(text)
                numbers = _ints(cites) or point.cites
                out.append(GroundedPoint(point.text, numbers))
    return out


def _ints(value: Any) -> tuple[int, ...]:
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,)
    if isinstance(value, str):
        return tuple(int(n) for n in _INT.findall(value))
    if isinstance(value, list):
        return tuple(n for v in value for n in _ints(v))
    return ()


def _from_string(raw: str) -> GroundedPoint:
    text = _LEADING_MARK.sub("", raw.strip()).strip()
    cites: tuple[int, ...] = ()
    tail = _CITES_TAIL.search(text)
    if tail and tail.start() > 0:
        cites = tuple(int(n) for n in _INT.findall(tail.group(0)))
        text = text[: tail.start()].rstrip()
        if text and text[-1] not in ".!?…»\"”'’)":
            text += "."
    return GroundedPoint(text, cites)


# -- cleaning ----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Cleaned:
    kept: list[GroundedPoint]
    rejected: list[tuple[str, str]]  # (point, why)


def clean_points(points: Sequence[GroundedPoint], *, english: bool = False) -> Cleaned:
    """Drop fragments and repeats; split or reject points over ~30 words."""
    kept: list[GroundedPoint] = []
    rejected: list[tuple[str, str]] = []
    for point in points:
        pieces = [point]
        if word_count(point.text) > MAX_POINT_WORDS:
            pieces = _split_long(point)
            if not pieces:
                rejected.append((point.text, "over 30 words"))
                continue
        for piece in pieces:
            why = fragment_reason(piece.text, english=english)
            if why is None and any(_repeats(piece.text, k.text) for k in kept):
                why = "repeats another point"
            if why:
                rejected.append((piece.text, why))
            else:
                kept.append(piece)
    return Cleaned(kept, rejected)


def word_count(text: str) -> int:
    if _SPACELESS.search(text):  # CJK, Thai: no spaces between words
        return max(len(text.split()), len(_SPACELESS.findall(text)) // 2)
    return len(_WORD.findall(text))


def fragment_reason(text: str, *, english: bool = False) -> str | None:
    """Why `text` is not a whole sentence, or None when it is."""
    stripped = text.strip()
    if word_count(stripped) < MIN_POINT_WORDS:
        return "under 4 words"
    if stripped.count('"') % 2 or stripped.count("“") != stripped.count("”") or (
        stripped.count("«") != stripped.count("»")
    ):
        return "unbalanced quotes"
    last = _WORD.findall(stripped)[-1].casefold() if _WORD.findall(stripped) else ""
    if stripped[-1] in ",:;-–—(" or (stripped[-1].isalnum() and last in _DANGLING):
        return "cut off"
    latin = sum(c.isascii() for c in stripped if c.isalpha()) > 0.8 * sum(
        c.isalpha() for c in stripped
    )
    if english and latin and not _has_verb(stripped):
        return "no verb"
    return None


def _has_verb(text: str) -> bool:
    """A cheap English verb test: an auxiliary, a past form, or "calls them"-like -s."""
    words = [w.casefold() for w in _WORD.findall(text)]
    for i, w in enumerate(words):
        if w in AUXILIARIES or w in IRREGULAR_VERBS or w in _SAYS:
            return True
        if len(w) > 3 and w.endswith(("ed", "ing")):
            return True
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if len(w) > 3 and w.endswith("s") and not w.endswith("ss") and nxt in _AFTER_VERB:
            return True
    return False


_SAYS = frozenset({"say", "said", "says", "told", "plans", "wants", "needs", "faces"})
_AFTER_VERB = frozenset(
    {"to", "that", "the", "a", "an", "them", "him", "her", "it", "his", "their", "its", "up"}
)


def _split_long(point: GroundedPoint) -> list[GroundedPoint]:
    parts = [p for p in re.split(r"(?<=[.!?;])\s+", point.text) if p.strip()]
    if len(parts) < 2:
        return []
    out = []
    for part in parts:
        part = part.strip().rstrip(";") + ("" if part.strip()[-1] in ".!?" else ".")
        part = part[0].upper() + part[1:]
        if word_count(part) > MAX_POINT_WORDS:
            return []
        out.append(GroundedPoint(part, point.cites))
    return out


def _repeats(a: str, b: str) -> bool:
    if set(re.findall(r"\d+", a)) != set(re.findall(r"\d+", b)):
        return False  # "3 died" and "5 were hurt" in otherwise like words are two facts
    wa, wb = _content(a), _content(b)
    if not wa or not wb:
        return a.casefold() == b.casefold()
    # One point's content words (nearly) all in the other: the same fact again. Points
    # that differ in one word ("arrived" / "died") are two claims, each checked on its own.
    return len(wa & wb) / min(len(wa), len(wb)) >= 0.9


__all__ = [
    "Cleaned", "GroundedPoint", "InvalidReply", "Numbered", "Sentence", "clean_points",
    "fragment_reason", "parse_reply", "word_count",
]  # fmt: skip
