"""The LLM summarizer: grounded points from a chat model, in the reader's language.

The article goes to the model as numbered sentences ("[3] …"), and every point comes back
with the numbers of the sentences that support it, so the guard (`bot.summarize.guard`)
can check each point against just those sentences. Replies are read whatever their shape
(`bot.summarize.grounding`), fragments and repeats dropped.

Language: the requested language is stated in the system prompt and checked on every
point with the project's language detector. A reply in another language is retried once
with a reminder; if the second reply is in the article's language it is used, and the
summary says so ("written in English: the model did not answer in Ukrainian").

Long articles: only the first LLM_MAX_ARTICLE_TOKENS are summarized (the summary is then
`partial` and says "long article: these points cover the first N words"), in at most
MAX_PARTS parts whose points one merge call combines; with the verification call that is
at most 7 model calls for any article when nothing fails.

The HTTP side (retries, format degradation, LLM_CONCURRENCY) is `bot.summarize.chat`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from openai.types.chat import ChatCompletionMessageParam
from pydantic import SecretStr

from bot.article import Article, Note, Summary
from bot.config import Settings
from bot.errors import SummarizerError
from bot.extract.language import detect_language
from bot.summarize.chat import ChatEndpoint, Garbage, GarbageError, ResponseMode
from bot.summarize.chunking import cap_text, estimate_tokens, split_for_budget
from bot.summarize.grounding import (
    GroundedPoint,
    InvalidReply,
    Numbered,
    clean_points,
    parse_reply,
)
from bot.summarize.prompts import Prompts, base_language, language_name, neutralise_tags

log = logging.getLogger(__name__)

MAX_POINTS = 5
MIN_POINTS = 2
# Parts of one article sent to the model: with one merge and one verification call, at
# most 7 calls per article (issue: a 5 MB page cost 313).
MAX_PARTS = 5
# Below this the prompts don't leave room for a useful part (LLM_MAX_INPUT_TOKENS too small).
MIN_DATA_TOKENS = 200
_MARGIN = 16  # rounding in the per-message estimates, the separators between blocks
_SENTENCE_NUMBER = re.compile(r"^\[(\d+)\]", re.MULTILINE)

POINTS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "points": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "text": {"type": "string"},
                    "sentences": {"type": "array", "items": {"type": "integer"}},
                },
                "required": ["text", "sentences"],
                "additionalProperties": False,
            },
            "minItems": 1,
            "maxItems": MAX_POINTS,
        }
    },
    "required": ["points"],
    "additionalProperties": False,
}
VERIFY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "verdicts": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"claim": {"type": "integer"}, "supported": {"type": "boolean"}},
                "required": ["claim", "supported"],
                "additionalProperties": False,
            },
        }
    },
    "required": ["verdicts"],
    "additionalProperties": False,
}
_VERDICT_LINE = re.compile(r"^\s*(\d{1,2})[.):]?\s*(yes|no|supported|not supported|true|false)\b",
                           re.IGNORECASE | re.MULTILINE)  # fmt: skip


@dataclass(slots=True)
class Draft:
    """What the model wrote for one article, before the guard."""

    points: list[GroundedPoint]
    numbered: Numbered  # every sentence sent, numbered as the model saw them
    language: str | None
    partial: bool = False
    notes: list[Note] = field(default_factory=list)
    parts: int = 1


@dataclass(slots=True)
class _Reply:
    points: list[GroundedPoint]
    fell_back_to: str | None = None  # the language used instead of the one asked for


class LLMSummarizer:
    """Summarize with a chat model; raise `SummarizerError` when the model can't deliver."""

    def __init__(
        self,
        *,
        model: str,
        base_url: str | None = None,
        api_key: SecretStr | None = None,
        max_input_tokens: int = 6000,
        max_article_tokens: int = 24_000,
        timeout: float = 60.0,
        max_retries: int = 3,
        prompts: Prompts | None = None,
        backoff: float = 0.5,
        temperature: float | None = 0.0,
        max_output_tokens: int | None = 400,
        concurrency: int = 1,
    ) -> None:
        self.model = model
        self.name = f"llm:{model}"
        self.endpoint = ChatEndpoint(
            model=model,
            base_url=base_url,
            api_key=api_key,
            timeout=timeout,
            max_retries=max_retries,
            backoff=backoff,
            temperature=temperature,
            max_output_tokens=max_output_tokens,
            concurrency=concurrency,
        )
        self._max_input_tokens = max_input_tokens
        self._max_article_tokens = max_article_tokens
        self._prompts = prompts or Prompts.load()

    @classmethod
    def from_settings(cls, settings: Settings) -> LLMSummarizer:
        return cls(
            model=settings.openai_model,
            base_url=settings.openai_base_url,
            api_key=settings.openai_api_key,
            max_input_tokens=settings.llm_max_input_tokens,
            max_article_tokens=settings.llm_max_article_tokens,
            timeout=settings.llm_timeout,
            max_retries=settings.llm_max_retries,
            temperature=settings.llm_temperature,
            max_output_tokens=settings.llm_max_output_tokens,
            concurrency=settings.effective_llm_concurrency,
        )

    def __repr__(self) -> str:  # never the key
        return f"LLMSummarizer(model={self.model!r}, base_url={self.endpoint.base_url!r})"

    @property
    def response_mode(self) -> ResponseMode:
        return self.endpoint.response_mode

    async def aclose(self) -> None:
        await self.endpoint.aclose()

    async def check_key(self) -> str | None:
        """What to tell the operator if the endpoint refuses the key, else None."""
        return await self.endpoint.check_key()

    # -- the use case ------------------------------------------------------------------
    async def summarize(self, article: Article, *, lang: str | None = None) -> Summary:
        """The model's points, unchecked (GuardedSummarizer checks them)."""
        draft = await self.draft(article, lang=lang)
        return draft_summary(draft, [p.text for p in draft.points], self.name)

    async def draft(self, article: Article, *, lang: str | None = None) -> Draft:
        language = lang or article.language
        teaser = article.is_teaser
        # A teaser may hold a single fact; asking for two would invite invention.
        min_points = 1 if teaser else MIN_POINTS
        notes = [self._prompts.teaser_note] if teaser else []
        # CPU-bound on long texts: off the event loop, like extraction.
        text, capped = cap_text(article.text, self._max_article_tokens)
        numbered = await asyncio.to_thread(Numbered.from_text, text, title=article.title)
        if not numbered.sentences:
            raise SummarizerError("nothing to summarize: the article has no text")
        budget = self._text_budget(article.title, language, notes)
        parts = await asyncio.to_thread(split_for_budget, "\n".join(numbered.lines()), budget)
        if len(parts) > MAX_PARTS:
            parts, capped = parts[:MAX_PARTS], True
        covered = _covered_words(numbered, parts) if capped else numbered.word_count()
        source_language = base_language(article.language) or detect_language(article.text[:4000])
        reader = _PointsReader(self, language, source_language, min_points)
        if len(parts) == 1:
            reply = await self.endpoint.ask(
                lambda mode: self._article_messages(
                    article.title, parts[0], language, notes, min_points, mode
                ),
                reader.fresh(),
                schema=POINTS_SCHEMA,
                schema_name="points",
            )
        else:
            reply = await self._summarize_parts(article.title, parts, language, notes, reader)
        out_notes: list[Note] = []
        if capped:
            out_notes.append(Note("long_article", covered_words=covered))
        if reply.fell_back_to:
            out_notes.append(Note("language_fallback", written_in=reply.fell_back_to,
                                  asked=language or ""))
        log.info("%s: %d part(s), %d point(s)", self.name, len(parts), len(reply.points))
        return Draft(
            points=reply.points,
            numbered=numbered,
            language=reply.fell_back_to or language,
            partial=teaser or capped,
            notes=out_notes,
            parts=len(parts),
        )

    async def _summarize_parts(
        self,
        title: str,
        parts: list[str],
        language: str | None,
        notes: list[str],
        reader: _PointsReader,
    ) -> _Reply:
        async def one(i: int, text: str) -> _Reply:
            note = self._prompts.part_note.substitute(part=i + 1, parts=len(parts))
            return await self.endpoint.ask(
                lambda mode: self._article_messages(title, text, language, [*notes, note], 1, mode),
                reader.fresh(min_points=1),
                schema=POINTS_SCHEMA,
                schema_name="points",
            )

        # LLM_CONCURRENCY, in the endpoint, decides how many of these run at once.
        replies = list(await asyncio.gather(*(one(i, p) for i, p in enumerate(parts))))
        fell_back = next((r.fell_back_to for r in replies if r.fell_back_to), None)
        merged = await self._merge([r.points for r in replies], language, notes, reader)
        merged.fell_back_to = merged.fell_back_to or fell_back
        return merged

    async def _merge(
        self,
        partials: list[list[GroundedPoint]],
        language: str | None,
        notes: list[str],
        reader: _PointsReader,
    ) -> _Reply:
        """Merge partial points; in rounds when they don't fit one call (tiny budgets)."""
        empty = self._merge_messages("", 2, language, notes, ResponseMode.JSON_SCHEMA)
        budget = self._budget(empty)
        while True:
            groups = _groups(partials, budget)
            if len(groups) == 1:
                final = groups[0]
                return await self.endpoint.ask(
                    lambda mode, final=final: self._merge_messages(  # type: ignore[misc]
                        _points_text(final), len(final), language, notes, mode
                    ),
                    reader.fresh(),
                    schema=POINTS_SCHEMA,
                    schema_name="points",
                )

            async def merge(group: list[list[GroundedPoint]]) -> list[GroundedPoint]:
                if len(group) == 1:  # nothing to merge it with in this round
                    return group[0]
                reply = await self.endpoint.ask(
                    lambda mode: self._merge_messages(
                        _points_text(group), len(group), language, notes, mode
                    ),
                    reader.fresh(min_points=1),
                    schema=POINTS_SCHEMA,
                    schema_name="points",
                )
                return reply.points

            partials = list(await asyncio.gather(*(merge(g) for g in groups)))

    async def complete(self, system: str, user: str, *, min_points: int = 1) -> list[str]:
        """One logical call with prompts built elsewhere (multi-source digests).

        Retries, format fallback and reply cleaning as for an article; each point comes
        back as text with its citations re-appended ("… [1, 3]"), as those callers read
        them. Raises SummarizerError.
        """

        def build(mode: ResponseMode) -> list[ChatCompletionMessageParam]:
            return [{"role": "system", "content": system}, {"role": "user", "content": user}]

        def read(content: str, mode: ResponseMode) -> list[str]:
            try:
                cleaned = clean_points(parse_reply(content))
            except InvalidReply as exc:
                raise Garbage(str(exc)) from exc
            if len(cleaned.kept) < min_points:
                raise Garbage(f"{len(cleaned.kept)} usable point(s), wanted {min_points}")
            return [
                f"{p.text} [{', '.join(map(str, p.cites))}]" if p.cites else p.text
                for p in cleaned.kept[:MAX_POINTS]
            ]

        return await self.endpoint.ask(build, read, schema=POINTS_SCHEMA, schema_name="points")

    # -- verification --------------------------------------------------------------------
    async def verify(self, points: Sequence[GroundedPoint], numbered: Numbered) -> list[bool]:
        """Ask the model whether each point's cited sentences state it (LLM_VERIFY)."""
        claims = "\n\n".join(
            f"{i}. {p.text}\n" + "\n".join(f"   [{n}] {numbered.text_of([n])}" for n in p.cites)
            for i, p in enumerate(points, 1)
        )

        def build(mode: ResponseMode) -> list[ChatCompletionMessageParam]:
            fmt = self._prompts.verify_json if mode.is_json else self._prompts.verify_lines
            user = self._prompts.verify.substitute(claims=neutralise_tags(claims), format=fmt)
            return [
                {"role": "system", "content": self._prompts.verify_system},
                {"role": "user", "content": user},
            ]

        def read(content: str, mode: ResponseMode) -> list[bool]:
            verdicts = parse_verdicts(content)
            if not verdicts:
                raise Garbage(f"no verdicts in the reply: {content[:80]!r}")
            # A claim the checker skipped is not condemned by it; the guard already passed it.
            return [verdicts.get(i, True) for i in range(1, len(points) + 1)]

        return await self.endpoint.ask(build, read, schema=VERIFY_SCHEMA, schema_name="verdicts")

    # -- prompts -----------------------------------------------------------------------
    def _budget(self, empty: list[ChatCompletionMessageParam]) -> int:
        """Tokens left for data in messages that cost `empty` without it."""
        overhead = sum(estimate_tokens(str(m["content"])) for m in empty) + _MARGIN
        return max(self._max_input_tokens - overhead, MIN_DATA_TOKENS)

    def _text_budget(self, title: str, language: str | None, notes: list[str]) -> int:
        # Priced with the longest note a part can carry and the longer format, so every
        # part fits whatever the mode.
        note = self._prompts.part_note.substitute(part=999, parts=999)
        return min(
            self._budget(self._article_messages(title, "", language, [*notes, note], 1, mode))
            for mode in (ResponseMode.JSON_SCHEMA, ResponseMode.PLAIN)
        )

    def _format(self, mode: ResponseMode) -> str:
        return self._prompts.format_json if mode.is_json else self._prompts.format_lines

    def _article_messages(
        self,
        title: str,
        text: str,
        language: str | None,
        notes: list[str],
        min_points: int,
        mode: ResponseMode,
    ) -> list[ChatCompletionMessageParam]:
        article = f"Title: {title}\n\n{text}" if title else text
        name = language_name(language)
        user = self._prompts.user.substitute(
            min_points=min_points,
            max_points=MAX_POINTS,
            language=name,
            notes="\n".join(notes),
            article=neutralise_tags(article),
            format=self._format(mode),
        )
        return [
            {"role": "system", "content": self._prompts.system_for(name)},
            {"role": "user", "content": user},
        ]

    def _merge_messages(
        self, points: str, parts: int, language: str | None, notes: list[str], mode: ResponseMode
    ) -> list[ChatCompletionMessageParam]:
        name = language_name(language)
        user = self._prompts.merge.substitute(
            parts=parts,
            min_points=MIN_POINTS,
            max_points=MAX_POINTS,
            language=name,
            notes="\n".join(notes),
            points=neutralise_tags(points),
            format=self._format(mode),
        )
        return [
            {"role": "system", "content": self._prompts.system_for(name)},
            {"role": "user", "content": user},
        ]


