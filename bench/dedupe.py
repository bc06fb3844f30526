"""How fast is near-duplicate checking (ROUGE-L >= 0.7) as the Self-Instruct pool grows to ~10,000?

Instructions are made synthetically from templates and word lists (realistic lengths, a shared
vocabulary of common words, so the index cannot prune trivially). Queries are half fresh
instructions and half light edits of pool items (the near-duplicates the filter exists for).
For each pool size the table gives checks per second and milliseconds per check with
``NearDuplicateIndex``, and for a subsample the brute-force time (exact ROUGE-L against every pool
item) and whether both agree. Results go to bench/results/dedupe.json.

    python bench/dedupe.py [--pool 10000] [--queries 300] [--brute 30]
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import time
from pathlib import Path

from rouge_score.rouge_scorer import _score_lcs

from distill.data.dedupe import NearDuplicateIndex, tokenize

VERBS = ("Write", "Explain", "Describe", "List", "Summarize", "Compare", "Classify", "Rewrite", "Translate",
         "Suggest", "Identify", "Give", "Generate", "Create", "Find", "Convert", "Tell me", "Outline")
OBJECTS = ("a short story", "a poem", "three reasons", "the main idea", "an email", "a list of tips",
           "the differences", "a recipe", "a summary", "an argument", "a dialogue", "a product review",
           "five questions", "a headline", "a definition", "an analogy", "a plan", "a joke", "a haiku")
# Topics are adjective + noun pairs (about 1,500 of them) so that 10,000 distinct instructions exist.
ADJECTIVES = ("ancient", "modern", "small", "local", "global", "healthy", "digital", "urban", "rural", "quiet",
              "famous", "simple", "complex", "cheap", "remote", "electric", "solar", "wild", "daily", "young",
              "old", "public", "private", "creative", "scientific", "musical", "political", "medical",
              "financial", "cultural", "coastal", "frozen", "busy", "hidden", "sustainable", "online",
              "traditional", "foreign", "historic", "natural")
NOUNS = ("cities", "forests", "markets", "schools", "gardens", "rivers", "computers", "languages", "museums",
         "breakfasts", "festivals", "careers", "friendships", "vaccines", "robots", "novels", "elections",
         "bridges", "recipes", "habits", "volcanoes", "planets", "startups", "libraries", "hospitals",
         "oceans", "trains", "holidays", "insects", "budgets", "sports", "websites", "interviews",
         "neighbourhoods", "farms", "batteries", "songs", "laws", "deserts")
TOPICS = tuple(f"{a} {n}" for a in ADJECTIVES for n in NOUNS)
AUDIENCES = ("for a child", "for a beginner", "for an expert", "in one sentence", "in simple words",
             "as a bullet list", "in a formal tone", "in under 50 words", "for a teenager", "with an example",
             "for a busy manager", "step by step", "in the style of a news report", "using a metaphor")
EXTRAS = ("", "", "", "Make it funny.", "Avoid jargon.", "Use the given text as context.", "Be concise.",
          "Include one surprising fact.", "End with a question.", "Do not use the letter e.")


def make_instruction(rng: random.Random) -> str:
    """One synthetic instruction from the templates."""
    parts = [rng.choice(VERBS), rng.choice(OBJECTS), "about", rng.choice(TOPICS), rng.choice(AUDIENCES)]
    if rng.random() < 0.4:
        parts += ["and", rng.choice(("mention", "contrast it with", "relate it to")), rng.choice(TOPICS)]
    text = " ".join(parts) + "."
    extra = rng.choice(EXTRAS)
    return f"{text} {extra}".strip()


def perturb(text: str, rng: random.Random) -> str:
    """A light edit (drop, swap or insert a word): usually still a near duplicate."""
    words = text.split()
    op = rng.choice(("drop", "swap", "insert"))
    i = rng.randrange(len(words))
    if op == "drop" and len(words) > 3:
        del words[i]
    elif op == "swap" and len(words) > 1:
        j = rng.randrange(len(words))
        words[i], words[j] = words[j], words[i]
    else:
        words.insert(i, rng.choice(("please", "briefly", "also", "carefully", "now")))
    return " ".join(words)


def brute_closest(pool_tokens: list[list[str]], pool: list[str], text: str) -> tuple[str | None, float]:
    """Exact ROUGE-L against every pool item (the reference the index must equal)."""
    toks = tokenize(text)
    best, best_score = None, 0.0
    for other, t in zip(pool_tokens, pool):
        s = _score_lcs(other, toks).fmeasure
        if s > best_score:
            best, best_score = t, s
    return best, best_score


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pool", type=int, default=10_000, help="largest pool size")
    ap.add_argument("--queries", type=int, default=300, help="checks timed at each pool size")
    ap.add_argument("--brute", type=int, default=30, help="checks also done by brute force at each size")
    ap.add_argument("--threshold", type=float, default=0.7)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "dedupe.json"))
    args = ap.parse_args()

    rng = random.Random(args.seed)
    # The pool is built the way Self-Instruct builds it: only non-duplicates join.
    candidates = (make_instruction(rng) for _ in iter(int, 1))
    sizes = sorted({s for s in (1000, 2500, 5000, args.pool) if s <= args.pool})
    index = NearDuplicateIndex(args.threshold)
    pool_tokens: list[list[str]] = []
    rows = []
    add_seconds = 0.0
    tried = 0
    for size in sizes:
        while len(index) < size:
            text = next(candidates)
            tried += 1
            t0 = time.perf_counter()
            dup = index.is_duplicate(text)[0]
            if not dup:
                index.add(text)
                pool_tokens.append(tokenize(text))
            add_seconds += time.perf_counter() - t0
        pool = index.texts
        qrng = random.Random(f"{args.seed}-{size}")
        queries = [make_instruction(qrng) if k % 2 else perturb(qrng.choice(pool), qrng) for k in range(args.queries)]
        t0 = time.perf_counter()
        results = [index.closest(q) for q in queries]
        secs = time.perf_counter() - t0
        sub = queries[: args.brute]
        t0 = time.perf_counter()
        brute = [brute_closest(pool_tokens, pool, q) for q in sub]
        brute_secs = time.perf_counter() - t0
        # The index only scores items that can reach the threshold: below it, "not a duplicate" is the answer.
        agree = sum((r[1] >= args.threshold) == (b[1] >= args.threshold) and
                    (b[1] < args.threshold or abs(r[1] - b[1]) < 1e-12) for r, b in zip(results, brute))
        rows.append({
            "pool": len(index), "checks": len(queries), "checks_per_s": len(queries) / secs,
            "ms_per_check": 1000 * secs / len(queries),
            "duplicates": sum(s >= args.threshold for _, s in results),
            "brute_checks": len(sub), "brute_ms_per_check": 1000 * brute_secs / max(len(sub), 1),
            "speedup": (brute_secs / max(len(sub), 1)) / (secs / len(queries)),
            "agree_with_brute": f"{agree}/{len(sub)}",
        })
    header = f"{'pool':>6} {'checks/s':>9} {'ms/check':>9} {'dups':>5} {'brute ms/check':>15} {'speedup':>8} {'agree':>7}"
    print(header)
    print("-" * len(header))
    for r in rows:
        print(f"{r['pool']:>6} {r['checks_per_s']:>9.0f} {r['ms_per_check']:>9.2f} {r['duplicates']:>5} "
              f"{r['brute_ms_per_check']:>15.1f} {r['speedup']:>7.0f}x {r['agree_with_brute']:>7}")
    build = {"candidates_tried": tried, "pool": len(index), "seconds": add_seconds,
             "ms_per_candidate": 1000 * add_seconds / max(tried, 1)}
    print(f"building the pool: {tried} candidates checked and {len(index)} added in {add_seconds:.1f} s "
          f"({build['ms_per_candidate']:.2f} ms each)")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"threshold": args.threshold, "machine": platform.processor() or platform.machine(),
                               "python": platform.python_version(), "rows": rows, "build": build}, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
