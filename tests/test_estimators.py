"""Capture–recapture estimators, against a worked example and simulations with a known truth."""
import numpy as np
import pytest

from tilios.census import estimators as est


def test_chapman_worked_example():
    # Mark–recapture textbook case: 10 marked, 15 caught, 5 of them marked (Lincoln–Petersen 30).
    e = est.chapman(10, 15, 5)
    assert e.estimate == pytest.approx(28.33, abs=0.01)
    assert e.observed == 20 and e.lower >= 20 and e.upper > e.estimate
    assert any("moins de 7" in a for a in e.assumptions)


def test_no_overlap_means_no_upper_bound_worth_printing():
    e = est.chapman(50, 40, 0)
    assert e.estimate == pytest.approx(51 * 41 - 1) and e.lower >= 90


def test_lower_bound_never_below_observed():
    rng = np.random.default_rng(0)
    for _ in range(300):
        n1, n2 = rng.integers(1, 200, 2)
        m = int(rng.integers(0, min(n1, n2) + 1))
        e = est.chapman(int(n1), int(n2), m)
        assert e.lower >= e.observed - 1e-9 and e.upper >= e.estimate - 1e-9


def simulate(rng, n, probs, dependent=False):
    caps = rng.random((n, len(probs))) < probs
    if dependent:  # source 2 lists far more often what source 1 lists
        caps[:, 1] = np.where(caps[:, 0], rng.random(n) < 0.6, rng.random(n) < 0.25)
    return [tuple(int(x) for x in row) for row in caps if row.any()]


def coverage(estimator, runs, n, probs, dependent=False, seed=1):
    rng = np.random.default_rng(seed)
    covered, estimates = 0, []
    for _ in range(runs):
        e = estimator(simulate(rng, n, probs, dependent))
        covered += e.lower <= n <= e.upper
        estimates.append(e.estimate)
    return covered / runs, float(np.mean(estimates))


def test_chapman_interval_covers_the_truth_with_independent_lists():
    def chapman(h):
        return est.chapman(sum(x[0] for x in h), sum(x[1] for x in h), sum(x[0] * x[1] for x in h))

    rate, mean = coverage(chapman, 200, 1000, [0.3, 0.4])
    assert rate >= 0.9 and abs(mean - 1000) < 30


def test_loglinear_covers_the_truth_with_and_without_dependence():
    rate, mean = coverage(lambda h: est.loglinear(h, 3), 100, 1000, [0.3, 0.4, 0.5])
    assert rate >= 0.9 and abs(mean - 1000) < 30
    rate, mean = coverage(lambda h: est.loglinear(h, 3), 100, 1000, [0.3, 0.4, 0.4], dependent=True, seed=2)
    assert rate >= 0.9 and abs(mean - 1000) < 40


def test_chao_covers_the_truth_when_every_place_is_as_visible():
    # Where its model holds (the same chance for every place), Chao's bound is the total, not just a floor.
    rate, mean = coverage(lambda h: est.chao_lower_bound(h, 4), 200, 1000, [0.3] * 4, seed=3)
    assert rate >= 0.9 and abs(mean - 1000) < 30


def test_two_list_estimate_is_biased_by_dependence_which_loglinear_corrects():
    rng = np.random.default_rng(5)
    h = simulate(rng, 2000, [0.3, 0.4, 0.4], dependent=True)
    two = est.chapman(sum(x[0] for x in h), sum(x[1] for x in h), sum(x[0] * x[1] for x in h))
    three = est.loglinear(h, 3, names=["A", "B", "C"])
    assert two.estimate < 1800  # positive dependence hides the unseen places from two lists
    assert abs(three.estimate - 2000) < 150
    assert three.details["best_model_interactions"] == ["A–B"]


def test_chao_is_a_lower_bound_under_heterogeneity():
    rng = np.random.default_rng(7)
    n = 1500
    visibility = rng.beta(0.8, 2.0, n)  # some places are much easier to find than others
    caps = rng.random((n, 4)) < visibility[:, None]
    h = [tuple(int(x) for x in row) for row in caps if row.any()]
    e = est.chao_lower_bound(h, 4)
    assert e.observed <= e.estimate <= n * 1.05
    assert e.lower >= e.observed


def test_estimate_picks_the_estimators_that_apply():
    h = [(1, 0), (0, 1), (1, 1), (1, 1)]
    assert [e.method for e in est.estimate(h, ["a", "b"])[0]] == ["chapman", "chao"]
    h3 = [(1, 0, 0), (0, 1, 0), (0, 0, 1), (1, 1, 0), (1, 0, 1), (0, 1, 1), (1, 1, 1)] * 20
    assert [e.method for e in est.estimate(h3, ["a", "b", "c"])[0]] == ["loglinear", "chao"]


def test_loglinear_sets_aside_models_without_a_finite_estimate():
    # Real cells (CGET, MapLabBZH, fablabs.io on Breton fablabs): fablabs.io meets the others only all three
    # together, so a model with a CGET–fablabs.io interaction fits the empty cells exactly and its unseen cell
    # runs off to infinity (it gave 6 × 10¹⁷ before such models were set aside).
    cells = {"001": 6, "010": 18, "011": 0, "100": 12, "101": 0, "110": 31, "111": 6}
    h = [tuple(int(c) for c in key) for key, n in cells.items() for _ in range(n)]
    e = est.loglinear(h, 3)
    assert 73 <= e.lower <= e.estimate <= e.upper < 10 * 73
    with pytest.raises(est.NoFit):
        est._poisson_fit(np.array([[1.0, 1.0], [1.0, 0.0]]), np.array([5.0, 0.0]))


def test_stratified_sum_adds_estimates_and_variances():
    a, b = est.chapman(40, 30, 20), est.chapman(100, 80, 50)
    total = est.stratified_sum([a, b], "chapman")
    assert total.estimate == pytest.approx(a.estimate + b.estimate)
    assert total.se == pytest.approx((a.se ** 2 + b.se ** 2) ** 0.5)
    assert total.observed == a.observed + b.observed and total.lower >= total.observed
    assert total.upper > total.estimate and total.details == {"strata": 2}
