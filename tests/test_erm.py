import numpy as np
import pytest
import torch

from torch.nn.utils import parameters_to_vector, vector_to_parameters

from adam_ode.checks import polish_minimum
from adam_ode.erm import ACTIVATIONS, MLP, ERMProblem, conflicting_labels, make_dataset

MODULES = {"tanh": torch.nn.Tanh, "softplus": torch.nn.Softplus, "sigmoid": torch.nn.Sigmoid, "silu": torch.nn.SiLU}


def test_per_sample_gradients_match_autograd(small_erm):
    theta = small_erm.net.init(1, torch.Generator().manual_seed(1))[0]
    J = small_erm.per_sample_gradients(theta)
    assert J.shape == (small_erm.n, small_erm.dim)
    for j in range(small_erm.n):
        th = theta.clone().requires_grad_(True)
        (g,) = torch.autograd.grad(small_erm.sample_losses(th)[j], th)
        torch.testing.assert_close(J[j], g, rtol=1e-13, atol=1e-15)
    torch.testing.assert_close(small_erm.gradient(theta), J.mean(dim=0), rtol=1e-13, atol=1e-15)
    batch = small_erm.net.init(3, torch.Generator().manual_seed(2))
    torch.testing.assert_close(small_erm.per_sample_gradients(batch)[2], small_erm.per_sample_gradients(batch[2]))


def test_gradient_matches_finite_differences(small_erm):
    f, df = small_erm.numpy_functions()
    theta = small_erm.net.init(1, torch.Generator().manual_seed(4))[0].numpy()
    h, e = 1e-6, np.eye(len(theta))
    fd = np.array([(f(theta + h * e[i]) - f(theta - h * e[i])) / (2 * h) for i in range(len(theta))])
    np.testing.assert_allclose(df(theta), fd, rtol=1e-6, atol=1e-9)


def test_minibatch_gradient_is_mean_over_indices_with_replacement(small_erm):
    theta = small_erm.net.init(2, torch.Generator().manual_seed(0))
    idx = torch.tensor([[0, 0, 3], [5, 1, 1]])
    G = small_erm.minibatch_gradient(theta, idx)
    J = small_erm.per_sample_gradients(theta)
    for r in range(2):
        torch.testing.assert_close(G[r], J[r, idx[r]].mean(dim=0))
    draws = small_erm.minibatch_indices(20000, 2, torch.Generator().manual_seed(0))
    repeats = (draws[:, 0] == draws[:, 1]).double().mean().item()
    assert abs(repeats - 1 / small_erm.n) < 0.01  # i.i.d. uniform: P(U_1 = U_2) = 1/N
    counts = torch.bincount(draws.flatten(), minlength=small_erm.n).double() / draws.numel()
    assert (counts - 1 / small_erm.n).abs().max() < 0.01


def test_batched_forward_equals_single_forward():
    net = MLP((3, 7, 4, 2), "softplus")
    theta = net.init(4, torch.Generator().manual_seed(0))
    x = torch.randn(5, 3, dtype=torch.float64)
    out = net(theta, x)
    assert out.shape == (4, 5, 2) and net.dim == 3 * 7 + 7 + 7 * 4 + 4 + 4 * 2 + 2
    for r in range(4):
        torch.testing.assert_close(out[r], net(theta[r], x))


def test_dataset_is_deterministic_and_distinct():
    x1, y1 = make_dataset(40, 2, seed=7)
    x2, y2 = make_dataset(40, 2, seed=7)
    assert torch.equal(x1, x2) and torch.equal(y1, y2) and y1.shape == (40, 1)
    assert torch.pdist(x1).min() > 0
    assert not torch.equal(make_dataset(40, 2, seed=8)[0], x1)


