"""Answers to a reader's question about a story, from the story's article texts only.

* With a model: one call with the articles as delimited, numbered sources (the same blocks
  and the same defences as multi-source digest points: article text is data, never
  instructions), asking for one to three sentences that answer the question, each ending
  with the numbers of the sources that state it — or NOT_IN_SOURCES. Every sentence then
  passes the faithfulness guard (`multisource.ground`): one whose numbers or names no
  source states is dropped. With none left, the answer is "the article doesn't say".
* Without a model, or when the model fails: the one to three sentences of the articles that
  best answer the question, by BM25 over their sentences (language-blind terms: stems,
  numbers, CJK bigrams), quoted as they are. A question none of whose words the articles
  hold gets "the article doesn't say".

Plain data in and out; the only I/O is the model call, behind `PointsModel`.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from string import Template

from bot import metrics
from bot.errors import SummarizerError
from bot.summarize.chunking import estimate_tokens
from bot.summarize.lexicon import STOPWORDS
from bot.summarize.multisource import (
    PROMPT_RESERVE,
    PointsModel,
    SourceArticle,
    ground,
    parse_cited,
)
from bot.summarize.prompts import PROMPTS_DIR, language_name
from bot.summarize.sentences import split_sentences

log = logging.getLogger(__name__)

MAX_SENTENCES = 3
MAX_SOURCES = 3
NOT_IN_SOURCES = "NOT_IN_SOURCES"
MAX_QUESTION = 500  # characters of a question sent to the model or scored
# BM25's usual constants; sentences are short documents, so length matters little.
_K1, _B = 1.2, 0.5
# A second or third quoted sentence must score at least this share of the best one.
_RUNNER_UP = 0.6
# Sentences with a number rank higher for "how many" questions.
_NUMBER_BOOST = 1.5



def _words(words: str) -> frozenset[str]:
    return frozenset(words.split())


_WORD = re.compile(r"\w+")
_NUMBER = re.compile(r"\d{1,3}(?:[,.\u00a0\u202f ]\d{3})+(?!\d)|\d+(?:[.,]\d+)?")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_TAG = re.compile(r"<(\s*/?\s*(?:source|question)\b)", re.IGNORECASE)
# The words that make a question a question, in the shipped languages: never content.
_QUESTION_WORDS = _words("""
    why how what who whom whose when where which many much does did do doing done tell
    about said says say they them their there this that these those article articles story
    чому як скільки що хто кого коли де який яка які яке якого чи був була були було це
    вони їх його її про статті стаття сказано пишуть
    почему как сколько что кто кого когда где какой какая какие какое ли был была были было
    это они их его ее её про статье статья сказано пишут
    warum wie viele viel was wer wen wann welche welcher welches sie ihr ihnen der die das
    porqué por qué cuántos cuántas cuánto quién quiénes cuándo dónde cómo cuál cuáles ellos
    pourquoi combien quoi qui quand où comment quel quelle quels quelles ils elles
