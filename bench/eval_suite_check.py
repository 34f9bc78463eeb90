"""What the evaluation form's "is this suite's data here?" check costs (toolrl's `load_suite`, one
item per category), and the page's cached answer against it, in one process.

    python bench/eval_suite_check.py [--data DIR] [--repeat N]

Prints, per suite, the first call (cold: imports such as pyarrow included), the median of warm
calls, and the median cached lookup the form makes; then the ratio warm / cached.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if not Path(args.data).is_dir():
        print(f"no data folder at {args.data}: pass --data DIR", file=sys.stderr)
        return 2
    sys.path.insert(0, str(ROOT / "platform"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "toolrl_web.settings")
    import django

    django.setup()
    from django.conf import settings

    from toolrl.evaluation import load_suite
    from toolrl_web.evaluations import catalog

    settings.EVAL_DATA_DIR = args.data
    total_warm = total_cached = 0.0
    print(f"{'suite':<18} {'cold s':>8} {'warm s':>8} {'cached ms':>10}")
    for name in catalog.NEEDS_DATA:
        cold = timed(lambda n=name: load_suite(n, data_dir=args.data, limit=1))
        warm = statistics.median(
            timed(lambda n=name: load_suite(n, data_dir=args.data, limit=1))
            for _ in range(args.repeat)
        )
        catalog.clear_cache()
        catalog.suite_availability(name)
        cached = statistics.median(
            timed(lambda n=name: catalog.suite_availability(n)) for _ in range(args.repeat * 20)
        )
        total_warm, total_cached = total_warm + warm, total_cached + cached
        print(f"{name:<18} {cold:>8.3f} {warm:>8.3f} {cached * 1000:>10.4f}")
    print(f"form check, all suites: warm {total_warm:.3f} s, cached {total_cached * 1000:.4f} ms")
    print(f"ratio warm / cached: {total_warm / total_cached:,.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
