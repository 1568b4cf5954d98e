"""A small report to render in tests: a notebook that reads the data and records figures."""

from __future__ import annotations

import nbformat
import pytest

PARAMETERS = """source: str = "data/demo.duckdb"  # data source
quarter: str = "latest"  # quarter to report
as_of: str = ""  # data cut; empty means quarter end
seed: int = 7  # random seed
output_dir: str = ""  # where files for sales go
fail: bool = False  # raise on purpose (tests the failure path)"""

BODY = [
    "from revlab import present\n"
    "run = present.setup(source=source, quarter=quarter, as_of=as_of, seed=seed)",
    "opps = run.src.to_pandas('opportunities')\nleads = run.src.to_pandas('leads')",
    "present.record('deals', len(opps), label='Deals', unit='count', previous=1)\n"
    "present.record('pipeline', opps['amount'].sum(), label='Pipeline', unit='money')",
    "present.say(f\"Channels seen: {', '.join(sorted(leads['channel']))}.\")",
    "present.table(leads[['lead_id', 'channel']])",
    "if output_dir:\n    open(f'{output_dir}/for_sales.csv', 'w').write('id')",
    "assert not fail, 'failing on purpose'",
]


def write_notebook(path, title="Test section"):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    params = nbformat.v4.new_code_cell(PARAMETERS)
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {title}"), params]
    nb.cells += [nbformat.v4.new_code_cell(src) for src in BODY]
    nbformat.write(nb, path)
    return path


@pytest.fixture
def report_env(tiny_tables, tmp_path, duckdb_file):
    """A notebooks folder with one test notebook, a DuckDB source, and an output folder."""
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    write_notebook(notebooks / "01_test.ipynb")
    source = duckdb_file(tiny_tables, tmp_path / "tiny.duckdb")
    return {"notebooks": notebooks, "source": source, "out": tmp_path / "reports", "tmp": tmp_path}
