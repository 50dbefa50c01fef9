"""How many places no list has found: capture–recapture estimators of a total population.

Each place is a « capture history »: the set of sources that list it. Every estimator returns the
observed number, the estimate, a 95 % interval whose lower bound is never below what was observed
(the log-normal interval of Chao, 1987, on the unseen part), and the assumptions it rests on.
"""
import itertools
import math
from dataclasses import dataclass, field

import numpy as np

Z95 = 1.959964


@dataclass
class Estimate:
    method: str
    observed: int
    estimate: float
    lower: float
    upper: float
    se: float | None
    assumptions: list = field(default_factory=list)
    details: dict = field(default_factory=dict)

    def as_dict(self):
        return {"method": self.method, "observed": self.observed, "estimate": round(self.estimate, 1),
                "lower": round(self.lower, 1), "upper": round(self.upper, 1),
                "se": None if self.se is None else round(self.se, 2), "assumptions": self.assumptions,
                "details": self.details}


def lognormal_interval(observed, unseen, variance, z=Z95):
    """Interval for N = observed + unseen whose lower end stays above `observed`."""
    if unseen <= 0 or not variance or variance <= 0:
        return float(observed), float(observed + max(unseen, 0))
    c = math.exp(z * math.sqrt(math.log(1 + variance / unseen ** 2)))
    return observed + unseen / c, observed + unseen * c


TWO_LIST_ASSUMPTIONS = [
    "population fermée entre les deux relevés (pas d'ouverture ni de fermeture entre les deux dates)",
    "les deux sources sont indépendantes : figurer dans l'une ne change pas la chance de figurer dans l'autre",
    "chaque lieu a la même chance d'être listé par une source donnée (homogénéité)",
    "les doublons entre sources ont été correctement rapprochés",
]


def chapman(n1, n2, m):
    """Chapman's bias-corrected Lincoln–Petersen estimator for two lists with m places in common."""
    if min(n1, n2, m) < 0 or m > min(n1, n2):
        raise ValueError("need 0 <= m <= min(n1, n2)")
    observed = n1 + n2 - m
    estimate = (n1 + 1) * (n2 + 1) / (m + 1) - 1
    variance = (n1 + 1) * (n2 + 1) * (n1 - m) * (n2 - m) / ((m + 1) ** 2 * (m + 2))
    lower, upper = lognormal_interval(observed, estimate - observed, variance)
    caveats = list(TWO_LIST_ASSUMPTIONS)
    if m < 7:
        caveats.append("moins de 7 lieux communs : l'estimation est très instable")
    return Estimate("chapman", observed, estimate, lower, upper, math.sqrt(variance), caveats,
                    {"n1": n1, "n2": n2, "m": m})


def frequencies(histories):
    """f[k] = number of places listed by exactly k sources."""
    counts = {}
    for history in histories:
        k = sum(history)
        if k:
            counts[k] = counts.get(k, 0) + 1
    return counts


def chao_lower_bound(histories, t):
    """Chao's (1987) lower bound for t sources, robust to heterogeneous listing chances."""
    f = frequencies(histories)
    observed = sum(f.values())
    f1, f2 = f.get(1, 0), f.get(2, 0)
    a = (t - 1) / t
    if f2 > 0:
        unseen = a * f1 * f1 / (2 * f2)
        r = f1 / f2
        variance = f2 * (a * r ** 2 / 2 + a * a * r ** 3 + a * a * r ** 4 / 4)
    else:
        unseen = a * f1 * (f1 - 1) / 2
        variance = a * f1 * (f1 - 1) / 2 + a * a * f1 * (2 * f1 - 1) ** 2 / 4 - a * a * f1 ** 4 / (4 * max(observed, 1))
    lower, upper = lognormal_interval(observed, unseen, variance)
    return Estimate("chao", observed, observed + unseen, lower, upper, math.sqrt(max(variance, 0)), [
        "population fermée pendant la période couverte par les sources",
        "borne inférieure : valable même si certains lieux sont plus visibles que d'autres, "
        "mais elle sous-estime le total quand beaucoup de lieux ne sont vus qu'une fois",
        "repose sur les lieux vus par une seule source (f1) et par deux (f2)",
    ], {"f": {str(k): v for k, v in sorted(f.items())}, "sources": t})


class NoFit(ArithmeticError):
    """The model has no finite maximum-likelihood estimate (an empty cell it fits exactly), or none converged."""


def _poisson_fit(X, y, iterations=100):
    """Poisson log-linear regression by iteratively reweighted least squares."""
    beta = np.zeros(X.shape[1])
    beta[0] = math.log(max(y.mean(), 0.5))
    for _ in range(iterations):
        eta = np.clip(X @ beta, -30, 30)
        mu = np.exp(eta)
        z = eta + (y - mu) / mu
        xtw = X.T * mu
        new = np.linalg.solve(xtw @ X, xtw @ z)
        if np.max(np.abs(new - beta)) < 1e-10:
            beta = new
            break
        beta = new
    else:
        raise NoFit
    if np.max(np.abs(beta)) > 25:  # a coefficient running off to infinity: the likelihood has no maximum
        raise NoFit
    mu = np.exp(np.clip(X @ beta, -30, 30))
    cov = np.linalg.inv((X.T * mu) @ X)
    with np.errstate(divide="ignore", invalid="ignore"):
        loglik = float(np.sum(np.where(y > 0, y * np.log(mu), 0) - mu))
    return beta, cov, loglik


