"""Which language codes newsbot accepts for its summaries: ISO 639-1, with an optional region.

`/lang xx` and `--lang klingon` are refused instead of being stored and silently ignored.
"""

from __future__ import annotations

import re

# ISO 639-1 (two letters), the 183 codes in the standard (plus the deprecated "iw"/"in"/"ji"
# that older Telegram clients still report for Hebrew, Indonesian and Yiddish).
_CODES = """
aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv cy
da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht
hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky
la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny
oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss
st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo
za zh zu iw in ji
"""
ISO_639_1 = frozenset(_CODES.split())

_CODE = re.compile(r"([A-Za-z]{2})(?:[-_]([A-Za-z0-9]{2,8}))?")


def normalize(code: str) -> str | None:
    """`de`, `pt-BR`, `zh_Hant` → the code as newsbot stores it; None when not a language."""
    match = _CODE.fullmatch(code.strip())
    if match is None or match[1].lower() not in ISO_639_1:
        return None
    base = match[1].lower()
    return f"{base}-{match[2]}" if match[2] else base
