"""Field benchmark: time to estimate the Adam field to a target median relative standard error,
``adam_ode.vector_field.erm.erm_adam_field`` (count and pair-count sums, without and with the
control variates m, v, m^2, m v, v^2; the pipeline uses the latter, ``field.control_variate:
true``), once from scratch and once per theta with the sequences drawn once (the common random
numbers the pipeline's stages use), against two peers at equal error: brute force (gather the
d-vector of every term of every sequence) and the stationary chain a user writes first (Adam's
moment recursion at the fixed theta, averaging -m / (eps + sqrt(v)) along 32 independent chains,
without control variates, with m - E[G], and with m - E[G] and v - E[G^2]); and the cost curves
in N and d; and, at the Lyapunov map's size (N = 16, its 160 sequences), one estimate per direction
(the pipeline) against one call batched over a block of directions, and its 15 settings one by one
against in one batch (the pipeline; also at 640 sequences).

Point: MLP 1-64-1 (d = 193) at its initialisation, N = 32, M = 4, alpha = 0.9, beta = 0.999 and
the pipeline's 0.9, float64, one thread. The target (default 1e-4) is set where every estimator
needs a sample size at which its own error bar can be trusted (at 1% the control-variate
estimators need less than one sequence here); times are extrapolated from measured runs by
SE ~ 1/sqrt(sequences or chain steps), with floors where an error bar can be trusted: 32
sequences without control variates, 400 with them (95% intervals from 400 sequences covered
90-94% in the tests and at this point, from 32 only 78-86%: the fitted coefficients need data),
10 / (1 - beta) chain steps; a chain's burn-in is a fixed cost that stays in.
Writes results/benchmarks/field.csv, field_scaling.csv, field_directions.csv and field_settings.csv.
"""

import argparse
import math

import numpy as np
import pandas as pd
import torch

from adam_ode.adam import AdamHyper
from adam_ode.erm import MLP, ERMProblem, make_dataset
from adam_ode.vector_field.erm import ERMCommonRandomNumbers, erm_adam_field, estimates_at_jacobian
from adam_ode.vector_field.estimate import sum_weights, truncation_lengths
from common import median_time, write_table

ALPHA, EPS, M, TOL, CHAINS = 0.9, 1e-8, 4, 1e-6, 32
PIPELINE = "pair counts + control variates (pipeline)"
PER_THETA = "pair counts + control variates, sequences drawn once (pipeline, per theta)"
# Sequences below which an estimator's own error bar is not trusted (module docstring).
FLOOR, CONTROLLED_FLOOR = 32, 400
CHAIN_METHODS = {"stationary chain": 0, "stationary chain + control variate m": 1,
                 "stationary chain + control variates m, v": 2}
torch.set_num_threads(1)


