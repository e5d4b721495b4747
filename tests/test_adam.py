import numpy as np
import pytest
import torch


from adam_ode.adam import DRAWN_AHEAD, AdamHyper, run_adam, stationary_means
from adam_ode.erm import MLP, ERMProblem, make_dataset
from adam_ode.schedule import (CHUNK, PolynomialSchedule, constant_schedule, geometric_grid, polynomial_schedule,
                               training_times, window_end)
from adam_ode.quadratic import NoiseLaw, StochasticQuadratic, joined_stochastic_gradient
from adam_ode.vector_field.quadratic import QuadraticCommonRandomNumbers
from replication.stats import extrapolate_to_zero, mean_of


def test_run_adam_equals_torch_optim_adam_step_by_step(small_erm, monkeypatch):
    """1200 steps, decaying schedule, 3 runs batched with their own gamma_0, alpha and beta,
    identical mini-batches: |diff| <= 1e-12. Step sizes held 500 steps at a time, so that the
    chunks' seams are crossed."""
    monkeypatch.setattr("adam_ode.adam.CHUNK", 500)
    monkeypatch.setattr("adam_ode.schedule.CHUNK", 500)
    runs, steps, batch = 3, 1200, 2
    alpha, beta, eps = np.array([0.9, 0.8, 0.9]), np.array([0.99, 0.999, 0.95]), 1e-8
    schedule = polynomial_schedule(np.array([0.01, 0.02, 0.005]), n_0=50, rho=0.6)
    theta_0 = small_erm.net.init(runs, torch.Generator().manual_seed(0))
    indices = torch.randint(small_erm.n, (steps, runs, batch), generator=torch.Generator().manual_seed(1))

    path = run_adam(theta_0, lambda th, n: small_erm.minibatch_gradient(th, indices[n - 1]),
                    schedule, AdamHyper(alpha, beta, eps), steps)

    gammas = schedule(np.arange(1, steps + 1))
    for r in range(runs):
        param = theta_0[r].clone().requires_grad_(True)
        opt = torch.optim.Adam([param], lr=float(gammas[0, r]), betas=(alpha[r], beta[r]), eps=eps)
        reference = [param.detach().clone()]
        for n in range(1, steps + 1):
            opt.param_groups[0]["lr"] = float(gammas[n - 1, r])
            opt.zero_grad()
            idx = indices[n - 1, r]
            small_erm.sample_losses(param)[idx].mean().backward()
            opt.step()
            reference.append(param.detach().clone())
        np.testing.assert_array_equal(path.times[:, r], np.concatenate([[0], np.cumsum(gammas[:, r])]))
        diff = (path.thetas[:, r] - torch.stack(reference)).abs().max().item()
        assert diff <= 1e-12, f"run {r}: max |run_adam - torch.optim.Adam| = {diff:.3e}"
        assert (path.thetas[-1, r] - theta_0[r]).abs().max() > 1e-2  # it really moved


