"""The catalogs: every message in every shipped language, with its tags, placeholders and
plural forms intact (bot/i18n.py has the recipe these tests hold people to)."""

from __future__ import annotations

import re
import string
from datetime import date
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from markupsafe import Markup

from bot import i18n
from bot.i18n import SHIPPED, Plural, translator
from bot.telegram import messages
from tests.fakes.botapi import EntityParseError, parse_html

ROOT = Path(__file__).resolve().parent.parent
TRANSLATED = [lang for lang in SHIPPED if lang != i18n.DEFAULT]
KEYWORDS = {"Text": None, "Plain": None, "Plural": (1, 2), "TextPlural": (1, 2)}
_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
HOSTILE = '<b>&"x\'</i>'


def _source_ids() -> set[str | tuple[str, str]]:
    """The msgids marked in the code today, extracted the way `pybabel extract` does."""
    found: set[str | tuple[str, str]] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        ROOT / "bot", method_map=[("**.py", "python")], keywords=KEYWORDS,
    ):
        found.add(message if isinstance(message, str) else (message[0], message[1]))
    return found


def _catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=locale)


TEMPLATE = _catalog(i18n.LOCALES / "newsbot.pot")
TEMPLATE_IDS = {m.id for m in TEMPLATE if m.id}


def _po(lang: str) -> Catalog:
    return _catalog(i18n.LOCALES / lang / "LC_MESSAGES" / "newsbot.po", lang)


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _tags(text: str) -> list[str]:
    return sorted(_TAG.findall(text))


def _forms(message: Message) -> list[str]:
    forms = message.string if isinstance(message.string, tuple | list) else [message.string]
    return [str(form or "") for form in forms]


def _ids(message: Message) -> tuple[str, ...]:
    return tuple(map(str, message.id)) if isinstance(message.id, tuple | list) else (
        str(message.id),)


def test_the_template_holds_exactly_the_messages_in_the_code() -> None:
    """A message added or changed without `pybabel extract` fails here."""
    source = _source_ids()
    assert source - TEMPLATE_IDS == set(), "run pybabel extract (bot/i18n.py)"
    assert TEMPLATE_IDS - source == set(), "run pybabel extract (bot/i18n.py)"
    assert len(source) >= 90


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_message_is_translated_in_every_shipped_language(lang: str) -> None:
    catalog = _po(lang)
    ids = {m.id for m in catalog if m.id}
    assert TEMPLATE_IDS - ids == set(), f"{lang}: run pybabel update (bot/i18n.py)"
    assert ids - TEMPLATE_IDS == set(), f"{lang}: messages no longer in the code"
    for message in catalog:
        if not message.id:
            continue
        assert not message.fuzzy, f"{lang}: fuzzy (unchecked) translation of {message.id!r}"
        forms = _forms(message)
        expected = catalog.num_plurals if message.pluralizable else 1
        assert len(forms) == expected and all(f.strip() for f in forms), (
            f"{lang}: {message.id!r} lacks a translation")


@pytest.mark.parametrize("lang", TRANSLATED)
def test_translations_keep_their_placeholders_and_tags(lang: str) -> None:
    for message in _po(lang):
        if not message.id:
            continue
        ids = _ids(message)
        want_fields = set().union(*(_fields(i) for i in ids))
        want_tags = _tags(ids[-1])
        for form in _forms(message):
            assert _fields(form) == want_fields, f"{lang}: placeholders of {form!r}"
            assert _tags(form) == want_tags, f"{lang}: tags of {form!r}"
            assert form == form.strip() or ids[-1] != ids[-1].strip(), (
                f"{lang}: {form!r} gained spaces at its ends")


@pytest.mark.parametrize("lang", SHIPPED)
def test_every_translation_renders_as_valid_telegram_html_with_hostile_values(
    lang: str,
) -> None:
    """Filled with markup-looking values through the Markup template, every message is
    HTML Telegram accepts, and the values come out as text, not tags."""
    for message in TEMPLATE:
        if not message.id:
            continue
        catalog = translator(lang)._catalog
        ids = _ids(message)
        if len(ids) == 2:
            forms = [catalog.ngettext(ids[0], ids[1], n) for n in (1, 2, 5, 21)]
        else:
            forms = [catalog.gettext(ids[0])]
        for form in forms:
            values = {name: HOSTILE for name in _fields(form)}
            rendered = Markup(form).format(**values)
            try:
                visible = parse_html(rendered)
            except EntityParseError as exc:
                pytest.fail(f"{lang}: {form!r} is not valid Telegram HTML: {exc}")
            assert visible.count(HOSTILE) == sum(form.count("{" + n + "}") for n in values)


