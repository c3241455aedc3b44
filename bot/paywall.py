"""Evidence that a page shows only part of its article: a paywall or login wall notice, a
truncation mark, or the page's own `isAccessibleForFree: false`.

Length alone is no evidence: a complete 55-word brief is a whole article, while three
paragraphs followed by "This article is for subscribers only" are a teaser. Each finding
is returned as a short reason a log or a note can show.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

# Notices that speak of *this* article being closed. Generic calls to action ("Subscribe
# to our newsletter", a "Subscribe" menu item) are not here: every page has them.
_WALL_PHRASES = [
    # English
    r"(this|the) (article|story|content|post|piece) is (only )?(for|reserved for|available "
    r"(only )?to|exclusive (to|for)) (paying |paid )?(subscribers|members|premium)",
    r"(for|exclusive(ly)? (for|to)) (paying |paid )?subscribers only",
    r"subscribe (now )?(to|and) (continue|keep|start) reading",
    r"subscribe (now )?to (read|unlock|access) (the|this) (full|whole|entire|rest)",
    r"subscribe (now )?to read (more|on|the rest)",
    r"(to|please) (continue|keep) reading,? (please )?(subscribe|log ?in|sign ?in|register)",
    r"(log|sign) ?in to (continue|read|keep reading|access (this|the full))",
    r"already (a|an) (subscriber|member)\?",
    r"you('ve| have) (reached|used) (your|all your) (\w+ )?(free )?(article|story|stor(y|ies)) "
    r"limit",
    r"you have \d+ free (articles?|stories) (left|remaining)",
    r"(create|register for) a free account to (continue|read)",
    r"the rest of (this|the) (article|story) is (for|available to) subscribers",
    # German
    r"(dieser|der) (artikel|beitrag|inhalt) ist (nur )?(für|exklusiv für) "
    r"(abonnenten|abonnentinnen|abonnements|plus|mitglieder)",
    r"(jetzt|hier) (abonnieren|abo abschließen) und weiterlesen",
    r"(um|zum) weiter ?(zu )?lesen",
    # French
    r"(cet |l'|l’)article est réservé aux (abonnés|membres)",
    r"il vous reste \d+ ?% de (cet |l'|l’)article à lire",
    r"(abonnez-vous|connectez-vous) pour (lire|continuer|poursuivre)",
    # Spanish, Portuguese, Italian
    r"(este|el) (contenido|artículo) es (exclusivo )?(para|solo para) (suscriptores|socios)",
    r"(para|suscríbete para) (seguir|continuar) leyendo",
    r"(conteúdo|matéria|reportagem) (é )?exclusiv[oa] para assinantes",
    r"(assine|faça login) para (continuar|ler)",
    r"(questo|l') ?articolo è riservato agli abbonati",
    r"(abbonati|accedi) per (continuare|leggere)",
    # Polish, Dutch
    r"(ten )?(artykuł|materiał) (jest )?dostępny (tylko |wyłącznie )?dla (prenumeratorów|"
    r"subskrybentów)",
    r"(dit|het) artikel is (alleen )?(voor|beschikbaar voor) abonnees",
    # Ukrainian, Russian
    r"(цей |ця )?(матеріал|стаття|публікація) (доступн(ий|а) )?(лише|тільки) для "
    r"(передплатників|підписників)",
    r"(щоб|аби) (прочитати|читати) (повністю|далі|матеріал)",
    r"(оформіть|оформите) (передплату|підписку),? (щоб|аби|чтобы)",
    r"(этот |эта )?(материал|статья|публикация) (доступ(ен|на|ный|ная) )?(только|лишь) для "
    r"подписчиков",
    r"чтобы (прочитать|читать) (полностью|дальше|материал)",
    # Japanese, Chinese, Korean, Arabic
    r"この記事は(有料)?会員限定",
    r"続きを読むには",
    r"(订阅|付费|登录)后?(即可)?(阅读|查看)全文",
    r"本文(为|係)付费内容",
    r"유료 ?회원 ?전용",
    r"هذا المحتوى (متاح )?(حصري[اً]? )?للمشتركين",
]
# Run one by one on lower-cased text: each pattern then starts with its own fast literal
# scan; joined into one alternation (or with IGNORECASE) they cost ten times as much.
_WALLS = [re.compile(p) for p in _WALL_PHRASES]
# A line that is nothing but a call to subscribe or log in, at the very end of a text.
_BARE_CALL = re.compile(
    r"(subscribe|sign ?in|log ?in|register|abonnieren|s'abonner|suscríbete|assine|"
    r"передплатити|оформити передплату|подписаться)( now| today| here)?\W*",
    re.IGNORECASE,
)
# How a cut text ends: "[…]", "(continued)", "Continue reading…" / "Read more…" as the last
# line, or a long paragraph stopped mid-word-run by "…". Three dots typed as "..." are
# left out: writers end sentences that way ("go check it out..."), and so does "Loading
# comments...".
_TRUNCATED = re.compile(
    r"(\[\s*(…|\.\.\.)\s*\]|\((continued|continues|to be continued)\))\W{0,2}$"
    r"|^(continue reading|read (the )?(full|whole|rest of the) (story|article)|read more)\W*$",
    re.IGNORECASE,
)
_CUT_PARAGRAPH = re.compile(r"\w\s?…$")
_CUT_MIN_WORDS = 15
_SPACE = re.compile(r"\s+")


# Every notice above contains one of these (lower case). Finding them with str.find and
# trying the patterns only around each hit costs a fraction of a millisecond, where the
# patterns run over a whole page's text cost tens.
_TRIGGERS = (
    "subscri", "members", "log in to", "login to", "sign in to", "signin to", " limit",
    "free article", "free stor", "free account", "abonn", "weiterlesen", "weiter zu lesen",
    "réservé", "il vous reste", "suscri", "leyendo", "assin", "abbona", "accedi per",
    "prenumer", "subskryb", "передплат", "підписник", "подписчик", "прочита", "会員",
    "続き", "全文", "付费", "유료", "للمشتركين",
)
# Around each trigger, the longest notice fits in this many characters before and after.
_BEFORE, _AFTER = 90, 130


def wall_notice(text: str) -> str | None:
    """The first paywall or login-wall notice in `text`, quoted; None when there is none."""
    lower = text.lower()
    for trigger in _TRIGGERS:
        at = lower.find(trigger)
        while at != -1:
            window = _SPACE.sub(" ", lower[max(0, at - _BEFORE) : at + _AFTER])
            for wall in _WALLS:
                if match := wall.search(window):
                    return f"paywall notice: {match.group(0)!r}"
            at = lower.find(trigger, at + _AFTER)
    return None


def teaser_notice(text: str) -> str | None:
    """Evidence in an article's own text that it is a teaser (a notice, or a closing
    bare call to subscribe)."""
    if found := wall_notice(text):
        return found
    lines = [line for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return None
    last = lines[-1].strip()
    sentences = re.split(r"(?<=[.!?])\s+", last)
    if _BARE_CALL.fullmatch(sentences[-1].strip()):
        return f"ends with a call to subscribe: {sentences[-1].strip()!r}"
    return None


def truncation_mark(lines: list[str]) -> str | None:
    """The body (before boilerplate removal) ends the way a cut text does."""
    if not lines:
        return None
    last = lines[-1].strip()
    if _TRUNCATED.search(last) or (
        _CUT_PARAGRAPH.search(last) and len(last.split()) >= _CUT_MIN_WORDS
    ):
        return f"the text ends in a truncation mark: {last[-40:]!r}"
    return None


def not_free(ld_objects: Iterable[dict[str, Any]]) -> str | None:
    """The page's JSON-LD says `isAccessibleForFree: false` (on the article or a part)."""
    for obj in ld_objects:
        if _closed(obj, depth=0):
            return "JSON-LD isAccessibleForFree: false"
    return None


