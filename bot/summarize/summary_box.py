"""The page's own summary box ("Points of attention", "Key takeaways", "Головне").

Many outlets put a heading and a few bullets near the top that restate the story in the
editor's words. Left in the article text, they sit before the body and win on position,
crowding out the facts they restate; they are also the outlet's gloss, not its report. So
the extractive summarizer reads the text without them, and its points are the same
whether extraction kept the box or not.
"""

from __future__ import annotations

import re

__all__ = ["without_summary_box"]

_HEADING = re.compile(
    r"""^(?:points\s+of\s+attention | key\s+(?:points|takeaways|facts) | takeaways
    | highlights | in\s+brief | at\s+a\s+glance | summary | the\s+gist | in\s+short
    | tl;\s*dr | what\s+(?:we|you)\s+(?:know|need\s+to\s+know)
    | головне | коротко | головне\s+коротко | що\s+відомо | головне\s+за\s+темою
    | главное | кратко | коротко\s+о\s+главном | что\s+известно
    | das\s+wichtigste(?:\s+in\s+kürze)? | auf\s+einen\s+blick | in\s+kürze
    | en\s+bref | l['’]essentiel | en\s+resumen | lo\s+más\s+importante
    )\s*[:.]?$""",
    re.IGNORECASE | re.VERBOSE,
)
_BULLET = re.compile(r"^(?:[•·▪◦‣●*–—-]|\d{1,2}[.)])\s+\S")


def without_summary_box(text: str) -> str:
    """`text` less each summary-box heading and the bullet lines right under it.

    Only a heading followed by bullets counts: a heading alone, or a "Summary" line over
    ordinary paragraphs, stays.
    """
    if "\n" not in text:
        return text
    lines = text.splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        if _HEADING.match(lines[i].strip()):
            j, bullets = i + 1, 0
            while j < len(lines) and (not lines[j].strip() or _BULLET.match(lines[j].strip())):
                bullets += bool(lines[j].strip())
                j += 1
            if bullets:
                i = j
                continue
        out.append(lines[i])
        i += 1
    return "\n".join(out)