def test_a_translator_gives_markup_for_html_and_str_for_plain_text() -> None:
    uk = translator("uk")
    welcome = uk(messages.WELCOME)
    assert type(welcome) is Markup and welcome.startswith("Привіт!")
    note = uk(messages.READ_ORIGINAL)
    assert type(note) is str and note == "Читати оригінал"
    assert type(uk(messages.TOO_MANY_TOPICS, 3)) is Markup
    assert type(uk(messages.REPORTED_BY, 3)) is str
    with pytest.raises(TypeError, match="needs the number"):
        uk(Plural("a", "b"))  # type: ignore[call-overload]


@pytest.mark.parametrize(("code", "language"), [
    ("uk", "uk"), ("ru-RU", "ru"), ("de_AT", "de"), ("ES", "es"), ("fr-CA", "fr"),
    ("pt-BR", "en"), ("zh-hans", "en"), (None, "en"), ("", "en"), ("en-GB", "en"),
])
def test_a_language_code_picks_its_shipped_language_or_english(
    code: str | None, language: str
) -> None:
    assert translator(code).language == language


@pytest.mark.parametrize(("lang", "counts"), [
    ("uk", {1: "1 джерело", 2: "2 джерела", 4: "4 джерела", 5: "5 джерел", 11: "11 джерел",
            12: "12 джерел", 21: "21 джерело", 22: "22 джерела", 25: "25 джерел",
            101: "101 джерело", 111: "111 джерел"}),
    ("ru", {1: "1 источник", 2: "2 источника", 5: "5 источников", 11: "11 источников",
            21: "21 источник", 24: "24 источника", 100: "100 источников"}),
    ("en", {1: "1 outlet", 2: "2 outlets", 21: "21 outlets", 0: "0 outlets"}),
    ("de", {1: "1 Medium", 2: "2 Medien"}),
    ("es", {1: "1 medio", 5: "5 medios"}),
    ("fr", {1: "1 média", 0: "0 média", 2: "2 médias"}),  # French: 0 is singular
])
def test_plural_forms_follow_each_languages_rules(lang: str, counts: dict[int, str]) -> None:
    tr = translator(lang)
    for n, words in counts.items():
        assert messages.reported_by(tr, n).endswith(words), (lang, n)


@pytest.mark.parametrize(("lang", "seconds", "words"), [
    ("en", 1, "1 second"), ("en", 30, "30 seconds"), ("en", 61, "2 minutes"),
    ("uk", 1, "1 секунду"), ("uk", 3, "3 секунди"), ("uk", 45, "45 секунд"),
    ("uk", 21 * 60, "21 хвилину"), ("ru", 22 * 60, "22 минуты"), ("ru", 300, "5 минут"),
    ("de", 60, "1 Minute"), ("fr", 120, "2 minutes"),
])
def test_durations_are_counted_in_the_readers_language(lang: str, seconds: int,
                                                        words: str) -> None:
    assert messages.duration(translator(lang), seconds) == words


def test_dates_and_lists_are_written_the_readers_way() -> None:
    day = date(2026, 12, 2)
    assert translator("en").date(day) == "2 Dec 2026"
    assert translator("uk").date(day) == "2 груд. 2026\u202fр."  # narrow no-break space
    assert translator("de").date(day) == "02.12.2026"
    assert translator("en").join(["CNN", "BBC", "AP"]) == "CNN, BBC and AP"
    assert translator("uk").join(["CNN", "BBC", "AP"]) == "CNN, BBC і AP"
    assert translator("fr").join(["CNN", "BBC"]) == "CNN et BBC"
    assert translator("uk").language_name("de") == "німецька"
    assert translator("de").language_name("de") == "Deutsch"
    assert translator("en").language_name("xx-Klingon") == "xx-Klingon"
