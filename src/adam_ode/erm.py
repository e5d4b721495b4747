"""Empirical risk minimisation (Definition 2.3) with a fully connected network.

Normalisation: l_j(theta) = |N(theta, x_j) - y_j|^2 and F = (1/N) sum_j l_j (no factor 1/2).

Parameters are one flat vector theta in R^d (or a batch of them, shape (R, d)), so that
Adam, the field estimators and the ODE solvers all see the same object. The activation
must be C^1, as the paper assumes of the realization function: ReLU is excluded because
its per-sample gradients jump across kinks, so the Adam field is not continuous there and
the ODE picture does not apply.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import torch

from .adam import DrawnAhead

# sigma and sigma'(z), the latter from the pre-activation z and the activation a = sigma(z).
ACTIVATIONS = {
    "tanh": (torch.tanh, lambda z, a: torch.rsub(a * a, 1)),  # 1 - a^2, without Tensor.__rsub__'s Python wrapper
    "softplus": (torch.nn.functional.softplus, lambda z, a: torch.sigmoid(z)),
    "sigmoid": (torch.sigmoid, lambda z, a: a * (1 - a)),
    "silu": (torch.nn.functional.silu, lambda z, a: (s := torch.sigmoid(z)) * (1 + z * (1 - s))),
}


def _bmm(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Batched a @ b; an inner dimension of 1 is an outer product, which broadcasting does
    several times faster than bmm's many tiny matrices."""
    return a * b if a.shape[-1] == 1 else torch.bmm(a, b)


