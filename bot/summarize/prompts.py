"""The prompt texts (kept in `prompts/` so they can be reviewed and tuned as text)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from string import Template

PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"

LANGUAGE_NAMES = {
    "ar": "Arabic", "be": "Belarusian", "bg": "Bulgarian", "cs": "Czech", "da": "Danish",
    "de": "German", "el": "Greek", "en": "English", "es": "Spanish", "et": "Estonian",
    "fa": "Persian", "fi": "Finnish", "fr": "French", "he": "Hebrew", "hi": "Hindi",
    "hu": "Hungarian", "id": "Indonesian", "it": "Italian", "ja": "Japanese", "ka": "Georgian",
    "kk": "Kazakh", "ko": "Korean", "lt": "Lithuanian", "lv": "Latvian", "nl": "Dutch",
    "no": "Norwegian", "pl": "Polish", "pt": "Portuguese", "ro": "Romanian", "ru": "Russian",
    "sk": "Slovak", "sl": "Slovenian", "sr": "Serbian", "sv": "Swedish", "tr": "Turkish",
    "uk": "Ukrainian", "vi": "Vietnamese", "zh": "Chinese",
}  # fmt: skip

_TAG = re.compile(r"<(\s*/?\s*(?:article|points)\b)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Prompts:
    system: str  # the rules; the language line is appended per request
    language: Template  # $language
    user: Template  # $min_points $max_points $language $notes $article $format
    merge: Template  # $parts $min_points $max_points $language $notes $points $format
    part_note: Template  # $part $parts
    teaser_note: str
    format_json: str
    format_lines: str
    verify_system: str
    verify: Template  # $claims $format
    verify_json: str
    verify_lines: str
    retry_language: Template  # $language

    @classmethod
    def load(cls, directory: Path = PROMPTS_DIR) -> Prompts:
        def read(name: str) -> str:
            return (directory / name).read_text(encoding="utf-8").strip()

        return cls(
            system=read("system.txt"),
            language=Template(read("language.txt")),
            user=Template(read("user.txt")),
            merge=Template(read("merge.txt")),
            part_note=Template(read("part_note.txt")),
            teaser_note=read("teaser_note.txt"),
            format_json=read("format_json.txt"),
            format_lines=read("format_lines.txt"),
            verify_system=read("verify_system.txt"),
            verify=Template(read("verify.txt")),
            verify_json=read("verify_json.txt"),
            verify_lines=read("verify_lines.txt"),
            retry_language=Template(read("retry_language.txt")),
        )

    def system_for(self, language: str) -> str:
        """The system prompt, ending with the language every point must be written in."""
        return f"{self.system}\n\n{self.language.substitute(language=language)}"


def neutralise_tags(text: str) -> str:
    """Make `<article>`/`</article>` (and `<points>`) in untrusted text inert."""
    return _TAG.sub(r"‹\1", text)


def language_name(code: str | None) -> str:
    if not code:
        return "the language of the article"
    return LANGUAGE_NAMES.get(base_language(code), code)


def base_language(code: str | None) -> str:
    return re.split(r"[-_]", code.strip())[0].lower() if code else ""
