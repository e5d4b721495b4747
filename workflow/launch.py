"""`make run`'s way into Snakemake: first remove the lock a killed run left behind.

A Snakemake killed by SIGKILL (or a power cut) never removes its lock in .snakemake/locks, and
the next run refuses to start until someone runs --unlock. The lock is stale when no Snakemake
process runs in this working directory: every run started here holds a shared flock on
.snakemake/launch.lock for its lifetime (the kernel drops it however the process dies), and on
Linux /proc shows Snakemake processes started by hand and jobs a killed Snakemake left running.
A live run's lock is never touched, so a second run of the same config is still refused.

Usage: python workflow/launch.py [snakemake arguments]
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path

SNAKEMAKE = [sys.executable, "-m", "snakemake"]


def snakemake_running_here() -> bool:
    """Whether /proc lists another process of Snakemake or one of its jobs (a command line that
    names snakemake) whose working directory is this one."""
    here = Path.cwd().resolve()
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if int(proc.name) != os.getpid() and b"snakemake" in (proc / "cmdline").read_bytes() \
                    and (proc / "cwd").resolve() == here:
                return True
        except (OSError, ValueError):
            continue  # gone, or not ours to read
    return False


def main(args: list[str]) -> int:
    state = Path(".snakemake")
    state.mkdir(exist_ok=True)
    guard = open(state / "launch.lock", "a")
    try:
        fcntl.flock(guard, fcntl.LOCK_EX | fcntl.LOCK_NB)
        alone = True
    except BlockingIOError:
        alone = False
    if alone and any((state / "locks").glob("*")) and not snakemake_running_here():
        print("launch: no Snakemake is running here, so the lock in .snakemake/locks was left by a killed run: "
              "removing it", flush=True)
        subprocess.run(SNAKEMAKE + ["--unlock", *args], check=True, stdout=subprocess.DEVNULL)
    fcntl.flock(guard, fcntl.LOCK_SH)  # held, by Snakemake too, for the run's lifetime
    return subprocess.run(SNAKEMAKE + args, pass_fds=(guard.fileno(),)).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