class _PointsReader:
    """Reads points replies for one article: parse, clean, check the language."""

    def __init__(
        self, owner: LLMSummarizer, language: str | None, source_language: str | None,
        min_points: int,
    ) -> None:  # fmt: skip
        self._prompts = owner._prompts
        self.want = base_language(language)
        self.language = language
        self.source = base_language(source_language)
        self.min_points = min_points

    def fresh(self, *, min_points: int | None = None) -> Callable[[str, ResponseMode], _Reply]:
        """A reader for one logical call (it counts that call's wrong-language replies)."""
        wanted = self.min_points if min_points is None else min_points
        wrong_language = 0

        def read(content: str, mode: ResponseMode) -> _Reply:
            nonlocal wrong_language
            try:
                raw = parse_reply(content)
            except InvalidReply as exc:
                raise Garbage(str(exc)) from exc
            cleaned = clean_points(raw, english=(self.want or self.source) == "en")
            points = cleaned.kept[:MAX_POINTS]
            if cleaned.rejected:
                log.info("dropped malformed points: %s", cleaned.rejected)
            if len(points) < wanted:
                # JSON strings cut at a `"` the model meant as a quotation mark come back
                # as fragments: plain lines don't have that problem.
                cut = mode.is_json and any(
                    why in ("unbalanced quotes", "under 4 words", "cut off")
                    for _, why in cleaned.rejected
                )
                raise Garbage(
                    f"{len(points)} usable point(s), wanted at least {wanted}"
                    + (f" ({len(cleaned.rejected)} fragments)" if cleaned.rejected else ""),
                    plain=cut,
                )
            wrong = [p for p in points if self._wrong_language(p.text)]
            if not wrong:
                return _Reply(points)
            wrong_language += 1
            name = language_name(self.language)
            if wrong_language == 1:
                raise Garbage(
                    f"points not in {name}",
                    note=self._prompts.retry_language.substitute(language=name),
                )
            right = [p for p in points if p not in wrong]
            if len(right) >= wanted:
                return _Reply(right)
            if self.source and all(
                detect_language(p.text) in (None, self.source) for p in points
            ):
                return _Reply(points, fell_back_to=self.source)
            raise Garbage(f"points not in {name}")

        return read

    def _wrong_language(self, text: str) -> bool:
        if not self.want:
            return False
        found = detect_language(text)
        return found is not None and found != self.want