@pytest.mark.parametrize(
    "call, name",
    [(lambda: MLP((1, 4, 1), "relu"), "activation"), (lambda: MLP((3,)), "widths"),
     (lambda: make_dataset(1, 1, 0), "N"), (lambda: make_dataset(5, 1, 0, target="nope"), "target")],
)
def test_bad_input_is_rejected(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_minibatch_size_must_be_positive(small_erm):
    with pytest.raises(ValueError, match="batch_size"):
        small_erm.minibatch_indices(1, 0, torch.Generator())


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("widths", [(1, 6, 1), (3, 5, 4, 2), (2, 1, 3), (1, 1, 1)])
def test_hand_written_reverse_mode_matches_torch_nn_and_autograd(widths, activation):
    """Output and gradient of the mean loss against torch.nn.Sequential with autograd (same
    parameter layout), for single and batched theta, including the widths of 1 that take the
    broadcasting paths instead of bmm."""
    x, y = make_dataset(7, widths[0], seed=1, target="quadratic")
    y = y.expand(-1, widths[-1]) * torch.arange(1.0, widths[-1] + 1, dtype=torch.float64)
    problem = ERMProblem(MLP(widths, activation), x, y)
    theta = problem.net.init(3, torch.Generator().manual_seed(5))
    theta = theta + 0.1 * torch.randn(theta.shape, generator=torch.Generator().manual_seed(6), dtype=theta.dtype)
    layers = []
    for k, (inp, out) in enumerate(zip(widths[:-1], widths[1:])):
        layers += [torch.nn.Linear(inp, out)] + ([MODULES[activation]()] if k < len(widths) - 2 else [])
    model = torch.nn.Sequential(*layers).double()
    batched = problem.gradient(theta)
    for r in range(3):
        vector_to_parameters(theta[r].clone(), model.parameters())
        model.zero_grad()
        loss = ((model(x) - y) ** 2).sum(dim=-1).mean()
        loss.backward()
        reference = parameters_to_vector(p.grad for p in model.parameters())
        torch.testing.assert_close(problem.net(theta[r], x), model(x).detach(), rtol=1e-13, atol=1e-14)
        torch.testing.assert_close(problem.loss(theta[r]), loss.detach(), rtol=1e-13, atol=1e-14)
        torch.testing.assert_close(problem.gradient(theta[r]), reference, rtol=1e-12, atol=1e-13)
        torch.testing.assert_close(batched[r], reference, rtol=1e-12, atol=1e-13)


def test_conflicting_labels_set_a_loss_floor_that_training_reaches_but_not_beats():
    x, y = make_dataset(8, 1, seed=0, target="sine")
    xc, yc = conflicting_labels(x, y, 1.0)
    assert torch.equal(xc[-2:], x[[0, 0]]) and yc[-1, 0] - yc[0, 0] == 1.0 and torch.equal(xc[1:6], x[1:6])
    clean, conflicting = ERMProblem(MLP((1, 16, 1), "tanh"), x, y), ERMProblem(MLP((1, 16, 1), "tanh"), xc, yc)
    assert clean.loss_floor == 0.0
    # Labels (y0, y0, y0 + 1) at one input: residuals (-1/3, -1/3, 2/3) at best, (1/N) 6/9 in all.
    assert conflicting.loss_floor == pytest.approx(2 / (3 * 8), rel=1e-14)
    f, _ = conflicting.numpy_functions()
    r, dr = conflicting.numpy_residuals()
    thetas = conflicting.net.init(4, torch.Generator().manual_seed(1)).numpy()
    best = min((polish_minimum(r, dr, theta, 1e-20, max_iter=5000) for theta in thetas), key=lambda m: m.excess)
    assert best.converged and abs(f(best.theta) - conflicting.loss_floor) < 1e-15  # reached, and not beaten
    # On the minimum set the per-sample gradients of the conflicting points do not vanish.
    jac = conflicting.per_sample_gradients(torch.from_numpy(best.theta))
    assert jac[[0, 6, 7]].norm(dim=1).min() > 1e-2 and jac.mean(dim=0).norm() < 1e-6
    with pytest.raises(ValueError, match="N >= 3"):
        conflicting_labels(x[:2], y[:2], 1.0)


@pytest.mark.parametrize("outputs", [1, 3])
def test_excess_residuals_square_to_the_excess_loss_and_match_autograd(outputs):
    x, y = make_dataset(8, 2, seed=0, target="sine")
    x, y = conflicting_labels(x, y, 1.0)
    problem = ERMProblem(MLP((2, 5, outputs), "tanh"), x, y.repeat(1, outputs) * torch.arange(1.0, outputs + 1))
    theta = problem.net.init(1, torch.Generator().manual_seed(0))[0]
    r = problem.excess_residuals(theta)
    assert r.shape == (6 * outputs,)  # 8 inputs, 3 of them the same
    torch.testing.assert_close(r @ r, problem.loss(theta) - problem.loss_floor, rtol=1e-14, atol=0)
    torch.testing.assert_close(problem.excess_jacobian(theta), torch.func.jacrev(problem.excess_residuals)(theta),
                               rtol=1e-13, atol=1e-15)


def test_full_gradient_is_grad_f_for_every_run(small_erm):
    theta = small_erm.net.init(3, torch.Generator().manual_seed(2))
    torch.testing.assert_close(small_erm.full_gradient(theta, 1), torch.stack([small_erm.gradient(t) for t in theta]))
