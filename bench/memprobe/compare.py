"""What each idle connection holds: the two snapshots of ``live_orders.py --memory-snapshots``
(per API process: ``<pid>-0.snap`` with 0 connections, ``<pid>-1.snap`` with all of them)
compared by allocation site, divided by the connections.

    .venv/bin/python bench/memprobe/compare.py <dir> [--connections 1000] [--top 25]
"""

from __future__ import annotations

import argparse
import tracemalloc
from collections import defaultdict
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--group", choices=("lineno", "filename", "traceback"), default="lineno")
    options = parser.parse_args()
    by_site: dict[str, int] = defaultdict(int)
    total = 0
    pids = sorted({p.name.split("-")[0] for p in options.directory.glob("*-0.snap")})
    for pid in pids:
        before = tracemalloc.Snapshot.load(str(options.directory / f"{pid}-0.snap"))
        after = tracemalloc.Snapshot.load(str(options.directory / f"{pid}-1.snap"))
        for stat in after.compare_to(before, options.group):
            frames = stat.traceback.format(limit=4 if options.group == "traceback" else 1)
            by_site[" | ".join(line.strip() for line in frames)] += stat.size_diff
            total += stat.size_diff
    per = options.connections
    print(f"{len(pids)} process(es): {total / 1024 / per:.1f} KiB traced per connection")
    for site, size in sorted(by_site.items(), key=lambda kv: -kv[1])[: options.top]:
        print(f"{size / 1024 / per:8.2f} KiB  {site[:220]}")


if __name__ == "__main__":
    main()
