"""Which charset a page is decoded with: only the WHATWG Encoding Standard's labels count.

A page names its charset in the Content-Type header, a `<meta charset>` or an `<?xml
encoding?>` declaration — all of it text a stranger controls. Python's `codecs.lookup`
knows much more than text encodings: `punycode` (pure Python and worse than quadratic: 1 MB
held the event loop for 89 s), `base64`, `rot13`, `hex`, `zlib`, `idna`, `undefined`,
`unicode_escape`… which either stall or raise errors nobody expects from a decode. So a
declared label is looked up in the table browsers use (https://encoding.spec.whatwg.org/,
"Encodings" → labels) and anything else is ignored: the charset is then detected, as a
browser would.
"""

from __future__ import annotations

import codecs

from charset_normalizer import from_bytes

# Python codec for each WHATWG encoding, with every label the standard lists for it.
# Where Python's codec of the same name is narrower than what browsers decode, the superset
# is used (GBK → gb18030, Big5 → big5hkscs, Shift_JIS → cp932, EUC-KR → cp949); the
# "replacement" encoding's labels (ISO-2022-KR/CN, HZ) are left out so the page is
# detected instead of becoming one U+FFFD. UTF-16 labels mean UTF-8 here: a label found by
# an ASCII scan cannot describe a UTF-16 document (browsers do the same for <meta>), and a
# UTF-16 page with a byte-order mark is decoded by its BOM before any label is read.
_WHATWG: dict[str, tuple[str, ...]] = {
    "utf-8": ("unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "utf-8", "utf8",
              "x-unicode20utf8",
              "csunicode", "iso-10646-ucs-2", "ucs-2", "unicode", "unicodefeff", "unicodefffe",
              "utf-16", "utf-16le", "utf-16be"),
    "cp866": ("866", "cp866", "csibm866", "ibm866"),
    "iso8859-2": ("csisolatin2", "iso-8859-2", "iso-ir-101", "iso8859-2", "iso88592",
                  "iso_8859-2", "iso_8859-2:1987", "l2", "latin2"),
    "iso8859-3": ("csisolatin3", "iso-8859-3", "iso-ir-109", "iso8859-3", "iso88593",
                  "iso_8859-3", "iso_8859-3:1988", "l3", "latin3"),
    "iso8859-4": ("csisolatin4", "iso-8859-4", "iso-ir-110", "iso8859-4", "iso88594",
                  "iso_8859-4", "iso_8859-4:1988", "l4", "latin4"),
    "iso8859-5": ("csisolatincyrillic", "cyrillic", "iso-8859-5", "iso-ir-144", "iso8859-5",
                  "iso88595", "iso_8859-5", "iso_8859-5:1988"),
    "iso8859-6": ("arabic", "asmo-708", "csiso88596e", "csiso88596i", "csisolatinarabic",
                  "ecma-114", "iso-8859-6", "iso-8859-6-e", "iso-8859-6-i", "iso-ir-127",
                  "iso8859-6", "iso88596", "iso_8859-6", "iso_8859-6:1987"),
    "iso8859-7": ("csisolatingreek", "ecma-118", "elot_928", "greek", "greek8", "iso-8859-7",
                  "iso-ir-126", "iso8859-7", "iso88597", "iso_8859-7", "iso_8859-7:1987",
                  "sun_eu_greek"),
    "iso8859-8": ("csiso88598e", "csisolatinhebrew", "hebrew", "iso-8859-8", "iso-8859-8-e",
                  "iso-ir-138", "iso8859-8", "iso88598", "iso_8859-8", "iso_8859-8:1988",
                  "visual", "csiso88598i", "iso-8859-8-i", "logical"),
    "iso8859-10": ("csisolatin6", "iso-8859-10", "iso-ir-157", "iso8859-10", "iso885910",
                   "l6", "latin6"),
    "iso8859-13": ("iso-8859-13", "iso8859-13", "iso885913"),
    "iso8859-14": ("iso-8859-14", "iso8859-14", "iso885914"),
    "iso8859-15": ("csisolatin9", "iso-8859-15", "iso8859-15", "iso885915", "iso_8859-15",
                   "l9"),
    "iso8859-16": ("iso-8859-16",),
    "koi8-r": ("cskoi8r", "koi", "koi8", "koi8-r", "koi8_r"),
    "koi8-u": ("koi8-ru", "koi8-u"),
    "mac-roman": ("csmacintosh", "mac", "macintosh", "x-mac-roman"),
    "cp874": ("dos-874", "iso-8859-11", "iso8859-11", "iso885911", "tis-620", "windows-874"),
    "cp1250": ("cp1250", "windows-1250", "x-cp1250"),
    "cp1251": ("cp1251", "windows-1251", "x-cp1251"),
    # "iso-8859-1" and "us-ascii" pages are windows-1252 in every browser; so is
    # x-user-defined as far as the text of an article is concerned.
    "cp1252": ("ansi_x3.4-1968", "ascii", "cp1252", "cp819", "csisolatin1", "ibm819",
               "iso-8859-1", "iso-ir-100", "iso8859-1", "iso88591", "iso_8859-1",
               "iso_8859-1:1987", "l1", "latin1", "us-ascii", "windows-1252", "x-cp1252",
               "x-user-defined"),
    "cp1253": ("cp1253", "windows-1253", "x-cp1253"),
    "cp1254": ("cp1254", "csisolatin5", "iso-8859-9", "iso-ir-148", "iso8859-9", "iso88599",
               "iso_8859-9", "iso_8859-9:1989", "l5", "latin5", "windows-1254", "x-cp1254"),
    "cp1255": ("cp1255", "windows-1255", "x-cp1255"),
    "cp1256": ("cp1256", "windows-1256", "x-cp1256"),
    "cp1257": ("cp1257", "windows-1257", "x-cp1257"),
    "cp1258": ("cp1258", "windows-1258", "x-cp1258"),
    "mac-cyrillic": ("x-mac-cyrillic", "x-mac-ukrainian"),
    "gb18030": ("chinese", "csgb2312", "csiso58gb231280", "gb2312", "gb_2312", "gb_2312-80",
                "gbk", "iso-ir-58", "x-gbk", "gb18030"),
    "big5hkscs": ("big5", "big5-hkscs", "cn-big5", "csbig5", "x-x-big5"),
    "euc_jp": ("cseucpkdfmtjapanese", "euc-jp", "x-euc-jp"),
    "iso2022_jp": ("csiso2022jp", "iso-2022-jp"),
    "cp932": ("csshiftjis", "ms932", "ms_kanji", "shift-jis", "shift_jis", "sjis",
              "windows-31j", "x-sjis"),
    "cp949": ("cseuckr", "csksc56011987", "euc-kr", "iso-ir-149", "korean", "ks_c_5601-1987",
              "ks_c_5601-1989", "ksc5601", "ksc_5601", "windows-949"),
}
LABELS: dict[str, str] = {
    label: codec for codec, labels in _WHATWG.items() for label in labels
}
# The Python codecs the table may answer with, by their canonical `codecs.lookup` name;
# detection may also find a UTF-16/32 document without a BOM (a linear, real text codec).
_TEXT_CODECS = frozenset(
    codecs.lookup(name).name
    for name in (*_WHATWG, "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le",
                 "utf-32-be")
)
_ASCII_WHITESPACE = "\t\n\f\r "
_DETECT_BYTES = 64 * 1024  # charset detection on a sample: it is slow on megabytes
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))


def codec_for_label(label: str) -> str | None:
    """The Python codec for a WHATWG encoding label, or None for any other label."""
    label = label.strip(_ASCII_WHITESPACE).strip("\"'").strip(_ASCII_WHITESPACE).lower()
    return LABELS.get(label)


def bom_codec(data: bytes) -> str | None:
    """The codec a byte-order mark at the start of `data` calls for, if there is one."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return codec
    return None


def detect(data: bytes) -> str:
    """Valid UTF-8, else a statistical guess on a sample, else windows-1252 (as browsers do)."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    best = from_bytes(data[:_DETECT_BYTES]).best()
    if best is None:
        return "cp1252"
    try:
        name = codecs.lookup(best.encoding).name
    except LookupError:
        return "cp1252"
    # The detector's answer is trusted only when it is a real text encoding; a guess of
    # "latin_1" or "ascii" is windows-1252 for a browser.
    return name if name in _TEXT_CODECS else "cp1252"
