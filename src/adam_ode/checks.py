"""What Section 2 asks about near the minimum set: PL ratio, Lyapunov derivative, minima."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from scipy.optimize import least_squares, minimize

from .vector_field.estimate import FieldEstimate


def pl_ratio(gradient: np.ndarray, excess: float) -> float:
    """|grad F|^2 / (F - inf F), from the excess loss F - inf F; the PL inequality asks that it be
    bounded below by c > 0 near Z."""
    if not excess > 0:
        raise ValueError(f"the PL ratio needs F - inf F > 0, got {excess}")
    return float(np.dot(gradient, gradient) / excess)


def noise_ratio(jacobian, batch_size: int) -> float:
    """C = E|G|^2 / |grad F|^2 for the mini-batch gradient G, the mean of M i.i.d. uniform rows of
    the per-sample gradient matrix J (N, d); inequality (17) asks that C stay bounded near Z.

    Exact: E|G|^2 = |grad F|^2 + (mean_j |grad l_j|^2 - |grad F|^2) / M.
    """
    jac = np.asarray(jacobian, dtype=float)
    g2 = float(np.sum(jac.mean(axis=0) ** 2))
    if not g2 > 0:
        raise ValueError("the noise ratio needs grad F != 0")
    return (g2 + (float(np.mean(np.sum(jac**2, axis=1))) - g2) / batch_size) / g2


def lyapunov_derivative(gradient: np.ndarray, field: FieldEstimate) -> tuple[float, float]:
    """d/dt F(Psi_t) = grad F . f at theta, and its Monte Carlo standard error.

    The error comes from the per-sequence values, so correlations between components are
    accounted for.
    """
    return field.project(gradient)


@dataclass
class Minimum:
    theta: np.ndarray
    excess: float  # |r(theta)|^2 = F - inf F
    converged: bool  # excess <= tol
    evaluations: int


def polish_minimum(residuals: Callable[[np.ndarray], np.ndarray], jacobian: Callable[[np.ndarray], np.ndarray],
                   theta_0: np.ndarray, tol: float, *, max_iter: int = 20000) -> Minimum:
    """Polish theta_0 on the residuals r with |r|^2 = F - inf F: trust-region Gauss-Newton
    (scipy's least_squares, 'trf'), then, unless |r|^2 <= tol already (a point of the minimum set
    Z of an overparametrized problem), L-BFGS on |r|^2 (towards a critical point of F otherwise).

    Gauss-Newton steps converge quadratically to a zero of r where first-order methods crawl: for
    a 1-64-1 network on 16 points dr/dtheta has condition number ~1e11, and L-BFGS on F stalls
    at F - inf F ~ 1e-12. Where the residual cannot vanish, L-BFGS goes on from where the
    Gauss-Newton steps stop (for 1-1-1 networks on 5 points, measured: trf alone reaches
    |grad F| 1e-10 to 1e-15 in 9 to 53 evaluations, and L-BFGS changes nothing there). On data
    where F has no critical point at finite distance both drift along a plateau on which a unit
    saturates (|w| ~ 40, the network constant). Both work on |r|^2, never on F - inf F, which
    cancels to rounding noise when inf F > 0.

    Not MINPACK's Levenberg-Marquardt (least_squares' 'lm'): in scipy 1.17 it returned different
    iterates in 1 process in 4 to 15 given bit-identical residuals and Jacobians, which broke
    the pipeline's same-config-same-bits guarantee.
    """
    theta_0 = np.asarray(theta_0, dtype=float)
    # Variables scaled by the Jacobian's column norms, as MINPACK does: unscaled, 'trf' reached
    # F - inf F <= 1e-20 at 5 of the paper config's 24 overparametrized minima in 20000
    # evaluations; scaled, at 22 (MINPACK 21), in half the time.
    result = least_squares(residuals, theta_0, jac=jacobian, method="trf", x_scale="jac", xtol=1e-15, ftol=1e-15,
                           gtol=1e-15, max_nfev=max_iter)
    theta, evaluations = result.x, int(result.nfev)
    r = residuals(theta)
    if r @ r > tol:
        def excess(t):
            r = residuals(t)
            return float(r @ r), 2 * jacobian(t).T @ r

        result = minimize(excess, theta, jac=True, method="L-BFGS-B",
                          options={"maxiter": max_iter, "ftol": 0.0, "gtol": 0.0, "maxcor": 30})
        theta, evaluations = result.x, evaluations + int(result.nfev)
        r = residuals(theta)
    return Minimum(theta, float(r @ r), float(r @ r) <= tol, evaluations)


def distance_to_zero_set(residuals: Callable[[np.ndarray], np.ndarray], jacobian: Callable[[np.ndarray], np.ndarray],
                         theta: np.ndarray) -> float:
    """The distance from theta to the zero set of the residuals r (for the excess residuals, the
    minimum set Z), to first order in r: the length of the Gauss-Newton step -J^+ r, the
    least-norm move that makes the linearised residuals vanish."""
    step, *_ = np.linalg.lstsq(jacobian(theta), residuals(theta), rcond=None)
    return float(np.linalg.norm(step))


def sphere_points(center: np.ndarray, radii: np.ndarray, n_directions: int,
                  rng: np.random.Generator) -> np.ndarray:
    """theta* + r u for every radius r and ``n_directions`` uniform unit vectors u.

    The same directions are used at every radius; shape (len(radii), n_directions, d).
    """
    radii = np.asarray(radii, dtype=float)
    if radii.size == 0 or not np.all(radii > 0):
        raise ValueError(f"radii must be a non-empty list of positive numbers, got {radii}")
    u = rng.standard_normal((n_directions, len(center)))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    return center + radii[:, None, None] * u[None]


def worst_direction(objective: Callable[[torch.Tensor], torch.Tensor], u_0: np.ndarray, steps: int) -> np.ndarray:
    """A unit direction u that (locally) maximises objective(u), from u_0: ``steps`` L-BFGS
    iterations on the sphere, parametrised by v -> v / |v|, with exact gradients by autograd
    (``objective`` maps a float64 tensor to a scalar tensor, smoothly: e.g. a common-random-numbers
    field estimate through ``ERMCommonRandomNumbers.mean_at``)."""
    start = u_0 / np.linalg.norm(u_0)
    if steps < 1:
        return start

    def negative(v):
        v = torch.tensor(v, dtype=torch.float64, requires_grad=True)
        value = objective(v / v.norm())
        (grad,) = torch.autograd.grad(value, v)
        return -float(value.detach()), -grad.numpy()

    result = minimize(negative, np.asarray(u_0, dtype=float), jac=True, method="L-BFGS-B", options={"maxiter": steps})
    return result.x / np.linalg.norm(result.x) if result.fun <= negative(start)[0] else start


def normalised_derivative(gradient: torch.Tensor, field: torch.Tensor) -> torch.Tensor:
    """grad F . f / (|grad F| |f|), the cosine the worst-case searches maximise (0 where either
    vanishes)."""
    scale = gradient.norm() * field.norm()
    return gradient @ field / scale if scale > 0 else scale
