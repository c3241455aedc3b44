"""How faithful the model path is: (a) the guard alone, (b) the whole LLM path.

    uv run python bench/faithfulness.py [--pairs PATH] [--data PATH] [--limit N]

(a) The guard on labelled point/source pairs (bench/faithfulness_pairs.jsonl): faithful
    rewordings that must be kept (acronyms, number words, Roman numerals, demonyms,
    hyphenation, fractions, clock times, hedged rounding, voice, attribution, Ukrainian,
    German, a Ukrainian point on an English source) and unfaithful points that must be
    dropped (swapped numbers, wrong country, reversed relation, invented death, invented
    source, hundreds→thousands, the same in Ukrainian and German). Each pair goes through
    `check_grounded` as production runs it, the point citing its source's sentences. The
    pairs are split in two: the guard was tuned looking only at the "tune" half; the
    "heldout" half was run once, at the end, and is reported as it came out. Baseline in
    the same run: the guard as it was before grounding (numbers and names against the
    whole text), read from git at BASELINE_COMMIT. Targets: >= 95 % of faithful kept,
    >= 90 % of unfaithful dropped.

(b) With OPENAI_BASE_URL set (and OPENAI_MODEL, OPENAI_API_KEY as the bot reads them), the
    whole LLM path on the first N (default 20) articles of ../shared/datasets/cnndm-frank200:
    ROUGE-1/2/Lsum of the guarded LLM points, the extractive summarizer and Lead-3 against
    the journalists' highlights in the same run, the share of the model's points that the
    sentences they cite support (the guard's verdict on the raw draft), how many summaries
    fell back, model calls and seconds per article. Without OPENAI_BASE_URL it is skipped
    with the reason printed.

Prints tables; the last line is one JSON object with the figures. Not run in CI.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
import types
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.summarize.grounding import GroundedPoint, Numbered  # noqa: E402
from bot.summarize.guard import check_grounded  # noqa: E402

DEFAULT_PAIRS = REPO / "bench" / "faithfulness_pairs.jsonl"
DEFAULT_DATA = REPO.parent / "shared" / "datasets" / "cnndm-frank200"
BASELINE_COMMIT = "200c845"  # main before grounded points: the guard of issue 14's report
METRICS = ("rouge1", "rouge2", "rougeLsum")


# -- (a) the guard alone ----------------------------------------------------------------------
def load_pairs(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def grounded_guard(pair: dict[str, Any]) -> bool:
    """True if the current guard keeps the pair's point."""
    numbered = Numbered.from_text(pair["source"])
    article_language = "en" if pair["kind"] == "uk-cross" else pair["lang"]
    result = check_grounded(
        [GroundedPoint(pair["point"], tuple(s.number for s in numbered.sentences))],
        numbered,
        point_language=pair["lang"],
        article_language=article_language,
    )
    return result.dropped_points == 0


def baseline_guard() -> Callable[[dict[str, Any]], bool] | None:
    """The pre-grounding guard, loaded from git (None outside a git checkout)."""
    try:
        source = subprocess.run(
            ["git", "-C", str(REPO), "show", f"{BASELINE_COMMIT}:bot/summarize/guard.py"],
            capture_output=True, text=True, check=True, timeout=30,
        ).stdout  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    module = types.ModuleType("baseline_guard")
    sys.modules["baseline_guard"] = module  # dataclasses look their module up there
    exec(compile(source, "baseline_guard.py", "exec"), module.__dict__)

    def keeps(pair: dict[str, Any]) -> bool:
        article_language = "en" if pair["kind"] == "uk-cross" else pair["lang"]
        result = module.check_points(
            [pair["point"]],
            pair["source"],
            point_language=pair["lang"],
            article_language=article_language,
        )
        return not result.dropped

    return keeps


