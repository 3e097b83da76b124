"""Reading a round workbook: time and peak memory for a normal one and for the hostile ones
the reader must refuse quickly (100,000 rows, a zip bomb). Prints figures; asserts nothing.

    python -m benchmarks.bench_workbook [--rows 100000] [--bomb-mb 1024] [--repeat 3]

Each workbook is made first (not timed), then read with `read_workbook` `--repeat` times for
the time (best run), and once more under tracemalloc for the peak of Python allocations
(tracemalloc slows the code, so the time is not taken from that run). The process's
maximum resident size at the end is printed too (it includes making the workbooks).

Workbooks:
- normal: the sample round of the tests (3 people, 1 meeting, 1 pair);
- 160 people: a round as large as the larger seed programme, written by openpyxl;
- 2,000 rows: the most a sheet may hold, written by openpyxl (it imports);
- N rows (openpyxl): N mentees as openpyxl's write-only mode writes them, no stated size;
- N rows (terse, size stated): N mentees in as few bytes as a sheet takes, with the size
  Excel states; the sheet is still over the 4 MB a sheet may unpack to;
- 2,500 rows (terse): under the sheet size limit, so the rows are read until the 2,001st;
- bomb: a workbook of a few MB whose Participants sheet unpacks to `--bomb-mb` MB.
"""

from __future__ import annotations

import argparse
import gc
import resource
import time
import tracemalloc
from collections.abc import Callable

from bot.rounds.workbook import SHEET_PARTICIPANTS, read_workbook
from tests.support.workbooks import base_bytes, many_people, patched, rows_appended, zip_bomb


def _measure(content: bytes, *, repeat: int) -> tuple[float, int, str]:
    best = float("inf")
    outcome = ""
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        result, problems = read_workbook(content)
        best = min(best, time.perf_counter() - started)
        outcome = "imports" if result is not None else (problems[0].code if problems else "?")
    gc.collect()
    tracemalloc.start()
    read_workbook(content)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return best, peak, outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--bomb-mb", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    cases: list[tuple[str, Callable[[], bytes]]] = [
        ("normal (3 people)", base_bytes),
        ("160 people", lambda: many_people(157)),
        ("2,000 rows", lambda: many_people(1_996)),
        (f"{args.rows:,} rows (openpyxl)", lambda: many_people(args.rows)),
        (f"{args.rows:,} rows (terse, size stated)",
         lambda: patched(SHEET_PARTICIPANTS, rows_appended(args.rows, dimension=True))),
        ("2,500 rows (terse)", lambda: patched(SHEET_PARTICIPANTS, rows_appended(2_500, dimension=False))),
        (f"bomb ({args.bomb_mb:,} MB unpacked)", lambda: zip_bomb(unpacked_mb=args.bomb_mb)),
    ]
    print(f"{'workbook':<36} {'file':>10} {'read (best)':>12} {'peak':>10}  outcome")
    for name, make in cases:
        content = make()
        seconds, peak, outcome = _measure(content, repeat=args.repeat)
        print(f"{name:<36} {len(content) / 1024:>8.0f} KB {seconds:>10.3f} s {peak / 2**20:>7.1f} MiB  {outcome}")
    print(f"max resident size of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
