"""The paper registry: each figure with the result it tests, the stages and scripts behind it
and its caption's title (the claim checks that decide it name it in ``replication.claims``).

The figure rules (workflow/rules/figures.smk), the README's map from the paper to the pipeline
and the captions' titles (workflow/report/F*.rst, checked by a test) all come from here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    name: str  # the figure's file name and the caption's file name, e.g. "F1_flow"
    script: str  # scripts/<script>.py draws it
    title: str  # the caption's bold title, after "F1 - "
    claim: str  # the paper's claim, in one line
    reference: str
    stages: tuple[str, ...]  # the rules that compute what the figure and its claims use
    scripts: tuple[str, ...]  # their scripts

    @property
    def number(self) -> str:
        return self.name.split("_", 1)[0]


FIGURES = (
    Figure("F1_flow", "fig_flow", "Which flow does Adam follow?",
           "Adam follows the flow of f: D falls with t_n (quadratic) and with the step size over a window of "
           "training time (quadratic and networks, from fixed starts), and stays below the other flows'",
           "Theorem 1.5, Cor. 1.9", ("quadratic_flow", "flow_shard", "flow"), ("quadratic_flow.py", "flow_shard.py")),
    Figure("F2_zeros", "fig_zeros", "Limits are zeros of f, not critical points",
           "limits are zeros of f, not critical points (1-D quadratic; control: a second skewed law)", "Cor. 1.10",
           ("quadratic_zeros", "quadratic_adam"), ("quadratic_zeros.py", "quadratic_adam.py")),
    Figure("F3_field_path", "fig_field_path", "The field and the gradient along training",
           "the same in ERM: Adam's gamma -> 0 limit at an underparametrized network's critical points is the "
           "zero of f; without noise (full-batch gradient) it is the critical point", "Cor. 1.10 (ERM), Cor. 1.12, 1.13", ("gamma_limit", "train", "vector_field"),
           ("gamma_limit.py", "train.py", "vector_field.py")),
    Figure("F4_lyapunov", "fig_lyapunov", "Lyapunov map near the minimum set",
           "F is a Lyapunov function near the minimum set; measured r0 and M0, worst-case directions, a small "
           "beta where M0 binds (control: data no network can fit, judged below the distance to the zeros of f beside the "
           "minimum set, from a pilot)", "Theorems 2.1, 2.4", ("data", "minima", "control_zeros", "lyapunov_shard",
                                                           "lyapunov_pl"),
           ("minima.py", "control_zeros.py", "lyapunov_shard.py")),
    Figure("F5_pl", "fig_pl", "Polyak-Lojasiewicz and inequality (17) near the minimum set",
           "PL inequality and the noise bound (17) near the minimum set", "Section 2, inequality (17)",
           ("minima", "lyapunov_shard", "lyapunov_pl"), ("lyapunov_shard.py",)),
    Figure("F6_capture", "fig_capture", "Capture and convergence",
           "capture inside the Lyapunov neighbourhood (control: data no network can fit, with a loss tolerance "
           "below the level of the zeros of f beside the minimum set, from a pilot); convergence from random "
           "initialisation against width, a figure panel only", "Cor. 1.11, Theorem 2.4",
           ("capture", "control_zeros", "width_sweep"), ("capture.py", "control_zeros.py", "width_sweep.py")),
    Figure("F7_rates", "fig_rates", "Rates",
           "rates: the zero shift's constant as u = 1 - beta -> 0 and against M (a second skewed law as control), "
           "stationary spread against gamma",
           "Dereich, Do, Jentzen, von Wurstemberger 2025", ("quadratic_rates",), ("quadratic_rates.py",)),
)
BY_NAME = {figure.name: figure for figure in FIGURES}
