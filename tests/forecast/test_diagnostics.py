"""Sampler diagnostics: which variables are judged."""

import warnings

import numpy as np


def test_a_variable_that_never_moves_is_not_judged_and_warns_nothing():
    import arviz as az

    from revlab.forecast.diagnostics import check

    rng = np.random.default_rng(0)
    idata = az.from_dict(
        posterior={"rate": rng.normal(size=(2, 500)), "fixed_effect": np.zeros((2, 500, 1))},
        sample_stats={"diverging": np.zeros((2, 500), dtype=bool)},
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # arviz's divide-by-zero for a constant would raise
        diag = check(idata)
    assert diag.table["param"].tolist() == ["rate"]
    assert not diag.problems
