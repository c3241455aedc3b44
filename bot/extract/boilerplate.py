"""Remove the boilerplate lines trafilatura leaves in a news article's text.

trafilatura works on blocks; what slips through are short blocks inside the article
container: the headline repeated, "READ MORE: …" teasers, share and newsletter prompts,
cookie and language-switch notices. Each rule here looks at one line, and only at short
ones, so a real paragraph that happens to mention "cookies" stays. Lines that belong to
the article by the benchmarks' reference texts stay too, however they look: an agency's
copyright line ("© 2019 Associated Press. All rights reserved."), subheadings set in
capitals ("WHO IS THE FRONT-RUNNER?"), a heading that differs from the stated title.
"""

from __future__ import annotations

import re

from bot.extract.text import normalize_space
from bot.paywall import wall_notice

# How far into the body a repeated headline or standfirst is looked for.
_PREAMBLE_LINES = 3
# A headline found within this many lines, below lines of at most this many words each
# (category labels, breadcrumbs), starts the article.
_HEADER_LINES = 5
_HEADER_WORDS = 12
# A line longer than this is prose, whatever words it contains.
_SHORT_WORDS = 25

_PATTERNS = [
    # cross-links inserted between paragraphs
    r"(read|see|watch|listen|click|tap) (more|also|next|here|now)\b.*",
    r"(related|recommended|more on (this|the) (topic|story|subject)|more from|also on)\b.*",
    r"(don'?t|do not) miss\b.*",
    r"you (may|might) (also )?(like|enjoy|be interested)\b.*",
    r"(leggi|vedi) anche\b.*|leia (também|mais)\b.*|lesen sie (auch|mehr)\b.*|lire aussi\b.*",
    r"читайте (также|також)\b.*|читати (українською|англійською|російською)\b.*",
    r"(читать|читати|read (it|this)) (in|на|по-)\s?\w+",
    # sharing, engagement, subscription prompts
    r"(share|like) (this|the) (story|article|post)\b.*",
    r"share( (on|via|this))?( (facebook|twitter|x|whatsapp|email|linkedin)\b)*[:!.]?",
    r"(sign up|subscribe|register)\b.*\b(newsletter|inbox|email|updates|free)\b.*",
    r".*\b(newsletter|inbox)\b.*\b(sign up|subscribe|delivered)\b.*",
    r"(follow|join) us on\b.*",
    r"(get|download) (the|our) \w+( \w+)? app\b.*",
    r"how do you like (that|this)\??",
    r"(tell us what you think|leave a comment|comments?)\W*",
    r"(thanks|thank you) for (signing up|subscribing|reading)\b.*",
    r"(advertisement|sponsored( content)?|story continues below( advertisement)?)\W*",
    # consent and site chrome
    r".*\b(cookies?|consent)\b.*\b(use|accept|agree|policy|settings)\b.*",
    r".*\b(use|accept|agree)\b.*\bcookies?\b.*",
    r".*\b(switch|prefer)\b.*\b(version|language)\b.*\bwebsite\b.*",
    r"(back to top|print( article)?|order reprints|email this|save (article|story))\W*",
    r"write to [\w .'-]+ at \S+@\S+",
]
_BOILERPLATE = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.IGNORECASE)
# express.co.uk-style teasers: "Story headline [VIDEO]"
_TEASER_SUFFIX = re.compile(
    r"\[(insight|video|reaction|pics?|poll|live|latest|analysis|news|warning)\]\W*$", re.I
)
_WORD = re.compile(r"\w+")


def is_boilerplate(line: str) -> bool:
    """True for a short line that is site furniture rather than article text."""
    words = line.split()
    if len(words) > _SHORT_WORDS:
        return False
    if _BOILERPLATE.fullmatch(line.strip().lstrip("-–•* ").strip()):
        return True
    if wall_notice(line):  # the paywall box: recorded as evidence, not article text
        return True
    return bool(_TEASER_SUFFIX.search(line))


def clean_lines(lines: list[str], *, preamble: tuple[str, ...] = ()) -> list[str]:
    """Drop boilerplate lines, and copies of the headline at the top."""
    kept = [line for line in lines if not is_boilerplate(line)]
    # The headline is a field of its own and the standfirst repeats the article: when the
    # body opens with either, it is the page's header captured along with the story.
    known = {k for k in map(_key, preamble) if k}
    head = 0
    while head < min(len(kept), _PREAMBLE_LINES) and _key(kept[head]) in known:
        head += 1
    if head == 0:
        head = _after_headline(kept, known)
    return kept[head:]


def _after_headline(lines: list[str], known: set[str]) -> int:
    """Where the story starts when the headline comes after a few short header lines.

    A page's own headline inside the body marks the top of the article: the short lines
    above it (a category label, breadcrumbs) are the page's header. Only short lines are
    skipped, so a real paragraph before a repeated headline is never lost.
    """
    for i, line in enumerate(lines[:_HEADER_LINES]):
        if _key(line) in known:
            return i + 1
        if len(line.split()) > _HEADER_WORDS:
            return 0
    return 0


def _key(text: str) -> str:
    return " ".join(_WORD.findall(normalize_space(text).lower()))
