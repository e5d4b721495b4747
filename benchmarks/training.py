"""Training benchmark: batched mini-batch Adam (``adam_ode.adam.run_adam`` over R runs) against the
plain ``torch.optim.Adam`` loop a user writes, on the same problem and the same mini-batches.

MLP 1-64-1 (d = 193), N = 32, M = 4, float64, one thread for both. Prints the time per run-step
(median over repeats), the speed-up at each R, the achieved fraction of the machine's
measured float64 matmul rate, and the largest difference between the two after the same
steps; writes results/benchmarks/training.csv.
"""

import argparse

import pandas as pd
import torch
from torch.nn.utils import parameters_to_vector, vector_to_parameters

from adam_ode.adam import run_adam
from adam_ode.schedule import constant_schedule
from adam_ode.erm import MLP, ERMProblem, make_dataset
from common import median_time, write_table

GAMMA, ALPHA, BETA, EPS, M = 1e-3, 0.9, 0.999, 1e-8, 4
torch.set_num_threads(1)
x, y = make_dataset(32, 1, seed=0, target="sine")
problem = ERMProblem(MLP((1, 64, 1), "tanh"), x, y)
D = problem.dim
# Multiply-adds of one run-step: forward and backward through both layers for M samples,
# plus the Adam update (about 10 operations per parameter).
FLOPS_PER_RUN_STEP = 3 * 2 * D * M + 10 * D


def plain_loop(theta_0: torch.Tensor, indices: torch.Tensor) -> torch.Tensor:
    """One run, the way a user writes it: nn.Sequential, torch.optim.Adam, backward."""
    model = torch.nn.Sequential(torch.nn.Linear(1, 64), torch.nn.Tanh(), torch.nn.Linear(64, 1)).double()
    vector_to_parameters(theta_0.clone(), model.parameters())  # same layout as adam_ode's MLP
    optimiser = torch.optim.Adam(model.parameters(), lr=GAMMA, betas=(ALPHA, BETA), eps=EPS)
    for idx in indices:
        optimiser.zero_grad()
        loss = ((model(x[idx]) - y[idx]) ** 2).sum(dim=-1).mean()
        loss.backward()
        optimiser.step()
    return parameters_to_vector(model.parameters()).detach()


def batched(theta_0: torch.Tensor, indices: torch.Tensor) -> torch.Tensor:
    """R runs at once; indices has shape (steps, R, M)."""
    steps = indices.shape[0]
    path = run_adam(theta_0, lambda theta, n: problem.minibatch_gradient(theta, indices[n - 1]),
                    constant_schedule(GAMMA), ALPHA, BETA, EPS, steps, record_steps=[steps])
    return path.thetas[-1]


def matmul_rate() -> float:
    """The machine's float64 matmul rate on one thread (FLOP/s), the practical ceiling."""
    a = torch.randn(1024, 1024, dtype=torch.float64)
    seconds = median_time(lambda: a @ a, repeats=5)
    return 2 * 1024**3 / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--runs", type=int, nargs="+", default=[1, 16, 64, 256, 1024])
    args = parser.parse_args()
    generator = torch.Generator().manual_seed(0)

    # Agreement: the same mini-batches through both, run by run.
    theta_0 = problem.net.init(4, generator)
    indices = torch.randint(problem.n, (args.steps, 4, M), generator=generator)
    fast = batched(theta_0, indices)
    difference = max((fast[r] - plain_loop(theta_0[r], indices[:, r])).abs().max().item() for r in range(4))

    plain = median_time(lambda: plain_loop(theta_0[0], indices[:, 0]), args.repeats) / args.steps
    ceiling = matmul_rate()
    rows = []
    for runs in args.runs:
        start = problem.net.init(runs, generator)
        idx = torch.randint(problem.n, (args.steps, runs, M), generator=generator)
        per_run_step = median_time(lambda: batched(start, idx), args.repeats) / (args.steps * runs)
        rows.append({"runs": runs, "plain_us_per_step": 1e6 * plain, "batched_us_per_run_step": 1e6 * per_run_step,
                     "speedup": plain / per_run_step,
                     "fraction_of_matmul_rate": FLOPS_PER_RUN_STEP / per_run_step / ceiling,
                     "max_abs_difference": difference})
    table = pd.DataFrame(rows)
    write_table(table, "training")
    print(f"MLP 1-64-1 (d = {D}), N = {problem.n}, M = {M}, float64, 1 thread, {args.steps} steps, "
          f"median of {args.repeats}; matmul rate {ceiling / 1e9:.2f} GFLOP/s; "
          f"~{FLOPS_PER_RUN_STEP} FLOP per run-step")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    best = table["speedup"].max()
    print(f"best speed-up {best:.1f}x (target >= 50x); at R = 1: {table['speedup'].iloc[0]:.2f}x (target >= 1x); "
          f"max |batched - plain| = {difference:.2e} (target <= 1e-10)")


if __name__ == "__main__":
    main()