def brute_force(J: np.ndarray, beta: float, n_samples: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Definition 1.3 term by term: for every sequence gather G_k = mean of M rows of J for
    every k up to the truncation, then m, v and -m / (eps + sqrt(v))."""
    k_alpha, k_beta = truncation_lengths(ALPHA, beta, TOL)
    a, b = sum_weights(ALPHA, beta, k_alpha, k_beta)
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


def burn_in(beta: float) -> int:
    """3 / (1 - beta) steps: the start then weighs beta^B = e^-3 (5%) in v; its bias is measured (z)."""
    return math.ceil(3 / (1 - beta))


def chain_average(J: np.ndarray, beta: float, steps: int, seed: int, controls: int
                  ) -> tuple[np.ndarray, np.ndarray]:
    """The stationary-chain peer: m_k = alpha m + (1 - alpha) G_k, v_k = beta v + (1 - beta) G_k^2
    at the fixed theta, CHAINS chains started at m = E[G], v = E[G^2] and burnt in, then
    -m / (eps + sqrt(v)) averaged over ``steps`` steps; the error bar is the spread of the chain
    means. ``controls``: 0; 1, subtract c (mean of m - E[G]) per chain; 2, also c' (mean of
    v - E[G^2]); the coefficients per component fitted across the chains (fitting them to the
    single steps instead did worse here: the best coefficient for a step is not the best one
    for a time average)."""
    rng = np.random.default_rng(seed)
    mean = J.mean(axis=0)
    second = mean**2 + ((J**2).mean(axis=0) - mean**2) / M
    m, v = np.tile(mean, (CHAINS, 1)), np.tile(second, (CHAINS, 1))
    values, ms, vs = np.zeros_like(m), np.zeros_like(m), np.zeros_like(m)
    burn = burn_in(beta)
    for k in range(burn + steps):
        g = J[rng.integers(0, J.shape[0], (CHAINS, M))].mean(axis=1)
        m *= ALPHA
        m += (1 - ALPHA) * g
        v *= beta
        v += (1 - beta) * g * g
        if k >= burn:
            values -= m / (EPS + np.sqrt(v))
            ms += m
            vs += v
    y = values / steps
    x = np.stack([ms / steps - mean, vs / steps - second])[:controls]  # their exact means: the chains start there
    if controls:
        z = x - x.mean(axis=1, keepdims=True)
        c = np.linalg.solve(np.einsum("psd,qsd->dpq", z, z), np.einsum("psd,sd->dp", z, y - y.mean(axis=0))[..., None])
        y = y - np.einsum("dp,psd->sd", c[..., 0], x)
    return y.mean(axis=0), y.std(axis=0, ddof=1 + controls) / math.sqrt(CHAINS)


def relative_se(mean: np.ndarray, se: np.ndarray) -> float:
    return float(np.median(se / np.abs(mean)))


def benchmark_point(n: int, hidden: int) -> tuple[ERMProblem, np.ndarray]:
    """The problem and its per-sample gradients J at its initialisation."""
    x, y = make_dataset(n, 1, seed=0, target="sine")
    problem = ERMProblem(MLP((1, hidden, 1), "tanh"), x, y)
    theta = problem.net.init(1, torch.Generator().manual_seed(0))[0]
    return problem, problem.per_sample_gradients(theta).numpy()


def compare(problem: ERMProblem, J: np.ndarray, beta: float, args) -> pd.DataFrame:
    """Every estimator at one beta: seconds to the target median relative SE, and agreement (z) with a long
    run of the pipeline's estimator (its bias is bounded by its truncation_bound, below 1e-6)."""
    hyper = AdamHyper(ALPHA, beta, EPS)
    reference = erm_adam_field(J, M, hyper, n_samples=16 * args.fast_samples, seed=9, tol=TOL, control_variate=True)
    rows = []

    def row(method, seconds, size, floor, rel, fixed, mean, se):
        # SE ~ 1/sqrt(size): the target takes size (rel / target)^2, but never less than the floor
        # below which the error bar itself is not trustworthy.
        needed = max(floor, size * (rel / args.target) ** 2)
        z = np.abs(mean - reference.mean) / np.hypot(se, reference.stderr)
        rows.append({"beta": beta, "method": method, "median_relative_se": rel, "size": size,
                     "size_at_target": needed, "seconds_to_target": fixed + seconds / size * needed,
                     "max_z_vs_reference": float(z.max()), "median_z_vs_reference": float(np.median(z))})

    # Brute force and pair counts: the size is the number of sequences (at least the floor).
    seconds = median_time(lambda: brute_force(J, beta, args.brute_samples, 1), args.repeats)
    mean, se = brute_force(J, beta, args.brute_samples, 1)
    row("brute force", seconds, args.brute_samples, FLOOR, relative_se(mean, se), 0.0, mean, se)
    for method, cv in (("pair counts", False), (PIPELINE, True)):
        def estimate():
            return erm_adam_field(J, M, hyper, n_samples=args.fast_samples, seed=2, tol=TOL, control_variate=cv)

        seconds = median_time(estimate, args.repeats)
        est = estimate()
        row(method, seconds, args.fast_samples, CONTROLLED_FLOOR if cv else FLOOR, relative_se(est.mean, est.stderr),
            0.0, est.mean, est.stderr)
    # What a stage pays per theta: the sequences drawn once, then the two matrix products and the fit.
    crn = ERMCommonRandomNumbers(problem, M, hyper, n_samples=args.fast_samples, seed=2, tol=TOL, control_variate=True)
    seconds = median_time(lambda: crn.at_jacobian(J), args.repeats)
    est = crn.at_jacobian(J)
    row(PER_THETA, seconds, args.fast_samples, CONTROLLED_FLOOR, relative_se(est.mean, est.stderr), 0.0, est.mean,
        est.stderr)
    # Chains: the size is the steps after the burn-in (at least 10 / (1 - beta), ten memory lengths
    # of v); the burn-in is paid once.
    steps = args.chain_steps
    burn_seconds = median_time(lambda: chain_average(J, beta, 1, 3, 0), args.repeats)
    for method, controls in CHAIN_METHODS.items():
        seconds = median_time(lambda: chain_average(J, beta, steps, 3, controls), args.repeats)
        mean, se = chain_average(J, beta, steps, 3, controls)
        # On a loaded machine the two medians can cross for short chains: the steps then cost nothing measurable.
        row(method, max(seconds - burn_seconds, 0.0), steps, 10 / (1 - beta), relative_se(mean, se), burn_seconds,
            mean, se)
    table = pd.DataFrame(rows)
    table["speedup_vs_brute_force"] = table["seconds_to_target"].iloc[0] / table["seconds_to_target"]
    chains = table[table["method"].str.startswith("stationary chain")]["seconds_to_target"].min()
    table["speedup_vs_best_chain"] = chains / table["seconds_to_target"]
    return table


