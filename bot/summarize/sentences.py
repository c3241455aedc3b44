"""Split article text into sentences without downloaded models (no NLTK data, no network).

Rules, in the order they are applied:

* A line break ends a sentence (extractors put each paragraph, heading and caption on its
  own line) unless it is a hard wrap: the line has no terminal punctuation and the next one
  starts in lower case.
* ``.``, ``!``, ``?`` and ``…`` (with any closing quotes or brackets) end a sentence when
  whitespace and a character that is not lower case follow. CJK enders ``。！？`` end one
  with or without a following space.
* A full stop after an abbreviation (``Mr.``, ``Jan.``, ``e.g.``, ``U.S.``, ``z. B.``, ``вул.``)
  or an initial (``J. K. Rowling``) does not end a sentence, unless the next word is one
  that typically opens a sentence ("The", "He", "But", ...).
* A quotation that spans several sentences is kept whole (up to a bound), so no point
  starts or ends in the middle of somebody's words.

Every sentence returned is a verbatim span of the input with its runs of whitespace
collapsed to single spaces.
"""

from __future__ import annotations

import re

__all__ = ["split_sentences"]


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Abbreviations whose full stop rarely ends a sentence, compared case-sensitively so that
# ordinary words ("ill.", "art.", "mar.") at the end of a sentence still split.
_ABBREV_EXACT = _wordset(
    """
    Mr Mrs Ms Mx Dr Prof Sr Jr St Mt Ft Gen Col Lt Maj Sgt Capt Cmdr Adm Cpl Pvt Rep Sen Gov
    Pres Supt Det Insp Rev Hon Messrs Mme Mlle Mssrs Fr Hr Frl Nr No Nos Art Abs Fig Figs Vol
    Ch Sec Dept Univ Inc Ltd Co Corp Bros Ave Blvd Rd Hwy
    Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec Mon Tue Tues Wed Thu Thur Thurs Fri Sat
    Ala Ariz Ark Calif Colo Conn Del Fla Ga Ill Ind Kan Ky La Md Mass Mich Minn Miss Mo Mont
    Neb Nev Okla Ore Pa Tenn Tex Va Vt Wash Wis Wyo
    """
)
# Abbreviations that are never ordinary words, compared in lower case.
_ABBREV_ANYCASE = _wordset(
    """
    vs approx ca cf al bzw vgl ggf inkl evtl sog str tel zzgl
    ім вул просп пл буд акад проф ген св див напр ін т.ч пор ул им г гг
    """
)
# "and so on" abbreviations usually end a sentence: a capital after them starts a new one.
_LIST_ENDERS = _wordset("etc usw т.д т.п т.ін и.т.д")
# Words that open a sentence often and rarely follow an abbreviation: after "U.S." or
# "Inc." one of these means the full stop did end the sentence.
_STARTERS = _wordset(
    """
    The A An He She It They We I You His Her Its Their Our My This That These Those There
    Here But And Or So Yet If When While After Before As In On At For From By With Without
    Meanwhile However Still Now Then Last Earlier Later According
    Der Die Das Ein Eine Er Sie Es Wir Ich Aber Und Doch Im Am Auch Nach
    Він Вона Вони Це Але Однак Проте Та Он Она Они Это Но Однако
    """
)
_GERMAN_MONTHS = _wordset(
    "Januar Februar März April Mai Juni Juli August September Oktober November Dezember"
)

_CLOSERS = "\"'”’»)]」』）"
# A candidate end: western enders need whitespace after them, CJK enders do not.
_CANDIDATE = re.compile(r"(?:[.!?…]+[\"'”’»)\]]*(?=\s)|[。！？]+[」』”’)）]*)")
_TERMINAL = re.compile(r"[.!?…。！？][\"'”’»)\]」』）]*$")
_ACRONYM = re.compile(r"^(?:[^\W\d_]\.)+[^\W\d_]$")  # U.S, e.g, z.B, a.m
_SPACE = re.compile(r"\s+")
_BULLET = re.compile(r"^[•·▪◦‣●*–—-]+\s+")
_QUOTES_STRAIGHT = '"'
_QUOTES_CURLY = "“”„«»"
# Bounds for re-joining a quotation that the enders inside it split apart.
_QUOTE_MAX_PARTS = 4
_QUOTE_MAX_CHARS = 500


