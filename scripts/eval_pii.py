"""Precision and recall of hudong's PII detection (``hudong.text.pii``) on a generated set in real posts.

    python scripts/eval_pii.py [--n 20000] [--seed 7] [--hosts 20000] [--raw 20000]

1. Generated set (``hudong.text.pii_testset``): real Weibo/Twitter posts with one inserted phone number, e-mail,
   ID-card number, bank-card number, street address or hard negative each; per-kind table, then error rates
   per spelling / negative form.
2. Raw posts (``--raw`` per language, nothing inserted): what the detector flags in unmodified real posts —
   each flag is either real PII of the post or a false alarm; the flagged texts are printed for inspection.
Needs the shared data (``HUDONG_SHARED_DATA`` or ../shared/data).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from hudong.text import pii  # noqa: E402
from hudong.text import pii_testset as T  # noqa: E402

SHARED = Path(os.environ.get("HUDONG_SHARED_DATA", REPO.parent / "shared" / "data"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=20_000, help="generated cases")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--hosts", type=int, default=20_000, help="host posts per language")
    ap.add_argument("--raw", type=int, default=20_000, help="unmodified posts per language to scan")
    a = ap.parse_args()
    if not SHARED.exists():
        sys.exit(f"shared data not found at {SHARED} (set HUDONG_SHARED_DATA)")
    hosts = T.shared_posts(SHARED, "zh", a.hosts) + T.shared_posts(SHARED, "en", a.hosts)
    cases = T.generate(hosts, a.n, seed=a.seed)
    scores, forms, _ = T.evaluate(cases)
    print(f"Generated set: {len(cases):,} cases in {len(T.clean_hosts(hosts)):,} real host posts (seed {a.seed})\n")
    print(T.markdown(scores))
    print("\n| spelling / hard negative | cases | errors (missed / flagged) |\n|---|---:|---:|")
    for key, (err, total) in forms.items():
        print(f"| {key} | {total:,} | {err:,} |")
    for lang in ("zh", "en"):
        posts = T.shared_posts(SHARED, lang, a.raw)
        flags = [(f, t) for t in posts for f in pii.detect(t)]
        by_kind = Counter(f.kind for f, _ in flags)
        print(f"\nRaw {lang} posts: {len(posts):,}; flagged {len(flags):,} spans: {dict(by_kind)}")
        for f, t in flags[:40]:
            i = t.find(f.text)
            print(f"  {f.kind:9} {f.text!r:40} …{t[max(0, i - 20) : i + len(f.text) + 20]!r}")


if __name__ == "__main__":
    main()
