"""``python -m tools.deploycheck [--root DIR] [--only CHECK ...]``: print every problem;
exit 1 if there is any."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tools.deploycheck.checks import CHECKS, run_checks
from tools.deploycheck.project import load_project

REPOSITORY = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.deploycheck", description=__doc__)
    parser.add_argument("--root", type=Path, default=REPOSITORY, help="repository to check")
    parser.add_argument("--only", action="append", choices=list(CHECKS), help="run one check")
    args = parser.parse_args(argv)
    names = args.only or list(CHECKS)
    problems = run_checks(load_project(args.root), names)
    for problem in problems:
        print(problem)
    if problems:
        print(f"deploycheck: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"deploycheck: all passed ({', '.join(names)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
