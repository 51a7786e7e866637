"""`make golden`: rewrite the golden summaries of the scenario library (tests/golden/*.json).

Run it after a change that is meant to change results, and commit the new files with the
reason in the commit message; tests/scenario/test_library.py compares every run with them.
"""

import json
import sys
from pathlib import Path

import sim

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden"


def golden_path(name: str) -> Path:
    return GOLDEN / f"{name}.json"


def main() -> int:
    names = sorted(p.stem for p in (ROOT / "scenarios").glob("*.yaml"))
    for old in GOLDEN.glob("*.json"):
        if old.stem not in names:
            old.unlink()
    for name in names:
        summary = sim.run(sim.load(ROOT / "scenarios" / f"{name}.yaml")).summary
        golden_path(name).write_text(json.dumps(summary, indent=1, sort_keys=True) + "\n")
        sys.stderr.write(f"wrote {golden_path(name).relative_to(ROOT)}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
