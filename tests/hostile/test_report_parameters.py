"""`-p` cannot override the report's checked flags, and numbers must be usable."""

from pathlib import Path

import pytest

from revlab.report.params import ParameterError, resolve

SPECS = {
    Path("01_funnel.ipynb"): {
        "source": {"type": "str", "default": "", "help": ""},
        "quarter": {"type": "str", "default": "latest", "help": ""},
        "as_of": {"type": "str", "default": "", "help": ""},
        "lookback_quarters": {"type": "int", "default": 8, "help": ""},
        "seed": {"type": "int", "default": 2026, "help": ""},
    },
    Path("04_lifecycle.ipynb"): {"gross_margin": {"type": "float", "default": 0.8, "help": ""}},
}


@pytest.mark.parametrize(
    "name, flag", [("source", "--source"), ("quarter", "--quarter"), ("as_of", "--as-of")]
)
def test_a_reserved_parameter_is_refused_naming_its_flag(name, flag):
    with pytest.raises(ParameterError, match=rf"'{name}'.*use {flag} instead of -p {name}"):
        resolve(SPECS, [(name, "2025Q1")])


@pytest.mark.parametrize(
    "name, value, allowed",
    [
        ("lookback_quarters", "-3", "1 or more"),
        ("lookback_quarters", "0", "1 or more"),
        ("seed", "-1", "0 or more"),
        ("gross_margin", "1.5", "from 0.01 to 1.0"),
    ],
)
def test_a_number_out_of_range_is_refused_with_the_range(name, value, allowed):
    with pytest.raises(ParameterError, match=rf"parameter '{name}' must be {allowed}, got"):
        resolve(SPECS, [(name, value)])


def test_numbers_in_range_pass_with_their_types():
    got = resolve(SPECS, [("lookback_quarters", "4"), ("seed", "0"), ("gross_margin", "0.6")])
    assert got == {"lookback_quarters": 4, "seed": 0, "gross_margin": 0.6}
