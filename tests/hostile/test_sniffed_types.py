"""A CSV column whose type changes after the rows DuckDB samples to guess it (issue 21): exit 3
naming the file, line, column, row and fix, never a DuckDB traceback later."""

from __future__ import annotations

import pandas as pd

from revlab.cli import main
from revlab.sources import connect

ROWS = 30_005
BAD_ROW = 30_001  # past DuckDB's sample of the file's first rows


def _deals(**extra) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "opportunity_id": [f"O{i}" for i in range(ROWS)],
            "created_at": "2024-01-02",
            "amount": [str(i) for i in range(ROWS)],
            "is_closed": "true",
            "is_won": "false",
            **extra,
        }
    )


def test_an_amount_that_turns_to_text_names_file_line_column_and_fix(tmp_path, capsys):
    frame = _deals()
    frame.loc[BAD_ROW, "amount"] = "12k"
    folder = tmp_path / "export"
    folder.mkdir()
    frame.to_csv(folder / "opportunities.csv", index=False)
    code = main(["validate", "--source", str(folder)])
    err = capsys.readouterr().err
    assert code == 3 and "Traceback" not in err and "ConversionException" not in err
    assert (
        f"{folder / 'opportunities.csv'} line {BAD_ROW + 2}, column amount, opportunity_id "
        f"O{BAD_ROW}: '12k' is not a number like the values before it" in err
    )
    assert "write plain numbers there" in err and "12000, not 12k" in err


def test_an_attribute_that_turns_to_text_is_kept_as_text(tmp_path):
    codes = [str(i) for i in range(ROWS)]
    codes[BAD_ROW] = "SW1A"
    folder = tmp_path / "export"
    folder.mkdir()
    _deals(postcode=codes).to_csv(folder / "opportunities.csv", index=False)
    opps = connect(folder).to_pandas("opportunities")
    assert len(opps) == ROWS and opps["postcode"].iloc[BAD_ROW] == "SW1A"
    assert opps["postcode"].iloc[7] == "7"  # every value kept, as text


def test_leading_zeros_of_an_id_are_kept(tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    pd.DataFrame(
        {"lead_id": ["007", "012"], "created_at": ["2024-01-02"] * 2, "channel": ["web"] * 2}
    ).to_csv(folder / "leads.csv", index=False)
    assert list(connect(folder).to_pandas("leads")["lead_id"]) == ["007", "012"]
