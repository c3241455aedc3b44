"""Points for one story told by several outlets, each point citing the articles behind it.

A digest story reported by several outlets is summarized from up to three of their articles,
not from one: the second outlet should add a fact, not repeat the first.

* Extractive (no model): each article's sentences are ranked by the extractive summarizer
  (`select_points`); points are then taken from the articles in turn, best sentence first,
  skipping any sentence that adds no fact to the points already chosen.
* LLM: one call with the articles as separate, delimited, numbered sources, asking for
  points that end with their source numbers ("… [1, 3]"). The faithfulness guard then checks
  each point against the sources it cites: a point whose numbers or names are not there is
  re-attributed to the sources that do state them, or dropped when none does. When the
  model fails or no point survives, the extractive points stand in.

Either way a point lists every source that supports it: the one it came from, and any other
whose text holds the point's numbers and names and most of its words. Plain data in and out;
the only I/O is the model call, behind the narrow `PointsModel` protocol.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import Protocol

from bot import metrics
from bot.article import Article
from bot.errors import SummarizerError
from bot.summarize.chunking import split_for_budget
from bot.summarize.extractive import select_points
from bot.summarize.guard import check_points
from bot.summarize.sentences import split_sentences

log = logging.getLogger(__name__)

PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"
MAX_SOURCES = 3
MAX_POINTS = 3
CANDIDATES_PER_SOURCE = 6  # ranked sentences kept per article to choose from
# A sentence adds a fact when at least this share of its terms (content-word stems and
# numbers) is not in the points chosen so far; below it, it repeats them.
MIN_NOVELTY = 0.7
# ...and it restates one chosen point when they share this share of the smaller one's terms:
# two outlets' leads tell the same event in different words ("Kim recalled his generals" /
# "Kim ordered his generals home") and share its few key words, not many others.
MAX_OVERLAP = 0.35
# Another article supports a point when one of its sentences holds this share of the
# point's terms (and the guard finds all the point's numbers and names in it). Set high:
# "CNBC reported the details." is not supported by "WSJ reported the details.".
SUPPORT_OVERLAP = 0.8
# Tokens for all sources together (the prompts take the rest of LLM_MAX_INPUT_TOKENS).
PROMPT_RESERVE = 700

_WORD = re.compile(r"\w+")
# A number with its thousands separators, as one term: "15,000", "15 000" → "15000".
_NUMBER = re.compile(r"\d{1,3}(?:[,.\u00a0\u202f ]\d{3})+(?!\d)|\d+(?:[.,]\d+)?")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
# "… into the sea. [1, 3]", "[sources 1 and 2]", "(1, 2)" at the end of a point.
_CITATION = re.compile(
    r"\s*[\[(【]\s*(?:sources?\s*|src\s*|#)?(\d{1,2}(?:\s*(?:,|;|and|&|\+)\s*#?\d{1,2})*)\s*[\])】]"
    r"\s*[.。]?\s*$",
    re.IGNORECASE,
)
_SOURCE_TAG = re.compile(r"<(\s*/?\s*source\b)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class SourceArticle:
    """One outlet's article about the story."""

    outlet: str
    article: Article


@dataclass(frozen=True, slots=True)
class StoryPoint:
    text: str
    sources: tuple[int, ...]  # indexes into the story's sources, the origin first


@dataclass(frozen=True, slots=True)
class StorySummary:
    points: list[StoryPoint]
    summarizer: str  # "extractive" or "llm:<model>"
    dropped_points: int = 0  # model points no source supports
    reattributed: int = 0  # model points whose citations the guard corrected
    fallback_reason: str | None = None  # the model failed and the extractive points stand in
    notes: list[str] = field(default_factory=list)


class PointsModel(Protocol):
    """The slice of `LLMSummarizer` a multi-source call needs."""

    name: str

    async def complete(self, system: str, user: str, *, min_points: int = 1) -> list[str]: ...


# -- extractive ---------------------------------------------------------------------------


