"""Keep notebooks thin and clean: a checker for `make lint`, and a tool to store check outputs.

``python -m revlab.notebook_check notebooks/`` fails when a notebook defines functions or
classes, imports beyond revlab / numpy / pandas / matplotlib, lacks one ``parameters`` cell of
typed, commented literals, or stores outputs outside ``# NBVAL_CHECK_OUTPUT`` cells.
``python -m revlab.notebook_check --store-checks NB.ipynb`` executes a notebook with its default
parameters and stores only the outputs of those check cells, which nbval then compares.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterable
from pathlib import Path

import nbformat

CHECK_MARK = "# NBVAL_CHECK_OUTPUT"
ALLOWED_IMPORTS = {"revlab", "numpy", "pandas", "matplotlib"}
MAX_CELL_LINES = 45  # a section: one call, its figure or table, and its prose


def is_check_cell(cell) -> bool:
    """Whether a code cell's output is stored in git and compared by nbval."""
    return cell.cell_type == "code" and cell.source.lstrip().startswith(CHECK_MARK)


def problems(path: Path) -> list[str]:
    """Every way a notebook breaks the thin-notebook rules."""
    nb = nbformat.read(path, as_version=4)
    found: list[str] = []
    params = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(params) != 1:
        found.append(f"has {len(params)} cells tagged 'parameters'; it needs exactly one")
    else:
        found += _parameter_problems(params[0].source)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        where = f"cell {i}"
        found += [f"{where}: {p}" for p in _code_problems(cell.source)]
        if cell.get("outputs") and not is_check_cell(cell):
            found.append(f"{where}: stores outputs; clear them (only {CHECK_MARK} cells keep any)")
        if is_check_cell(cell) and any("image/png" in o.get("data", {}) for o in cell.outputs):
            found.append(f"{where}: a check cell stores an image; print text only")
        if is_check_cell(cell) and cell.get("outputs") and cell.get("execution_count") is None:
            found.append(
                f"{where}: a check cell has outputs but no execution count, which nbval refuses "
                "as 'unrun'; store them with --store-checks"
            )
    return found


def _parameter_problems(source: str) -> list[str]:
    found = []
    tree = ast.parse(source)
    lines = source.splitlines()
    for node in tree.body:
        if not isinstance(node, ast.AnnAssign):
            found.append(f"parameters line {node.lineno}: write `name: type = literal  # what`")
            continue
        value = node.value
        if isinstance(value, ast.UnaryOp):
            value = value.operand
        if not isinstance(value, ast.Constant):
            found.append(f"parameters line {node.lineno}: the value must be a literal")
        if lines[node.lineno - 1].count("=") != 1:
            found.append(
                f"parameters line {node.lineno}: papermill cannot read a line with more than "
                "one '='; reword the comment"
            )
        if "#" not in lines[node.lineno - 1]:
            found.append(f"parameters line {node.lineno}: add a comment saying what it is")
    return found


def _code_problems(source: str) -> list[str]:
    found = []
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        return [f"does not parse: {exc.msg}"]
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            found.append(f"defines {type(node).__name__}; move the logic into revlab/")
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names = (
                [node.module] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            )
            for name in names:
                if (name or "").split(".")[0] not in ALLOWED_IMPORTS:
                    found.append(f"imports {name}; notebooks import only revlab and plotting")
    code_lines = [
        ln for ln in source.splitlines() if ln.strip() and not ln.strip().startswith("#")
    ]
    if len(code_lines) > MAX_CELL_LINES:
        found.append(f"has {len(code_lines)} lines of code; keep cells short, logic in revlab/")
    return found


def store_checks(path: Path, *, timeout: int = 900) -> int:
    """Execute ``path`` with its defaults; keep only the outputs of check cells."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    run = nbformat.read(path, as_version=4)
    NotebookClient(
        run, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": path.parent}}
    ).execute()
    kept = 0
    for original, executed in zip(nb.cells, run.cells, strict=True):
        if original.cell_type != "code":
            continue
        if is_check_cell(original):
            original.outputs = executed.outputs
            original.execution_count = executed.execution_count
            kept += 1
        else:
            original.outputs = []
            original.execution_count = None
    nbformat.write(nb, path)
    return kept


def main(argv: Iterable[str] | None = None) -> int:
    """Check notebooks (default) or store their check outputs (``--store-checks``)."""
    parser = argparse.ArgumentParser(prog="python -m revlab.notebook_check")
    parser.add_argument("paths", nargs="+", type=Path, help="notebooks or folders")
    parser.add_argument("--store-checks", action="store_true", help="execute and store checks")
    args = parser.parse_args(list(argv) if argv is not None else None)
    notebooks = sorted(
        p for path in args.paths for p in (path.glob("*.ipynb") if path.is_dir() else [path])
    )
    failed = 0
    for nb in notebooks:
        if args.store_checks:
            print(f"{nb}: stored outputs of {store_checks(nb)} check cell(s)")
            continue
        found = problems(nb)
        failed += bool(found)
        for p in found:
            print(f"{nb}: {p}")
    if not args.store_checks:
        print(f"{len(notebooks) - failed} of {len(notebooks)} notebooks are thin and clean")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
