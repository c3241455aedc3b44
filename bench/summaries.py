"""Score the extractive summarizer against journalists' highlights, beside Lead-3.

    uv run python bench/summaries.py [--data PATH] [--limit N]

Reads ../shared/datasets/cnndm-frank200 (200 CNN/DailyMail articles with their highlight
bullets; see its README) and reports ROUGE-1/2/Lsum F1 x 100 (`rouge-score`,
use_stemmer=True; Lsum over newline-joined sentences) for our extractive summarizer and for
Lead-3 (the first three sentences by our splitter) in the same run. The weights were tuned
on items 1-100 only, so the table also shows items 101-200 as a held-out check.
The last line printed is one JSON object with the figures. Not run in CI.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rouge_score import rouge_scorer

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.summarize.extractive import select_points  # noqa: E402
from bot.summarize.sentences import split_sentences  # noqa: E402


def _default_data() -> Path:
    """../shared beside the checkout; from a git worktree, beside the main checkout."""
    checkouts = [REPO]
    dotgit = REPO / ".git"
    if dotgit.is_file():  # a worktree: ".git" says "gitdir: <main>/.git/worktrees/<name>"
        gitdir = Path(dotgit.read_text(encoding="utf-8").split(":", 1)[1].strip())
        checkouts.append(gitdir.resolve().parents[2])
    for checkout in checkouts:
        candidate = checkout.parent / "shared" / "datasets" / "cnndm-frank200"
        if candidate.exists():
            return candidate
    return checkouts[-1].parent / "shared" / "datasets" / "cnndm-frank200"


DEFAULT_DATA = _default_data()
METRICS = ("rouge1", "rouge2", "rougeLsum")
TUNED_ON = 100  # items [0, 100) were used to choose the weights


@dataclass(frozen=True)
class Item:
    text: str
    references: list[str]


@dataclass
class Run:
    name: str
    scores: list[dict[str, float]]
    points: list[int]
    words: list[int]
    millis: list[float]

    def mean(self, metric: str, part: slice = slice(None)) -> float:
        return 100 * statistics.fmean(s[metric] for s in self.scores[part])


def load(path: Path, limit: int | None) -> list[Item]:
    file = path / "data.jsonl" if path.is_dir() else path
    items = []
    with file.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                items.append(Item(row["text"], row["reference_points"]))
    return items[:limit] if limit else items


def lead3(text: str) -> list[str]:
    return split_sentences(text)[:3]


def evaluate(name: str, summarize: Callable[[str], list[str]], items: Sequence[Item]) -> Run:
    scorer = rouge_scorer.RougeScorer(list(METRICS), use_stemmer=True)
    run = Run(name, [], [], [], [])
    for item in items:
        # CPU time, not wall time: the figure should not depend on what else the box runs.
        started = time.process_time()
        points = summarize(item.text)
        run.millis.append((time.process_time() - started) * 1000)
        result = scorer.score("\n".join(item.references), "\n".join(points))
        run.scores.append({m: result[m].fmeasure for m in METRICS})
        run.points.append(len(points))
        run.words.append(sum(len(p.split()) for p in points))
    return run


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="dataset dir or jsonl")
    parser.add_argument("--limit", type=int, default=None, help="score only the first N items")
    args = parser.parse_args(argv)
    if not args.data.exists():
        parser.error(f"no dataset at {args.data}")
    items = load(args.data, args.limit)

    runs = [
        evaluate("lead-3", lead3, items),
        evaluate("extractive", lambda text: select_points(text), items),
    ]
    n = len(items)
    parts = [("all", slice(None))]
    if n > TUNED_ON:
        parts.append((f"1-{TUNED_ON} (tuning)", slice(0, TUNED_ON)))
        parts.append((f"{TUNED_ON + 1}-{n}", slice(TUNED_ON, n)))

    print(f"ROUGE F1 x 100 on {n} CNN/DailyMail articles (rouge-score, use_stemmer=True)\n")
    print(
        f"{'method':<12} {'items':<16} {'R-1':>6} {'R-2':>6} {'R-Lsum':>7} "
        f"{'points':>6} {'words':>6} {'cpu ms':>7} {'ms p95':>7}"
    )
    for label, part in parts:
        for run in runs:
            millis = sorted(run.millis[part])
            p95 = millis[min(len(millis) - 1, int(0.95 * len(millis)))]
            print(
                f"{run.name:<12} {label:<16} {run.mean('rouge1', part):6.2f} "
                f"{run.mean('rouge2', part):6.2f} {run.mean('rougeLsum', part):7.2f} "
                f"{statistics.fmean(run.points[part]):6.2f} "
                f"{statistics.fmean(run.words[part]):6.1f} "
                f"{statistics.fmean(millis):7.2f} {p95:7.2f}"
            )
    figures = {
        "items": n,
        **{
            run.name: {
                "rouge1": round(run.mean("rouge1"), 2),
                "rouge2": round(run.mean("rouge2"), 2),
                "rougeLsum": round(run.mean("rougeLsum"), 2),
                "points": round(statistics.fmean(run.points), 2),
                "ms_mean": round(statistics.fmean(run.millis), 3),
            }
            for run in runs
        },
    }
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
