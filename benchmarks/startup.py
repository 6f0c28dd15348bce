"""Start-up benchmark: what a command costs before it does any work.

Runs `conductor --help`, `conductor check` on the starter scenario and `conductor run` on
it with a one-second horizon, each as a fresh process, interleaved with the reference
`python -c "import numpy"`, ``--repeat`` times; the best CPU time (user + system of the
child) of each is kept and printed as a ratio to the reference (target for `--help` and
`check`: at most 2).

Run ``python benchmarks/startup.py --help`` for the options; ``--quick`` is a smoke run.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from tandem import child_cpu

STARTER = Path(__file__).resolve().parents[1] / "scenarios" / "starter.yaml"
COMMANDS = {
    "import numpy": [sys.executable, "-c", "import numpy"],
    "conductor --help": [sys.executable, "-m", "conductor", "--help"],
    "conductor check": [sys.executable, "-m", "conductor", "check", str(STARTER)],
    "conductor run (1 s)": [
        *(sys.executable, "-m", "conductor", "run", str(STARTER)),
        *("--horizon", "1s", "--warmup", "0s", "--replications", "1", "--workers", "1", "-q"),
    ],
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7, help="runs per command, best kept")
    parser.add_argument("--quick", action="store_true", help="two runs of each")
    parser.add_argument("--json", type=Path, help="write the numbers here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    repeat = 2 if args.quick else args.repeat
    cpus: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(repeat):
        for name, command in COMMANDS.items():
            cpus[name].append(child_cpu(command))
    best = {name: min(values) for name, values in cpus.items()}
    reference = best["import numpy"]
    print(f"{'command':<22}{'cpu s':>8}{'x numpy':>9}")
    for name, seconds in best.items():
        print(f"{name:<22}{seconds:>8.3f}{seconds / reference:>9.2f}")
    result = {"cpu_s": best, "ratios": {n: s / reference for n, s in best.items()}}
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
