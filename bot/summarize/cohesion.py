"""Whether a sentence stands on its own or leans on the one before it.

A bullet is read alone. "First of all, we are talking about Colonel General Kim Yong-bok"
or "This indicates a gradual retreat" or "He called them heroes" tells a reader nothing
without the sentence before, so the extractive summarizer joins such a sentence to that one
when the two stay short, and otherwise keeps it out (see extractive._candidates).

Told by the opening words, in the languages the bot reads (English, Ukrainian, Russian,
German, French, Spanish), and by a pronoun used before the sentence names anyone.
"""

from __future__ import annotations

import re

__all__ = ["dangles", "leans", "leans_back", "names_back", "points_back"]

_QUOTES_AND_BRACKETS = "\"'“‘«([- "

# Openers that cannot start a point at all: they continue an enumeration or an aside of the
# sentence before ("First of all, we are talking about…", "Among them were…").
_DANGLING = re.compile(
    r"""^(?:first\s+of\s+all | by\s+the\s+way | among\s+them | in\s+addition | secondly
    | firstly | thirdly | до\s+речі | перш\s+за\s+все | насамперед | по-перше | по-друге
    | серед\s+них | к\s+слову | прежде\s+всего | во-первых | во-вторых | среди\s+них
    | zunächst | erstens | zweitens | unter\s+ihnen)\b""",
    re.IGNORECASE | re.VERBOSE,
)
# A sentence that opens with a demonstrative or a discourse connective ("However, …",
# "This …", "Однак …"), also after a leading attribution ("According to analysts, this …").
_LEANING = re.compile(
    r"""^(?:according\s+to\s+[^,]{1,60},\s*|за\s+(?:словами|даними)\s+[^,]{1,60},\s*)?
    (?:
      first\s+of\s+all | by\s+the\s+way | in\s+addition | at\s+the\s+same\s+time
    | however | but | and | also | moreover | furthermore | meanwhile | besides | nevertheless
    | nonetheless | still | yet | thus | therefore | hence | instead | otherwise | firstly | then
    | secondly | finally | this | that | these | those | such | both | among\s+them
    | до\s+речі | крім\s+того | перш\s+за\s+все | насамперед | по-перше | по-друге
    | це | цей | ця | ці | цього | однак
    | проте | але | також | тому | отже | зокрема | втім | водночас | тоді | потім | згодом
    | кроме\s+того | к\s+слову | прежде\s+всего | во-первых | во-вторых
    | это | этот | эта | эти | однако | но | также
    | поэтому | итак | впрочем | при\s+этом | тогда | затем | потом
    | dies | diese | dieser | dieses | jedoch | aber | außerdem | zudem | deshalb
    | daher | trotzdem | allerdings
    | cela | cependant | mais | toutefois | en\s+outre
    | esto | sin\s+embargo | pero | además
    )\b""",
    re.IGNORECASE | re.VERBOSE,
)
# A demonstrative standing for what the sentence before said, as subject or early object:
# "This indicates…", "That means…", "According to analysts, this shows…", "Analysts read
# this as…", "Це свідчить…". Unlike "This year…" or "These measures…", which name their
# subject.
_POINTING = re.compile(
    r"""^(?:according\s+to\s+[^,]{1,60},\s*|за\s+(?:словами|даними)\s+[^,]{1,60},\s*)?
    (?:
      (?:this|that|these|those)\s+(?:is|was|are|were|has|had|have|will|would|could|can|may
        |might|must|should|does|did|means?|meant|\w+(?:s|ed))\b
    | (?:це|то|это|dies|cela|ceci|esto|eso)\b
    | (?:\w+\s+){1,4}(?:this|це|это)\s+(?:as|is|was|means|shows|indicates|suggests|points
        |could|would|will|may|might|як|как|означає|означает|свідчить|свидетельствует)\b
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# A personal pronoun or "both" as subject ("He said…", "Both had been decorated…", "Він
# наголосив…"): the sentence names its subject only in the sentence before.
_PRONOUN = re.compile(
    r"^(?:he|she|it|they|his|her|its|their|him|them|we|our|both|neither|either"
    r"|він|вона|воно|вони|його|її|їх|обидва|обидві|обоє"
    r"|он|она|оно|они|его|её|ее|их|оба|обе"
    r"|er|sie|es|beide|il|elle|ils|elles|él|ella|ellos|ellas)\b",
    re.IGNORECASE,
)
# Third-person pronouns: used before the sentence names anyone or anything proper ("The
# dictator called them heroes."), one points back at the sentence before.
_BACK_PRONOUN = re.compile(
    r"\b(?:he|she|they|him|them|his|their|він|вона|вони|його|її|їх|їм|ним|ними"
    r"|он|она|они|его|её|ее|их|им|er|sie|ihn|ihm|ihnen|ihr|ihre)\b",
    re.IGNORECASE,
)


def _bare(sentence: str) -> str:
    return sentence.lstrip(_QUOTES_AND_BRACKETS)


def dangles(sentence: str) -> bool:
    """Continues an enumeration or aside of the sentence before: never a point alone."""
    return _DANGLING.match(_bare(sentence)) is not None


def leans(sentence: str) -> bool:
    """Opens with a connective or a demonstrative ("However, …", "This …", "Однак …")."""
    return _LEANING.match(_bare(sentence)) is not None


def points_back(sentence: str) -> bool:
    """A demonstrative stands for the sentence before: "This indicates…", "Це свідчить…"."""
    return _POINTING.match(_bare(sentence)) is not None


def names_back(sentence: str) -> bool:
    """Its subject is a pronoun naming someone in the sentence before: "He said…"."""
    return _PRONOUN.match(_bare(sentence)) is not None


def leans_back(sentence: str) -> bool:
    """Reads better after the sentence before: any of the above, or a pronoun used before
    the sentence has named anyone (no capitalised word or figure of its own before it)."""
    bare = _bare(sentence)
    if leans(bare) or points_back(bare) or names_back(bare):
        return True
    pronoun = _BACK_PRONOUN.search(bare)
    if pronoun is None:
        return False
    head = bare[: pronoun.start()].split()[1:]
    return not any(t[:1].isupper() or t[:1].isdigit() for t in head)
