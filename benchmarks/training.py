"""Training benchmark: batched mini-batch Adam (``adam_ode.adam.run_adam`` over R runs) against two
peers on the same problem and the same mini-batches: the plain ``torch.optim.Adam`` loop a user
writes first (one run at a time), and the stacked ensemble a skilled user writes (the R networks'
weights as tensors with a leading run axis, ``torch.baddbmm``, one ``torch.optim.Adam`` over all of
them, which is exactly R independent Adams because Adam is elementwise; ``foreach`` and ``fused``
tried, the faster one kept).

MLP 1-64-1 (d = 193), N = 32, M = 4, float64, one thread for all. Prints the time per run-step
(median over repeats), the ratios at each R, the achieved fraction of the machine's measured
float64 matmul rate, the largest difference to the batched engine after the same steps, and a
profile of the batched engine at the largest R (where its time goes); writes
results/benchmarks/training.csv.

And quadratic_adam's runs as config/paper.yaml plans them (five noise laws of the 1-D stochastic
quadratic, each with four betas x 64 seeds): one ``run_adam`` call per law, each batched over its
betas and seeds, against one call for all laws (``joined_stochastic_gradient``, every law drawing
its own stream); the time per step of all laws, and the iterates identical (asserted); writes
results/benchmarks/training_laws.csv.
"""

import argparse

import numpy as np
import pandas as pd
import torch
from torch.nn.utils import parameters_to_vector, vector_to_parameters

from adam_ode.adam import AdamHyper, run_adam
from adam_ode.erm import MLP, ERMProblem, make_dataset
from adam_ode.quadratic import NoiseLaw, StochasticQuadratic, joined_stochastic_gradient
from adam_ode.schedule import constant_schedule
from common import median_time, write_table
from replication.docs.stamps import ROOT, config_of
from replication.hyperparameters import adam_hyper, stage_schedule
from replication.stages import StageTable

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


def stacked_ensemble(theta_0: torch.Tensor, indices: torch.Tensor, fused: bool) -> torch.Tensor:
    """R runs as one stacked model: (R, out, in) weights, batched matrix products, autograd, and
    one torch.optim.Adam over the stacked tensors. indices has shape (steps, R, M)."""
    hidden = 64
    # The flat layout of adam_ode's MLP: W1 (64, 1), b1 (64), W2 (1, 64), b2 (1), run by run.
    sizes = [hidden, hidden, hidden, 1]
    w1, b1, w2, b2 = (block.clone().requires_grad_(True) for block in torch.split(theta_0, sizes, dim=1))
    optimiser = torch.optim.Adam([w1, b1, w2, b2], lr=GAMMA, betas=(ALPHA, BETA), eps=EPS,
                                 **({"fused": True} if fused else {"foreach": True}))
    for idx in indices:
        optimiser.zero_grad()
        hidden_out = torch.tanh(torch.baddbmm(b1[:, None], x[idx], w1[:, None]))
        out = torch.baddbmm(b2[:, None], hidden_out, w2[:, :, None])
        # Summed over runs, so that each run's gradient is that of its own mean loss.
        ((out - y[idx]) ** 2).sum(dim=-1).mean(dim=1).sum().backward()
        optimiser.step()
    return torch.cat([w1, b1, w2, b2], dim=1).detach()


def batched(theta_0: torch.Tensor, indices: torch.Tensor) -> torch.Tensor:
    """R runs at once; indices has shape (steps, R, M)."""
    steps = indices.shape[0]
    path = run_adam(theta_0, lambda theta, n: problem.minibatch_gradient(theta, indices[n - 1]),
                    constant_schedule(GAMMA), AdamHyper(ALPHA, BETA, EPS), steps, record_steps=[steps])
    return path.thetas[-1]


def matmul_rate() -> float:
    """The machine's float64 matmul rate on one thread (FLOP/s), the practical ceiling."""
    a = torch.randn(1024, 1024, dtype=torch.float64)
    seconds = median_time(lambda: a @ a, repeats=5)
    return 2 * 1024**3 / seconds


def peer(theta_0: torch.Tensor, indices: torch.Tensor, repeats: int) -> tuple[float, str]:
    """The faster stacked ensemble (foreach or fused Adam): (seconds, variant)."""
    return min((median_time(lambda: stacked_ensemble(theta_0, indices, fused), repeats), name)
               for fused, name in ((False, "foreach"), (True, "fused")))


def profile(theta_0: torch.Tensor, indices: torch.Tensor) -> str:
    """Where the batched engine's time goes: torch's operator profile, heaviest first."""
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        batched(theta_0, indices)
    return prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=12)


def quadratic_adam_params() -> dict:
    """The quadratic_adam stage's parameters under config/paper.yaml, as the stage table plans them."""
    table = StageTable(ROOT)
    key = next(key for stage, key in table.register(config_of(ROOT / "config" / "paper.yaml"))["stages"]
               if stage == "quadratic_adam")
    return table.specs["quadratic_adam"][key]["params"]