def extractive_points(
    sources: Sequence[SourceArticle], *, max_points: int = MAX_POINTS
) -> list[StoryPoint]:
    """Sentences chosen across the articles, in turn, with repeats left out."""
    ranked = [
        select_points(
            s.article.text, title=s.article.title,
            max_points=CANDIDATES_PER_SOURCE, min_points=CANDIDATES_PER_SOURCE,
        )
        for s in sources
    ]
    chosen: list[tuple[str, int]] = []
    chosen_terms: list[set[str]] = []
    # Every outlet's headline names the event: a sentence that only restates it (another
    # outlet's lead, in other words) adds nothing once the first point has told it.
    headlines: set[str] = set()
    for s in sources:
        headlines |= fact_terms(s.article.title)
    covered: set[str] = set()
    cursor = [0] * len(sources)
    while len(chosen) < max_points and any(c < len(r) for c, r in zip(cursor, ranked, strict=True)):
        for i, candidates in enumerate(ranked):
            if len(chosen) >= max_points:
                break
            # This article's best sentence that still adds a fact (or none this turn).
            while cursor[i] < len(candidates):
                sentence = candidates[cursor[i]]
                cursor[i] += 1
                terms = fact_terms(sentence)
                if not chosen or adds_a_fact(terms, chosen_terms, covered):
                    chosen.append((sentence, i))
                    chosen_terms.append(terms)
                    covered |= terms | headlines
                    break
    return [
        StoryPoint(text, (origin, *supporters(text, sources, exclude=origin)))
        for text, origin in chosen
    ]


def adds_a_fact(terms: set[str], chosen: Sequence[set[str]], covered: set[str]) -> bool:
    """Does a sentence with `terms` say something the chosen points don't?"""
    if not terms:
        return False
    if novelty(terms, covered) < MIN_NOVELTY:
        return False
    return all(overlap(terms, other) < MAX_OVERLAP for other in chosen)


def overlap(a: set[str], b: set[str]) -> float:
    smaller = min(len(a), len(b))
    return len(a & b) / smaller if smaller else 0.0


def fact_terms(text: str) -> set[str]:
    """What a sentence says, language-blind: content-word stems, numbers, CJK bigrams."""
    folded = text.casefold()
    terms = {re.sub(r"[^\d.]|\.(?=\d{3})", "", n) for n in _NUMBER.findall(folded)}
    for token in _WORD.findall(_NUMBER.sub(" ", folded)):
        if token.isdigit():
            terms.add(token)
        elif _CJK.search(token):
            terms.update(token[i : i + 2] for i in range(max(1, len(token) - 1)))
        elif len(token) > 3:  # short words are mostly function words, in any alphabet
            # A crude, language-blind stem: "generals"/"general", "Росії"/"Росію" meet.
            terms.add(token[: max(3, min(5, len(token) - 1))])
    return terms


def novelty(terms: set[str], covered: set[str]) -> float:
    return len(terms - covered) / len(terms) if terms else 0.0


def supporters(
    point: str, sources: Sequence[SourceArticle], *, exclude: int | None = None,
    language: str | None = None,
) -> tuple[int, ...]:
    """The sources whose text states `point`: its numbers and names, most of its words."""
    terms = fact_terms(point)
    found: list[int] = []
    for i, source in enumerate(sources):
        if i == exclude or not terms:
            continue
        best = max(
            (len(terms & fact_terms(s)) / len(terms) for s in _sentences(source.article)),
            default=0.0,
        )
        if best >= SUPPORT_OVERLAP and _grounded(point, [source], language):
            found.append(i)
    return tuple(found)


# -- LLM ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Prompts:
    system: str
    user: Template  # $count $min_points $max_points $language $notes $sources

    @classmethod
    def load(cls, directory: Path = PROMPTS_DIR) -> Prompts:
        return cls(
            system=(directory / "multisource_system.txt").read_text(encoding="utf-8").strip(),
            user=Template((directory / "multisource_user.txt").read_text(encoding="utf-8")),
        )