def split_sentences(text: str) -> list[str]:
    """Split `text` into sentences, each a whitespace-normalised verbatim span."""
    sentences: list[str] = []
    for paragraph in _paragraphs(text):
        sentences.extend(_join_quotes(_split_paragraph(paragraph)))
    return sentences


def _paragraphs(text: str) -> list[str]:
    """Non-empty lines of text, with hard-wrapped lines re-joined."""
    groups: list[list[str]] = []
    previous = ""  # the last line seen, "" after a blank line
    for raw in text.splitlines():
        line = raw.strip()
        if line and previous and line[0].islower() and not _TERMINAL.search(previous[-8:]):
            groups[-1].append(line)
        elif line:
            groups.append([line])
        previous = line
    return [" ".join(group) for group in groups]


def _split_paragraph(paragraph: str) -> list[str]:
    parts: list[str] = []
    start = 0
    for match in _CANDIDATE.finditer(paragraph):
        end = match.end()
        if _is_boundary(paragraph, match.start(), end, start):
            piece = _clean(paragraph[start:end])
            if piece:
                parts.append(piece)
            start = end
    tail = _clean(paragraph[start:])
    if tail:
        parts.append(tail)
    return parts


def _is_boundary(text: str, ender_at: int, end: int, sentence_start: int) -> bool:
    ender = text[ender_at]
    if ender in "。！？":
        return True
    nxt = _next_word(text, end)
    if not nxt:
        return True
    first = nxt[0]
    if first.islower():
        return False  # "e.g. a", "Why?" he asked, "approx. five", "… and then"
    if ender != "." or text[ender_at : ender_at + 2] == "..":
        return True  # !, ?, … and "..." before a capital end the sentence
    begin = _token_start(text, ender_at, sentence_start)
    token = text[begin:ender_at]
    if not token:
        return True
    bare = token.lstrip("(\"'“‘«[")
    if bare.isdigit():
        # A leading list number ("1. First ...") or a German ordinal date ("am 3. Oktober").
        if begin - sentence_start <= 2 and not text[sentence_start:begin].strip():
            return False
        return not (len(bare) <= 2 and _word(nxt) in _GERMAN_MONTHS)
    if bare in ("No", "Nr", "Nos", "Art") and first.isdigit():
        return False
    if _is_abbreviation(bare):
        return _word(nxt) in _STARTERS
    return True


def _is_abbreviation(token: str) -> bool:
    if token.lower() in _LIST_ENDERS:
        return False
    if token in _ABBREV_EXACT or token.lower() in _ABBREV_ANYCASE:
        return True
    if len(token) == 1 and token.isalpha():
        return True  # an initial: "J. K. Rowling", "George W. Bush", "z. B."
    return bool(_ACRONYM.match(token))


def _token_start(text: str, at: int, floor: int) -> int:
    begin = at
    while begin > floor and not text[begin - 1].isspace():
        begin -= 1
    return begin


def _next_word(text: str, at: int) -> str:
    i = at
    n = len(text)
    while i < n and text[i].isspace():
        i += 1
    j = i
    while j < n and not text[j].isspace():
        j += 1
    return text[i:j]


def _word(token: str) -> str:
    return token.strip("\"'“”‘’«»()[],;:!?.")


def _clean(piece: str) -> str:
    # A list glyph is layout, not part of the sentence.
    return _BULLET.sub("", _SPACE.sub(" ", piece).strip())


def _open_quote(sentence: str) -> bool:
    return (
        sentence.count(_QUOTES_STRAIGHT) % 2 == 1
        or sum(sentence.count(q) for q in _QUOTES_CURLY) % 2 == 1
    )


def _join_quotes(parts: list[str]) -> list[str]:
    """Re-join sentences that one quotation spans, when its closing mark is near."""
    out: list[str] = []
    i = 0
    while i < len(parts):
        end = _quote_end(parts, i)
        out.append(" ".join(parts[i:end]))
        i = end
    return out


def _quote_end(parts: list[str], i: int) -> int:
    """Index just past the part that closes the quotation opened in `parts[i]`."""
    if not _open_quote(parts[i]):
        return i + 1
    merged = parts[i]
    for j in range(i + 1, min(i + _QUOTE_MAX_PARTS, len(parts))):
        merged = f"{merged} {parts[j]}"
        if len(merged) > _QUOTE_MAX_CHARS:
            break
        if not _open_quote(merged):
            return j + 1
    return i + 1  # unbalanced (a quote running on into the next paragraph): leave it split
