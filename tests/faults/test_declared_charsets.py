"""A page's declared charset is text a stranger wrote: only real text encodings count.

Python's `codecs.lookup` also knows `punycode` (quadratic, pure Python), `base64`, `rot13`,
`hex`, `zlib`, `idna`, `undefined` and `unicode_escape`. Declared anywhere a page can
declare a charset — the Content-Type header, `<meta charset>`, the XML declaration — each
must give the article (the label ignored, the charset detected) or a clean one-line
error; never a crash, never exit 1. The page is Ukrainian so a wrong decoding shows.
"""

from __future__ import annotations

import contextlib
import io
import json
from typing import Any

import pytest

from bot.cli import main
from bot.fetch import decode_html
from tests.fakes.articles import KYIV_BUDGET_PARAGRAPHS as PARAGRAPHS
from tests.fakes.site import FakeSite, Response

HOSTILE_LABELS = ["punycode", "base64", "rot13", "hex", "zlib", "idna", "undefined",
                  "unicode_escape"]
TITLE = "Київрада ухвалила бюджет на 2027 рік"


def page(label: str, where: str) -> tuple[bytes, str]:
    """(body, Content-Type) of an article whose charset is declared `label` in `where`."""
    meta = f'<meta charset="{label}">' if where == "meta" else ""
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    html = (f"<html><head>{meta}<title>{TITLE}</title></head><body><article><h1>{TITLE}</h1>"
            f"{body}</article></body></html>")
    content_type = "text/html"
    if where == "header":
        content_type = f"text/html; charset={label}"
    elif where == "xml":
        html = f'<?xml version="1.0" encoding="{label}"?>\n' + html.replace(
            "<html>", '<html xmlns="http://www.w3.org/1999/xhtml">')
        content_type = "application/xhtml+xml"
    return html.encode("utf-8"), content_type


def summarize(url: str) -> tuple[int, Any, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["summarize", url, "--json"])
    return code, json.loads(out.getvalue()) if out.getvalue() else None, err.getvalue()


@pytest.mark.parametrize("where", ["header", "meta", "xml"])
@pytest.mark.parametrize("label", HOSTILE_LABELS)
def test_hostile_charset_label_is_ignored_and_the_article_read(
    label: str, where: str, site: FakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FETCH_ALLOW_PRIVATE_HOSTS", site.host)
    monkeypatch.setenv("SUMMARIZER", "extractive")
    body, content_type = page(label, where)
    url = site.route(f"/{label}-{where}", Response(body=body, content_type=content_type))
    code, record, err = summarize(url)
    assert code == 0, err  # detected as UTF-8: a clean result, not just a clean error
    assert "Traceback" not in err
    assert record["title"] == TITLE
    assert any("бюджет" in point for point in record["points"]), record["points"]


@pytest.mark.parametrize("label", HOSTILE_LABELS)
def test_decode_html_ignores_non_whatwg_labels(label: str) -> None:
    text = "Привіт, світ — 世界 — مرحبا"
    body = f'<html><head><meta charset="{label}"></head><body>{text}</body></html>'
    assert text in decode_html(body.encode(), f"text/html; charset={label}")


@pytest.mark.parametrize(("label", "encoded", "expected"), [
    ("windows-1251", "Київ".encode("cp1251"), "Київ"),
    ("koi8-u", "Київ".encode("koi8_u"), "Київ"),
    ("x-mac-cyrillic", "Київ".encode("mac_cyrillic"), "Київ"),
    ("shift_jis", "東京".encode("cp932"), "東京"),
    ("gbk", "北京".encode("gb18030"), "北京"),
    ("big5", "台北".encode("big5hkscs"), "台北"),
    ("euc-kr", "서울".encode("cp949"), "서울"),
    ("iso-8859-6", "مرحبا".encode("iso8859_6"), "مرحبا"),
    ("windows-1256", "مرحبا".encode("cp1256"), "مرحبا"),
    # WHATWG: "latin1"/"ascii" are windows-1252, so 0x93/0x94 are curly quotes.
    ("latin1", b"\x93quoted\x94", "\u201cquoted\u201d"),
    (" UTF-8 ", "Київ".encode(), "Київ"),  # labels are trimmed and case-folded
])
def test_whatwg_labels_still_decode(label: str, encoded: bytes, expected: str) -> None:
    assert decode_html(b"<p>" + encoded + b"</p>", f"text/html; charset={label}") == (
        f"<p>{expected}</p>")
