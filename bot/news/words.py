"""Content words of news text, in any script: what story clustering compares.

Each word is folded (lowercase, no accents), stopwords of English, German and Ukrainian
(and Russian) dropped, and stemmed lightly: English suffixes for Latin script, a prefix
for Cyrillic (Slavic words change their endings with case — "Київ", "Києва", "Києві" — so
a fixed stem length meets them), then Cyrillic is transliterated so that a name written in
Ukrainian meets its English spelling where the spellings agree ("Курська" → "kursk", "Путін"
→ "putin"). CJK and other scripts without spaces fall back to character bigrams.
"""

from __future__ import annotations

import re

from bot.news.text import fold

_WORD = re.compile(r"[^\W_]+(?:[.,'’][^\W_]+)*")
# "15 000" (Ukrainian, French) and "20.000" (German) are thousands like "15,000".
_SPACED_THOUSANDS = re.compile(r"(?<![\d.,])(\d{1,3})(?:[ \u00a0\u202f](\d{3}))+(?![\d.,])")
_STOPWORD_TEXT = """
    a about above after again against all also am amid an and any are as at be because
    been before being below between both but by can could did do does doing down during each
    few for from further had has have having he her here hers him his how i if in into is it
    its itself just me more most my no nor not now of off on once only or other our out over
    own same she should so some such than that the their them then there these they this
    those through to too under until up very was we were what when where which while who whom
    why will with would you your yet via per vs new news says said say saying report reports
    reported live update updates latest video watch photos breaking exclusive opinion analysis
    today yesterday week year years day days one two get gets got make makes made may might
    must us isn aren wasn weren don doesn didn won wouldn can couldn shouldn hasn haven
    der die das den dem des ein eine einen einem einer eines und oder aber nicht ist sind war
    wird werden wurde hat haben mit von vom zu zum zur im in an am auf aus bei nach fur uber
    unter vor als auch sich es er sie wir ihr ihre sein seine dass noch nur schon mehr so wie
    bis durch gegen ohne um heute jetzt neue neuen neues
    і й та але що як це цей ця ці той та ті на в у з із зі до від для по про при за над під
    не ні так він вона вони воно ми ви їх його її який яка яке які також ще вже після через
    між щодо має мають було була були буде будуть є року рік новини
    и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только
    ее мне было вот от меня еще нет о из ему теперь когда даже ну вдруг ли если уже или ни
    быть был него до вас нибудь опять уж вам ведь там потом себя ничего ей может они тут где
    есть надо ней для мы тебя их чем была сам чтоб без будто чего раз тоже себе под будет
"""
STOPWORDS = frozenset(fold(_STOPWORD_TEXT).split())

# Headline paraphrases that share no letters: outlets say "holds steady", "leaves unchanged"
# and "keeps on hold" for one decision. Each line maps a few common newsroom verbs (after
# stemming) onto one gist word; kept short on purpose — a thesaurus would merge stories.
_GIST_TEXT = """
    hold: hold steady unchang keep leave pause
    cut: cut reduction reduc lower slash trim
    raise: rais hike increas boost
    fire: fire launch test-fire
    meet: meet talk summit host
    kill: kill dead death die
    fed: fed federal
    recall: recall withdrew withdraw
"""
_GIST = {
    word: head.strip()
    for line in _GIST_TEXT.strip().splitlines()
    for head, words in [line.split(":")]
    for word in words.split()
}

# Ukrainian and Russian letters to Latin (close to the Ukrainian national system, which is
# how English-language outlets spell Ukrainian names).
_TRANSLIT = str.maketrans({
    "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "є": "ie",
    "ж": "zh", "з": "z", "и": "y", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l",
    "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
    "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ь": "", "ю": "iu",
    "я": "ia", "ы": "y", "э": "e", "ё": "e", "ъ": "", "'": "", "’": "",
})
CYRILLIC_STEM = 5  # letters kept of a Cyrillic word (before transliteration)
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_NO_SPACES = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


def tokens(text: str) -> list[str]:
    """Content-word stems of `text` (lowercased, accents folded, stopwords dropped)."""
    out: list[str] = []
    text = _SPACED_THOUSANDS.sub(lambda m: m.group(0).replace(" ", "").replace("\u00a0", "")
                                 .replace("\u202f", ""), text)
    for raw in _WORD.findall(fold(text)):
        word = raw.replace("’", "'").split("'")[0] if not _CYRILLIC.search(raw) else raw
        if any(ch.isdigit() for ch in word):
            # 4,500 / 4500 / 4.500 are one number; "12,5" stays a decimal.
            out.append(re.sub(r"[.,](?=\d{3}(?!\d))", "", word).replace(",", "."))
            continue
        if _NO_SPACES.search(word):
            out.extend(word[i : i + 2] for i in range(max(1, len(word) - 1)))
            continue
        word = word.replace(".", "")
        if len(word) < 2 or word in STOPWORDS:
            continue
        stemmed = cyrillic_stem(word) if _CYRILLIC.search(word) else stem(word)
        out.append(_GIST.get(stemmed, stemmed))
    return out


def stem(word: str) -> str:
    """Light suffix stripping so "shrinks/shrinking/shrunk" … at least the regular ones meet."""
    if len(word) <= 3:
        return word
    for suffix, repl in (
        ("ies", "y"), ("sses", "ss"), ("ches", "ch"), ("shes", "sh"), ("xes", "x"),
        ("ing", ""), ("ed", ""), ("es", "e"), ("s", ""),
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: -len(suffix)] + repl
    return word


def cyrillic_stem(word: str) -> str:
    """A fixed-length prefix, transliterated: "Курській" → "kursk", "Путіна" → "putin"."""
    return word.replace("'", "").replace("ь", "")[:CYRILLIC_STEM].translate(_TRANSLIT)


def is_title_case(title: str) -> bool:
    """True for "Hong Kong Police Claim Protesters Have Moved": capitals say nothing there."""
    words = [w for w in title.split() if w[:1].isalpha() and fold(w) not in STOPWORDS]
    if len(words) < 3:
        return False
    return sum(w[0].isupper() for w in words[1:]) >= 0.75 * (len(words) - 1)


def entities(text: str) -> set[str]:
    """Stems of capitalised words after a sentence's first word, and numbers: cheap names."""
    found: set[str] = set()
    first = True
    for word in text.split():
        bare = word.strip("\"'‘’“”«»()[],.:;!?—–-")
        if bare and (any(ch.isdigit() for ch in bare) or (not first and bare[0].isupper())):
            found.update(tokens(bare))
        first = word.endswith((".", "!", "?", ":", "—")) or not bare
    return found
