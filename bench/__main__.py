"""Runs every benchmark module in bench/ (``bench_*.py``) and writes bench/results.json.

Each module has ``run() -> dict[str, dict]``: entries named by benchmark, each
``{"value", "unit", "raw_bound", "ratio", "target"}``; ``measured_at`` is added here.
Run with ``make bench`` (which starts the PostgreSQL and Redis the benchmarks use).
"""

from __future__ import annotations

import importlib
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).parent
RESULTS = HERE / "results.json"


def main(names: list[str]) -> int:
    modules = sorted(p.stem for p in HERE.glob("bench_*.py"))
    if names:
        modules = [m for m in modules if any(n in m for n in names)]
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    if not modules:
        print("bench: no benchmarks yet")
    for name in modules:
        print(f"bench: running {name}", flush=True)
        module = importlib.import_module(f"bench.{name}")
        for key, entry in module.run().items():
            entry["measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
            results[key] = entry
            print(f"  {key}: {json.dumps(entry)}", flush=True)
        RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
