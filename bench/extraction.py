"""Score newsbot's article extraction against plain trafilatura on every visible page set.

    uv run python bench/extraction.py [--data DIR ...] [--bootstrap 1000] [--repeat 3] [--worst 10]

Sets (found under ../shared/datasets, or given with --data, which may repeat; the kind of a
set is told from its layout):
- article-extraction-benchmark: 181 news pages with reference bodies (`ground-truth.json`).
  Its README's metric: 4-word shingles of `\\w+` tokens, TP/FP/FN per page normalised by
  TP+FP+FN, precision averaged over pages with output, recall over all pages (no output =
  0), F1 the harmonic mean of the two means.
- readability-test-pages: 130 pages (news in several languages, blogs, docs) with
  Readability.js's reviewed output (`pages/<name>/expected.html`). Its README's metric:
  token-level F1 between the extracted text and the text of expected.html (tags stripped,
  whitespace-tokenized, bag of words), averaged over pages; precision and recall are the
  per-page figures averaged the same way (no output: 0 for all three).
± is a bootstrap standard deviation over pages. Both extractors run on the same page back to
back, so a busy machine slows both alike; ms/page is the thread's CPU time (wall time is
also given). Prints one table per set; the LAST line is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import random
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere

import lxml.html  # noqa: E402
import trafilatura  # noqa: E402

from bot.errors import ExtractionError  # noqa: E402
from bot.extract import extract_article  # noqa: E402

SET_NAMES = ("article-extraction-benchmark", "readability-test-pages")
_WORD = re.compile(r"\w+")
SHINGLE = 4


# --- the metrics ---------------------------------------------------------------------------


def shingles(text: str) -> Counter[tuple[str, ...]]:
    """Multiset of overlapping 4-word shingles; 1–3 words make one shorter shingle."""
    tokens = _WORD.findall(text or "")
    if not tokens:
        return Counter()
    if len(tokens) < SHINGLE:
        return Counter([tuple(tokens)])
    return Counter(tuple(tokens[i : i + SHINGLE]) for i in range(len(tokens) - SHINGLE + 1))


@dataclass(frozen=True, slots=True)
class PageScore:
    tp: float  # normalised by TP+FP+FN, so that every page weighs the same
    fp: float
    fn: float
    has_output: bool
    exact: bool

    @property
    def precision(self) -> float:
        if self.fp == 0 and self.fn == 0:
            return 1.0
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        if not self.has_output:
            return 0.0
        if self.fp == 0 and self.fn == 0:
            return 1.0
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


# Shingles (tuples of words) for the page set, single words for the readability set.
_Token = TypeVar("_Token", str, tuple[str, ...])


def score_page(expected: str, extracted: str) -> PageScore:
    """The shingle score of the 181-page benchmark."""
    want, got = shingles(expected), shingles(extracted)
    return _counts(want, got, exact=_WORD.findall(expected) == _WORD.findall(extracted or ""))


def score_tokens(expected: str, extracted: str) -> PageScore:
    """The readability set's score: whitespace tokens as a bag of words."""
    want, got = Counter(expected.split()), Counter((extracted or "").split())
    return _counts(want, got, exact=expected.split() == (extracted or "").split())


def _counts(want: Counter[_Token], got: Counter[_Token], *, exact: bool) -> PageScore:
    tp = sum((want & got).values())
    fp = sum(got.values()) - tp
    fn = sum(want.values()) - tp
    total = tp + fp + fn or 1
    return PageScore(tp=tp / total, fp=fp / total, fn=fn / total, has_output=bool(got), exact=exact)


@dataclass(frozen=True, slots=True)
class Scores:
    f1: float
    precision: float
    recall: float
    accuracy: float


def aggregate(pages: list[PageScore], per_page_f1: bool = False) -> Scores:
    """Means over pages. F1: the harmonic mean of the means (the 181-page benchmark's
    definition), or with `per_page_f1` the mean of each page's F1 (the readability set's)."""
    if not pages:
        return Scores(0.0, 0.0, 0.0, 0.0)
    accuracy = statistics.fmean(p.exact for p in pages)
    if per_page_f1:
        return Scores(
            statistics.fmean(p.f1 if p.has_output else 0.0 for p in pages),
            statistics.fmean(p.precision if p.has_output else 0.0 for p in pages),
            statistics.fmean(p.recall for p in pages),
            accuracy,
        )
    with_output = [p.precision for p in pages if p.has_output]
    precision = statistics.fmean(with_output) if with_output else 0.0
    recall = statistics.fmean(p.recall for p in pages)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(f1, precision, recall, accuracy)