def laws_side_by_side(steps: int, repeats: int) -> pd.DataFrame:
    """quadratic_adam's runs under the paper config, its laws, betas, seeds, schedule and start
    points: one call per law against one call for all laws, per step of all laws."""
    p = quadratic_adam_params()
    laws = [NoiseLaw(**spec) for spec in p["laws"]]
    betas, schedule = np.repeat(p["betas"], p["adam_seeds"]), stage_schedule(p)

    def oracle(index, law):
        return StochasticQuadratic(law, 1).stochastic_gradient(np.random.default_rng(index))

    def start(law):
        return torch.full((len(betas), 1), law.mean - 2 * law.scale, dtype=torch.float64)

    def per_law():
        return torch.cat([run_adam(start(law), oracle(i, law), schedule, adam_hyper(p, beta=betas), steps,
                                   record_steps=[steps]).thetas[-1] for i, law in enumerate(laws)])

    def joined():
        return run_adam(torch.cat([start(law) for law in laws]),
                        joined_stochastic_gradient([(StochasticQuadratic(law, 1), np.random.default_rng(i))
                                                    for i, law in enumerate(laws)], [len(betas)] * len(laws)),
                        schedule, adam_hyper(p, beta=np.tile(betas, len(laws))), steps, record_steps=[steps]).thetas[-1]

    identical = torch.equal(per_law(), joined())
    assert identical, "the joined laws must give the numbers of one call per law"
    apart, together = (median_time(run, repeats) / steps for run in (per_law, joined))
    return pd.DataFrame([{"laws": len(laws), "runs_per_law": len(betas), "steps": steps,
                          "per_law_us_per_step": 1e6 * apart, "joined_us_per_step": 1e6 * together,
                          "speedup": apart / together, "identical": identical}])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--runs", type=int, nargs="+", default=[1, 16, 64, 256, 1024])
    parser.add_argument("--law-steps", type=int, default=20000)
    args = parser.parse_args()
    generator = torch.Generator().manual_seed(0)

    # Agreement: the same mini-batches through all three, run by run.
    theta_0 = problem.net.init(4, generator)
    indices = torch.randint(problem.n, (args.steps, 4, M), generator=generator)
    fast = batched(theta_0, indices)
    difference = max((fast[r] - plain_loop(theta_0[r], indices[:, r])).abs().max().item() for r in range(4))
    stacked_difference = max((fast - stacked_ensemble(theta_0, indices, fused)).abs().max().item()
                             for fused in (False, True))

    plain = median_time(lambda: plain_loop(theta_0[0], indices[:, 0]), args.repeats) / args.steps
    ceiling = matmul_rate()
    rows = []
    for runs in args.runs:
        start = problem.net.init(runs, generator)
        idx = torch.randint(problem.n, (args.steps, runs, M), generator=generator)
        per_run_step = median_time(lambda: batched(start, idx), args.repeats) / (args.steps * runs)
        stacked, variant = peer(start, idx, args.repeats)
        stacked /= args.steps * runs
        rows.append({"runs": runs, "plain_us_per_step": 1e6 * plain, "stacked_us_per_run_step": 1e6 * stacked,
                     "stacked_adam": variant, "batched_us_per_run_step": 1e6 * per_run_step,
                     "speedup": plain / per_run_step, "speedup_vs_stacked": stacked / per_run_step,
                     "fraction_of_matmul_rate": FLOPS_PER_RUN_STEP / per_run_step / ceiling,
                     "max_abs_difference": difference, "stacked_max_abs_difference": stacked_difference})
    table = pd.DataFrame(rows)
    write_table(table, "training")
    print(f"MLP 1-64-1 (d = {D}), N = {problem.n}, M = {M}, float64, 1 thread, {args.steps} steps, "
          f"median of {args.repeats}; matmul rate {ceiling / 1e9:.2f} GFLOP/s; "
          f"~{FLOPS_PER_RUN_STEP} FLOP per run-step")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    best = table["speedup"].max()
    last = table.iloc[-1]
    print(f"best speed-up over the plain loop {best:.1f}x (target >= 50x); at R = 1: {table['speedup'].iloc[0]:.2f}x "
          f"(target >= 1x); over the stacked ensemble at R = {last['runs']}: {last['speedup_vs_stacked']:.2f}x "
          f"(target >= 3x); max |batched - plain| = {difference:.2e}, max |batched - stacked| = "
          f"{stacked_difference:.2e} (target <= 1e-10)")
    print(f"Profile of the batched engine at R = {args.runs[-1]} ({args.steps} steps):")
    print(profile(start, idx))
    laws = laws_side_by_side(args.law_steps, args.repeats)
    write_table(laws, "training_laws")
    print("quadratic_adam's laws, one call per law against one call for all (time per step of all laws):")
    print(laws.to_string(index=False, float_format=lambda v: f"{v:.4g}"))


if __name__ == "__main__":
    main()
