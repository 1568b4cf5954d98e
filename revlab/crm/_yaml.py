"""A strict YAML reader for mappings: duplicate keys refused, every key knows its line.

PyYAML keeps the last of two equal keys and says nothing, so a ``close_date:`` written twice
under ``renames`` loses a column silently. Here a repeated key is an error naming both lines,
a syntax error names its line and column, and every mapping read carries the line of each of
its keys (:class:`Lines`) so that later checks (unknown keys, wrong shapes) can name the line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from revlab.schema import SchemaError


class Lines(dict):
    """A dict read from YAML, with ``line`` (its own first line) and ``lines`` (per key)."""

    line: int | None = None
    lines: dict[Any, int]

    def where(self, key: Any = None) -> str:
        """``"line 12"`` for ``key`` (or the mapping itself), or ``""`` when not known."""
        line = self.lines.get(key) if key is not None else self.line
        return f"line {line}" if line else ""


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader whose mappings are :class:`Lines` and refuse repeated keys."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> Lines:
    loader.flatten_mapping(node)
    out = Lines()
    out.line, out.lines = node.start_mark.line + 1, {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        try:
            hash(key)
        except TypeError:
            raise _Problem(line, f"a key must be a name, not {type(key).__name__}") from None
        if key in out:
            raise _Problem(
                line,
                f"key {key!r} appears twice (lines {out.lines[key]} and {line}); YAML would keep "
                "only the last: keep one",
            )
        out[key] = loader.construct_object(value_node, deep=True)
        out.lines[key] = line
    return out


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class _Problem(Exception):
    def __init__(self, line: int, text: str):
        super().__init__(text)
        self.line, self.text = line, text


def load_yaml(path: str | Path) -> Any:
    """The YAML document in ``path``; SchemaError naming the file and line when it is wrong."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SchemaError([f"mapping {path}: cannot be read ({exc.strerror})."]) from None
    except UnicodeDecodeError:
        raise SchemaError([f"mapping {path.name}: not UTF-8 text; save it as UTF-8."]) from None
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except _Problem as exc:
        raise SchemaError([f"{path.name} line {exc.line}: {exc.text}."]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise SchemaError(
            [
                f"{path.name}{at}: not valid YAML ({exc.problem or exc.context}); check the "
                "indentation and the colons, and quote values holding ': ' or '#'."
            ]
        ) from None
