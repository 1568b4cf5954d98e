"""Build step: the wheel carries the repository's notebooks as ``revlab/notebooks/``.

The notebooks stay at the top of the repository, where analysts open them in JupyterLab;
this copies the same files into the built package, so that an installed ``revlab report``
finds them from any folder (``revlab.report.run.default_notebooks``). Nothing is kept twice
in the repository. Everything else about the package is in pyproject.toml.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

NOTEBOOKS = Path(__file__).parent / "notebooks"


class BuildWithNotebooks(build_py):
    """build_py, plus notebooks/*.ipynb copied into the built package."""

    def run(self):
        """Build as usual, then copy the notebooks in."""
        super().run()
        target = Path(self.build_lib) / "revlab" / "notebooks"
        target.mkdir(parents=True, exist_ok=True)
        for notebook in sorted(NOTEBOOKS.glob("*.ipynb")):
            shutil.copy2(notebook, target / notebook.name)


setup(cmdclass={"build_py": BuildWithNotebooks})
