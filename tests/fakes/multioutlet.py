"""Stories told by several outlets whose articles each add a fact, for multi-source digests.

Every outlet's article carries the event in its own words, one fact only it reports, a
near copy of another outlet's lead (wire copy) and the same closing line as every other
outlet, so a digest that repeats itself or credits the wrong outlet is easy to see. One
story is in English, one in Ukrainian. Served by `serve_multioutlet` on one FakeSite:
Google-shaped search (opaque tokens, unreadable) plus Bing-shaped search (publisher URLs).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

from tests.fakes.articles import article_html
from tests.fakes.newsfeeds import Report, bing_news_rss, google_news_rss
from tests.fakes.newsworld import outlet_host
from tests.fakes.site import FakeSite, Request, Response


@dataclass(frozen=True)
class Told:
    """One outlet's report and the body of its article."""

    report: Report
    body: list[str]
    fact: str  # the sentence only this outlet reports


def _told(story: str, outlet: str, domain: str, headline: str, lead: str, hours: float,
          body: list[str], fact: str, slug: str) -> Told:
    report = Report(story, outlet, domain, headline, lead, f"/news/{slug}", hours)
    return Told(report, [lead, *body], fact)


EN_CLOSING = "The Kremlin did not comment on the report on Monday evening."
EN_WIRE = "North Korean leader Kim Jong-un ordered his generals to return home from Russia."
EN_LEAD = ("North Korean leader Kim Jong-un ordered his generals to return home from Russia "
           "after they fought in the war against Ukraine.")
GENERALS = [
    _told("generals", "The Wall Street Journal", "wsj.com",
          "North Korea recalls its generals from Russia",
          EN_LEAD, 3,
          ["More than ten commanders were welcomed as heroes in Kim's personal office in "
           "Pyongyang.",
           "Foreign analysts see a gradual retreat of North Korea's combat role in the war.",
           EN_CLOSING],
          "More than ten commanders were welcomed as heroes in Kim's personal office in "
          "Pyongyang.", "wsj-generals"),
    _told("generals", "Reuters", "reuters.com",
          "Kim recalls North Korean generals from Russia, WSJ reports",
          "Kim Jong-un has recalled North Korean generals from Russia, The Wall Street Journal "
          "reported on Monday, citing officials.", 2,
          [EN_WIRE,
           "About 15,000 North Korean soldiers have been sent to Russia since the autumn of "
           "2024 to help hold the Kursk region.",
           "Officials in Seoul declined to say how many officers remained in Russia.",
           EN_CLOSING],
          "About 15,000 North Korean soldiers have been sent to Russia since the autumn of "
          "2024 to help hold the Kursk region.", "reuters-generals"),
    _told("generals", "Yonhap", "yna.co.kr",
          "North Korea recalls generals who fought for Russia",
          "North Korea's generals who fought for Russia in the Kursk region have returned "
          "home, according to a report in a US newspaper.", 1,
          [EN_LEAD,  # the Journal's lead, copied word for word
           "Pyongyang still plans to send 6,000 workers to rebuild the Kursk region for "
           "Moscow.",
           "South Korean lawmakers were briefed on the recall by the intelligence service.",
           EN_CLOSING],
          "Pyongyang still plans to send 6,000 workers to rebuild the Kursk region for Moscow.",
          "yonhap-generals"),
]

