"""Score newsbot's article extraction against plain trafilatura on every visible page set.

    uv run python bench/extraction.py [--data DIR ...] [--against REV] [--bootstrap 1000]
                                      [--repeat 3] [--worst 10]

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
± is a bootstrap standard deviation over pages. Every extractor runs on the same page back
to back, so a busy machine slows all alike; ms/page is the thread's CPU time (wall time is
also given). `--against REV` adds newsbot's extractor as it was at git revision REV (its
`bot/` package, exported to a temporary directory and run in a child process that times
itself the same way), so a change is compared with the version before it in one run.

Every set is also split in two halves by a hash of each page's name: `tune` (the pages a
change may be looked at and tuned on; `--worst` lists only those) and `check` (held out:
a rule that helps only on the tune half is fitted to its pages, not general).
Prints one table per set; the LAST line is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import logging
import random
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TypeVar

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
    return Scores(*(statistics.stdev(getattr(s, f) for s in samples) for f in Scores.__slots__))


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

HALVES = ("tune", "check")


def half(key: str) -> str:
    """`tune` or `check`, fixed per page name (a hash, so adding pages moves none)."""
    return HALVES[hashlib.sha256(key.encode("utf-8")).digest()[0] % 2]


@dataclass
class Result:
    name: str
    pages: list[PageScore] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # seconds of this thread's CPU per page
    wall: list[float] = field(default_factory=list)  # seconds of wall time per page

    def row(self, rounds: int, per_page_f1: bool, halves: Sequence[str]) -> dict[str, object]:
        s = aggregate(self.pages, per_page_f1)
        sd = bootstrap(self.pages, rounds, per_page_f1)
        row: dict[str, object] = {
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
        for name in HALVES:
            part = [p for p, h in zip(self.pages, halves, strict=True) if h == name]
            h = aggregate(part, per_page_f1)
            row[name] = {
                "pages": len(part),
                "f1": round(h.f1, 4),
                "precision": round(h.precision, 4),
                "recall": round(h.recall, 4),
            }
        return row


# An extractor: (html, url, repeat) -> (text, fastest CPU seconds, fastest wall seconds).
Timed = Callable[[str, str, int], tuple[str, float, float]]


def ours(html: str, url: str) -> str:
    try:
        return extract_article(html, url=url).text
    except ExtractionError:
        return ""


def plain_trafilatura(html: str, url: str) -> str:
    return trafilatura.extract(html) or ""


def timed(extract: Callable[[str, str], str]) -> Timed:
    """Time an in-process extractor. CPU time of this thread is what extraction costs;
    wall time on a shared machine also counts whoever else got the core meanwhile. With
    repeat > 1, the fastest of the runs (as timeit does): slower ones measured neighbours."""

    def run_timed(html: str, url: str, repeat: int) -> tuple[str, float, float]:
        text, best_cpu, best_wall = "", float("inf"), float("inf")
        for _ in range(max(1, repeat)):
            cpu, wall = time.thread_time(), time.perf_counter()
            text = extract(html, url)
            best_cpu = min(best_cpu, time.thread_time() - cpu)
            best_wall = min(best_wall, time.perf_counter() - wall)
        return text, best_cpu, best_wall

    return run_timed


# The child process that runs an older revision's extract_article: one JSON job per line
# in, one JSON answer per line out, timed inside the child exactly as timed() does.
_WORKER = """
import json, logging, sys, time
sys.path.insert(0, sys.argv[1])
logging.disable(logging.WARNING)
from bot.errors import ExtractionError
from bot.extract import extract_article
for line in sys.stdin:
    job = json.loads(line)
    text, best_cpu, best_wall = "", float("inf"), float("inf")
    for _ in range(max(1, job["repeat"])):
        cpu, wall = time.thread_time(), time.perf_counter()
        try:
            text = extract_article(job["html"], url=job["url"]).text
        except ExtractionError:
            text = ""
        best_cpu = min(best_cpu, time.thread_time() - cpu)
        best_wall = min(best_wall, time.perf_counter() - wall)
    print(json.dumps({"text": text, "cpu": best_cpu, "wall": best_wall}), flush=True)
