"""Does linking a BLAS speed up the forecast? Time the funnel model's gradient with and without.

PyTensor installed by pip finds no BLAS and warns; revlab links the system OpenBLAS when there
is one (``revlab/_blas.py``). The NUTS sampler spends its time evaluating each block's log
density and gradient, so that is what is timed: best of 5 runs of 1,000 evaluations at the
initial point, per block of the default demo fit, in a fresh process per configuration (own
PyTensor compile folder, revlab's compiled-model cache off). Skips OpenBLAS when the system
has none.

Measured on 2026-11-24, 2-core project machine, quiet: 85 / 104 / 153 / 11 µs per evaluation
(volume / conversion / outcome / size) with and without OpenBLAS alike; the models are
elementwise sums over small count tables, with no matrix products for a BLAS to speed up.
Usage: python benchmarks/bench_blas.py
"""

from __future__ import annotations

import ctypes.util
import os
import subprocess
import sys
import tempfile
import time

CHILD = r"""
import time, warnings
warnings.simplefilter("ignore")
import pytensor
import pymc as pm
from pymc.blocking import DictToArrayBijection
from revlab.sources import connect
from revlab.forecast import funnel_model as fm, funnel_data
data = funnel_data.collect(connect().at("2026-07-01"), "2026Q3", max_weeks=156)
model = fm.FunnelModel()
model._resolve_configs()
for block in fm.BLOCKS:
    built = model._build(data, block)
    with built:
        pm.set_data(model._data(data, block))
    f = built.logp_dlogp_function(ravel_inputs=True)
    f.set_extra_values({})
    x = DictToArrayBijection.map(built.initial_point()).data
    for _ in range(200):
        f(x)
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(1000):
            f(x)
        best = min(best, (time.perf_counter() - t) / 1000 * 1e6)
    print(block, best, x.size, flush=True)
"""


def run(ldflags: str) -> dict[str, tuple[float, int]]:
    with tempfile.TemporaryDirectory() as tmp:
        env = os.environ | {
            "PYTENSOR_FLAGS": f"blas__ldflags={ldflags},compiledir={tmp}",
            "REVLAB_CACHE_DIR": "off",
        }
        out = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True,
                             text=True, check=True).stdout  # fmt: skip
    return {b: (float(us), int(n)) for b, us, n in (line.split() for line in out.splitlines())}


def main() -> int:
    configs = {"no BLAS": ""}
    if ctypes.util.find_library("openblas"):
        configs["OpenBLAS"] = "-lopenblas"
    else:
        print("note: no system OpenBLAS (apt install libopenblas-dev); timing without only")
    started = time.perf_counter()
    results = {name: run(flags) for name, flags in configs.items()}
    load = os.getloadavg()[0]
    print(f"log density + gradient, best of 5 x 1000 evaluations; load average {load:.1f}")
    print(f"{'block':<11} {'params':>6} " + " ".join(f"{n + ' µs':>12}" for n in configs))
    for block, (_, size) in results["no BLAS"].items():
        cells = " ".join(f"{results[n][block][0]:12.1f}" for n in configs)
        print(f"{block:<11} {size:>6} {cells}")
    print(f"({time.perf_counter() - started:.0f} s including compilation)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