def _weight_gradient(delta: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    """sum_b delta_b h_b^T for delta (R, B, out) and h (R, B, in), flattened to (R, out * in)."""
    if delta.shape[-1] == 1 or h.shape[-1] == 1:  # a column factor: broadcasting beats bmm here too
        return (delta * h).sum(dim=1)
    return torch.bmm(delta.transpose(1, 2), h).flatten(1)


TARGET_FUNCTIONS = {
    "sine": lambda x: torch.sin(math.pi * x).sum(dim=1, keepdim=True),
    "quadratic": lambda x: (x**2).sum(dim=1, keepdim=True),
}


@dataclass(frozen=True)
class MLP:
    """Realization function of a fully connected network; widths = [input, hidden..., output]."""

    widths: tuple[int, ...]
    activation: str = "tanh"

    def __post_init__(self):
        if len(self.widths) < 2 or any(int(w) < 1 for w in self.widths):
            raise ValueError(
                f"widths must list >= 2 positive layer sizes (input, ..., output), got {self.widths}"
            )
        if self.activation not in ACTIVATIONS:
            raise ValueError(
                f"activation must be one of {sorted(ACTIVATIONS)} (C^1; relu is excluded), "
                f"got {self.activation!r}"
            )
        object.__setattr__(self, "widths", tuple(int(w) for w in self.widths))

    @cached_property
    def shapes(self) -> list[tuple[int, int]]:
        return list(zip(self.widths[1:], self.widths[:-1]))

    @cached_property
    def dim(self) -> int:
        """Number of parameters d."""
        return sum(o * i + o for o, i in self.shapes)

    def init(self, runs: int, generator: torch.Generator, dtype=torch.float64) -> torch.Tensor:
        """Independent LeCun-normal initialisations, shape (runs, d); biases start at 0."""
        blocks = []
        for out, inp in self.shapes:
            w = torch.randn((runs, out * inp), generator=generator, dtype=dtype) / math.sqrt(inp)
            blocks += [w, torch.zeros((runs, out), dtype=dtype)]
        return torch.cat(blocks, dim=1)

    @cached_property
    def _block_sizes(self) -> list[int]:
        return [size for out, inp in self.shapes for size in (out * inp, out)]

    def _layers(self, th: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """(w, b) of each layer as views of th (R, d): w is (R, out, in), b is (R, 1, out)."""
        blocks = th.split_with_sizes(self._block_sizes, dim=1)  # Tensor.split's Python wrapper costs more
        return [(w.unflatten(1, shape), b[:, None]) for shape, w, b in zip(self.shapes, blocks[::2], blocks[1::2])]

    def _forward(self, theta: torch.Tensor, x: torch.Tensor, keep: bool):
        """Output (R, B, out) of a batch of parameters, with each layer's input and sigma' if ``keep``."""
        h = x if x.ndim == 3 else x.expand(theta.shape[0], *x.shape)
        act, slope = ACTIVATIONS[self.activation]
        layers = self._layers(theta)
        inputs, slopes = [], []
        for k, (w, b) in enumerate(layers):
            inputs.append(h)
            z = _bmm(h, w.transpose(1, 2)).add_(b)
            h = act(z) if k < len(layers) - 1 else z
            if keep and k < len(layers) - 1:
                slopes.append(slope(z, h))
        return h, layers, inputs, slopes

    def __call__(self, theta: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """N(theta, x). theta: (d,) or (R, d); x: (B, in), or (R, B, in) for per-run inputs.

        Returns (B, out) for a single theta and (R, B, out) for a batch.
        """
        single = theta.ndim == 1
        out = self._forward(theta[None] if single else theta, x, keep=False)[0]
        return out[0] if single else out

    def vjp(self, theta: torch.Tensor, x: torch.Tensor):
        """(N(theta, x), pullback), as ``torch.func.vjp``: pullback maps a cotangent shaped like the
        output to one shaped like theta.

        Reverse mode written out, because for small networks autograd's cost per operation,
        not the arithmetic, dominates a training step.
        """
        single = theta.ndim == 1
        out, layers, inputs, slopes = self._forward(theta[None] if single else theta, x, keep=True)

        def pullback(cotangent: torch.Tensor) -> torch.Tensor:
            delta = cotangent[None] if single else cotangent
            blocks = []
            for k in reversed(range(len(layers))):
                if k < len(layers) - 1:
                    delta = delta * slopes[k]
                blocks += [delta.sum(dim=1), _weight_gradient(delta, inputs[k])]
                if k > 0:
                    delta = _bmm(delta, layers[k][0])
            grad = torch.cat(blocks[::-1], dim=1)
            return grad[0] if single else grad

        return (out[0] if single else out), pullback


def make_dataset(
    n: int, input_dim: int, seed: int, target: str = "teacher", teacher_width: int = 4,
    activation: str = "tanh", dtype=torch.float64,
) -> tuple[torch.Tensor, torch.Tensor]:
    """N inputs uniform on [-1, 1]^input_dim (checked pairwise distinct) and scalar targets.

    ``target`` is "teacher" (a random network with one hidden layer of ``teacher_width``
    units, drawn from the same seed) or a name in TARGET_FUNCTIONS.
    """
    if n < 2:
        raise ValueError(f"N must be >= 2, got N={n}")
    if input_dim < 1:
        raise ValueError(f"input_dim must be >= 1, got input_dim={input_dim}")
    gen = torch.Generator().manual_seed(seed)
    x = 2 * torch.rand((n, input_dim), generator=gen, dtype=dtype) - 1
    if torch.cdist(x, x).add(torch.eye(n, dtype=dtype)).min() <= 0:
        raise ValueError("inputs are not pairwise distinct; change the seed")
    if target == "teacher":
        teacher = MLP((input_dim, teacher_width, 1), activation)
        y = teacher(teacher.init(1, gen, dtype)[0], x)
    elif target in TARGET_FUNCTIONS:
        y = TARGET_FUNCTIONS[target](x)
    else:
        raise ValueError(
            f"target must be 'teacher' or one of {sorted(TARGET_FUNCTIONS)}, got {target!r}"
        )
    return x, y


def conflicting_labels(x: torch.Tensor, y: torch.Tensor, delta: float) -> tuple[torch.Tensor, torch.Tensor]:
    """The data set with its last two inputs replaced by copies of the first, labelled y_0 and
    y_0 + delta: one input carries labels (y_0, y_0, y_0 + delta), a skewed spread that no
    network can fit, so the mini-batch noise does not vanish on the minimum set."""
    if x.shape[0] < 3:
        raise ValueError(f"conflicting labels need N >= 3 data points, got N={x.shape[0]}")
    if not delta > 0:
        raise ValueError(f"the conflicting label offset must be > 0, got delta={delta}")
    x, y = x.clone(), y.clone()
    x[-2:] = x[0]
    y[-2], y[-1] = y[0], y[0] + delta
    return x, y


@dataclass(frozen=True)
class ERMProblem:
    """F(theta) = (1/N) sum_j |N(theta, x_j) - y_j|^2 with its gradient estimators."""

    net: MLP
    x: torch.Tensor  # (N, in)
    y: torch.Tensor  # (N, out)

    @property
    def n(self) -> int:
        return self.x.shape[0]

    @property
    def dim(self) -> int:
        return self.net.dim

    @cached_property
    def _distinct_inputs(self):
        """The distinct inputs x_g, the mean label at each and sqrt(N_g / N) for N_g copies of x_g,
        and the index g of every data point."""
        inputs, group, counts = torch.unique(self.x, dim=0, return_inverse=True, return_counts=True)
        means = torch.zeros((len(counts), self.y.shape[1]), dtype=self.y.dtype).index_add_(0, group, self.y)
        means /= counts[:, None]
        return inputs, means, torch.sqrt(counts.to(self.y.dtype) / self.n)[:, None], group

    @cached_property
    def loss_floor(self) -> float:
        """inf F over every function of the inputs: the spread of the labels of repeated inputs
        about their mean, (1/N) sum_j |y_j - mean of the labels at x_j|^2 (0 for distinct inputs)."""
        _, means, _, group = self._distinct_inputs
        return float(((self.y - means[group]) ** 2).sum() / self.n)

    def excess_residuals(self, theta: torch.Tensor) -> torch.Tensor:
        """r(theta) with |r|^2 = F(theta) - inf F: r_g = sqrt(N_g / N) (N(theta, x_g) - mean label
        at x_g) over the distinct inputs, flattened. It vanishes exactly on the interpolating part
        of the minimum set, and gives F - inf F without the cancellation of F - loss_floor."""
        inputs, means, weights, _ = self._distinct_inputs
        return (weights * (self.net(theta, inputs) - means)).reshape(-1)

    def excess_jacobian(self, theta: torch.Tensor) -> torch.Tensor:
        """d r / d theta at a single theta: shape (len(r), d)."""
        inputs, means, weights, _ = self._distinct_inputs
        groups, out = means.shape
        # Every (input, output component) pair is a run of its own, pulled back with a unit cotangent.
        eye = torch.eye(out, dtype=theta.dtype)
        runs = theta.expand(groups * out, -1)
        _, pullback = self.net.vjp(runs, inputs.repeat_interleave(out, dim=0)[:, None])
        jac = pullback(eye.repeat(groups, 1)[:, None]).reshape(groups, out, -1)
        return (weights[:, :, None] * jac).reshape(groups * out, -1)

    def sample_losses(self, theta: torch.Tensor) -> torch.Tensor:
        """l_j(theta) for all j: (N,) or (R, N)."""
        return ((self.net(theta, self.x) - self.y) ** 2).sum(dim=-1)

    def loss(self, theta: torch.Tensor) -> torch.Tensor:
        """F(theta): a scalar, or (R,) for a batch."""
        return self.sample_losses(theta).mean(dim=-1)

    def gradient(self, theta: torch.Tensor) -> torch.Tensor:
        """grad F, same shape as theta."""
        return self._grad_of_mean(theta, self.x, self.y)

    def per_sample_gradients(self, theta: torch.Tensor) -> torch.Tensor:
        """J(theta): row j is grad l_j(theta); shape (N, d) (or (R, N, d) for a batch)."""
        single = theta.ndim == 1
        th = theta[None] if single else theta
        runs, n = th.shape[0], self.n
        # Every (run, sample) pair is a run of its own with a batch of one.
        pairs = th[:, None].expand(runs, n, -1).reshape(runs * n, -1)
        x = self.x.expand(runs, n, -1).reshape(runs * n, 1, -1)
        y = self.y.expand(runs, n, -1).reshape(runs * n, 1, -1)
        jac = self._grad_of_mean(pairs, x, y).reshape(runs, n, -1)
        return jac[0] if single else jac

    def minibatch_indices(self, runs: int | tuple[int, ...], batch_size: int, generator: torch.Generator) -> torch.Tensor:
        """i.i.d. uniform indices, drawn with replacement: shape (runs, batch_size), or
        (*runs, batch_size) for a tuple."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got batch_size={batch_size}")
        runs = runs if isinstance(runs, tuple) else (runs,)
        return torch.randint(self.n, (*runs, batch_size), generator=generator)

    def minibatch_gradient(self, theta: torch.Tensor, indices: torch.Tensor) -> torch.Tensor:
        """G(theta, (U_1..U_M)) = (1/M) sum_m grad l_{U_m}(theta), for theta (R, d), indices (R, M)."""
        return self._grad_of_mean(theta, self.x[indices], self.y[indices])

    def _grad_of_mean(self, theta, x, y):
        """Gradient of mean_b |N(theta, x_b) - y_b|^2 over the batch dimension of x."""
        out, pullback = self.net.vjp(theta, x)
        return pullback((2.0 / x.shape[-2]) * (out - y))

    def full_gradient(self, theta: torch.Tensor, n: int) -> torch.Tensor:
        """An oracle for ``run_adam`` without noise: grad F for every run, theta (R, d)."""
        return self._grad_of_mean(theta, self.x, self.y)

    def stochastic_gradient(self, batch_size: int, generator: torch.Generator):
        """An oracle for ``run_adam``: fresh i.i.d. mini-batches for every run at every step, drawn
        ahead in blocks of steps (``adam.DrawnAhead``: ``generator`` serves this oracle alone)."""

        def batches(steps: int, shape: torch.Size) -> tuple[torch.Tensor, torch.Tensor]:
            indices = self.minibatch_indices((steps, shape[0]), batch_size, generator)
            return self.x[indices], self.y[indices]

        draws = DrawnAhead(batches)

        def oracle(theta: torch.Tensor, n: int) -> torch.Tensor:
            return self._grad_of_mean(theta, *draws(theta.shape))

        return oracle

    def numpy_functions(self):
        """(F, grad F) on float64 numpy vectors, for scipy.optimize and scipy.integrate."""

        def f(theta):
            return float(self.loss(torch.as_tensor(theta, dtype=self.x.dtype)))

        def df(theta):
            return self.gradient(torch.as_tensor(theta, dtype=self.x.dtype)).numpy()

        return f, df

    def numpy_residuals(self):
        """(r, dr/dtheta) of ``excess_residuals`` on float64 numpy vectors, for scipy.optimize."""

        def r(theta):
            return self.excess_residuals(torch.as_tensor(theta, dtype=self.x.dtype)).numpy()

        def dr(theta):
            return self.excess_jacobian(torch.as_tensor(theta, dtype=self.x.dtype)).numpy()

        return r, dr
