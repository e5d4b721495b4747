"""Claim checks on synthetic tables: each must say "supported" where the effect is there and
"contradicted" where the opposite holds, so no check is unable to fail."""

import numpy as np
import pandas as pd
import pytest

from replication.claims import (capture_claims, flow_claims, interval_verdict, limit_claims, lyapunov_claims,
                                lyapunov_radius, rate_claims, step_size_claims, width_claims)

RNG = np.random.default_rng(0)


def verdicts(rows):
    return {row["id"]: row["verdict"] for row in rows}


def deviation_table(adam_exponent, gradient_level=0.25, runs=8):
    rows = []
    for run in range(runs):
        for start, time in ((1000, 10.0), (10000, 40.0), (100000, 160.0)):
            noise = np.exp(0.05 * RNG.standard_normal(3))
            for flow, value in (("adam", 0.5 * time**adam_exponent), ("gradient", gradient_level),
                                ("noiseless", 0.4)):
                rows.append({"network": "q", "kind": "start", "run": run, "start": start, "time": time,
                             "flow": flow, "deviation": value * noise[len(rows) % 3]})
    return pd.DataFrame(rows)


def test_flow_claims_follow_the_flow_whose_deviation_falls():
    good = verdicts(flow_claims(deviation_table(-0.5), margin=0.25, z=3))
    assert good["F1.follows.q.adam"] == "supported"
    assert good["F1.follows.q.gradient"] == good["F1.follows.q.noiseless"] == "contradicted"
    assert good["F1.closest.q.adam_vs_gradient"] == "supported"
    bad = verdicts(flow_claims(deviation_table(0.0, gradient_level=0.01), margin=0.25, z=3))
    assert bad["F1.follows.q.adam"] == "contradicted"
    assert bad["F1.closest.q.adam_vs_gradient"] == "contradicted"


def test_step_size_claims_need_deviation_growing_with_gamma():
    rows = [{"network": "q", "kind": "sweep", "seed": s, "gamma_0": g, "flow": flow,
             "deviation": (g**0.5 if flow == "adam" else 0.3) * np.exp(0.05 * RNG.standard_normal())}
            for s in range(6) for g in (0.01, 0.02, 0.04, 0.08) for flow in ("adam", "gradient")]
    result = verdicts(step_size_claims(pd.DataFrame(rows), margin=0.25))
    assert result == {"F1.step_size.q.adam": "supported", "F1.step_size.q.gradient": "contradicted"}


def test_rate_claims_match_only_the_expected_slope():
    rows = []
    for role, exponent in (("skewed", 1.0), ("control", 2.0)):
        for seed in range(8):
            for x in (0.025, 0.05, 0.1, 0.15):
                rows.append({"kind": "beta", "role": role, "law": role, "x": x, "seed": seed, "diverged": False,
                             "value": -0.3 * x**exponent * np.exp(0.03 * RNG.standard_normal())})
    result = verdicts(rate_claims(pd.DataFrame(rows), tolerance=0.3))
    assert result == {"F7.beta_rate.skewed": "supported", "F7.beta_rate.control": "contradicted"}
    assert interval_verdict(0.6, 1.5, 0.7, 1.3) == "inconclusive"


def lyapunov_table(failing_radius):
    rows = []
    for network, over in (("over", True), ("under", False)):
        for radius in (1e-4, 1e-3, 1e-2, 1e-1):
            for m in (1, 2, 4):
                for point in range(5):
                    bad = not over or radius >= failing_radius or (m == 1 and point == 0)
                    rows.append({"network": network, "overparametrized": over, "radius": radius, "batch_size": m,
                                 "derivative": 1.0 if bad else -1.0, "derivative_se": 0.1})
    return pd.DataFrame(rows)


def test_lyapunov_radius_and_batch_size_threshold():
    table = lyapunov_table(failing_radius=1e-2)
    assert lyapunov_radius(table[table["network"] == "over"], 4) == 1e-3
    assert lyapunov_radius(table[table["network"] == "under"], 4) is None
    rows = {row["id"]: row for row in lyapunov_claims(table)}
    assert rows["F4.radius.over"]["verdict"] == "supported" and rows["F4.radius.over"]["ci_high"] == 1e-2
    assert rows["F4.batch_size.over"]["estimate"] == 2 and rows["F4.batch_size.over"]["ci_low"] == 1
    assert {rows[f"F4.{c}.under"]["verdict"] for c in ("lyapunov", "radius", "batch_size")} == {"contradicted"}


def test_capture_and_width_claims_count_runs_that_reach_small_loss():
    rows = []
    for network, over, final in (("over", True, 1e-7), ("under", False, 0.05)):
        for run in range(4):
            for step, loss in ((0, 1e-4 if over else 0.0501), (1000, final)):
                rows.append({"network": network, "overparametrized": over, "radius": 1e-2, "run": run,
                             "step": step, "loss": loss, "diverged": False})
    result = verdicts(capture_claims(pd.DataFrame(rows), reduction=10, tol=1e-3))
    assert result == {"F6.capture.over": "supported", "F6.capture.under": "contradicted"}
    widths = pd.DataFrame([{"width": w, "dim": 3 * w + 1, "n": 8, "run": r, "step": 100, "diverged": False,
                            "loss": 1e-6 if w > 1 else 0.05} for w in (1, 16) for r in range(8)])
    assert verdicts(width_claims(widths, 1e-3)) == {"F6.converges.width=16": "supported",
                                                   "F6.converges.width=1": "contradicted"}


@pytest.mark.parametrize("shift, expected", [(0.5, "supported"), (0.0, "contradicted")])
def test_limit_claims_tell_zeros_of_f_from_critical_points(shift, expected):
    """Predictions at Adam's limits and at the zeros of f scatter around the critical point's
    plus ``shift`` (12 runs, so that t-tails rarely make a null effect inconclusive)."""
    rows, rng = [], np.random.default_rng(5)
    for run in range(12):
        for j in range(4):
            base = np.sin(j) + 0.01 * rng.standard_normal()
            for point, value in (("critical", base), ("limit", base + shift + 0.01 * rng.standard_normal()),
                                 ("zero", base + shift + 0.01 * rng.standard_normal()),
                                 ("zero_repeat", base + shift + 0.01 * rng.standard_normal())):
                rows.append({"network": "under", "overparametrized": False, "point": point, "run": run, "sample": j,
                             "prediction": value})
    result = verdicts(limit_claims(pd.DataFrame(rows), z_strong=5, z_weak=3))
    assert result["F3.limit_is_zero.under"] == "supported"
    assert result["F3.zero_not_critical.under"] == result["F3.limit_not_critical.under"] == expected
    assert result["F3.zero_repeat.under"] == "contradicted"
