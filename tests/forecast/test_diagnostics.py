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


def test_the_plain_verdict_names_the_bars_and_points_to_the_appendix():
    import pandas as pd

    from revlab.forecast.diagnostics import Diagnostics

    table = pd.DataFrame({"param": ["a", "b"], "rhat": [1.004, 1.02], "ess_bulk": [812.0, 90.0],
                          "ess_tail": [700.0, 80.0], "key": [True, False]})  # fmt: skip
    good = Diagnostics(table, divergences=0, draws=1000, chains=2)
    text = good.plain()
    assert text.startswith("The fit can be trusted") and "R-hat 1.004" in text
    assert "at least 812 effective draws" in text and "appendix" in text
    bad = Diagnostics(table, divergences=3, draws=1000, chains=2, problems=["3 divergent"])
    assert bad.plain().startswith("The fit cannot be trusted: 3 divergent.")
