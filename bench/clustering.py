"""Score story clustering with B-cubed precision, recall and F1, beside a plain TF-IDF baseline.

    uv run python bench/clustering.py [--data PATH] [--seed N]

Two labelled sets:

(a) Google News's own grouping: the 2019 top-stories capture
    (`news-feeds/google-news/introduction-to-python-bsuir-2019__PythonHomework/google_news.xml`).
    Each item's related-coverage list (`<ol>` in its description) is one group; every
    article of every list becomes one item (its headline only, the "View full coverage" link
    dropped), the items are shuffled and clustered again from their titles.
(b) `tests/fixtures/stories/events.json`: hand-labelled multi-outlet events with leads and
    article text, in English, Ukrainian and German, including near misses (one wire's two
    North Korea stories, drone attacks on two cities the same night). Clustered per topic,
    the way a digest round does, and scored over all items together.

B-cubed (Bagga & Baldwin 1998): for each item, precision is the share of its cluster that
shares its label, recall the share of its label's items that share its cluster; both are
averaged over items. Merging two events costs precision, splitting one costs recall.

"newsbot" is the production path (`cluster`, then `story.merge_related`). The baseline is
plain TF-IDF over lower-cased title words (smoothed idf, l2 norm, no stop words, no
stemming) with the same average-link clustering, at the threshold where it scores best on
(a) — the most favourable setting for it. The last line printed is one JSON object with the
figures. Not run in CI.
"""

from __future__ import annotations

import argparse
import html
import json
import math
import random
import re
import sys
import time
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.news.cluster import average_link, cluster  # noqa: E402
from bot.news.item import NewsItem  # noqa: E402
from bot.news.story import make_story, merge_related  # noqa: E402
from bot.news.text import html_to_text, squash  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "datasets"
GOOGLE_FEED = (
    "news-feeds/google-news/introduction-to-python-bsuir-2019__PythonHomework/google_news.xml"
)
EVENTS = REPO / "tests" / "fixtures" / "stories" / "events.json"
BASELINE_THRESHOLDS = (0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6)
NOW = datetime(2026, 7, 14, 8, 0, tzinfo=UTC)

_LI = re.compile(r"<li>(.*?)</li>", re.S | re.I)
_ANCHOR = re.compile(r"<a [^>]*>(.*?)</a>", re.S | re.I)
_FONT = re.compile(r"<font[^>]*>(.*?)</font>", re.S | re.I)


@dataclass(frozen=True)
class Labelled:
    item: NewsItem
    label: str
    topic: str = ""


# --- the sets ------------------------------------------------------------------------------


def google_groups(path: Path, *, seed: int) -> list[Labelled]:
    """Every article of every related-coverage list, labelled by its list, shuffled."""
    root = ET.parse(path).getroot()
    out: list[Labelled] = []
    for n, entry in enumerate(root.iter("item")):
        description = entry.findtext("description") or ""
        lis = _LI.findall(description)
        if not lis:  # a lone article: its own group of one
            title = squash(entry.findtext("title") or "").rsplit(" - ", 1)[0]
            lis = [f"<a href=x>{html.escape(title)}</a>"]
        for m, li in enumerate(lis):
            anchor = _ANCHOR.search(li)
            if anchor is None or "news.google.com/stories" in li:
                continue  # "View full coverage on Google News"
            font = _FONT.search(li)
            title = html_to_text(anchor.group(1))
            outlet = html_to_text(font.group(1)) if font else ""
            out.append(Labelled(_item(title, outlet, f"g{n}-{m}"), f"group-{n}"))
    random.Random(seed).shuffle(out)
    return out


def fixture_events(path: Path) -> list[Labelled]:
    out = []
    for n, row in enumerate(json.loads(path.read_text(encoding="utf-8"))):
        item = _item(
            row["title"], row["outlet"], f"e{n}", domain=row["domain"], lead=row["lead"],
            text=row["text"], hours_ago=row["hours_ago"], language=row["language"],
        )
        out.append(Labelled(item, row["event"], row["topic"]))
    return out


def _item(
    title: str, outlet: str, key: str, *, domain: str = "", lead: str = "", text: str = "",
    hours_ago: float = 1.0, language: str | None = "en",
) -> NewsItem:
    url = f"https://{domain or 'news.example'}/{key}"
    return NewsItem(
        title=title, url=url, canonical=url, outlet=outlet or domain, outlet_domain=domain,
        published=NOW - timedelta(hours=hours_ago), lead=lead, text=text,
        source_kind="feed", language=language,
    )