def declared_words(ld_objects: Iterable[dict[str, Any]]) -> int | None:
    """How long the page says its article is: JSON-LD `wordCount`, or the length of the
    `articleBody` it carries; None when it says neither."""
    for obj in ld_objects:
        value = obj.get("wordCount")
        if isinstance(value, int | str) and str(value).strip().isdigit():
            return int(str(value).strip())
        body = obj.get("articleBody")
        if isinstance(body, str) and body.strip():
            return len(body.split())
    return None


def closed_article(not_free: str | None, declared: int | None, words: int) -> str | None:
    """`isAccessibleForFree: false` is evidence of a teaser unless the page holds the whole
    text anyway (metered paywalls serve it all and hide it in the browser): when the page
    declares its `wordCount`, the body must fall well short of it."""
    if not_free is None:
        return None
    if declared is not None and words >= _WHOLE_SHARE * declared:
        return None
    if declared is not None:
        return f"{not_free}, and {words} of its {declared} words are on the page"
    return not_free


# Extraction drops headings and captions the publisher counts: 80% of the declared words
# is the whole article.
_WHOLE_SHARE = 0.8


def _closed(obj: Any, depth: int) -> bool:
    if depth > 4:
        return False
    if isinstance(obj, list):
        return any(_closed(item, depth + 1) for item in obj)
    if not isinstance(obj, dict):
        return False
    value = obj.get("isAccessibleForFree")
    if value is False or (isinstance(value, str) and value.strip().lower() in {"false", "no"}):
        return True
    return any(_closed(obj.get(key), depth + 1) for key in ("hasPart", "mainEntity"))