UK_CLOSING = "У Кремлі ввечері в понеділок не прокоментували це повідомлення."
UK_WIRE = "Лідер КНДР Кім Чен Ин наказав своїм генералам повернутися з Росії додому."
GENERALS_UK = [
    _told("generals-uk", "Укрінформ", "ukrinform.ua",
          "КНДР відкликала своїх генералів з Росії",
          "Лідер КНДР Кім Чен Ин наказав своїм генералам повернутися з Росії додому після "
          "участі у війні проти України, пише The Wall Street Journal.", 3,
          ["Понад десять командирів урочисто зустріли як героїв в особистому кабінеті Кіма "
           "в Пхеньяні.",
           "Іноземні аналітики вважають це поступовим згортанням бойової ролі КНДР у війні.",
           UK_CLOSING],
          "Понад десять командирів урочисто зустріли як героїв в особистому кабінеті Кіма "
          "в Пхеньяні.", "ukrinform-generals"),
    _told("generals-uk", "Суспільне", "suspilne.media",
          "КНДР відкликала своїх генералів з Росії, пише WSJ",
          "Кім Чен Ин відкликав північнокорейських генералів з Росії, повідомила в понеділок "
          "газета The Wall Street Journal з посиланням на посадовців.", 2,
          [UK_WIRE,
           "З осені 2024 року до Росії прибули близько 15 000 північнокорейських військових, "
           "щоб допомогти втримати Курську область.",
           "У Сеулі не уточнили, скільки офіцерів КНДР залишається в Росії.",
           UK_CLOSING],
          "З осені 2024 року до Росії прибули близько 15 000 північнокорейських військових, "
          "щоб допомогти втримати Курську область.", "suspilne-generals"),
    _told("generals-uk", "Українська правда", "pravda.com.ua",
          "КНДР відкликала своїх генералів з Росії — ЗМІ",
          "Генерали КНДР, які воювали за Росію в Курській області, повернулися додому, "
          "повідомляє американська газета.", 1,
          [UK_WIRE,
           "Пхеньян і далі планує відправити 6000 робітників на відбудову Курської області "
           "для Москви.",
           "Депутатів Південної Кореї поінформувала про відкликання розвідка.",
           UK_CLOSING],
          "Пхеньян і далі планує відправити 6000 робітників на відбудову Курської області "
          "для Москви.", "pravda-generals"),
]

TOPICS = {"North Korea generals": GENERALS, "КНДР генерали": GENERALS_UK}
SEARCH_PATH = "/bing-mo/news/search"
GOOGLE_PATH = "/google-mo/rss/search"


@dataclass(frozen=True)
class MultiOutletWorld:
    templates: list[str]
    allow_hosts: list[str]
    told: dict[str, list[Told]]  # by topic, with URLs on the local outlet hosts

    def env(self) -> dict[str, str]:
        return {
            "NEWS_SEARCH_FEEDS": ",".join(self.templates),
            "FETCH_ALLOW_PRIVATE_HOSTS": ",".join(self.allow_hosts),
        }

    def by_outlet(self, topic: str) -> dict[str, Told]:
        return {t.report.outlet: t for t in self.told[topic]}


def serve_multioutlet(
    site: FakeSite, topics: dict[str, Sequence[Told]] | None = None,
    *, now: datetime | None = None,
) -> MultiOutletWorld:
    now = now or datetime.now(UTC)
    hosts = {site.host}
    local: dict[str, list[Told]] = {}
    for topic, told in (topics or TOPICS).items():
        local[topic] = []
        for t in told:
            host = outlet_host(t.report.domain, site.port)
            hosts.add(host)
            moved = replace(t, report=replace(t.report, base=f"http://{host}"))
            local[topic].append(moved)
            lang = "uk" if any("\u0400" <= ch <= "\u04ff" for ch in t.report.headline) else "en"
            site.page(t.report.path, article_html(
                t.report.headline, t.body, site=t.report.outlet, lang=lang,
                published=t.report.published(now).isoformat(),
            ))

    def reports(req: Request) -> list[Report]:
        q = parse_qs(urlsplit(req.path).query).get("q", [""])[0]
        return [t.report for t in local.get(q, [])]

    site.route(SEARCH_PATH, lambda req: Response(
        bing_news_rss("q", reports(req), now=now), content_type="text/xml; charset=utf-8"))
    site.route(GOOGLE_PATH, lambda req: Response(
        google_news_rss("q", reports(req), now=now),
        content_type="application/xml; charset=utf-8"))
    templates = [site.url(GOOGLE_PATH) + "?q={query}&hl={lang}",
                 site.url(SEARCH_PATH) + "?q={query}"]
    return MultiOutletWorld(templates, sorted(hosts), local)