# --- methods -------------------------------------------------------------------------------

Method = Callable[[Sequence[NewsItem], str], list[list[NewsItem]]]


def newsbot(items: Sequence[NewsItem], topic: str) -> list[list[NewsItem]]:
    stories = merge_related([make_story(g, topic=topic) for g in cluster(items, topic=topic)],
                            topic=topic)
    return [list(s.items) for s in stories]


_PLAIN_WORD = re.compile(r"\w+")


def tfidf_titles(threshold: float) -> Method:
    """Plain TF-IDF of title words, cosine, average link at `threshold`."""

    def run(items: Sequence[NewsItem], topic: str) -> list[list[NewsItem]]:
        docs = [Counter(_PLAIN_WORD.findall(item.title.lower())) for item in items]
        vocab = {w: i for i, w in enumerate(sorted({w for d in docs for w in d}))}
        df = Counter(w for d in docs for w in d)
        n = len(docs)
        matrix = np.zeros((n, max(len(vocab), 1)))
        for row, doc in enumerate(docs):
            for word, count in doc.items():
                matrix[row, vocab[word]] = count * (math.log((1 + n) / (1 + df[word])) + 1)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        matrix /= norms
        return [[items[i] for i in g] for g in average_link(matrix @ matrix.T, threshold)]

    return run


# --- scoring -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Score:
    precision: float
    recall: float
    f1: float
    clusters: int
    millis: float


def bcubed(clusters: Sequence[Sequence[str]]) -> tuple[float, float, float]:
    """B-cubed precision, recall, F1 of clusters given as lists of true labels."""
    label_total: Counter[str] = Counter(label for c in clusters for label in c)
    precision = recall = 0.0
    n = sum(label_total.values())
    for c in clusters:
        counts = Counter(c)
        for label, k in counts.items():
            precision += k * k / len(c)
            recall += k * k / label_total[label]
    precision /= n
    recall /= n
    return precision, recall, 2 * precision * recall / (precision + recall)


def evaluate(method: Method, data: Sequence[Labelled]) -> Score:
    by_topic: defaultdict[str, list[Labelled]] = defaultdict(list)
    for row in data:
        by_topic[row.topic].append(row)
    label = {id(row.item): row.label for row in data}
    clusters: list[list[str]] = []
    start = time.process_time()
    for rows in by_topic.values():
        for group in method([r.item for r in rows], rows[0].topic):
            clusters.append([label[id(item)] for item in group])
    millis = 1000 * (time.process_time() - start)
    p, r, f = bcubed(clusters)
    return Score(p, r, f, len(clusters), millis)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()

    sets = {
        "(a) Google News groups": google_groups(args.data / GOOGLE_FEED, seed=args.seed),
        "(b) multi-outlet events": fixture_events(EVENTS),
    }
    google = sets["(a) Google News groups"]
    best = max(BASELINE_THRESHOLDS, key=lambda t: evaluate(tfidf_titles(t), google).f1)
    methods: dict[str, Method] = {
        f"TF-IDF titles (threshold {best:g})": tfidf_titles(best),
        "newsbot": newsbot,
    }
    figures: dict[str, dict[str, dict[str, float]]] = {}
    print("| set | items | events | method | B³ precision | B³ recall | B³ F1 | clusters | ms |")
    print("|---|---|---|---|---|---|---|---|---|")
    for set_name, data in sets.items():
        events = len({row.label for row in data})
        for method_name, method in methods.items():
            s = evaluate(method, data)
            print(f"| {set_name} | {len(data)} | {events} | {method_name} | {s.precision:.3f} "
                  f"| {s.recall:.3f} | {s.f1:.3f} | {s.clusters} | {s.millis:.0f} |")
            key = "newsbot" if method_name == "newsbot" else "baseline"
            figures.setdefault(set_name[:3], {})[key] = {
                "precision": round(s.precision, 4), "recall": round(s.recall, 4),
                "f1": round(s.f1, 4), "clusters": s.clusters,
            }
    print(json.dumps({"baseline_threshold": best, **figures}))


if __name__ == "__main__":
    main()
