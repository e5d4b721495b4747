#!/usr/bin/env bash
# Status of one SLURM job for Snakemake's cluster-generic executor: prints running, success or
# failed. squeue knows a job until MinJobAge after it ends; sacct (where accounting is on) after that.
state=$(squeue -h -t all -j "$1" -o %T 2>/dev/null)
[ -n "$state" ] || state=$(sacct -n -X -P -j "$1" -o State 2>/dev/null | head -n 1)
case "${state%% *}" in
  PENDING | CONFIGURING | RUNNING | COMPLETING | SUSPENDED | REQUEUED | RESIZING) echo running ;;
  COMPLETED) echo success ;;
  "")
    echo "job $1 is unknown to squeue and sacct" >&2
    echo failed
    ;;
  *) echo failed ;;
esac
