import pandas as pd

from revlab import propensity


def test_score_open_writes_a_ranked_list(synth_study, synth_source, tmp_path):
    ranked, paths = propensity.score_open(
        synth_study.model,
        synth_source,
        as_of="2024-06-30",
        out_dir=tmp_path,
        settings=synth_study.settings,
        explain_top=5,
    )
    assert list(ranked["rank"]) == list(range(1, len(ranked) + 1))
    assert ranked["score"].is_monotonic_decreasing
    assert ranked["lead_id"].is_unique and (ranked["scored_at"] == "2024-06-30").all()
    assert ranked["reason_1"].iloc[:5].str.contains(r"\(\+").any()
    assert (ranked["reason_1"].iloc[5:] == "").all()
    from_csv = pd.read_csv(paths["csv"])
    from_parquet = pd.read_parquet(paths["parquet"])
    assert len(from_csv) == len(from_parquet) == len(ranked)
    assert list(from_parquet["lead_id"]) == list(ranked["lead_id"])


def test_open_prospects_are_those_open_at_the_date(synth_study, synth_source, tmp_path):
    ranked, _ = propensity.score_open(
        synth_study.model,
        synth_source,
        as_of="2024-06-30",
        out_dir=tmp_path,
        settings=synth_study.settings,
        n_reasons=0,
    )
    snap = propensity.build_snapshots(synth_source, ["2024-06-30"])
    assert set(ranked["lead_id"]) == set(snap["lead_id"])
