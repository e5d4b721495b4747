"""Monte Carlo estimators of the Adam vector field (Definition 1.3; docs/mathematics.md, sections 2 and 5).

    f(theta) = - E[ (1-alpha) sum_k alpha^k G_k / (eps + sqrt((1-beta) sum_k beta^k G_k^2)) ]

with G_k = G(theta, X_k) for one i.i.d. sequence X_0, X_1, ... feeding both sums.

Truncation. The m-sum keeps K_alpha terms and the v-sum K_beta >= K_alpha terms of the
same sequence, with the kept weights renormalised to sum to one (as Adam's bias
correction does), so a noiseless problem gives -grad F / (eps + |grad F|) exactly and every
per-sequence value obeys |f_i| <= B = (1-alpha) / sqrt((1-beta)(1-alpha^2/beta)).
K_alpha and K_beta are the smallest lengths with (alpha/sqrt(beta))^K_alpha <= tol,
alpha^K_alpha <= beta^K_beta / 2 and beta^K_beta <= tol.

Bias bound. Per component and per sequence, the truncated value differs from the
untruncated one by at most
  B (alpha/sqrt(beta))^K_alpha                       (the m-tail, by Cauchy-Schwarz)
+ B (alpha^K_alpha / (1 - alpha^K_alpha) + beta^K_beta)   (the renormalisation)
+ min(B, r beta^K_beta E[G^2] / (2 v_K))             (the v-tail, in expectation over it),
where r = |m_K| / (eps + sqrt(v_K)) and m_K, v_K are the un-normalised truncated sums. The
v-tail is independent of (m_K, v_K), so the last term is averaged over the drawn sequences
(Jensen: the pathwise bound is concave in the tail). ``truncation_bound`` is the largest
component of this sum.

Common random numbers. Everything random is drawn from ``seed`` alone, so estimating at
two points with the same seed reuses the same sequences and theta -> estimate is a
smooth deterministic function (for ODE solvers and root finders). The classes
``ERMCommonRandomNumbers`` and ``QuadraticCommonRandomNumbers`` precompute the
theta-independent part of the sequences once.

Modules, so that a stage hashes only the estimator it runs: ``estimate`` (the estimate, its
error bar and bias bound, truncation, the common-random-numbers protocol), ``sampled`` (any
noise, from a sampler of G), ``erm`` (mini-batch ERM, through count and pair-count weights),
``quadratic`` (the stochastic quadratic, in closed form in theta).
"""

