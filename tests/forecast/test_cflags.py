"""revlab's gcc flags for PyTensor's C modules (revlab.forecast._sampling.cflags).

The flags must give the same numbers as PyTensor's own, reach every module compiled inside
``compile_flags`` (with the precompiled header accepted by gcc, not silently re-parsed), and
step aside when they cannot work.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from revlab.forecast._sampling import cflags

pytensor = pytest.importorskip("pytensor")

needs_gcc = pytest.mark.skipif(
    not pytensor.config.cxx or not cflags._is_gcc(pytensor.config.cxx),
    reason="the flags are for gcc; PyTensor found no gcc here",
)

#: Run in a fresh process with an empty compile cache: compile a PyMC model's log density
#: and gradient with PyTensor's flags, then with revlab's, making gcc fail on a rejected
#: precompiled header; compare; then clear the header and ask for the flags again.
_SCRIPT = textwrap.dedent(
    """
    import json, shutil
    from pathlib import Path
    import numpy as np
    import pymc as pm
    import pytensor
    from pytensor.link.c import cmodule
    from revlab.forecast._sampling import cflags

    commands = []
    compile_str = cmodule.GCC_compiler.compile_str
    def strict(module_name, src_code, location=None, include_dirs=None, lib_dirs=None,
               libs=None, preargs=None, **kw):
        preargs = [*(preargs or []), "-Werror=invalid-pch"]
        commands.append(" ".join(preargs))
        return compile_str(module_name, src_code, location, include_dirs, lib_dirs, libs,
                           preargs, **kw)
    cmodule.GCC_compiler.compile_str = staticmethod(strict)

    def logp_dlogp():
        with pm.Model() as model:
            rate = pm.Beta("rate", 2, 8)
            size = pm.LogNormal("size", 10, 1)
            pm.Binomial("won", n=[40, 25, 60], p=rate, observed=[5, 2, 9])
            pm.Censored("amount", pm.LogNormal.dist(pm.math.log(size), 0.8), lower=None,
                        upper=50000.0, observed=[12000.0, 50000.0, 31000.0])
        fn = model.logp_dlogp_function(ravel_inputs=True)
        fn.set_extra_values({})
        return [fn(np.array(x)) for x in ([0.3, 9.5], [-1.2, 10.4], [2.0, 11.0])]

    plain = logp_dlogp()
    before = len(commands)
    with cflags.compile_flags():
        flags = pytensor.config.gcc__cxxflags
        with cflags.compile_flags():  # nested: the flags once
            nested = pytensor.config.gcc__cxxflags
        revlab = logp_dlogp()
    ours = commands[before:]
    header = Path(cflags.extra_flags().rsplit(" ", 1)[-1])
    shutil.rmtree(header.parent)
    again = cflags.extra_flags()
    print(json.dumps({
        "extra": cflags.extra_flags(), "flags": flags, "nested": nested,
        "plain": [[float(l), g.tolist()] for l, g in plain],
        "revlab": [[float(l), g.tolist()] for l, g in revlab],
        "modules": len(ours), "with_header": sum("-include" in c for c in ours),
        "rebuilt": Path(again.rsplit(" ", 1)[-1]).is_file(),
    }))
    """
)


@needs_gcc
def test_modules_compile_with_the_flags_and_give_pytensors_numbers(tmp_path):
    env = dict(os.environ, PYTENSOR_FLAGS=f"compiledir={tmp_path / 'pytensor'}")
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT], env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    extra = out["extra"]
    assert "-O1" in extra and "-g0" in extra and "-include" in extra
    assert out["flags"].count("-include") == 1 and out["nested"] == out["flags"]
    # every module compiled inside compile_flags had the header, and gcc took it
    assert out["modules"] > 0 and out["with_header"] == out["modules"]
    for (lp_plain, g_plain), (lp_ours, g_ours) in zip(out["plain"], out["revlab"], strict=True):
        assert lp_ours == pytest.approx(lp_plain, rel=1e-12, abs=1e-12)
        assert g_ours == pytest.approx(g_plain, rel=1e-10, abs=1e-12)
    assert out["rebuilt"], "a cleared header is built again, not left missing"


@needs_gcc
def test_flags_that_fail_their_trial_are_left_out(tmp_path, monkeypatch):
    monkeypatch.setattr(cflags, "_linker", lambda: ["-fuse-ld=no-such-linker"])
    assert cflags._extra_flags.__wrapped__(str(tmp_path), pytensor.config.cxx, "") == ""


def test_another_compiler_gets_no_flags(tmp_path, monkeypatch):
    monkeypatch.setattr(cflags, "_is_gcc", lambda cxx: False)
    assert cflags._extra_flags.__wrapped__(str(tmp_path), "clang++", "") == ""
    monkeypatch.setattr(cflags, "extra_flags", lambda: "")
    pytest.importorskip("pymc")  # which adds its own flags on import
    before = pytensor.config.gcc__cxxflags
    with cflags.compile_flags():
        assert pytensor.config.gcc__cxxflags == before