"""


class Revision:
    """newsbot's extract_article as it was at a git revision (None: this working tree), in a
    child process. With --against both newsbot rows run in children: in this process, whose
    heap holds every page and score, the same code measured ~0.2 ms a page slower."""

    def __init__(self, rev: str | None) -> None:
        self.rev = rev or "working tree"
        self._dir = tempfile.TemporaryDirectory(prefix="newsbot-bench-")
        source = str(ROOT)
        if rev is not None:
            archive = subprocess.run(
                ["git", "-C", str(ROOT), "archive", "--format=tar", rev, "bot"],
                check=True,
                capture_output=True,
            ).stdout
            with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
                tar.extractall(self._dir.name, filter="data")
            source = self._dir.name
        self._child = subprocess.Popen(
            [sys.executable, "-c", _WORKER, source],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            cwd=self._dir.name,
        )

    def __call__(self, html: str, url: str, repeat: int) -> tuple[str, float, float]:
        stdin, stdout = self._pipes()
        stdin.write(json.dumps({"html": html, "url": url, "repeat": repeat}) + "\n")
        stdin.flush()
        answer = stdout.readline()
        if not answer:
            raise RuntimeError(f"the extractor at {self.rev} stopped")
        reply = json.loads(answer)
        return reply["text"], reply["cpu"], reply["wall"]

    def _pipes(self) -> tuple[IO[str], IO[str]]:
        assert self._child.stdin is not None and self._child.stdout is not None
        return self._child.stdin, self._child.stdout

    def close(self) -> None:
        stdin, _ = self._pipes()
        stdin.close()
        self._child.wait(timeout=30)
        self._dir.cleanup()


def run(page_set: PageSet, extractors: dict[str, Timed], repeat: int = 1) -> list[Result]:
    results = {name: Result(name) for name in extractors}
    for page in page_set.pages:
        for name, extract in extractors.items():
            text, cpu, wall = extract(page.html, page.url, repeat)
            results[name].cpu.append(cpu)
            results[name].wall.append(wall)
            results[name].pages.append(page_set.score(page.expected, text))
    return list(results.values())


def print_table(page_set: PageSet, rows: Sequence[dict[str, object]]) -> None:
    print(f"\n{page_set.name}: {len(page_set.pages)} pages, {page_set.metric}")
    print(
        f"{'extractor':<30} {'F1':>15} {'precision':>15} {'recall':>15} "
        f"{'accuracy':>8} {'ms mean':>8} {'ms median':>9} {'wall median':>11}"
    )
    for r in rows:
        print(
            f"{r['extractor']:<30} {r['f1']:.3f} ± {r['f1_sd']:.3f}   "
            f"{r['precision']:.3f} ± {r['precision_sd']:.3f}   "
            f"{r['recall']:.3f} ± {r['recall_sd']:.3f}   {r['accuracy']:>8.3f} "
            f"{r['ms_mean']:>8.1f} {r['ms_median']:>9.1f} {r['wall_ms_median']:>11.1f}"
        )
    tune, check = (rows[0][h] for h in HALVES)
    print(
        f"{'by half':<30} {'tune (' + str(tune['pages']) + ' pages)':>24}"  # type: ignore[index]
        f"   {'check (' + str(check['pages']) + ' pages, held out)':>32}"  # type: ignore[index]
    )
    print(f"{'extractor':<30} {'F1':>7} {'P':>7} {'R':>7}   {'F1':>7} {'P':>7} {'R':>7}")
    for r in rows:
        cells = [r[h][m] for h in HALVES for m in ("f1", "precision", "recall")]  # type: ignore[index]
        print(
            f"{r['extractor']:<30} "
            + "   ".join(" ".join(f"{c:>7.3f}" for c in cells[i : i + 3]) for i in (0, 3))
        )


def print_worst(results: list[Result], page_set: PageSet, n: int) -> None:
    """The tune-half pages that cost ours the most, alone and against plain trafilatura
    (the check half is never listed: it stays unseen)."""
    ours_result, plain_result = results[0], results[-1]
    indexed = [
        (mine, plain, page)
        for mine, plain, page in zip(
            ours_result.pages, plain_result.pages, page_set.pages, strict=True
        )
        if half(page.key) == "tune"
    ]
    orders: dict[str, Callable[[tuple[PageScore, PageScore, Page]], float]] = {
        "precision": lambda x: x[0].precision,
        "recall": lambda x: x[0].recall,
        "recall below plain": lambda x: x[0].recall - x[1].recall,
        "precision below plain": lambda x: x[0].precision - x[1].precision,
    }
    for label, order in orders.items():
        print(f"\nworst {n} tune pages by {label} ({page_set.name}; ours / plain):")
        for mine, plain, page in sorted(indexed, key=order)[:n]:
            print(
                f"  P={mine.precision:.3f}/{plain.precision:.3f} "
                f"R={mine.recall:.3f}/{plain.recall:.3f}  {page.key[:40]} {page.url[:70]}"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, action="append", help="a page set (repeatable; default: all visible)"
    )
    parser.add_argument(
        "--against",
        metavar="REV",
        help="also run newsbot's extractor as of this git revision (e.g. c6e3b84)",
    )
    parser.add_argument("--bootstrap", type=int, default=1000, help="resamples for ± (0: off)")
    parser.add_argument("--worst", type=int, default=0, help="list the N worst tune pages of ours")
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

    extractors: dict[str, Timed] = {"newsbot extract_article": timed(ours)}
    revision = current = None
    if args.against:
        try:
            revision = Revision(args.against)
            current = Revision(None)
        except subprocess.CalledProcessError as exc:
            print(
                f"cannot export bot/ at {args.against}: {exc.stderr.decode().strip()}",
                file=sys.stderr,
            )
            return 2
        extractors["newsbot extract_article"] = current
        extractors[f"newsbot at {args.against}"] = revision
    extractors["trafilatura.extract"] = timed(plain_trafilatura)

    figures: dict[str, object] = {"repeat": args.repeat, "against": args.against, "sets": {}}
    print(f"timing: fastest of {args.repeat}; ms: CPU time per page (the extracting thread)")
    try:
        for page_set in sets:
            if args.limit:
                page_set.pages = page_set.pages[: args.limit]
            if not page_set.pages:
                continue
            # Warm-up: imports, compiled XPaths and regexes are not charged to page one.
            for extract in extractors.values():
                extract(page_set.pages[0].html, page_set.pages[0].url, 1)
            results = run(page_set, extractors, repeat=args.repeat)
            halves = [half(page.key) for page in page_set.pages]
            rows = [r.row(args.bootstrap, page_set.per_page_f1, halves) for r in results]
            print_table(page_set, rows)
            if args.worst:
                print_worst(results, page_set, args.worst)
            figures["sets"][page_set.name] = {  # type: ignore[index]
                "pages": len(page_set.pages),
                "metric": page_set.metric,
                "results": rows,
            }
    finally:
        for child in (current, revision):
            if child is not None:
                child.close()
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
