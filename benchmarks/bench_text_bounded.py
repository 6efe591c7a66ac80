"""Pathological texts through jieba: raw ``jieba.lcut`` (what hudong did before the bounded analysis) vs
``hudong.text.tokenize.segment`` (the analysed prefix, runs cut to 3, jieba fed blocks of ≤ 200 characters).

    python benchmarks/bench_text_bounded.py            # every case; raw '测' * 200_000 alone takes ≈ 3 minutes
    python benchmarks/bench_text_bounded.py --quick    # without the raw cases over 50,000 characters

Each case runs in one process after jieba is initialised (the dictionary load is not timed). Cases: one character
repeated 50,000 and 200,000 times (jieba's HMM, ``finalseg.viterbi``, copies its path list at each character:
quadratic), 30,000 distinct Han characters without punctuation (the same HMM path on characters jieba does not
know), and a 5 MB cell of ordinary Chinese prose (linear, but ≈ 1.7M characters).
"""

from __future__ import annotations

import argparse
import random
import time


def cases(quick: bool) -> list[tuple[str, str, bool]]:
    """(name, text, run raw jieba on it)."""
    prose = "山茶社的新品春茶太难喝了，客服三天都不回复，退款也不给办，真的很失望。我们只想要一个说法。"
    rnd = random.Random(0)
    unbroken = "".join(chr(0x4E00 + rnd.randrange(20_000)) for _ in range(30_000))
    return [
        ("'测' × 50,000", "测" * 50_000, True),
        ("'测' × 200,000", "测" * 200_000, not quick),
        ("30,000 Han, no punctuation", unbroken, True),
        ("5 MB prose cell (1.7M chars)", (prose * 40_000)[:1_700_000], not quick),
    ]


def timed(fn, text: str) -> tuple[float, int]:
    t = time.perf_counter()
    n = len(fn(text))
    return time.perf_counter() - t, n


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="Skip the raw jieba cases that take minutes.")
    args = ap.parse_args(argv)

    from hudong.text.tokenize import JIEBA_PIECE, MAX_RUN, _jieba, max_chars, segment

    tk = _jieba()
    tk.lcut("预热")
    print(f"hudong segment: first {max_chars():,} characters, runs cut to {MAX_RUN}, jieba blocks ≤ {JIEBA_PIECE}")
    print(f"{'case':32} {'raw jieba.lcut':>16} {'hudong segment':>16}")
    for name, text, raw in cases(args.quick):
        before = f"{timed(tk.lcut, text)[0]:.2f} s" if raw else "(skipped)"
        after = f"{timed(segment, text)[0] * 1000:.1f} ms"
        print(f"{name:32} {before:>16} {after:>16}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
