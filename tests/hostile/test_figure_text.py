"""Names from the data are drawn as written: a dollar sign is not mathtext."""

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from revlab import plots  # noqa: E402


def test_dollar_signs_in_names_are_literal_and_save():
    plots.use_style()
    fig, ax = plt.subplots()
    names = ["Deals $10k-$50k", r"$\frac$", "web"]
    ax.barh(names, [1, 2, 3], label="Segment $A$")
    ax.legend()
    fig.savefig(io.BytesIO(), format="png")  # mathtext would raise on $\frac$
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == names
    assert not any(t.get_parse_math() for t in ax.get_yticklabels())  # drawn as plain text
    plt.close(fig)
