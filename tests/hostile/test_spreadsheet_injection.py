"""The ranked list for sales cannot run formulas when opened in a spreadsheet."""

import pandas as pd

from revlab.propensity.scoring import write_ranked


def test_formula_cells_are_neutralised_in_the_csv_and_kept_in_parquet(tmp_path):
    ranked = pd.DataFrame(
        {
            "lead_id": ["L1", "L2", "L3", "L4", "L5"],
            "channel": ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)", "web"],
            "score": [0.9, 0.8, -0.1, 0.5, 0.4],
        }
    )
    paths = write_ranked(ranked, tmp_path)
    csv = pd.read_csv(paths["csv"])
    assert csv["channel"].tolist() == [
        '\'=HYPERLINK("http://x")',
        "'+1",
        "'-2+3",
        "'@SUM(A1)",
        "web",
    ]
    assert csv["score"].tolist() == [0.9, 0.8, -0.1, 0.5, 0.4]  # numbers untouched
    assert pd.read_parquet(paths["parquet"])["channel"].equals(ranked["channel"])