""")
_CJK_QUESTION = re.compile(
    r"为什么|為什麼|多少|什么|什麼|怎么|怎麼|哪里|哪裡|哪些|谁|誰|几|幾|吗|嗎|呢"
)
_HOW_MANY = re.compile(
    r"\b(?:how\s+(?:many|much)|скільки|сколько|wie\s+viele?|cu[aá]nt[oa]s?|combien)\b"
    r"|多少|几|幾",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class AnswerSentence:
    text: str
    sources: tuple[int, ...]  # indexes into the sources asked about


@dataclass(frozen=True, slots=True)
class Answer:
    sentences: list[AnswerSentence]  # empty: the articles don't say
    quoted: bool  # the articles' own sentences (no model), not a model's words
    answerer: str  # "extractive" or the model's name
    dropped: int = 0  # model sentences the guard dropped
    fallback_reason: str | None = None  # the model failed and the quotes stand in

    @property
    def found(self) -> bool:
        return bool(self.sentences)


@dataclass(frozen=True, slots=True)
class Prompts:
    system: str
    user: Template  # $count $language $question $sources

    @classmethod
    def load(cls, directory: Path = PROMPTS_DIR) -> Prompts:
        return cls(
            system=(directory / "answer_system.txt").read_text(encoding="utf-8").strip(),
            user=Template((directory / "answer_user.txt").read_text(encoding="utf-8")),
        )


class Answerer:
    """Answer questions about stories: by the model when there is one, else by quoting."""

    def __init__(self, model: PointsModel | None = None, *, max_input_tokens: int = 6000,
                 prompts: Prompts | None = None) -> None:
        self.model = model
        self._budget = max(max_input_tokens - PROMPT_RESERVE, 300)
        self._prompts = prompts or (Prompts.load() if model is not None else None)

    @classmethod
    def for_summarizer(cls, summarizer: object, *, max_input_tokens: int) -> Answerer:
        """The model behind the link summarizer when it has one, else quoting."""
        llm = getattr(summarizer, "llm", None)
        if llm is not None and callable(getattr(llm, "complete", None)):
            return cls(llm, max_input_tokens=max_input_tokens)
        return cls()

    async def answer(self, question: str, sources: Sequence[SourceArticle], *,
                     lang: str | None = None) -> Answer:
        question = " ".join(question.split())[:MAX_QUESTION]
        sources = list(sources)[:MAX_SOURCES]
        if self.model is None or not sources:
            return await asyncio.to_thread(quoted_answer, question, sources)
        try:
            return await self._by_model(self.model, question, sources, lang)
        except SummarizerError as exc:
            reason = str(exc)
        metrics.fallback()
        log.warning("%s could not answer a question; quoting the articles: %s",
                    self.model.name, reason)
        quoted = await asyncio.to_thread(quoted_answer, question, sources)
        return Answer(quoted.sentences, True, "extractive", fallback_reason=reason)

    async def _by_model(self, model: PointsModel, question: str,
                        sources: list[SourceArticle], lang: str | None) -> Answer:
        assert self._prompts is not None
        language = lang or sources[0].article.language
        blocks = await asyncio.to_thread(relevant_blocks, question, sources, self._budget)
        user = self._prompts.user.substitute(
            count=len(sources), sources=blocks, question=_inert(question),
            language=language_name(language) if language else "the language of the question",
        )
        raw = await model.complete(self._prompts.system, user, min_points=0)
        kept: list[AnswerSentence] = []
        dropped = 0
        for item in raw:
            text, cited = parse_cited(item, len(sources))
            if not text or NOT_IN_SOURCES in text:
                continue
            grounded = await asyncio.to_thread(ground, text, cited, sources, language)
            if grounded is None:
                dropped += 1
                log.info("guard dropped an answer sentence no source supports: %r", text)
                continue
            kept.append(AnswerSentence(text, grounded))
            if len(kept) == MAX_SENTENCES:
                break
        return Answer(kept, False, model.name, dropped=dropped)


# -- quoting: BM25 over the articles' sentences -------------------------------------------


def quoted_answer(question: str, sources: Sequence[SourceArticle]) -> Answer:
    """The 1–3 sentences that best answer `question`, in reading order, or none."""
    sentences = [(i, s) for i, source in enumerate(sources) for s in _sentences(source)]
    picked = best_sentences(question, [s for _, s in sentences])
    return Answer(
        [AnswerSentence(sentences[n][1], (sentences[n][0],)) for n in picked], True, "extractive"
    )


def best_sentences(question: str, sentences: Sequence[str], k: int = MAX_SENTENCES) -> list[int]:
    """Indexes of the sentences that best match `question` (BM25), at most `k`, in order.

    None when the question's content words are nowhere in the sentences: quoting the
    nearest passage then would pretend to an answer the article does not hold.
    """
    wanted = set(terms(question))
    if not wanted or not sentences:
        return []
    scores = bm25(wanted, [terms(s) for s in sentences])
    if _HOW_MANY.search(question):
        scores = [s * _NUMBER_BOOST if s and _NUMBER.search(t) else s
                  for s, t in zip(scores, sentences, strict=True)]
    best = max(scores)
    if best <= 0:
        return []
    ranked = sorted(range(len(scores)), key=lambda n: -scores[n])
    chosen = [n for n in ranked[:k] if scores[n] >= best * _RUNNER_UP]
    return sorted(chosen)


def bm25(query: set[str], documents: Sequence[Sequence[str]]) -> list[float]:
    """Okapi BM25 of each document (a list of terms) for the query terms."""
    count = len(documents)
    average = sum(len(d) for d in documents) / count if count else 0.0
    df: Counter[str] = Counter()
    for document in documents:
        df.update(set(document) & query)
    scores: list[float] = []
    for document in documents:
        tf = Counter(t for t in document if t in query)
        norm = _K1 * (1 - _B + _B * (len(document) / average if average else 0.0))
        scores.append(sum(
            math.log(1 + (count - df[t] + 0.5) / (df[t] + 0.5)) * n * (_K1 + 1) / (n + norm)
            for t, n in tf.items()
        ))
    return scores


def terms(text: str) -> list[str]:
    """Content terms, language-blind: crude stems, numbers, CJK bigrams (with repeats)."""
    folded = _CJK_QUESTION.sub(" ", text.casefold())
    out = [re.sub(r"[^\d.]|\.(?=\d{3})", "", n) for n in _NUMBER.findall(folded)]
    for token in _WORD.findall(_NUMBER.sub(" ", folded)):
        if token in STOPWORDS or token in _QUESTION_WORDS or token.isdigit():
            continue
        if _CJK.search(token):
            out.extend(token[i:i + 2] for i in range(max(1, len(token) - 1)))
        elif len(token) > 3:  # short words are mostly function words, in any alphabet
            # "soldiers"/"soldier", "recalled"/"recall", "солдатів"/"солдати" meet.
            out.append(token[: max(3, min(5, len(token) - 1))])
    return out


def relevant_blocks(question: str, sources: Sequence[SourceArticle], budget: int) -> str:
    """The articles as numbered, delimited blocks, each within its share of `budget`.

    An article too long for its share keeps its opening and the sentences that best match
    the question, in reading order: the answer may be deep in a long article.
    """
    share = max(budget // max(len(sources), 1), 100)
    wanted = set(terms(question))
    blocks = []
    for n, source in enumerate(sources, 1):
        body = source.article.text
        if estimate_tokens(body) > share:
            body = _excerpt(split_sentences(body), wanted, share)
        title = source.article.title
        content = f"Title: {title}\n\n{body}" if title else body
        outlet = _inert(source.outlet).replace('"', "'")
        blocks.append(f'<source id="{n}" outlet="{outlet}">\n{_inert(content)}\n</source>')
    return "\n\n".join(blocks)


def _excerpt(sentences: list[str], wanted: set[str], budget: int) -> str:
    scores = bm25(wanted, [terms(s) for s in sentences]) if wanted else [0.0] * len(sentences)
    # The lead first (it names who and what), then the best matches.
    order = list(range(min(3, len(sentences))))
    order += sorted((n for n in range(len(sentences)) if n not in order and scores[n] > 0),
                    key=lambda n: -scores[n])
    chosen: list[int] = []
    used = 0
    for n in order:
        cost = estimate_tokens(sentences[n]) + 1
        if used + cost > budget:
            continue
        chosen.append(n)
        used += cost
    return "\n".join(sentences[n] for n in sorted(chosen))


def _sentences(source: SourceArticle) -> list[str]:
    return split_sentences(source.article.text)


def _inert(text: str) -> str:
    """`<source>` and `<question>` tags in an article or a question can't open or close a
    block of the prompt."""
    return _TAG.sub(r"‹\1", text)