def bootstrap(pages: list[PageScore], rounds: int, per_page_f1: bool = False) -> Scores:
    """Standard deviation of each metric over `rounds` resamples of the pages."""
    if rounds < 2:
        return Scores(0.0, 0.0, 0.0, 0.0)
    rng = random.Random(0)
    samples = [aggregate(rng.choices(pages, k=len(pages)), per_page_f1) for _ in range(rounds)]
    return Scores(
        *(statistics.stdev(getattr(s, f) for s in samples) for f in Scores.__slots__)
    )


# --- the sets ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Page:
    key: str
    url: str
    html: str
    expected: str


@dataclass
class PageSet:
    name: str
    pages: list[Page]
    score: Callable[[str, str], PageScore]
    per_page_f1: bool
    metric: str


def load(data: Path) -> PageSet:
    """A set of pages in either layout (see the module docstring)."""
    if (data / "ground-truth.json").exists():
        return load_benchmark(data)
    if (data / "pages").is_dir():
        return load_readability(data)
    raise FileNotFoundError(f"no page set at {data}")


def load_benchmark(data: Path) -> PageSet:
    truth = json.loads((data / "ground-truth.json").read_text(encoding="utf-8"))
    pages = [
        Page(
            key,
            item["url"],
            gzip.decompress((data / "html" / f"{key}.html.gz").read_bytes()).decode("utf-8"),
            item["articleBody"],
        )
        for key, item in sorted(truth.items())
    ]
    return PageSet(data.name, pages, score_page, False, "4-word shingles")


def load_readability(data: Path) -> PageSet:
    pages = []
    for folder in sorted(p for p in (data / "pages").iterdir() if p.is_dir()):
        source, expected = folder / "source.html", folder / "expected.html"
        if not (source.exists() and expected.exists()):
            continue
        html = source.read_text(encoding="utf-8", errors="replace")
        # "tags stripped": the text of the reference's elements, as lxml gives it
        reference = lxml.html.fromstring(expected.read_text(encoding="utf-8")).text_content()
        # Readability's tests run every page at this address; relative links resolve to it.
        pages.append(Page(folder.name, "http://fakehost/test/page.html", html, reference))
    return PageSet(data.name, pages, score_tokens, True, "token F1")


def default_sets() -> list[Path]:
    """The visible sets under the nearest ancestor's shared/datasets."""
    for parent in ROOT.parents:
        datasets = parent / "shared" / "datasets"
        if datasets.is_dir():
            return [datasets / n for n in SET_NAMES if (datasets / n).is_dir()]
    return []


# --- the run -------------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    pages: list[PageScore] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # seconds of this thread's CPU per page
    wall: list[float] = field(default_factory=list)  # seconds of wall time per page

    def row(self, rounds: int, per_page_f1: bool) -> dict[str, float | str]:
        s = aggregate(self.pages, per_page_f1)
        sd = bootstrap(self.pages, rounds, per_page_f1)
        return {
            "extractor": self.name,
            "f1": round(s.f1, 4),
            "f1_sd": round(sd.f1, 4),
            "precision": round(s.precision, 4),
            "precision_sd": round(sd.precision, 4),
            "recall": round(s.recall, 4),
            "recall_sd": round(sd.recall, 4),
            "accuracy": round(s.accuracy, 4),
            "ms_mean": round(1000 * statistics.fmean(self.cpu), 2),
            "ms_median": round(1000 * statistics.median(self.cpu), 2),
            "wall_ms_mean": round(1000 * statistics.fmean(self.wall), 2),
            "wall_ms_median": round(1000 * statistics.median(self.wall), 2),
        }


def ours(html: str, url: str) -> str:
    try:
        return extract_article(html, url=url).text
    except ExtractionError:
        return ""


def plain_trafilatura(html: str, url: str) -> str:
    return trafilatura.extract(html) or ""


