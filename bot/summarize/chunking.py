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
    words = sentence.split()
    parts: list[str] = []
    current: list[str] = []
    for word in words:
        if current and estimate_tokens(" ".join([*current, word])) > budget:
            parts.append(" ".join(current))
            current = []
        if estimate_tokens(word) > budget:  # one absurdly long token: cut it by characters
            step = budget * 3
            parts.extend(word[i : i + step] for i in range(0, len(word), step))
            continue
        current.append(word)
    if current:
        parts.append(" ".join(current))
    return parts


def _pack(pieces: list[str], budget: int, *, sep: str) -> list[str]:
    """Greedily join consecutive pieces while the result stays within `budget`."""
    parts: list[str] = []
    current = ""
    for piece in pieces:
        candidate = f"{current}{sep}{piece}" if current else piece
        if current and estimate_tokens(candidate) > budget:
            parts.append(current)
            current = piece
        else:
            current = candidate
    if current:
        parts.append(current)
    return parts
