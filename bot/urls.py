"""URLs as the product sees them: a strict parser for user input and canonical cache keys.

`parse_http_url` is the gate every URL passes before it is fetched (user links and redirect
targets alike); `canonical_url` turns the many spellings of one article into one cache key.
Hosts are normalised the way browsers do it (WHATWG URL standard), so that `127.1`,
`0x7f.1` or `2130706433` reach the SSRF guard as the `127.0.0.1` they really are.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import SplitResult, quote, urlsplit

import idna

from bot.errors import InvalidURL

DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_URL_LENGTH = 8192

# Query parameters that only say where a click came from; they never change the page.
TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "ysclid",
    "mc_cid", "mc_eid", "igshid", "igsh", "ref_src", "ref_url", "_ga", "_gl", "ocid",
    "_hsenc", "_hsmi", "mkt_tok", "vero_id", "vero_conv", "oly_anon_id", "oly_enc_id",
    "rb_clickid", "s_cid", "wt_mc", "xtor", "smid", "smtyp", "cmpid", "cmp", "at_medium",
    "at_campaign", "at_custom1", "at_custom2", "at_custom3", "at_custom4", "guccounter",
    "guce_referrer", "guce_referrer_sig", "spm", "__twitter_impression", "twclid", "ttclid",
    "li_fat_id", "srsltid", "trk", "trkcampaign", "ncid",
})
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_")

# RFC 3986 "unreserved" plus the delimiters that keep their meaning in each component.
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = _PATH_SAFE + "?"
_ASCII_HOST = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?")
_PORT_PATH = re.compile(r"\d+(?:/.*)?")
_HEX_ESCAPE = re.compile(r"%([0-9a-fA-F]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def parse_http_url(raw: str) -> str:
    """Return `raw` as a normalised absolute http(s) URL, or raise InvalidURL naming the problem.

    Normalised means: lowercase scheme and host, IDNA (punycode) host, numeric IPv4 hosts in
    dotted-quad form, bracketed compressed IPv6, no default port, no fragment, `/` for an
    empty path and non-ASCII path/query characters percent-encoded.
    """
    text = raw.strip()
    if not text:
        raise InvalidURL("empty URL")
    if len(text) > MAX_URL_LENGTH:
        raise InvalidURL(f"URL is longer than {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(text)
    except ValueError as exc:  # e.g. "http://[::1/"
        raise InvalidURL(f"unparsable URL {_short(text)}: {exc}") from exc
    scheme = parts.scheme.lower()
    # "example.com:8080/x" parses with scheme "example.com", "localhost:8080" as "localhost".
    if not scheme or "." in scheme or _PORT_PATH.fullmatch(parts.path):
        raise InvalidURL(f"not a URL (no http:// or https://): {_short(text)}")
    if scheme not in DEFAULT_PORTS:
        raise InvalidURL(f"only http and https URLs can be fetched, not {scheme!r}: {_short(text)}")
    if not parts.netloc:
        raise InvalidURL(f"URL has no host: {_short(text)}")
    if "@" in parts.netloc:
        # "http://trusted.com@evil.host/" tricks readers; real article links never need it.
        raise InvalidURL(f"URL with a user name or password is not accepted: {_short(text)}")
    host = normalize_host(_raw_host(parts, text))
    port = _port(parts, text)
    netloc = _bracket(host)
    if port is not None and port != DEFAULT_PORTS[scheme]:
        netloc += f":{port}"
    path = _quote(parts.path, _PATH_SAFE) or "/"
    query = _quote(parts.query, _QUERY_SAFE)
    return f"{scheme}://{netloc}{path}" + (f"?{query}" if query else "")


def canonical_url(url: str) -> str:
    """Return the cache key for `url`: tracking parameters removed, query sorted, path tidied.

    Raises InvalidURL when `url` is not an http(s) URL.
    """
    normalised = parse_http_url(url)
    parts = urlsplit(normalised)
    host, port = host_and_port(normalised)
    netloc = _bracket(host.rstrip("."))  # "example.com." and "example.com" are one site
    if port != DEFAULT_PORTS[parts.scheme]:
        netloc += f":{port}"
    path = _remove_dot_segments(_tidy_escapes(parts.path)) or "/"
    pairs = [_tidy_escapes(p) for p in parts.query.split("&") if p and not _is_tracking(p)]
    pairs.sort(key=lambda p: (p.partition("=")[0], p))
    query = "&".join(pairs)
    return f"{parts.scheme}://{netloc}{path}" + (f"?{query}" if query else "")


def host_and_port(url: str) -> tuple[str, int]:
    """Return the (unbracketed) host and the effective port of an already parsed URL."""
    parts = urlsplit(url)
    if not parts.hostname:
        raise InvalidURL(f"URL has no host: {_short(url)}")
    return parts.hostname, parts.port or DEFAULT_PORTS[parts.scheme.lower()]


def normalize_host(host: str) -> str:
    """Return `host` lowercased, IDNA-encoded, with numeric IPv4 forms as dotted quads.

    IPv6 comes back compressed and without brackets. Raises InvalidURL for hosts no browser
    would accept.
    """
    host = host.strip()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not host:
        raise InvalidURL("URL has no host")
    if ":" in host:
        if "%" in host:
            raise InvalidURL(f"IPv6 zone identifiers are not accepted: {host!r}")
        try:
            return ipaddress.IPv6Address(host).compressed
        except ValueError as exc:
            raise InvalidURL(f"invalid IPv6 address in URL: {host!r}") from exc
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except idna.IDNAError as exc:
            raise InvalidURL(f"invalid international host name {host!r}: {exc}") from exc
    host = host.lower()
    ipv4 = parse_ipv4(host)
    if ipv4 is not None:
        return str(ipv4)
    if len(host) > 254 or not _ASCII_HOST.fullmatch(host):
        raise InvalidURL(f"invalid host name in URL: {host!r}")
    if any(len(label) > 63 for label in host.split(".")):
        raise InvalidURL(f"invalid host name in URL (label too long): {host!r}")
    return host


def parse_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """Parse `host` as browsers do: `127.1`, `0x7f.1`, `0177.0.0.1`, `2130706433` are IPv4.

    Returns None for an ordinary domain name; raises InvalidURL for a host that ends in a
    number but is no valid address (WHATWG "ends in a number" rule, e.g. `1.2.3.256`).
    """
    parts = host.split(".")
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()
    if not _is_number_label(parts[-1]):
        return None
    numbers = [_ipv4_number(part, host) for part in parts]
    if len(numbers) > 4 or any(n > 255 for n in numbers[:-1]):
        raise InvalidURL(f"invalid IPv4 address in URL: {host!r}")
    if numbers[-1] >= 256 ** (5 - len(numbers)):
        raise InvalidURL(f"invalid IPv4 address in URL: {host!r}")
    value = numbers[-1]
    for index, number in enumerate(numbers[:-1]):
        value += number * 256 ** (3 - index)
    return ipaddress.IPv4Address(value)


# --- helpers -------------------------------------------------------------------------------


def _raw_host(parts: SplitResult, text: str) -> str:
    netloc = parts.netloc
    if netloc.startswith("["):
        end = netloc.find("]")
        if end < 0:
            raise InvalidURL(f"unterminated IPv6 address in URL: {_short(text)}")
        return netloc[1:end]
    host = netloc.rsplit(":", 1)[0] if ":" in netloc else netloc
    if not host:
        raise InvalidURL(f"URL has no host: {_short(text)}")
    return host


def _port(parts: SplitResult, text: str) -> int | None:
    try:
        port = parts.port
    except ValueError as exc:
        raise InvalidURL(f"invalid port in URL: {_short(text)}") from exc
    if port == 0:
        raise InvalidURL(f"invalid port in URL: {_short(text)}")
    return port


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _quote(component: str, safe: str) -> str:
    # Existing escapes are kept (safe contains "%"), so quoting a quoted URL changes nothing.
    return quote(component, safe=safe, encoding="utf-8", errors="strict")


def _is_number_label(label: str) -> bool:
    if label.isdigit() and label.isascii():
        return True
    lowered = label.lower()
    return lowered.startswith("0x") and all(c in "0123456789abcdef" for c in lowered[2:])


def _ipv4_number(part: str, host: str) -> int:
    try:
        if part[:2].lower() == "0x":
            return int(part[2:] or "0", 16)
        if len(part) > 1 and part.startswith("0"):
            return int(part[1:], 8)
        if not part.isascii() or not part.isdigit():
            raise ValueError(part)
        return int(part)
    except ValueError as exc:
        raise InvalidURL(f"invalid IPv4 address in URL: {host!r}") from exc


def _is_tracking(pair: str) -> bool:
    name = _HEX_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), pair.partition("=")[0]).lower()
    return name in TRACKING_PARAMS or name.startswith(TRACKING_PREFIXES)


def _tidy_escapes(text: str) -> str:
    """Uppercase percent-escapes and decode the ones that stand for unreserved characters."""

    def fix(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else f"%{match.group(1).upper()}"

    return _HEX_ESCAPE.sub(fix, text)


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4: `/a/./b/../c` is `/a/c`."""
    if "." not in path:
        return path
    out: list[str] = []
    segments = path.split("/")
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == ".":
            if last:
                out.append("")
        elif segment == "..":
            if len(out) > 1:
                out.pop()
            if last:
                out.append("")
        else:
            out.append(segment)
    result = "/".join(out)
    return result if result.startswith("/") else "/" + result


def _short(text: str, limit: int = 80) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")
