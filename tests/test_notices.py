"""Library notices unrelated to the run stay out of reports; every other warning still shows."""

import os
import subprocess
import sys
import warnings

from revlab import _notices


def test_arviz_refactor_notice_is_not_printed_on_a_fresh_machine(tmp_path):
    # ArviZ warns once a day, remembered in the user's cache: a new cache is a fresh machine
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    code = "import revlab.forecast, arviz, pymc_marketing.clv"
    bare = subprocess.run(
        [sys.executable, "-c", "import arviz"], env=env, capture_output=True, text=True
    )
    assert "ArviZ is undergoing a major refactor" in bare.stderr  # the notice exists here
    for f in tmp_path.rglob("daily_warning"):
        f.unlink()  # fresh again
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "ArviZ is undergoing" not in done.stderr


def test_only_the_named_notices_are_ignored():
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        _notices.quiet()
        from tqdm import TqdmWarning

        for text, category in (
            ("IProgress not found. Please update jupyter and ipywidgets.", TqdmWarning),
            ("\nArviZ is undergoing a major refactor to improve", FutureWarning),
            ("a real deprecation", FutureWarning),
            ("tqdm says something else", TqdmWarning),
        ):
            warnings.warn(text, category, stacklevel=1)
    assert [str(w.message) for w in seen] == ["a real deprecation", "tqdm says something else"]
