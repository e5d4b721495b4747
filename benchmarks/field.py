"""Field benchmark: time to estimate the Adam field to 1% median relative standard error,
``adam_ode.vector_field.erm_adam_field`` (count and pair-count sums, without and with the
control variate m - E[G]; the pipeline uses the latter, ``field.control_variate: true``) against
brute force (gather the d-vector of every term of every sequence), at equal error; and the
cost curves in N and d.

Point: MLP 1-64-1 (d = 193) at its initialisation, N = 32, M = 4, alpha = 0.9, beta = 0.999,
float64, one thread. Times to 1% SE are extrapolated from measured runs by SE ~ 1/sqrt(S).
Writes results/benchmarks/field.csv and field_scaling.csv.
"""

import argparse

import numpy as np
import pandas as pd
import torch

from adam_ode.erm import MLP, ERMProblem, make_dataset
from adam_ode.vector_field import erm_adam_field, sum_weights, truncation_lengths
from common import median_time, write_table

ALPHA, BETA, EPS, M, TOL = 0.9, 0.999, 1e-8, 4, 1e-6
PIPELINE = "pair counts + control variate (pipeline)"
torch.set_num_threads(1)


def brute_force(J: np.ndarray, n_samples: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Definition 1.3 term by term: for every sequence gather G_k = mean of M rows of J for
    every k up to the truncation, then m, v and -m / (eps + sqrt(v))."""
    k_alpha, k_beta = truncation_lengths(ALPHA, BETA, TOL)
    a, b = sum_weights(ALPHA, BETA, k_alpha, k_beta)
    rng = np.random.default_rng(seed)
    values = np.empty((n_samples, J.shape[1]))
    chunk = max(1, 2**22 // (M * J.shape[1]))  # terms gathered at once: at most 32 MB
    for s in range(n_samples):
        m, v = 0.0, 0.0
        for start in range(0, k_beta, chunk):
            g = J[rng.integers(0, J.shape[0], (min(chunk, k_beta - start), M))].mean(axis=1)
            head = max(0, min(len(g), k_alpha - start))
            m = m + a[start:start + head] @ g[:head]
            v = v + b[start:start + len(g)] @ g**2
        values[s] = -m / (EPS + np.sqrt(v))
    return values.mean(axis=0), values.std(axis=0, ddof=1) / np.sqrt(n_samples)


def relative_se(mean: np.ndarray, se: np.ndarray) -> float:
    return float(np.median(se / np.abs(mean)))


def jacobian(n: int, hidden: int) -> np.ndarray:
    x, y = make_dataset(n, 1, seed=0, target="sine")
    problem = ERMProblem(MLP((1, hidden, 1), "tanh"), x, y)
    theta = problem.net.init(1, torch.Generator().manual_seed(0))[0]
    return problem.per_sample_gradients(theta).numpy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--brute-samples", type=int, default=32)
    parser.add_argument("--fast-samples", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--ns", type=int, nargs="+", default=[32, 64, 128, 256, 512, 1024], help="N of the cost curve")
    parser.add_argument("--ds", type=int, nargs="+", default=[200, 2000, 20000], help="d of the cost curve")
    args = parser.parse_args()
    J = jacobian(32, 64)
    k_alpha, k_beta = truncation_lengths(ALPHA, BETA, TOL)

    brute_time = median_time(lambda: brute_force(J, args.brute_samples, 1), args.repeats)
    brute_mean, brute_se = brute_force(J, 4 * args.brute_samples, 1)  # a longer run for the agreement
    rows, estimates = [], {}
    for method, cv in (("pair counts", False), (PIPELINE, True)):
        seconds = median_time(lambda: erm_adam_field(J, M, ALPHA, BETA, EPS, args.fast_samples, 2, TOL,
                                                     control_variate=cv), args.repeats)
        estimates[method] = erm_adam_field(J, M, ALPHA, BETA, EPS, args.fast_samples, 2, TOL, control_variate=cv)
        rows.append((method, seconds / args.fast_samples, args.fast_samples,
                     relative_se(estimates[method].mean, estimates[method].stderr)))
    rows.insert(0, ("brute force", brute_time / args.brute_samples, 4 * args.brute_samples,
                    relative_se(brute_mean, brute_se)))
    # SE ~ 1/sqrt(S): the sequences for 1% are S (rel / 1%)^2, S the sequences behind rel.
    table = pd.DataFrame([{"method": method, "seconds_per_sequence": per_sequence, "sequences": samples,
                           "median_relative_se": rel, "seconds_to_1pct": per_sequence * samples * (rel / 0.01) ** 2}
                          for method, per_sequence, samples, rel in rows])
    table["speedup_to_1pct"] = table["seconds_to_1pct"].iloc[0] / table["seconds_to_1pct"]
    z = {method: np.abs(est.mean - brute_mean) / np.hypot(est.stderr, brute_se) for method, est in estimates.items()}
    table["max_z_vs_brute_force"] = [np.nan] + [float(z[m].max()) for m in estimates]
    table["median_z_vs_brute_force"] = [np.nan] + [float(np.median(z[m])) for m in estimates]
    write_table(table, "field")
    print(f"d = {J.shape[1]}, N = {J.shape[0]}, M = {M}, beta = {BETA}: {k_beta} terms per sequence; "
          f"median of {args.repeats}, 1 thread")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    for method in estimates:
        target = " (target >= 100x)" if method == PIPELINE else ""
        print(f"{method}: {table.set_index('method').loc[method, 'speedup_to_1pct']:.0f}x faster than brute force to 1% "
              f"median relative SE{target}; against {4 * args.brute_samples} brute-force sequences: max z "
              f"{z[method].max():.2f}, median z {np.median(z[method]):.2f} over {len(brute_mean)} coordinates (one set of "
              "indices drives every coordinate, so the z-scores move together)")

    # Cost per sequence as N and d grow, with random Jacobians (cost does not depend on values).
    rng = np.random.default_rng(0)
    scaling = []
    for n, d in [(n, 193) for n in args.ns] + [(32, d) for d in args.ds]:
        J = rng.standard_normal((n, d))
        samples = 64
        fast_s = median_time(lambda: erm_adam_field(J, M, ALPHA, BETA, EPS, samples, 3, TOL), 1) / samples
        brute_s = median_time(lambda: brute_force(J, 4, 3), 1) / 4
        scaling.append({"n": n, "d": d, "pair_counts_s_per_sequence": fast_s, "brute_force_s_per_sequence": brute_s})
    scaling = pd.DataFrame(scaling)
    write_table(scaling, "field_scaling")
    print(scaling.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    for column, sub in (("n", scaling[scaling["d"] == 193]), ("d", scaling[scaling["n"] == 32])):
        for method in ("pair_counts", "brute_force"):
            exponent = np.polyfit(np.log(sub[column]), np.log(sub[f"{method}_s_per_sequence"]), 1)[0]
            print(f"{method}: cost per sequence ~ {column}^{exponent:.2f}")
    by_n = scaling[scaling["d"] == 193]
    slower = by_n[by_n["pair_counts_s_per_sequence"] > by_n["brute_force_s_per_sequence"]]
    print("pair counts stop paying at N = " + (f"{int(slower['n'].min())}" if len(slower) else
                                                f"> {int(by_n['n'].max())} (not reached)")
          + f" (their N^2 d per sequence against brute force's {k_beta} x M x d)")


if __name__ == "__main__":
    main()