def source_blocks(sources: Sequence[SourceArticle], budget_tokens: int) -> str:
    """The articles as numbered, delimited blocks; each cut to its share of the budget."""
    share = max(budget_tokens // max(len(sources), 1), 100)
    blocks = []
    for n, source in enumerate(sources, 1):
        text = source.article.text
        parts = split_for_budget(text, share)
        body = parts[0] if parts else text
        title = source.article.title
        content = f"Title: {title}\n\n{body}" if title else body
        outlet = _inert(source.outlet).replace('"', "'")
        blocks.append(f'<source id="{n}" outlet="{outlet}">\n{_inert(content)}\n</source>')
    return "\n\n".join(blocks)


def parse_cited(point: str, count: int) -> tuple[str, tuple[int, ...]]:
    """'Text. [1, 3]' → ('Text.', (0, 2)); numbers outside 1..count are ignored."""
    cited: list[int] = []
    text = point.strip()
    while (match := _CITATION.search(text)) is not None:
        for raw in re.findall(r"\d+", match.group(1)):
            n = int(raw) - 1
            if 0 <= n < count and n not in cited:
                cited.append(n)
        text = text[: match.start()].rstrip()
    return text, tuple(sorted(cited))


def ground(
    text: str, cited: tuple[int, ...], sources: Sequence[SourceArticle], language: str | None
) -> tuple[int, ...] | None:
    """The sources a model point may cite: its own if they hold its numbers and names, else
    the single sources that do (re-attributed); None when no source supports it."""
    everyone = tuple(range(len(sources)))
    if cited and _grounded(text, [sources[i] for i in cited], language):
        return cited
    single = tuple(i for i in everyone if _grounded(text, [sources[i]], language))
    if single:
        return single
    if not cited and _grounded(text, sources, language):
        return everyone  # uncited, and it takes several articles together to state it
    return None


class MultiSourceSummarizer:
    """Points for a story from several articles: by the model when there is one."""

    def __init__(
        self,
        model: PointsModel | None = None,
        *,
        max_input_tokens: int = 6000,
        prompts: Prompts | None = None,
        max_points: int = MAX_POINTS,
    ) -> None:
        self.model = model
        self.max_points = max_points
        self._budget = max(max_input_tokens - PROMPT_RESERVE, 300)
        self._prompts = prompts or (Prompts.load() if model is not None else None)

    async def summarize(
        self, sources: Sequence[SourceArticle], *, lang: str | None = None
    ) -> StorySummary:
        sources = list(sources)[:MAX_SOURCES]
        if not sources:
            return StorySummary([], "extractive")
        if self.model is None:
            points = await asyncio.to_thread(extractive_points, sources, max_points=self.max_points)
            return StorySummary(points, "extractive")
        try:
            return await self._by_model(self.model, sources, lang)
        except SummarizerError as exc:
            reason = str(exc)
        metrics.fallback()
        log.warning("%s fell back to extractive for a %d-source story: %s",
                    self.model.name, len(sources), reason)
        points = await asyncio.to_thread(extractive_points, sources, max_points=self.max_points)
        dropped = _dropped_in(reason)
        return StorySummary(points, "extractive", dropped_points=dropped, fallback_reason=reason)

    async def _by_model(
        self, model: PointsModel, sources: list[SourceArticle], lang: str | None
    ) -> StorySummary:
        assert self._prompts is not None
        language = lang or sources[0].article.language
        blocks = await asyncio.to_thread(source_blocks, sources, self._budget)
        user = self._prompts.user.substitute(
            count=len(sources), min_points=min(2, self.max_points), max_points=self.max_points,
            language=_language_name(language), notes="", sources=blocks,
        )
        raw = await model.complete(self._prompts.system, user, min_points=1)
        points: list[StoryPoint] = []
        dropped = reattributed = 0
        for item in raw:
            text, cited = parse_cited(item, len(sources))
            if not text:
                continue
            grounded = await asyncio.to_thread(ground, text, cited, sources, language)
            if grounded is None:
                dropped += 1
                log.info("guard dropped a story point no source supports: %r", text)
                continue
            if cited and grounded != cited:
                reattributed += 1
                log.info("guard re-attributed %r from %s to %s", text, cited, grounded)
            points.append(StoryPoint(text, grounded))
            if len(points) == self.max_points:
                break
        if not points:
            raise SummarizerError(f"no faithful points: the guard dropped all {dropped}")
        return StorySummary(points, model.name, dropped_points=dropped, reattributed=reattributed)


# -- helpers ------------------------------------------------------------------------------


def _grounded(point: str, sources: Sequence[SourceArticle], language: str | None) -> bool:
    """The guard's verdict: every number and name of `point` is in these sources' text."""
    text = "\n".join(f"{s.article.title}\n{s.article.text}" for s in sources)
    # Articles in several languages: names are compared as written, against all of them.
    languages = {s.article.language for s in sources}
    article_language = languages.pop() if len(languages) == 1 else None
    result = check_points(
        [point], text, point_language=language or article_language,
        article_language=article_language,
    )
    return bool(result.kept)


def _sentences(article: Article) -> list[str]:
    return split_sentences(f"{article.title}\n{article.text[:30_000]}")


def _inert(text: str) -> str:
    """`<source>` tags in an article can't open or close a block of the prompt."""
    return _SOURCE_TAG.sub(r"‹\1", text)


def _language_name(code: str | None) -> str:
    # Imported here: the extractive path (and bot.news) need not load the prompt texts.
    from bot.summarize.prompts import language_name

    return language_name(code) if code else "the language of the sources"


def _dropped_in(reason: str) -> int:
    match = re.search(r"dropped all (\d+)", reason)
    return int(match.group(1)) if match else 0
