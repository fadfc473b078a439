"""Every benchmark, one after the other in one process: ``make bench`` or ``python benchmarks/run.py``.

Speed and memory are printed as figures measured side by side in this run, never asserted:
the machines this runs on are shared and noisy.
"""

from __future__ import annotations

import argparse
import importlib

# Modules of this folder; each has main(argv) and QUICK, the arguments of a short smoke run.
SECTIONS = ["course_step", "memory", "compiled", "native", "hessian", "sweep"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps and repeats (a smoke run)")
    args = parser.parse_args()
    for name in SECTIONS:
        print(f"== {name}")
        section = importlib.import_module(name)
        section.main(section.QUICK if args.quick else [])
        print()


if __name__ == "__main__":
    main()