def rates(
    pairs: Sequence[dict[str, Any]], keeps: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    faithful = [p for p in pairs if p["label"] == "faithful"]
    unfaithful = [p for p in pairs if p["label"] == "unfaithful"]
    kept = sum(keeps(p) for p in faithful)
    dropped = sum(not keeps(p) for p in unfaithful)
    return {
        "faithful": len(faithful),
        "unfaithful": len(unfaithful),
        "kept_faithful": round(100 * kept / len(faithful), 1) if faithful else None,
        "dropped_unfaithful": round(100 * dropped / len(unfaithful), 1) if unfaithful else None,
        "misses": [p["point"] for p in faithful if not keeps(p)]
        + [p["point"] for p in unfaithful if keeps(p)],
    }


def part_a(pairs: list[dict[str, Any]]) -> dict[str, Any]:
    guards: dict[str, Callable[[dict[str, Any]], bool]] = {"grounded": grounded_guard}
    baseline = baseline_guard()
    if baseline is not None:
        guards[f"before ({BASELINE_COMMIT})"] = baseline
    print(f"(a) the guard alone on {len(pairs)} labelled pairs "
          f"({Counter(p['label'] for p in pairs)['faithful']} faithful, "
          f"{Counter(p['label'] for p in pairs)['unfaithful']} unfaithful)\n")  # fmt: skip
    print(f"{'guard':<18} {'pairs':<9} {'faithful':>8} {'kept %':>7} {'unfaithful':>10} "
          f"{'dropped %':>9}")  # fmt: skip
    figures: dict[str, Any] = {}
    for name, keeps in guards.items():
        for split in ("tune", "heldout", "all"):
            chosen = [p for p in pairs if split == "all" or p["split"] == split]
            r = rates(chosen, keeps)
            figures[f"{name}:{split}"] = r
            print(f"{name:<18} {split:<9} {r['faithful']:>8} {r['kept_faithful']:>7} "
                  f"{r['unfaithful']:>10} {r['dropped_unfaithful']:>9}")  # fmt: skip
    print("\nby kind (grounded guard, all pairs): share handled right")
    by_kind: dict[str, list[bool]] = defaultdict(list)
    for p in pairs:
        right = grounded_guard(p) == (p["label"] == "faithful")
        by_kind[f"{p['label'][:5]}/{p['kind']}"].append(right)
    for kind, results in sorted(by_kind.items()):
        print(f"  {kind:<32} {sum(results)}/{len(results)}")
    misses = figures["grounded:all"]["misses"]
    if misses:
        print("\nmisclassified by the grounded guard:")
        for point in misses:
            print(f"  - {point}")
    return {
        key: {k: v for k, v in value.items() if k != "misses"} for key, value in figures.items()
    }


# -- (b) the whole LLM path ----------------------------------------------------------------------
def part_b(data: Path, limit: int) -> dict[str, Any] | None:
    base_url = os.environ.get("OPENAI_BASE_URL")
    if not base_url:
        print("\n(b) skipped: OPENAI_BASE_URL is not set, so there is no model to run "
              "(set it, and OPENAI_MODEL, to an OpenAI-compatible endpoint to measure the "
              "whole LLM path).")  # fmt: skip
        return None
    if not data.exists():
        print(f"\n(b) skipped: no dataset at {data}")
        return None
    return asyncio.run(_part_b(data, limit))


async def _part_b(data: Path, limit: int) -> dict[str, Any]:
    from rouge_score import rouge_scorer

    from bot.article import Article
    from bot.config import Settings
    from bot.summarize.extractive import select_points
    from bot.summarize.factory import GuardedSummarizer, build_summarizer
    from bot.summarize.sentences import split_sentences

    settings = Settings(summarizer="llm")
    built = build_summarizer(settings)
    assert isinstance(built, GuardedSummarizer)
    scorer = rouge_scorer.RougeScorer(list(METRICS), use_stemmer=True)
    rows = _articles(data, limit)
    scores: dict[str, list[dict[str, float]]] = defaultdict(list)
    supported = total = fallbacks = 0
    seconds: list[float] = []
    calls: list[int] = []
    counter = _count_calls(built)
    try:
        for i, row in enumerate(rows):
            article = Article(url=row["url"], final_url=row["url"], title=row.get("title") or "",
                              text=row["text"], language="en")  # fmt: skip
            reference = "\n".join(row["reference_points"])
            before = counter["calls"]
            started = time.perf_counter()
            try:
                draft = await built.llm.draft(article)
            except Exception as exc:
                print(f"  article {i + 1}: model failed: {exc}", file=sys.stderr)
                summary = await built.summarize(article)
            else:
                verdicts = check_grounded(draft.points, draft.numbered,
                                          point_language="en", article_language="en")  # fmt: skip
                supported += len(verdicts.kept)
                total += len(draft.points)
                summary = await built.finish(article, draft)
            seconds.append(time.perf_counter() - started)
            calls.append(counter["calls"] - before)
            fallbacks += summary.fallback_reason is not None
            candidates = {
                "llm (guarded)": summary.points,
                "extractive": select_points(row["text"]),
                "lead-3": split_sentences(row["text"])[:3],
            }
            for name, points in candidates.items():
                result = scorer.score(reference, "\n".join(points))
                scores[name].append({m: result[m].fmeasure for m in METRICS})
            print(f"  article {i + 1}/{len(rows)}: {len(summary.points)} points, "
                  f"{seconds[-1]:.1f} s", file=sys.stderr)  # fmt: skip
    finally:
        await built.aclose()
    print(f"\n(b) the whole LLM path, model {settings.openai_model} at {settings.openai_base_url}, "
          f"{len(rows)} CNN/DailyMail articles (ROUGE F1 x 100, rouge-score, use_stemmer)\n")
    print(f"{'method':<16} {'R-1':>6} {'R-2':>6} {'R-Lsum':>7}")
    figures: dict[str, Any] = {"items": len(rows), "model": settings.openai_model}
    for name, values in scores.items():
        means = {m: round(100 * statistics.fmean(v[m] for v in values), 2) for m in METRICS}
        figures[name] = means
        print(f"{name:<16} {means['rouge1']:6.2f} {means['rouge2']:6.2f} {means['rougeLsum']:7.2f}")
    figures["supported_share"] = round(100 * supported / total, 1) if total else None
    figures["fallbacks"] = fallbacks
    figures["seconds_mean"] = round(statistics.fmean(seconds), 1)
    figures["calls_mean"] = round(statistics.fmean(calls), 2)
    print(f"\npoints supported by their cited sentences: {figures['supported_share']} % "
          f"of {total}; fell back to extractive: {fallbacks}; "
          f"{figures['seconds_mean']} s and {figures['calls_mean']} calls per article")
    return figures


def _articles(data: Path, limit: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with (data / "data.jsonl" if data.is_dir() else data).open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                rows.append(json.loads(line))
            if len(rows) == limit:
                break
    return rows


def _count_calls(built: Any) -> dict[str, int]:
    """Count the endpoint's HTTP requests by wrapping its one request method."""
    counter = {"calls": 0}
    endpoint = built.llm.endpoint
    original = endpoint._request

    async def counted(*args: Any, **kwargs: Any) -> Any:
        counter["calls"] += 1
        return await original(*args, **kwargs)

    endpoint._request = counted
    return counter


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=Path, default=DEFAULT_PAIRS)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--limit", type=int, default=20, help="articles for (b)")
    args = parser.parse_args(argv)
    figures: dict[str, Any] = {"a": part_a(load_pairs(args.pairs))}
    figures["b"] = part_b(args.data, args.limit)
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
