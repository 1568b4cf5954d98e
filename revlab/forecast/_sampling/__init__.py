"""The sampling machinery behind the forecast models, kept apart so the models read first.

- :mod:`.model`: ``BayesianModel``, the base class (configs, fit, diagnostics, save and load);
- :mod:`.compile_cache`: compiled models kept in memory, keyed by structure;
- :mod:`.disk_cache`: the same, on disk between processes;
- :mod:`.nuts`: the tuned NUTS step and the jittered start points;
- :mod:`.traces`: the reusable empty trace, and independently sampled blocks joined;
- :mod:`.chains`: every chain of every block run on forked workers;
- :mod:`.cflags`: faster gcc flags for the C modules PyTensor compiles.

A model subclasses ``BayesianModel`` and writes ``_structure``, ``_build`` and ``_data``;
nothing here knows any particular model.
"""
