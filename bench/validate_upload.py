"""Validating an uploaded dataset through the task's code path: rows per second and peak memory,
for a 10,000-row and a 100,000-row JSON Lines file measured in the same run.

    python bench/validate_upload.py [--rows 100000] [--small 10000] [--tokenizer tiny:fast]

Each size runs in a fresh process (so its peak memory is its own) on a scratch SQLite database
and uploads folder: the file is stored as an upload is, a `Dataset` row is created, and
`dataset_validation_run` (the body of `workers.tasks.dataset_validate`) reads, checks, gathers
statistics, writes the prepared rows and the split, and records the verdict. Peak memory is the
process's peak RSS during the validation (VmHWM, reset just before) minus its RSS then, so the
figure is what validating costs, not what Django costs. With --tokenizer, the token count of the sample (a separate phase,
after the verdict) is timed too. As a baseline measured in the same process, the time of only
decoding each line with `json.loads` (what any reader pays) is printed as a ratio, and so is
the library's validation (`validate_file` writing the prepared rows) with the rows format's fast
path against the precise path alone (every line through `json` and `Row.model_validate`), both
run in the same process on the same file (best CPU time of --repeat runs each).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "platform"), str(ROOT)]


def rss_mb() -> float:
    """Current resident set size in MiB (Linux)."""
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def reset_peak() -> bool:
    """Start the peak-RSS count afresh (Linux >= 4.0). `ru_maxrss` cannot be used: it carries
    the parent's peak across fork and exec."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def peak_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_file(path: Path, rows: int) -> None:
    from toolrl.formats import save_rows
    from toolrl.synthetic import make_rows

    # Written in chunks of distinct seeds so generating 100k rows stays light here too.
    with path.open("w") as out:
        for start in range(0, rows, 10_000):
            chunk = make_rows(min(10_000, rows - start), seed=start, id_prefix=f"b{start}")
            tmp = path.with_suffix(".part")
            save_rows(chunk, tmp)
            out.write(tmp.read_text())
            tmp.unlink()


def child(path: Path, tokenizer: str, repeat: int) -> dict:
    var = Path(tempfile.mkdtemp(prefix="toolrl-bench-"))
    try:
        result = measure(path, tokenizer, var)
        # After the measured run, so its peak memory is not this comparison's.
        result["library_cpu_seconds"] = fast_vs_precise(path, var, repeat)
        return result
    finally:
        shutil.rmtree(var, ignore_errors=True)


def measure(path: Path, tokenizer: str, var: Path) -> dict:
    os.environ.update(
        TOOLRL_VAR_DIR=str(var),
        DATABASE_URL=f"sqlite:///{var / 'bench.sqlite3'}",
        DJANGO_SETTINGS_MODULE="toolrl_web.settings",
        LOG_LEVEL="WARNING",
    )
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from toolrl_web.datasets import storage
    from toolrl_web.datasets.models import Dataset
    from toolrl_web.datasets.validation import dataset_validation_run
    from toolrl_web.projects.services import project_create

    user = get_user_model().objects.create_user("bench")
    project = project_create(owner=user, name="bench")
    with path.open("rb") as fh:
        sha, size = storage.store_stream(fh)
    dataset = Dataset.objects.create(
        project=project, name="bench", original_name=path.name, sha256=sha, size=size,
        tokenizer=tokenizer, created_by=user,
    )  # fmt: skip
    reset_peak()
    before = rss_mb()
    start = time.perf_counter()
    cpu = time.process_time()
    # Time the verdict; token counting, when asked for, is timed apart.
    import toolrl_web.datasets.validation as validation

    counted: dict = {}
    original = validation._count_tokens

    def timed_tokens(ds, v):
        # The verdict is in: what validating cost ends here; the token count is its own phase.
        counted.update(start=time.perf_counter(), cpu=time.process_time(), peak=peak_mb())
        original(ds, v)
        counted["seconds"] = time.perf_counter() - counted["start"]
        counted["token_peak"] = peak_mb()

    validation._count_tokens = timed_tokens
    outcome = dataset_validation_run(dataset_id=dataset.pk, version=dataset.version)
    end, cpu_end = time.perf_counter(), time.process_time()
    wall = counted.get("start", end) - start
    cpu_used = counted.get("cpu", cpu_end) - cpu
    peak = counted.get("peak") or peak_mb()
    dataset.refresh_from_db()
    # The floor in the same process: only decoding each line with json.loads.
    floor = time.perf_counter()
    with path.open("rb") as fh:
        for line in fh:
            json.loads(line)
    floor = time.perf_counter() - floor
    return {
        "outcome": outcome,
        "rows": dataset.row_count,
        "seconds": wall,
        "rows_per_s": dataset.row_count / wall,
        "cpu_seconds": cpu_used,
        "rss_before_mb": before,
        "peak_growth_mb": peak - before,
        "token_seconds": counted.get("seconds"),
        "token_peak_mb": counted.get("token_peak", 0) - before,
        "tokens": (dataset.statistics or {}).get("prompt_tokens"),
        "file_mb": size / 2**20,
        "json_loads_seconds": floor,
    }


