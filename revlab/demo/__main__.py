"""``python -m revlab.demo``: same as ``revlab demo``."""

import sys

from revlab.demo._cli import cli_main

sys.exit(cli_main())