def parse_verdicts(content: str) -> dict[int, bool]:
    """{claim number: supported} from a JSON or a lines reply."""
    text = content.strip()
    start, end = text.find("{"), text.rfind("}")
    if start >= 0 and end > start:
        try:
            data = json.loads(text[start : end + 1])
        except ValueError:
            data = None
        if isinstance(data, dict) and isinstance(data.get("verdicts"), list):
            out: dict[int, bool] = {}
            for item in data["verdicts"]:
                if isinstance(item, dict) and isinstance(item.get("claim"), int):
                    out[item["claim"]] = item.get("supported") is True
            return out
    return {
        int(m.group(1)): m.group(2).casefold() in ("yes", "supported", "true")
        for m in _VERDICT_LINE.finditer(text)
    }


def draft_summary(draft: Draft, points: list[str], name: str) -> Summary:
    return Summary(
        points=points,
        summarizer=name,
        language=draft.language,
        partial=draft.partial,
        notes=list(draft.notes),
    )


def _covered_words(numbered: Numbered, parts: list[str]) -> int:
    last = max((int(n) for n in _SENTENCE_NUMBER.findall(parts[-1])), default=0)
    return sum(len(s.text.split()) for s in numbered.sentences if s.number <= last)


def _points_text(partials: Sequence[Sequence[GroundedPoint]]) -> str:
    return "\n\n".join(
        f"Part {i}:\n" + "\n".join(f"- {p.text} {list(p.cites)}" for p in points)
        for i, points in enumerate(partials, 1)
    )


def _groups(
    partials: list[list[GroundedPoint]], budget: int
) -> list[list[list[GroundedPoint]]]:
    """Consecutive partial lists grouped to fit `budget` (a pair always goes together).

    Every group but the last holds two lists or more, so each merge round at least nearly
    halves their number and the rounds end in one final call.
    """
    groups: list[list[list[GroundedPoint]]] = [[]]
    size = 0
    for points in partials:
        cost = estimate_tokens(_points_text([points])) + 1
        if size + cost > budget and len(groups[-1]) >= 2:
            groups.append([])
            size = 0
        groups[-1].append(points)
        size += cost
    return groups


# Re-exported for callers that catch "the model answered, but unusably".
__all__ = ["MAX_PARTS", "Draft", "GarbageError", "LLMSummarizer", "parse_verdicts"]
