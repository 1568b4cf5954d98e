"""Maximum-likelihood logistic regression by Newton's method (IRLS), with standard errors.

Small and exact for the few-column models of :mod:`revlab.lifecycle.satisfaction`, where the
Wald intervals and log-likelihoods that scikit-learn does not report are the point.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special


@dataclass(frozen=True)
class Fit:
    """Coefficients, their covariance, and the maximised log-likelihood."""

    coef: np.ndarray
    cov: np.ndarray
    loglik: float

    def predict(self, x: np.ndarray) -> np.ndarray:
        """P(y = 1) for design rows ``x``."""
        return special.expit(x @ self.coef)


def fit(x: np.ndarray, y: np.ndarray, *, max_iter: int = 100, tol: float = 1e-10) -> Fit:
    """Fit ``P(y = 1) = expit(x @ coef)``; ``x`` includes the intercept column."""
    coef = np.zeros(x.shape[1])
    ridge = 1e-9 * np.eye(x.shape[1])  # keeps the Hessian invertible under separation
    for _ in range(max_iter):
        p = special.expit(x @ coef)
        hessian = (x * (p * (1 - p))[:, None]).T @ x + ridge
        step = np.linalg.solve(hessian, x.T @ (y - p))
        coef = coef + step
        if np.max(np.abs(step)) < tol:
            break
    p = special.expit(x @ coef)
    hessian = (x * (p * (1 - p))[:, None]).T @ x + ridge
    eta = x @ coef
    loglik = float(np.sum(y * eta - np.logaddexp(0.0, eta)))
    return Fit(coef, np.linalg.inv(hessian), loglik)
