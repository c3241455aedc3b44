"""The bot's words in the reader's language: gettext catalogs, compiled by Babel at first use.

Each message is written once, in English, as a marked msgid (`Text`, `Plain`, `Plural`,
mostly in `bot/telegram/messages.py`), and turned into the reader's language at use time
by a `Translator`:

    tr = i18n.translator("uk")             # the chat's language; unknown ones get English
    tr(messages.WELCOME)                   # Text   -> Markup (a Telegram-HTML template)
    tr(messages.HELP).format(max_links=5)  # .format() still escapes every value
    tr(messages.READ_ORIGINAL)             # Plain  -> str (button labels, callback answers)
    tr(messages.OUTLETS, 21).format(count=21)   # Plural -> Markup, the form for 21

`Text` is itself the English `Markup`, so a msgid sent untranslated would still be safe
HTML; `MarkupBot` refuses it anyway (`bot.telegram.outgoing`): every reply goes through a
translator. A translation comes from our own catalogs and is trusted as markup like the
msgid; `tests/test_i18n.py` checks each keeps its msgid's tags and `{placeholders}` and
renders as valid Telegram HTML.

Catalogs (`.po`, in the repo) live in `bot/locales/<lang>/LC_MESSAGES/newsbot.po`, the
template in `bot/locales/newsbot.pot`. No `.mo` file is committed or built: the first
`translator()` for a language reads its `.po` and compiles it in memory with Babel
(`read_po` + `write_mo`), so a fresh clone, the wheel (which carries `bot/` whole) and the
Docker image all work with nothing to run.

How to add or change a message (docs/TRANSLATING.md has the long form):

1. Write it in `bot/telegram/messages.py` (or next to its use) as
   `NAME = Text("… {placeholder} …")` (HTML), `Plain("…")` (no markup) or
   `Plural("{count} outlet", "{count} outlets")`, and send `tr(NAME)` / `tr(NAME, n)`,
   with `tr` from `texts(update, context)` in a handler or `translator(lang)` elsewhere.
   A comment starting `# TRANSLATORS:` just above reaches the translators.
2. Extract the template and merge it into every catalog:

       uv run pybabel extract -F babel.cfg -k Text -k Plain -k Plural:1,2 -k TextPlural:1,2 \\
           --no-default-keywords --add-comments=TRANSLATORS: --no-location --sort-output \\
           --omit-header --no-wrap -o bot/locales/newsbot.pot .
       uv run pybabel update -i bot/locales/newsbot.pot -d bot/locales -D newsbot \\
           --no-wrap --ignore-obsolete --ignore-pot-creation-date

3. Fill in each `msgstr` (all `msgstr[N]` of a plural; Ukrainian and Russian have three
   forms: 1/21, 2–4/22, 5–20/25) in every `bot/locales/*/LC_MESSAGES/newsbot.po`, and
   remove the `#, fuzzy` mark of entries `update` guessed once you have checked them.
4. Check: `uv run pybabel compile -d bot/locales -D newsbot --statistics` (writes
   `.mo` files, git-ignored, only to see the counts) and `uv run pytest tests/test_i18n.py`,
   which fails on a message missing or fuzzy in any shipped language, a stale template, or a
   translation whose tags or placeholders differ from its msgid.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import overload

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.lists import format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from markupsafe import Markup

DOMAIN = "newsbot"
LOCALES = Path(__file__).parent / "locales"
DEFAULT = "en"
# English is the msgids themselves; each other one has a catalog in LOCALES.
SHIPPED = ("en", "uk", "ru", "de", "es", "fr")


class Text(Markup):
    """A Telegram-HTML template's msgid: English `Markup`, to be passed through a translator."""

    __slots__ = ()


class Plain(str):
    """A msgid shown without markup (a button label, a callback answer, a note put in
    italics by a renderer, which escapes it)."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Plural:
    """A plain-text msgid with a plural: `tr(PLURAL, n)` is the form for n, as `str`."""

    singular: str
    plural: str


class TextPlural(Plural):
    """A Telegram-HTML msgid with a plural: `tr(TEXT_PLURAL, n)` is the form for n, as Markup."""

    __slots__ = ()


def language_of(code: str | None) -> str:
    """The shipped language for a language code: `uk-UA` → `uk`; `pt-BR` → `en` (not shipped)."""
    if not code:
        return DEFAULT
    base = code.replace("_", "-").split("-", 1)[0].lower()
    return base if base in SHIPPED else DEFAULT


def speaks(code: str) -> bool:
    """True if the bot's messages exist in the language of `code` (`de`, `pt-BR`…)."""
    return code.replace("_", "-").split("-", 1)[0].lower() in SHIPPED


class Translator:
    """Every message in one language."""

    def __init__(self, language: str, catalog: gettext.NullTranslations) -> None:
        self.language = language
        self._catalog = catalog

    @overload
    def __call__(self, message: Text) -> Markup: ...
    @overload
    def __call__(self, message: Plain) -> str: ...
    @overload
    def __call__(self, message: TextPlural, n: int) -> Markup: ...
    @overload
    def __call__(self, message: Plural, n: int) -> str: ...

    def __call__(self, message: Text | Plain | Plural, n: int | None = None) -> Markup | str:
        if isinstance(message, Plural):
            if n is None:
                raise TypeError("a plural message needs the number it counts")
            form = self._catalog.ngettext(message.singular, message.plural, n)
            if isinstance(message, TextPlural):
                return Markup(form)  # noqa: S704 - our catalog, checked by tests/test_i18n.py
            return form
        if isinstance(message, Text):
            return Markup(self._catalog.gettext(message))  # noqa: S704 - as above
        return self._catalog.gettext(message)

    def date(self, day: date) -> str:
        """A date the reader's way: "2 Dec 2026", "2 груд. 2026 р.", "2 déc. 2026"."""
        pattern = "d MMM y" if self.language == DEFAULT else "medium"
        return format_date(day, format=pattern, locale=self.language)

    def join(self, words: Sequence[str]) -> str:
        """"a, b and c" in the reader's language ("a, b і c", "a, b et c")."""
        # British English lists have no comma before "and", as the bot always wrote them.
        return format_list(list(words), locale="en_GB" if self.language == DEFAULT
                           else self.language)

    def language_name(self, code: str) -> str:
        """`de` → "German" in English, "німецька" in Ukrainian; the code when unknown."""
        try:
            name = Locale.parse(code.replace("-", "_")).get_display_name(self.language)
        except (ValueError, UnknownLocaleError):
            return code
        return name or code

    def __repr__(self) -> str:
        return f"Translator({self.language!r})"


def translator(code: str | None) -> Translator:
    """The translator for a chat's or user's language code (English when not shipped)."""
    return _load(language_of(code))


@cache
def _load(language: str) -> Translator:
    if language == DEFAULT:
        return Translator(language, gettext.NullTranslations())
    path = LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as po:
        catalog = read_po(po, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)  # a fuzzy guess stays English until checked
    compiled.seek(0)
    return Translator(language, gettext.GNUTranslations(compiled))


ENGLISH = translator(DEFAULT)
