"""Reader pages: what an executed notebook shows a reviewer, and what only the code page keeps."""

import nbformat

from revlab.report.html import PageInfo, render


def test_the_check_cells_printout_is_on_the_code_page_only(tmp_path):
    nb = nbformat.v4.new_notebook()
    prose = nbformat.v4.new_code_cell("say()")
    prose.outputs = [nbformat.v4.new_output("display_data", {"text/markdown": "Bookings rose."})]
    check = nbformat.v4.new_code_cell("# NBVAL_CHECK_OUTPUT\nprint(figures)")
    check.outputs = [nbformat.v4.new_output("stream", name="stdout", text="target 4.15467e+06\n")]
    nb.cells = [nbformat.v4.new_markdown_cell("# A page"), prose, check]
    path = tmp_path / "page.ipynb"
    nbformat.write(nb, path)
    info = PageInfo("A page", "2026Q3", "2026-09-30", "demo", "2026-12-07 12:00 UTC")
    reader, code = render(path, info, with_code=False), render(path, info, with_code=True)
    assert "Bookings rose." in reader and "Bookings rose." in code
    assert "4.15467e+06" not in reader
    assert "4.15467e+06" in code