def fast_vs_precise(path: Path, var: Path, repeat: int) -> dict:
    """CPU seconds of `validate_file` (writing the prepared rows as the task does) with the
    rows format's fast path and with the precise path only, in this process."""
    import toolrl.formats
    from toolrl.commands.validate import validate_file
    from toolrl.formats.jsontext import LineParser
    from toolrl.formats.rowfile import RowWriter

    class Precise(LineParser):
        """Never set: every line is read through `json` and `Row.model_validate`."""

        parse = property(lambda self: None, lambda self, value: None)

    best = {"fast": float("inf"), "precise": float("inf")}
    for _ in range(repeat):
        for name, parser in (("precise", Precise), ("fast", LineParser)):
            toolrl.formats.LineParser = parser
            start = time.process_time()
            with RowWriter(var / f"{name}.jsonl") as writer:
                validate_file(path, on_row=lambda line, row: writer.write(row))
            best[name] = min(best[name], time.process_time() - start)
    toolrl.formats.LineParser = LineParser
    return best


def run_size(path: Path, tokenizer: str, repeat: int) -> dict:
    done = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            str(path),
            "--tokenizer",
            tokenizer,
            "--repeat",
            str(repeat),
        ],  # fmt: skip
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--tokenizer", default="", help="e.g. tiny:fast (default: no token counts)")
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs of the fast/precise comparison (best kept)"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(Path(args.child), args.tokenizer, args.repeat)))
        return
    folder = Path(tempfile.mkdtemp(prefix="toolrl-bench-data-"))
    results = {}
    for rows in (args.small, args.rows):
        path = folder / f"rows-{rows}.jsonl"
        make_file(path, rows)
        try:
            results[rows] = result = run_size(path, args.tokenizer, args.repeat)
        finally:
            path.unlink()
        assert result["outcome"] == "valid" and result["rows"] == rows, result
        print(
            f"{rows:>7} rows ({result['file_mb']:.0f} MiB): {result['rows_per_s']:>8,.0f} rows/s "
            f"wall ({rows / result['cpu_seconds']:,.0f} rows/s of CPU), "
            f"{result['seconds']:.1f} s, peak memory +{result['peak_growth_mb']:.1f} MiB "
            f"over {result['rss_before_mb']:.0f} MiB; "
            f"{result['seconds'] / result['json_loads_seconds']:.1f}x the time of json.loads alone"
        )
        lib = result["library_cpu_seconds"]
        print(
            f"          validate_file + prepared rows, CPU: fast path {rows / lib['fast']:,.0f} "
            f"rows/s, precise path only {rows / lib['precise']:,.0f} rows/s "
            f"(fast path {lib['precise'] / lib['fast']:.2f}x, same process)"
        )
        if result["token_seconds"] is not None:
            tokens = result["tokens"] or {}
            print(
                f"          prompt tokens of {tokens.get('measured_rows')} sampled rows: "
                f"{result['token_seconds']:.1f} s (mean {tokens.get('mean', 0):.0f}, max {tokens.get('max')}), "
                f"peak memory +{result['token_peak_mb']:.0f} MiB (loading transformers and the tokenizer)"
            )
    small, large = results[args.small], results[args.rows]
    print(
        f"memory: {large['peak_growth_mb']:.1f} MiB for {args.rows:,} rows vs "
        f"{small['peak_growth_mb']:.1f} MiB for {args.small:,} rows "
        f"(ratio {large['peak_growth_mb'] / max(small['peak_growth_mb'], 0.1):.2f} for "
        f"{args.rows / args.small:.0f}x the rows)"
    )
    load = os.getloadavg()
    print(
        f"throughput at {args.rows:,} rows: {large['rows_per_s']:,.0f} rows/s wall, "
        f"{args.rows / large['cpu_seconds']:,.0f} rows/s of CPU (aim: >= 20,000); "
        f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} CPUs"
    )
    folder.rmdir()


if __name__ == "__main__":
    main()
