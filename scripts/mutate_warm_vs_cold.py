"""The warm test server against a fresh pytest per mutant: seconds per mutant, and the same verdicts.

Takes one module of scripts/mutate.py's TESTS, draws a sample of its mutants (seeded), and
runs those same mutants twice, in one copy of the repository: with the cold command
(``python -m pytest``) and through scripts/warm_tests.py. Prints the seconds per mutant of
each and every mutant whose verdict differs (there should be none). The sessions stay in
out/mutation/compare/.

    nice -n 19 .venv/bin/python scripts/mutate_warm_vs_cold.py micrograd44/optim.py --sample 40
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import time

import mutate


def sample_session(session, count: int, seed: int) -> None:
    """Keep only a seeded sample of count mutants in the session."""
    with contextlib.closing(sqlite3.connect(session)) as db, db:
        jobs = sorted(row[0] for row in db.execute("SELECT job_id FROM work_items"))
        keep = random.Random(seed).sample(jobs, min(count, len(jobs)))
        db.execute("CREATE TEMP TABLE keep (job_id VARCHAR PRIMARY KEY)")
        db.executemany("INSERT INTO keep VALUES (?)", [(job,) for job in keep])
        db.execute("DELETE FROM work_results")
        db.execute("DELETE FROM mutation_specs WHERE job_id NOT IN (SELECT job_id FROM keep)")
        db.execute("DELETE FROM work_items WHERE job_id NOT IN (SELECT job_id FROM keep)")


def verdicts(session) -> dict[str, str]:
    """job id -> killed or survived."""
    with contextlib.closing(sqlite3.connect(session)) as db:
        rows = db.execute("SELECT job_id, test_outcome FROM work_results WHERE worker_outcome = 'NORMAL'")
        return dict(rows.fetchall())


def main() -> int:
    """Run the sample cold, then warm, and compare."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("module")
    parser.add_argument("--sample", type=int, default=40)
    parser.add_argument("--seed", type=int, default=27)
    args = parser.parse_args()
    folder = mutate.SESSIONS / "compare"
    shutil.rmtree(folder, ignore_errors=True)
    copy = folder / "tree"
    copy.mkdir(parents=True)
    mutate.tracked_copy(copy)
    env = {**os.environ, "PYTHONPATH": str(copy)}
    run = dict(cwd=copy, env=env, check=True)
    mutate.prime_bytecode(copy, args.module, env)
    sessions = {"cold": folder / "cold.sqlite", "warm": folder / "warm.sqlite"}
    config = folder / "cold.toml"
    limit = mutate.time_limit(args.module, None, run)
    config.write_text(mutate.config_text(args.module, None, limit))
    subprocess.run([mutate.tool("cosmic-ray"), "init", str(config), str(sessions["cold"])], **run)
    subprocess.run([mutate.tool("cr-filter-operators"), str(sessions["cold"]), str(config)], **run)
    sample_session(sessions["cold"], args.sample, args.seed)
    shutil.copyfile(sessions["cold"], sessions["warm"])
    seconds = {}
    for kind, session in sessions.items():
        with contextlib.nullcontext() if kind == "cold" else mutate.warm_server(copy, env) as socket_path:
            config = folder / f"{kind}.toml"
            config.write_text(mutate.config_text(args.module, socket_path, limit))
            started = time.monotonic()
            subprocess.run([mutate.tool("cosmic-ray"), "exec", str(config), str(session)], **run)
            seconds[kind] = time.monotonic() - started
    cold, warm = verdicts(sessions["cold"]), verdicts(sessions["warm"])
    for kind in sessions:
        ran = len(cold if kind == "cold" else warm)
        print(f"{kind}: {ran} mutants in {seconds[kind]:.1f} s, {seconds[kind] / ran:.2f} s each")
    differ = sorted(job for job in cold if cold[job] != warm.get(job))
    killed = [sum(outcome == "KILLED" for outcome in found.values()) for found in (cold, warm)]
    print(f"killed: {killed[0]} cold, {killed[1]} warm; verdicts that differ: {differ}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
