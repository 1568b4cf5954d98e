"""Writing the demo company to DuckDB, keeping the truth apart, and the `revlab demo` command."""

from __future__ import annotations

import json

import duckdb
import numpy as np
import pandas as pd
import pytest

from revlab import demo


def test_write_puts_tables_in_duckdb_and_truth_beside(small, tmp_path):
    db, truth_dir = tmp_path / "data" / "demo.duckdb", tmp_path / "data" / "demo_truth"
    rows = demo.write(small, path=db, truth_path=truth_dir)
    assert rows == {name: len(frame) for name, frame in small.tables.items()}
    with duckdb.connect(str(db), read_only=True) as con:
        names = {
            r[0]
            for r in con.execute("select table_name from information_schema.tables").fetchall()
        }
        assert names == set(small.tables)
        leads = con.execute("select * from leads order by lead_id").df()
    assert leads["lead_id"].tolist() == small.tables["leads"]["lead_id"].tolist()
    assert (
        leads["converted_at"].notna().sum() == small.tables["leads"]["converted_at"].notna().sum()
    )
    params = json.loads((truth_dir / "params.json").read_text())
    assert params["run"]["n_leads"] == 4_000
    assert not list(tmp_path.glob("data/.*"))  # no temporary leftovers


def test_write_overwrites(small, tmp_path):
    db, truth_dir = tmp_path / "demo.duckdb", tmp_path / "truth"
    demo.write(small, path=db, truth_path=truth_dir)
    demo.write(small, path=db, truth_path=truth_dir)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select count(*) from opportunities").fetchone()[0] == len(
            small.tables["opportunities"]
        )


def test_load_truth_round_trip(small, tmp_path):
    demo.write(small, path=tmp_path / "d.duckdb", truth_path=tmp_path / "t")
    loaded = demo.load_truth(tmp_path / "t")
    truth = small.truth
    assert loaded.params == truth.params
    for name in ("leads", "deals", "pipeline_snapshots"):
        pd.testing.assert_frame_equal(getattr(loaded, name), getattr(truth, name))
    as_of = pd.Timestamp("2025-11-15")
    pd.testing.assert_frame_equal(loaded.buy_probability(as_of), truth.buy_probability(as_of))
    np.testing.assert_array_equal(
        loaded.resimulate_bookings(as_of, "2025Q4", n_sims=20, seed=1),
        truth.resimulate_bookings(as_of, "2025Q4", n_sims=20, seed=1),
    )
    assert loaded.bookings("2025Q3") == truth.bookings("2025Q3")


def test_load_truth_says_how_to_make_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="revlab demo"):
        demo.load_truth(tmp_path / "nothing")


def test_truth_params_are_json(truth):
    again = json.loads(json.dumps(truth.params))
    assert again == truth.params
    assert again["run"]["seed"] == demo.DEFAULT_SEED


def test_cli_writes_and_reports_rows(tmp_path, capsys):
    out, truth_dir = tmp_path / "x.duckdb", tmp_path / "x_truth"
    code = demo.cli_main(
        ["--seed", "7", "--leads", "1500", "--out", str(out), "--truth", str(truth_dir)]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "activities" in printed and "rows" in printed and str(out) in printed
    assert out.exists() and (truth_dir / "leads.parquet").exists()
    assert demo.load_truth(truth_dir).params["run"]["seed"] == 7


def test_revlab_demo_and_python_m_revlab_demo_share_options_and_output(tmp_path, capsys):
    from revlab.cli import _parser, main
    from revlab.demo._cli import parser

    sub = next(a for a in _parser()._actions if a.dest == "command").choices["demo"]
    options = {a.dest: a.default for a in parser()._actions}
    assert {a.dest: a.default for a in sub._actions} == options
    assert options["seed"] == demo.DEFAULT_SEED and options["out"] == "data/demo.duckdb"
    printed = []
    for run, name in ((main, "cli"), (demo.cli_main, "module")):
        out = tmp_path / f"{name}.duckdb"
        argv = ["--seed", "3", "--leads", "800", "--end", "2024-09-30", "--out", str(out)]
        assert run(["demo", *argv] if run is main else argv) == 0
        printed.append(capsys.readouterr().out.replace(name, "X").rsplit(";", 1)[0])
        assert (tmp_path / f"{name}_truth" / "leads.parquet").exists()
    assert printed[0] == printed[1]
