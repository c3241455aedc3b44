"""Cut an article that is too long for one model call into parts, losing nothing.

The parts are cut at paragraph boundaries, then at sentence boundaries, and only a single
sentence longer than the whole budget is cut between words. Joined back together the parts
hold every word of the input, in order: a long article is summarized part by part and the
partial points merged, never silently truncated.
"""

from __future__ import annotations

import math
import re

from bot.summarize.sentences import split_sentences

_PARAGRAPH = re.compile(r"\n\s*\n|\n")


def estimate_tokens(text: str) -> int:
    """A deliberately high token estimate, so a part never overflows the model's window.

    English runs at about 4 characters per token with OpenAI's tokenizers, Cyrillic and
    other scripts nearer 2-3, and local models' tokenizers are often worse: 3 characters a
    token (or one token a word, for very short words) errs on the safe side for all of them.
    """
    if not text:
        return 0
    return max(math.ceil(len(text) / 3), len(text.split()))


def split_for_budget(text: str, budget: int) -> list[str]:
    """Cut `text` into parts of at most `budget` estimated tokens each."""
    if budget < 1:
        raise ValueError("budget must be positive")
    if estimate_tokens(text) <= budget:
        return [text] if text.strip() else []
    pieces: list[str] = []
    for paragraph in _PARAGRAPH.split(text):
        if not paragraph.strip():
            continue
        if estimate_tokens(paragraph) <= budget:
            pieces.append(paragraph.strip())
        else:
            pieces.extend(_split_paragraph(paragraph, budget))
    return _pack(pieces, budget, sep="\n\n")


def _split_paragraph(paragraph: str, budget: int) -> list[str]:
    sentences = split_sentences(paragraph) or [paragraph]
    pieces: list[str] = []
    for sentence in sentences:
        if estimate_tokens(sentence) <= budget:
            pieces.append(sentence)
        else:
            pieces.extend(_split_words(sentence, budget))
    return _pack(pieces, budget, sep=" ")


def _split_words(sentence: str, budget: int) -> list[str]:
    """Last resort for a "sentence" longer than the budget (a table, a list without stops)."""
    parts: list[str] = []
    current: list[str] = []
    chars = 0  # len(" ".join(current)), kept as we go: re-joining per word is quadratic
    for word in sentence.split():
        if current and _estimate(chars + 1 + len(word), len(current) + 1) > budget:
            parts.append(" ".join(current))
            current, chars = [], 0
        if estimate_tokens(word) > budget:  # one absurdly long token: cut it by characters
            step = budget * 3
            parts.extend(word[i : i + step] for i in range(0, len(word), step))
            continue
        chars += len(word) + (1 if current else 0)
        current.append(word)
    if current:
        parts.append(" ".join(current))
    return parts


def _pack(pieces: list[str], budget: int, *, sep: str) -> list[str]:
    """Greedily join consecutive pieces while the result stays within `budget`.

    Sizes are summed as pieces are added (`sep` is whitespace, so the word counts of the
    pieces add up exactly): measuring each candidate string anew is quadratic in the part
    size, minutes of CPU for a 3 MB page and a long-context model.
    """
    parts: list[str] = []
    current: list[str] = []
    chars = words = 0
    for piece in pieces:
        piece_words = len(piece.split())
        joined = chars + len(sep) + len(piece) if current else len(piece)
        if current and _estimate(joined, words + piece_words) > budget:
            parts.append(sep.join(current))
            current, chars, words = [piece], len(piece), piece_words
        else:
            current.append(piece)
            chars, words = joined, words + piece_words
    if current:
        parts.append(sep.join(current))
    return parts


def _estimate(chars: int, words: int) -> int:
    """`estimate_tokens` of a text known only by its length and word count."""
    return max(math.ceil(chars / 3), words) if chars else 0


def cap_text(text: str, max_tokens: int) -> tuple[str, bool]:
    """The start of `text` that fits `max_tokens`, cut at a sentence end; True if cut.

    Bounds the model work one article can cause (LLM_MAX_ARTICLE_TOKENS): a 5 MB page
    would otherwise become hundreds of calls. Only the head is looked at, so this is
    cheap whatever the size of `text`.
    """
    chars = max_tokens * 3
    if len(text) <= chars and estimate_tokens(text) <= max_tokens:
        return text, False
    head = text[:chars]
    while head and estimate_tokens(head) > max_tokens:
        head = head[: int(len(head) * 0.9)]
    cut = max(head.rfind("\n"), *(head.rfind(end) for end in (". ", "! ", "? ", "。")))
    if cut > len(head) // 2:
        head = head[: cut + 1]
    return head.rstrip(), True
