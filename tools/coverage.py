"""The coverage of the F2 zero-shift rows' 95% t intervals, by simulation (docs/coverage.md).

Each replicate runs the ``quadratic_zeros`` stage's own computation
(``replication.quadratic_fields.quadratic_zero_shifts``) at a root seed the project never uses, at a
config's sizes, and asks whether the row's interval, the mean of the fields' zero shifts with its
t interval (``replication.stats.mean_of``), covers the truth. The truth is computed independently:
0 for a symmetric law (by symmetry), and for a skewed law the mean of reference fields with
``--reference-factor`` times the row's sequences, at seeds of their own, or (``--theory``, where
those would cost too much) the second-order expansion of the shift. A mirrored law's row has
the law of minus the unmirrored row (f of the mirrored law at E[X] + d is minus f at E[X] - d), so
its coverage is the same and is not simulated again.

    python tools/coverage.py --config config/config.yaml --replicates 400 --out docs/coverage
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd
import torch
import yaml
from scipy import stats

from adam_ode.quadratic import NoiseLaw, StochasticQuadratic
from replication.config import overlaid, validate
from replication.quadratic_fields import quadratic_zero_shifts
from replication.stats import mean_of

ROOT = Path(__file__).resolve().parents[1]
# Root seeds of the replicates and of the reference fields: far from any config's root seed.
REPLICATE_SEEDS, REFERENCE_SEED = 10**6, 2 * 10**6


def stage_params(config: dict, root_seed: int, seeds: int, n_samples: int) -> dict:
    """What the fields of quadratic_zeros read, at another root seed and size."""
    return {"adam": config["adam"], "field": {k: config["field"][k] for k in ("tol", "control_variate")},
            "seed": root_seed, "seeds": seeds, "n_samples": n_samples}


def one_thread() -> None:
    """Each worker on one thread, as every stage job runs (torch's own threads would oversubscribe the cores)."""
    torch.set_num_threads(1)


def replicate(job) -> list[dict]:
    """One replicate of every row kind: (config, replicate number, laws, betas)."""
    config, r, laws, betas = job
    q = config["quadratic"]
    params = stage_params(config, REPLICATE_SEEDS + r, q["zero_seeds"], q["zero_samples"])
    rows = []
    for index, law in laws:
        for beta in betas:
            est = mean_of(quadratic_zero_shifts(params, law, beta, 1, "quadratic_zeros", index, beta))
            low, high = est.interval(0.95)
            rows.append({"replicate": r, "law": index, "law_name": law.name, "beta": beta, "mean": est.value,
                         "se": est.se, "low": low, "high": high})
    return rows


def reference(job) -> dict:
    """The truth of one skewed law and beta: reference fields with factor x the row's sequences."""
    config, index, law, beta, factor = job
    q = config["quadratic"]
    params = stage_params(config, REFERENCE_SEED, q["zero_seeds"], q["zero_samples"] * factor)
    est = mean_of(quadratic_zero_shifts(params, law, beta, 1, "coverage_reference", index, beta))
    return {"law": index, "beta": beta, "truth": est.value, "truth_se": est.se}


def summarise(replicates: pd.DataFrame, truths: pd.DataFrame) -> pd.DataFrame:
    """Coverage per law and beta with its Clopper-Pearson 95% interval, and how the misses fall."""
    table = replicates.merge(truths, on=["law", "beta"])
    table["covered"] = (table["low"] <= table["truth"]) & (table["truth"] <= table["high"])
    rows = []
    for (law, name, beta), g in table.groupby(["law", "law_name", "beta"]):
        k, n = int(g["covered"].sum()), len(g)
        interval = stats.binomtest(k, n).proportion_ci(0.95, method="exact")
        t = (g["mean"] - g["truth"]) / g["se"]
        rows.append({"law": law, "law_name": name, "beta": beta, "replicates": n, "covered": k, "coverage": k / n,
                     "cp_low": interval.low, "cp_high": interval.high, "truth": g["truth"].iloc[0],
                     "truth_se": g["truth_se"].iloc[0], "median_se": g["se"].median(),
                     "misses_below": int((g["high"] < g["truth"]).sum()), "misses_above": int((g["low"] > g["truth"]).sum()),
                     "sd_of_t": float(t.std(ddof=1))})
    return pd.DataFrame(rows)


def as_markdown(summary: pd.DataFrame, config_name: str, sizes: str) -> str:
    lines = [f"Config `{config_name}` ({sizes}); 95% t intervals; Clopper-Pearson 95% interval of the coverage.", "",
             "| law | beta | coverage | CP 95% | truth (SE) | median row SE | misses below / above | sd of t |",
             "|---|---|---|---|---|---|---|---|"]
    for row in summary.itertuples():
        lines.append(f"| {row.law_name} | {row.beta:g} | {row.covered}/{row.replicates} = {row.coverage:.3f} | "
                     f"[{row.cp_low:.3f}, {row.cp_high:.3f}] | {row.truth:.6g} ({row.truth_se:.2g}) | "
                     f"{row.median_se:.2g} | {row.misses_below} / {row.misses_above} | {row.sd_of_t:.3f} |")
    return "\n".join(lines) + "\n"


def commit() -> str:
    """The code the numbers came from (with '+changes' if the work tree differs from it)."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "src", "tools"], cwd=ROOT, capture_output=True, text=True).stdout
    return head + ("+changes" if dirty else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default="config/config.yaml")
    parser.add_argument("--replicates", type=int, default=400)
    parser.add_argument("--first-replicate", type=int, default=0, help="number the replicates from here (a further batch)")
    parser.add_argument("--reference-factor", type=int, default=400,
                        help="the reference fields' sequences, in multiples of a row's (the truth's SE is then "
                             "about 1/20 of a row's)")
    parser.add_argument("--theory", action="store_true",
                        help="the truth of a skewed law from the second-order expansion instead of reference fields; "
                             "only at u = 1 - beta = 0.001, where its O(u^3) error is 1e-7 to 3e-7 (at u = 0.01 it is "
                             "about 1e-4, two standard errors of a row with the control variates)")
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--laws", type=int, nargs="+", help="indices into quadratic.laws (default: all)")
    parser.add_argument("--betas", type=float, nargs="+", help="a subset of quadratic.betas (default: all)")
    parser.add_argument("--no-control-variates", action="store_true", help="the plain estimator")
    parser.add_argument("--sequences", type=int, help="sequences per field instead of quadratic.zero_samples (fewer: "
                                                      "a cheaper size whose zeros are, if anything, more skewed)")
    parser.add_argument("--out", help="writes <out>.csv (replicates) and <out>.md; required for a simulation, "
                                      "optional with --summarise; never overwrites a file")
    parser.add_argument("--summarise", nargs="+", metavar="CSV",
                        help="no simulation: the coverage of earlier runs' replicate tables, pooled")
    args = parser.parse_args()
    written = [Path(f"{args.out}{suffix}") for suffix in ((".md",) if args.summarise else (".csv", ".md"))] if args.out else []
    if not args.summarise and not args.out:
        parser.error("--out is required for a simulation")
    if existing := [str(path) for path in written if path.exists()]:
        parser.error(f"{', '.join(existing)} exists: choose another --out (a replicate table or a study is never "
                     "overwritten)")
    if args.summarise:
        pooled = pd.concat([pd.read_csv(path) for path in args.summarise], ignore_index=True)
        truths = pooled[["law", "beta", "truth", "truth_se"]].drop_duplicates()
        summary = summarise(pooled.drop(columns=["truth", "truth_se"]), truths)
        if args.out:
            Path(f"{args.out}.md").write_text(as_markdown(summary, "pooled", "replicates of " + ", ".join(
                f"`{Path(path).name}`" for path in args.summarise)))
        print(summary.to_string(index=False))
        return
    base = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    config = validate(overlaid(base, yaml.safe_load((ROOT / args.config).read_text())),
                      ROOT / "workflow" / "schemas" / "config.schema.yaml", palette=False)
    if args.no_control_variates:
        config["field"]["control_variate"] = False
    if args.sequences:
        config["quadratic"]["zero_samples"] = args.sequences
    q = config["quadratic"]
    laws = [(index, NoiseLaw(**spec)) for index, spec in enumerate(q["laws"]) if args.laws is None or index in args.laws]
    betas = args.betas or q["betas"]
    with ProcessPoolExecutor(args.workers, initializer=one_thread) as pool:
        truths = [{"law": i, "beta": b, "truth": 0.0, "truth_se": 0.0} for i, law in laws if law.symmetric
                  for b in betas]
        skewed = [(i, law, b) for i, law in laws if not law.symmetric for b in betas]
        if args.theory:
            alpha = config["adam"]["alpha"]
            truths += [{"law": i, "beta": b, "truth": StochasticQuadratic(law, 1).second_order_zero_shift(alpha, b),
                        "truth_se": 0.0} for i, law, b in skewed]
        else:
            # The reference fields always use the control variates: they are the most precise.
            reference_config = {**config, "field": {**config["field"], "control_variate": True}}
            truths += list(pool.map(reference, [(reference_config, i, law, b, args.reference_factor)
                                                for i, law, b in skewed]))
        replicates = [row for rows in pool.map(replicate, [(config, r, laws, betas) for r in
                                                           range(args.first_replicate, args.first_replicate + args.replicates)])
                      for row in rows]
    replicates, truths = pd.DataFrame(replicates), pd.DataFrame(truths)
    summary = summarise(replicates, truths)
    replicates.merge(truths, on=["law", "beta"]).to_csv(f"{args.out}.csv", index=False, float_format="%.17g")
    sizes = (f"{q['zero_seeds']} fields of {q['zero_samples']} sequences per row, control variates "
             f"{'on' if config['field']['control_variate'] else 'off'}; {args.replicates} replicates; truth of the skewed "
             "laws " + ("from the second-order expansion" if args.theory else
                        f"from reference fields with {args.reference_factor}x the sequences") + f"; commit {commit()}")
    Path(f"{args.out}.md").write_text(as_markdown(summary, config["name"], sizes))
    print(json.dumps(summary.to_dict(orient="records"), indent=1))


if __name__ == "__main__":
    main()
