"""The tiny model's cache: a cold build against reusing the cached model, in one run.

    python bench/tiny_cache.py [--recipe fast] [--repeats 5]

Builds the recipe into an empty temporary cache (cold), then calls `build_tiny_model` again
`--repeats` times (warm: the lock, the cache key, the existence check). Prints both and their
ratio. The test suite only checks that the second call builds nothing
(`tests/toolrl/test_tiny.py`); how fast that is is measured here, not asserted in a test.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--recipe", default="fast", help="tiny recipe (fast: seconds; default: minutes)"
    )
    parser.add_argument("--repeats", type=int, default=5, help="warm calls to time")
    args = parser.parse_args()

    from toolrl.tiny import build_tiny_model

    cache = Path(tempfile.mkdtemp(prefix="toolrl-tiny-bench-"))
    t0 = time.perf_counter()
    path = build_tiny_model(args.recipe, cache_dir=cache)
    cold = time.perf_counter() - t0
    warm = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        assert build_tiny_model(args.recipe, cache_dir=cache) == path
        warm.append(time.perf_counter() - t0)
    median = statistics.median(warm)
    print(f"recipe {args.recipe}: cold build {cold:.2f} s, cached {median * 1000:.0f} ms "
          f"(median of {args.repeats}, max {max(warm) * 1000:.0f} ms); cold/cached = {cold / median:.0f}x")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