def loglinear(histories, t, names=None, max_interactions=None):
    """Log-linear multiple-systems estimation (Fienberg, 1972) for t ≥ 3 sources.

    Models with every main effect and any set of two-way interactions (dependence between two
    sources) are fitted to the 2^t − 1 observed cells, the intercept of each predicting the cell of places
    no source lists. A model with no finite estimate (one that fits an empty cell exactly) is set aside.
    """
    if t < 3:
        raise ValueError("log-linear estimation needs at least three sources")
    names = names or [f"S{i + 1}" for i in range(t)]
    cells = [h for h in itertools.product((0, 1), repeat=t) if any(h)]
    index = {h: i for i, h in enumerate(cells)}
    y = np.zeros(len(cells))
    for history in histories:
        h = tuple(int(bool(x)) for x in history)
        if any(h):
            y[index[h]] += 1
    observed = int(y.sum())
    pairs = list(itertools.combinations(range(t), 2))
    limit = len(pairs) if max_interactions is None else max_interactions
    fits = []
    for size in range(0, min(limit, len(pairs)) + 1):
        for chosen in itertools.combinations(pairs, size):
            columns = [np.ones(len(cells))] + [np.array([h[i] for h in cells], float) for i in range(t)]
            columns += [np.array([h[i] * h[j] for h in cells], float) for i, j in chosen]
            X = np.column_stack(columns)
            if X.shape[1] >= len(cells):  # saturated: the unseen cell is not identifiable
                continue
            try:
                beta, cov, loglik = _poisson_fit(X, y)
            except (np.linalg.LinAlgError, NoFit):
                continue
            unseen = math.exp(beta[0])
            # The unseen cell's own Poisson variation, plus the uncertainty of its fitted mean.
            variance = unseen ** 2 * cov[0, 0] + unseen
            fits.append((2 * X.shape[1] - 2 * loglik, chosen, unseen, variance))
    if not fits:
        raise NoFit("no log-linear model has a finite estimate for these cells")
    # Average over models by Akaike weights, with Buckland's (1997) variance, so the interval
    # also carries the uncertainty of which sources depend on which.
    best_aic = min(f[0] for f in fits)
    weights = np.array([math.exp(-(f[0] - best_aic) / 2) for f in fits])
    weights /= weights.sum()
    unseen = float(sum(w * f[2] for w, f in zip(weights, fits)))
    se = float(sum(w * math.sqrt(f[3] + (f[2] - unseen) ** 2) for w, f in zip(weights, fits)))
    lower, upper = lognormal_interval(observed, unseen, se * se)
    best = fits[int(np.argmax(weights))]
    dependence = [f"{names[i]}–{names[j]}" for i, j in best[1]]
    return Estimate("loglinear", observed, observed + unseen, lower, upper, se, [
        "population fermée pendant la période couverte par les sources",
        "les dépendances entre sources sont au plus deux à deux (pas d'interaction d'ordre trois)",
        "moyenne des modèles à interactions deux à deux pondérée par le critère d'Akaike",
        "les doublons entre sources ont été correctement rapprochés",
    ], {"best_model_interactions": dependence, "best_model_weight": round(float(weights.max()), 3),
        "models": len(fits), "cells": {"".join(map(str, h)): int(y[index[h]]) for h in cells}})


def stratified_sum(parts, method):
    """The total of independent strata: estimates and variances add up; the interval is taken, as for
    one stratum, on the unseen part, so its lower end stays above everything observed."""
    observed = sum(p.observed for p in parts)
    estimate = sum(p.estimate for p in parts)
    variance = sum((p.se or 0) ** 2 for p in parts)
    lower, upper = lognormal_interval(observed, estimate - observed, variance)
    return Estimate(method, observed, estimate, lower, upper, math.sqrt(variance),
                    ["somme de strates indépendantes : chaque strate repose sur les hypothèses de la méthode"],
                    {"strata": len(parts)})


def estimate(histories, names):
    """Every estimator that applies to these capture histories (tuples of 0/1 per source): the estimates,
    and the methods refused with their reason."""
    t = len(names)
    histories = [tuple(int(bool(x)) for x in h) for h in histories]
    results, refused = [], []
    if t == 2:
        n1 = sum(h[0] for h in histories)
        n2 = sum(h[1] for h in histories)
        m = sum(1 for h in histories if h[0] and h[1])
        results.append(chapman(n1, n2, m))
    if t >= 3:
        try:
            results.append(loglinear(histories, t, names))
        except NoFit:
            refused.append({"method": "loglinear", "reason": "aucun modèle log-linéaire n'a d'estimation finie : "
                                                             "trop de combinaisons de sources sont vides"})
    if t >= 2:
        results.append(chao_lower_bound(histories, t))
    return results, refused
