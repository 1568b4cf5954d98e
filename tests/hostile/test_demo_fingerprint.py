"""Same seed, same tables (issue 21 item 13): two `revlab demo` runs print one fingerprint.

DuckDB's file layout differs between two writes of the same tables (its string and null
compression is not deterministic, measured on DuckDB 1.5), so the files are not compared byte
for byte; the tables in them are.
"""

from __future__ import annotations

import pandas as pd

from revlab import demo


def _fingerprint_of_a_run(capsys, out, seed: int) -> str:
    assert demo.cli_main(["--seed", str(seed), "--leads", "1500", "--out", str(out)]) == 0
    line = next(s for s in capsys.readouterr().out.splitlines() if "tables fingerprint" in s)
    return line.split("tables fingerprint ")[1].split()[0]


def test_same_seed_same_tables_fingerprint(tmp_path, capsys):
    from revlab._fingerprint import source_fingerprint
    from revlab.sources import connect

    first = _fingerprint_of_a_run(capsys, tmp_path / "a.duckdb", seed=11)
    second = _fingerprint_of_a_run(capsys, tmp_path / "b.duckdb", seed=11)
    other = _fingerprint_of_a_run(capsys, tmp_path / "c.duckdb", seed=12)
    assert first == second != other and len(first) == 16
    a, b = connect(tmp_path / "a.duckdb"), connect(tmp_path / "b.duckdb")
    for name in a.available():
        pd.testing.assert_frame_equal(a.to_pandas(name), b.to_pandas(name))
    assert source_fingerprint(a) == first