def direction_batching(blocks: list[int], n_samples: int, repeats: int) -> pd.DataFrame:
    """The Lyapunov map's estimates around one point (N = 16, d = 193, the directions of one radius):
    one call per direction, as lyapunov_shard makes them, against one call batched over a block of
    directions (the estimator's sums, moments and cross-fit all take leading batch dimensions).
    Both give the same floats; the time is per direction."""
    problem, _ = benchmark_point(16, 64)
    hyper = AdamHyper(ALPHA, 0.999, EPS)
    crn = ERMCommonRandomNumbers(problem, M, hyper, n_samples=n_samples, seed=2, tol=TOL, control_variate=True)
    rng = np.random.default_rng(4)
    thetas = problem.net.init(1, torch.Generator().manual_seed(0))[0] + 1e-3 * torch.from_numpy(
        rng.standard_normal((max(blocks), problem.dim)))
    J = problem.per_sample_gradients(thetas)
    single = median_time(lambda: [crn.mean_at(j) for j in J], repeats) / len(J)
    one_by_one = torch.stack([crn.mean_at(j) for j in J])
    rows = []
    for block in blocks:
        batched = median_time(lambda: [crn.mean_at(J[s:s + block]) for s in range(0, len(J), block)], repeats) / len(J)
        same = torch.equal(torch.cat([crn.mean_at(J[s:s + block]) for s in range(0, len(J), block)]), one_by_one)
        rows.append({"directions_per_call": block, "per_direction_ms": 1e3 * single, "batched_ms": 1e3 * batched,
                     "speedup": single / batched, "identical": same})
    return pd.DataFrame(rows)