EXTRACTORS: dict[str, Callable[[str, str], str]] = {
    "newsbot extract_article": ours,
    "trafilatura.extract": plain_trafilatura,
}


def run(
    page_set: PageSet,
    extractors: dict[str, Callable[[str, str], str]],
    repeat: int = 1,
) -> list[Result]:
    results = {name: Result(name) for name in extractors}
    for page in page_set.pages:
        for name, extract in extractors.items():
            # CPU time of this thread is what extraction costs; wall time on a shared
            # machine also counts whoever else got the core meanwhile. With --repeat,
            # the fastest of the runs (as timeit does): slower ones measured the neighbours.
            cpu_times, wall_times = [], []
            for _ in range(max(1, repeat)):
                cpu, wall = time.thread_time(), time.perf_counter()
                text = extract(page.html, page.url)
                cpu_times.append(time.thread_time() - cpu)
                wall_times.append(time.perf_counter() - wall)
            results[name].cpu.append(min(cpu_times))
            results[name].wall.append(min(wall_times))
            results[name].pages.append(page_set.score(page.expected, text))
    return list(results.values())


def print_table(page_set: PageSet, rows: Sequence[dict[str, float | str]]) -> None:
    print(f"\n{page_set.name}: {len(page_set.pages)} pages, {page_set.metric}")
    print(
        f"{'extractor':<26} {'F1':>15} {'precision':>15} {'recall':>15} "
        f"{'accuracy':>8} {'ms mean':>8} {'ms median':>9} {'wall median':>11}"
    )
    for r in rows:
        print(
            f"{r['extractor']:<26} {r['f1']:.3f} ± {r['f1_sd']:.3f}   "
            f"{r['precision']:.3f} ± {r['precision_sd']:.3f}   "
            f"{r['recall']:.3f} ± {r['recall_sd']:.3f}   {r['accuracy']:>8.3f} "
            f"{r['ms_mean']:>8.1f} {r['ms_median']:>9.1f} {r['wall_ms_median']:>11.1f}"
        )


def print_worst(result: Result, page_set: PageSet, n: int) -> None:
    """The pages that cost the most precision and recall (for tuning)."""
    indexed = list(zip(result.pages, page_set.pages, strict=True))
    for label in ("precision", "recall"):
        print(f"\nworst {n} by {label} ({result.name}, {page_set.name}):")
        for score, page in sorted(indexed, key=lambda x: getattr(x[0], label))[:n]:
            print(f"  P={score.precision:.3f} R={score.recall:.3f}  {page.key} {page.url[:90]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, action="append", help="a page set (repeatable; default: all visible)"
    )
    parser.add_argument("--bootstrap", type=int, default=1000, help="resamples for ± (0: off)")
    parser.add_argument("--worst", type=int, default=0, help="list the N worst pages of ours")
    parser.add_argument("--limit", type=int, default=0, help="only the first N pages of each set")
    parser.add_argument(
        "--repeat", type=int, default=1, help="time each page N times, keep the fastest"
    )
    args = parser.parse_args(argv)
    folders = args.data or default_sets()
    if not folders:
        print("no page sets found under shared/datasets (use --data)", file=sys.stderr)
        return 2
    try:
        sets = [load(folder) for folder in folders]
    except FileNotFoundError as exc:
        print(exc, file=sys.stderr)
        return 2
    logging.disable(logging.WARNING)  # trafilatura logs every page it gives up on

    figures: dict[str, object] = {"repeat": args.repeat, "sets": {}}
    print(f"timing: fastest of {args.repeat}; ms: CPU time per page (this thread)")
    for page_set in sets:
        if args.limit:
            page_set.pages = page_set.pages[: args.limit]
        if not page_set.pages:
            continue
        # Warm-up: imports, compiled XPaths and regexes should not be charged to page one.
        for extract in EXTRACTORS.values():
            extract(page_set.pages[0].html, page_set.pages[0].url)
        results = run(page_set, EXTRACTORS, repeat=args.repeat)
        rows = [r.row(args.bootstrap, page_set.per_page_f1) for r in results]
        print_table(page_set, rows)
        if args.worst:
            print_worst(results[0], page_set, args.worst)
        figures["sets"][page_set.name] = {  # type: ignore[index]
            "pages": len(page_set.pages),
            "metric": page_set.metric,
            "results": rows,
        }
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
