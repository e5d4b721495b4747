"""The zero shift of the 1-D quadratic from high-precision fields against its first- and
second-order expansions in u = 1 - beta (docs/mathematics.md, section 7).

For each u, ``--fields`` independent common-random-numbers fields of ``--samples`` sequences with
the control variates (``replication.quadratic_fields.quadratic_zero_shifts``, the pipeline's own
zero search), at seeds of this tool's own. C_2,eff = (delta - first order) / u^2 = C_2 + O(u) tends to
the derived C_2 as u -> 0. Over u in [0.0025, 0.01] it still curves, so a straight line through the values
would extrapolate with a bias; the parabola through three values extrapolates it to u = 0 with the
standard error its values carry.

    python tools/zero_shift_orders.py --law exponential --batch-size 1
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from adam_ode.quadratic import NoiseLaw, StochasticQuadratic
from replication.quadratic_fields import quadratic_zero_shifts
from replication.stats import mean_of

LAWS = {"two_point": NoiseLaw("two_point", 1.0, 3.0, 0.1), "exponential": NoiseLaw("exponential", 1.0, 1.0)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--law", choices=sorted(LAWS), default="two_point")
    parser.add_argument("--batch-size", type=int, default=1)
    parser.add_argument("--alpha", type=float, default=0.9)
    parser.add_argument("--us", type=float, nargs="+", default=[0.01, 0.005, 0.0025])
    parser.add_argument("--fields", type=int, default=20)
    parser.add_argument("--samples", type=int, default=50000)
    parser.add_argument("--seed", type=int, default=777)
    args = parser.parse_args()
    torch.set_num_threads(1)
    law, m = LAWS[args.law], args.batch_size
    problem = StochasticQuadratic(law, 1, m)
    params = {"adam": {"alpha": args.alpha, "eps": 1e-8}, "field": {"tol": 1e-6, "control_variate": True},
              "seed": args.seed, "seeds": args.fields, "n_samples": args.samples}
    print(f"{law.name}, M = {m}, alpha = {args.alpha}: derived C_2 = "
          f"{(problem.second_order_zero_shift(args.alpha, 0.99) - problem.leading_zero_shift(args.alpha, 0.99)) / 1e-4:.4g}")
    print("| u | delta (SE) | first order | second order | C_2,eff (SE) |\n|---|---|---|---|---|")
    effective, errors = [], []
    for u in args.us:
        shift = mean_of(quadratic_zero_shifts(params, law, 1 - u, m, "zero_shift_orders", args.law, u))
        first, second = problem.leading_zero_shift(args.alpha, 1 - u), problem.second_order_zero_shift(args.alpha, 1 - u)
        effective.append((shift.value - first) / u**2)
        errors.append(shift.se / u**2)
        print(f"| {u:g} | {shift.value:.7g} ({shift.se:.2g}) | {first:.7g} | {second:.7g} | {effective[-1]:.4g} "
              f"({errors[-1]:.2g}) |")
    if len(args.us) == 3:
        coefficients, cov = np.polyfit(args.us, effective, 2, w=1 / np.array(errors), cov="unscaled")
        print(f"C_2,eff extrapolated to u = 0 (parabola through the values): {coefficients[-1]:.4g} "
              f"({np.sqrt(cov[-1, -1]):.2g})")


if __name__ == "__main__":
    main()