def test_joined_problems_advance_in_one_batch_with_the_numbers_of_separate_runs(monkeypatch):
    """Two noise laws side by side, each drawing its own stream, with a beta sweep whose runs
    repeat (alpha, beta, gamma_0) (the bias corrections are computed once per distinct triple) and
    chunk seams crossed: every iterate and the final-window mean equal separate runs bit for bit."""
    monkeypatch.setattr("adam_ode.adam.CHUNK", 300)
    laws = [NoiseLaw("two_point", mean=1.0, scale=3.0, shape=0.1), NoiseLaw("lognormal", mean=1.0, scale=1.0, shape=0.5)]
    betas, steps = np.repeat([0.9, 0.99, 0.999], 4), 1000
    schedule = polynomial_schedule(np.tile([0.01, 0.003], 6), n_0=100, rho=0.5)

    def start(law):
        return torch.full((len(betas), 1), law.mean - 2 * law.scale, dtype=torch.float64)

    def oracle(index, law):
        return StochasticQuadratic(law, 1).stochastic_gradient(np.random.default_rng(index))

    options = dict(record_steps=np.arange(0, steps + 1, 50), average_from=steps // 2)
    apart = [run_adam(start(law), oracle(i, law), schedule, AdamHyper(0.9, betas, 1e-8), steps, **options)
             for i, law in enumerate(laws)]
    together = run_adam(torch.cat([start(law) for law in laws]),
                        joined_stochastic_gradient([(StochasticQuadratic(law, 1), np.random.default_rng(i))
                                                    for i, law in enumerate(laws)], [len(betas)] * len(laws)),
                        polynomial_schedule(np.tile(schedule.gamma_0, len(laws)), n_0=100, rho=0.5),
                        AdamHyper(0.9, np.tile(betas, len(laws)), 1e-8), steps, **options)
    assert torch.equal(together.thetas, torch.cat([path.thetas for path in apart], dim=1))
    assert torch.equal(together.average, torch.cat([path.average for path in apart]))
    assert not torch.equal(apart[0].average, apart[1].average)  # two problems, not one twice


def _oracles_drawing_ahead_and_step_by_step(kind):
    """(the problem's oracle, its step-by-step reference) on generators with one seed."""
    if kind == "quadratic":
        problem = StochasticQuadratic(NoiseLaw("two_point", mean=1.0, scale=3.0, shape=0.1), 2, batch_size=4)
        rng = np.random.default_rng(7)
        return (problem.stochastic_gradient(np.random.default_rng(7)),
                lambda theta, n: theta - torch.from_numpy(problem.noise(rng, tuple(theta.shape))))
    x, y = make_dataset(6, 1, seed=3, target="sine")
    problem, generator = ERMProblem(MLP((1, 8, 1), "tanh"), x, y), torch.Generator().manual_seed(7)
    return (problem.stochastic_gradient(3, torch.Generator().manual_seed(7)),
            lambda theta, n: problem.minibatch_gradient(theta, problem.minibatch_indices(theta.shape[0], 3, generator)))


@pytest.mark.parametrize("kind", ["quadratic", "erm"])
def test_oracles_drawing_ahead_give_the_numbers_of_step_by_step_draws(kind):
    """The oracles draw DRAWN_AHEAD steps of noise at once: across the seams of three blocks, every
    gradient is the one of a fresh draw per step, bit for bit; a change of batch shape is refused."""
    ahead, step_by_step = _oracles_drawing_ahead_and_step_by_step(kind)
    theta = torch.linspace(-1.0, 1.0, 5 * (2 if kind == "quadratic" else 25), dtype=torch.float64).reshape(5, -1)
    for n in range(1, 3 * DRAWN_AHEAD + 2):
        assert torch.equal(ahead(theta, n), step_by_step(theta, n)), f"step {n}"
        theta = theta + 0.01
    with pytest.raises(ValueError, match="draws ahead for parameters of shape"):
        ahead(theta[:4], 0)


def test_schedule_and_training_times():
    s = polynomial_schedule(0.1, n_0=10, rho=0.5)
    n = np.arange(1, 6)
    np.testing.assert_allclose(s(n), 0.1 * (1 + n / 10) ** -0.5, rtol=1e-15)
    t = training_times(s, 5)
    assert t[0] == 0
    np.testing.assert_allclose(t[1:], np.cumsum(0.1 * (1 + n / 10) ** -0.5), rtol=1e-15)
    assert np.all(constant_schedule(0.3)(n) == 0.3)
    # Summed a chunk at a time, in order: bit-identical to one cumulative sum, across chunks and runs.
    s = polynomial_schedule(np.array([0.1, 0.37, 2.0]), n_0=7, rho=0.6)
    steps = 3 * CHUNK + 5
    whole = np.concatenate([np.zeros((1, 3)), np.cumsum(s(np.arange(1, steps + 1)), axis=0)])
    assert np.array_equal(training_times(s, steps), whole)
    at = np.array([0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK + 17, steps])
    assert np.array_equal(training_times(s, steps, at), whole[at])


def test_window_end_covers_the_flow_window_and_refuses_one_past_the_run():
    t = training_times(constant_schedule(0.125), 10)  # t_n = n / 8, exact in binary
    assert window_end(t, 2, 0.5) == 6  # t_6 = t_2 + 0.5
    assert window_end(t, 2, 0.55) == 7  # the first step at or past t_2 + T
    assert window_end(t, 0, 1.25) == 10  # the window may end on the last step
    with pytest.raises(ValueError, match="runs past the last step"):
        window_end(t, 5, 0.75)


@pytest.mark.parametrize("rho", [0.0, -0.5, 1.5])
def test_decaying_schedule_rejects_rho_outside_unit_interval(rho):
    with pytest.raises(ValueError, match="rho"):
        polynomial_schedule(0.1, n_0=10, rho=rho)


@pytest.mark.parametrize(
    "kwargs, name",
    [({"alpha": 0.99, "beta": 0.9}, "sqrt\\(beta\\)"), ({"beta": 1.0}, "beta"),
     ({"eps": 0.0}, "eps"), ({"n_steps": 0}, "n_steps")],
)
def test_run_adam_rejects_bad_parameters(kwargs, name):
    args = dict(alpha=0.9, beta=0.999, eps=1e-8, n_steps=10) | kwargs
    with pytest.raises(ValueError, match=name):
        hyper = AdamHyper(args["alpha"], args["beta"], args["eps"])
        run_adam(torch.zeros(1, 1), lambda th, n: th, PolynomialSchedule(0.1), hyper, args["n_steps"])


def test_adam_hyper_checks_every_run_of_a_sweep():
    AdamHyper(0.9, np.array([0.9, 0.999]), 1e-8)
    with pytest.raises(ValueError, match="sqrt\\(beta\\)"):
        AdamHyper(0.9, np.array([0.999, 0.5]), 1e-8)  # the second run breaks alpha < sqrt(beta)


def test_records_grid_losses_and_flags_divergence():
    problem = StochasticQuadratic(NoiseLaw("normal", mean=1.0, scale=0.5), dim=2)
    rng = np.random.default_rng(0)
    grid = geometric_grid(500, 12)
    path = run_adam(torch.zeros(4, 2, dtype=torch.float64), problem.stochastic_gradient(rng),
                    polynomial_schedule(0.05, 10, 0.7), AdamHyper(0.9, 0.999, 1e-8), 500, record_steps=grid,
                    loss=problem.loss)
    assert list(path.steps) == list(grid) and path.thetas.shape == (len(grid), 4, 2)
    assert path.times.shape == (len(grid), 4)
    np.testing.assert_allclose(path.losses[-1], problem.loss(path.thetas[-1]))
    assert np.all(path.diverged_at == -1)
    assert path.losses[-1].max() < path.losses[0].min()

    def exploding(theta, n):  # run 0 gets an infinite gradient from step 7 on
        return torch.tensor([[float("inf") if n >= 7 else 1.0], [1.0]], dtype=theta.dtype)

    blown = run_adam(torch.zeros(2, 1, dtype=torch.float64), exploding,
                     PolynomialSchedule(1.0), AdamHyper(0.9, 0.999, 1e-8), 10)
    assert blown.diverged_at[0] == 7 and blown.diverged_at[1] == -1
    assert torch.isfinite(blown.thetas[-1, 1]).all()


def test_final_window_average_equals_the_mean_of_every_recorded_step():
    problem = StochasticQuadratic(NoiseLaw("exponential", mean=1.0, scale=1.0), dim=3)
    args = (torch.zeros(5, 3, dtype=torch.float64), polynomial_schedule(0.05, 10, 0.6), AdamHyper(0.9, 0.99, 1e-8), 400)
    every = run_adam(args[0], problem.stochastic_gradient(np.random.default_rng(3)), *args[1:])
    averaged = run_adam(args[0], problem.stochastic_gradient(np.random.default_rng(3)), *args[1:],
                        record_steps=[400], average_from=300)
    torch.testing.assert_close(averaged.average, every.thetas[300:].mean(dim=0), rtol=1e-13, atol=1e-15)
    assert every.average is None
    with pytest.raises(ValueError, match="average_from"):
        run_adam(args[0], problem.stochastic_gradient(np.random.default_rng(3)), *args[1:], average_from=401)


def test_stationary_means_extrapolate_to_the_zero_of_f_not_the_critical_point():
    """Corollary 1.10 end to end on the 1-D two-point quadratic (beta = 0.9): Adam's stationary mean
    at constant steps, extrapolated to gamma -> 0, lands on the zero of f (of the
    common-random-numbers field, with the control variates), far from E[X]."""
    law = NoiseLaw("two_point", mean=1.0, scale=3.0, shape=0.1)
    problem = StochasticQuadratic(law, 1)
    hyper = AdamHyper(0.9, 0.9, 1e-8)
    zero = QuadraticCommonRandomNumbers(problem, hyper, n_samples=2000, seed=3, control_variate=True).zero()
    gammas = [0.02, 0.01, 0.005, 0.0025]
    means = stationary_means([zero], problem.stochastic_gradient(np.random.default_rng(4)), gammas, hyper, runs=64,
                             burn_in_steps=500, average_steps=4000)[:, :, 0]
    fit = extrapolate_to_zero(gammas, [mean_of(m) for m in means])
    low, high = fit.intercept.interval(0.99)
    assert low - 1e-3 < zero < high + 1e-3, (zero, low, high)  # 1e-3: the zero's own Monte Carlo error
    assert high < law.mean - 0.2


def test_stationary_means_take_one_start_per_run_and_without_noise_settle_at_the_minimum():
    """Corollaries 1.12/1.13 on the quadratic: with the exact gradient (no noise) Adam's stationary
    mean from several starts tends to the minimiser E[X] as gamma -> 0, not to the noisy zero of f."""
    problem = StochasticQuadratic(NoiseLaw("two_point", mean=1.0, scale=3.0, shape=0.1), 1)
    starts = np.array([[0.5], [0.7], [1.4]])
    exact = lambda theta, n: theta - problem.law.mean  # noqa: E731
    gammas = [0.02, 0.01, 0.005]
    means = stationary_means(starts, exact, gammas, AdamHyper(0.9, 0.9, 1e-8), runs=3, burn_in_steps=2000,
                             average_steps=4000)
    assert means.shape == (3, 3, 1)
    assert np.abs(means[-1] - 1.0).max() < 0.05
    with pytest.raises(ValueError):
        stationary_means(starts[:2], exact, gammas, AdamHyper(0.9, 0.9, 1e-8), runs=3, burn_in_steps=1, average_steps=1)


def test_a_stage_s_hyperparameters_are_its_adam_section_with_what_it_varies():
    from replication.hyperparameters import adam_hyper

    def values(hyper: AdamHyper) -> tuple:
        return hyper.alpha, hyper.beta, hyper.eps

    params = {"adam": {"alpha": 0.9, "eps": 1e-8}}
    assert values(adam_hyper(params, beta=0.99)) == (0.9, 0.99, 1e-8)
    assert values(adam_hyper({"adam": {"alpha": 0.9, "beta": 0.999, "eps": 1e-8}}, alpha=0.0)) == (0.0, 0.999, 1e-8)
    assert params == {"adam": {"alpha": 0.9, "eps": 1e-8}}  # the stage's parameters are left as they were