def setting_batching(n_samples: int, repeats: int) -> pd.DataFrame:
    """The Lyapunov map's estimates at one point (N = 16, d = 193) for its 15 settings, the momentum
    pairs (0.9, 0.9), (0.9, 0.999), (0, 0.2) x M = 1, 2, 4, 8, 16: one ``at_jacobian`` per setting
    against ``estimates_at_jacobian`` over all of them, as lyapunov_shard calls it (the pair products
    built once, the cross-fits in one batch). Both give the same floats; the time is per estimate."""
    problem, _ = benchmark_point(16, 64)
    settings = [(alpha, beta, m) for alpha, beta in ((0.9, 0.9), (0.9, 0.999), (0.0, 0.2)) for m in (1, 2, 4, 8, 16)]
    estimators = [ERMCommonRandomNumbers(problem, m, AdamHyper(alpha, beta, EPS), n_samples=n_samples, seed=seed,
                                         tol=TOL, control_variate=True) for seed, (alpha, beta, m) in enumerate(settings)]
    J = problem.per_sample_gradients(problem.net.init(1, torch.Generator().manual_seed(0))[0])
    one_by_one = median_time(lambda: [e.at_jacobian(J) for e in estimators], repeats) / len(estimators)
    together = median_time(lambda: estimates_at_jacobian(estimators, J), repeats) / len(estimators)
    same = all(np.array_equal(a.samples, b.samples)
               for a, b in zip(estimates_at_jacobian(estimators, J), (e.at_jacobian(J) for e in estimators)))
    return pd.DataFrame([{"settings": len(estimators), "sequences": n_samples, "one_by_one_ms": 1e3 * one_by_one,
                          "together_ms": 1e3 * together, "speedup": one_by_one / together, "identical": same}])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--brute-samples", type=int, default=32)
    parser.add_argument("--fast-samples", type=int, default=1024)
    parser.add_argument("--chain-steps", type=int, default=20000)
    parser.add_argument("--target", type=float, default=1e-4, help="median relative SE to reach")
    parser.add_argument("--betas", type=float, nargs="+", default=[0.999, 0.9])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--ns", type=int, nargs="+", default=[32, 64, 128, 256, 512, 1024], help="N of the cost curve")
    parser.add_argument("--ds", type=int, nargs="+", default=[200, 2000, 20000], help="d of the cost curve")
    parser.add_argument("--directions", type=int, nargs="+", default=[4, 16, 64],
                        help="directions per batched call (the largest: all the directions of a radius)")
    parser.add_argument("--lyapunov-samples", type=int, default=160,
                        help="sequences of the Lyapunov map's estimator (config/paper.yaml's lyapunov.n_samples)")
    args = parser.parse_args()
    problem, J = benchmark_point(32, 64)
    table = pd.concat([compare(problem, J, beta, args) for beta in args.betas], ignore_index=True)
    write_table(table, "field")
    print(f"d = {J.shape[1]}, N = {J.shape[0]}, M = {M}, alpha = {ALPHA}; {CHAINS} chains of {args.chain_steps} steps "
          f"after a burn-in of 3 / (1 - beta); seconds to a median relative SE of {args.target:g}; median of "
          f"{args.repeats}, 1 thread")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    for beta, sub in table.groupby("beta", sort=False):
        pipeline, per_theta = (sub.set_index("method").loc[m] for m in (PIPELINE, PER_THETA))
        print(f"beta = {beta}: the pipeline's estimator reaches {args.target:g} {pipeline['speedup_vs_brute_force']:.0f}x "
              f"faster than brute force (target >= 100x) and {pipeline['speedup_vs_best_chain']:.2f}x the best stationary "
              f"chain from scratch, {per_theta['speedup_vs_best_chain']:.2f}x per theta with its sequences drawn once "
              f"(target >= 3x); z against the reference: max {pipeline['max_z_vs_reference']:.2f} (one set of indices "
              "drives every coordinate, so the z-scores move together)")
    beta = args.betas[0]
    k_alpha, k_beta = truncation_lengths(ALPHA, beta, TOL)

    # Cost per sequence as N and d grow, with random Jacobians (cost does not depend on values).
    rng = np.random.default_rng(0)
    scaling = []
    for n, d in [(n, 193) for n in args.ns] + [(32, d) for d in args.ds]:
        J = rng.standard_normal((n, d))
        samples = 64
        fast_s = median_time(lambda: erm_adam_field(J, M, AdamHyper(ALPHA, beta, EPS), n_samples=samples, seed=3,
                                                    tol=TOL), 1) / samples
        brute_s = median_time(lambda: brute_force(J, beta, 4, 3), 1) / 4
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

    directions = direction_batching(args.directions, args.lyapunov_samples, args.repeats)
    write_table(directions, "field_directions")
    print(directions.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    print(f"Batched over directions (N = 16, {args.lyapunov_samples} sequences, d = 193): "
          + ", ".join(f"{row.directions_per_call} per call {row.speedup:.2f}x" for row in directions.itertuples())
          + " the one-direction calls the pipeline makes" + ("" if directions["identical"].all() else
                                                                "; NOT the same floats"))
    settings = pd.concat([setting_batching(n, args.repeats) for n in sorted({args.lyapunov_samples, 640})],
                         ignore_index=True)
    write_table(settings, "field_settings")
    print(settings.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    print("The Lyapunov map's 15 settings in one batch (N = 16, d = 193): " + ", ".join(
        f"{row.sequences} sequences {row.speedup:.2f}x" for row in settings.itertuples())
          + " one estimate per setting" + ("" if settings["identical"].all() else "; NOT the same floats"))


if __name__ == "__main__":
    main()
