"""Read a CSV export as text, refusing what is not a readable CSV with the file, line and fix.

Every value comes back as text (an empty field is missing; ``NA`` and ``null`` stay values);
the mapping decides the types. A file that is empty, binary (an Excel workbook, Parquet, a
PDF), JSON or HTML, not in the given encoding, or has rows with more or fewer fields than its
header is refused with one :class:`~revlab.schema.SchemaError` that says where and how to fix
it: nothing is read past a broken row, so no value shifts into the wrong column.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd

from revlab.schema import SchemaError

#: Leading bytes of files that are often saved by mistake where a CSV export was meant.
SIGNATURES = {
    b"PK\x03\x04": "an Excel workbook (.xlsx) or another zip archive",
    b"\xd0\xcf\x11\xe0": "an old Excel workbook (.xls)",
    b"PAR1": "a Parquet file",
    b"%PDF": "a PDF document",
    b"\x1f\x8b": "a gzip archive",
    b"SQLite format 3": "an SQLite database",
}
BOMS = {b"\xff\xfe": "utf-16", b"\xfe\xff": "utf-16"}
MAX_LINES = 3


def read_csv(path: str | Path, *, encoding: str = "utf-8", delimiter: str = ",") -> pd.DataFrame:
    """The export as a frame of text; a missing value is an empty field only."""
    path = Path(path)
    name = path.name
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SchemaError([f"{path}: cannot be read ({exc.strerror}); check the path."]) from None
    text = _decode(data, name, encoding)
    if not text.strip():
        raise SchemaError(
            [f"{name} is empty; export it again with its header row and at least the header."]
        )
    first = text.lstrip()[:1]
    if first in ("{", "[", "<"):
        kind = "JSON" if first in "{[" else "HTML or XML"
        raise SchemaError(
            [f"{name} line 1: not a CSV file (it looks like {kind}); export the records as CSV."]
        )
    return _parse(text, name, delimiter)


def _decode(data: bytes, name: str, encoding: str) -> str:
    for bom, enc in BOMS.items():
        if data.startswith(bom) and not encoding.lower().startswith("utf-16"):
            raise SchemaError(
                [
                    f"{name} line 1: the file is {enc.upper()} text; pass "
                    f'encoding="{enc}" (or save it as "CSV UTF-8").'
                ]
            )
    for magic, what in SIGNATURES.items():
        if data.startswith(magic):
            raise SchemaError(
                [f"{name}: not a CSV file (it is {what}); save or export it as CSV (UTF-8)."]
            )
    if b"\x00" in data[:4096] and not encoding.lower().startswith("utf-16"):
        raise SchemaError(
            [f"{name}: not a CSV file (it holds binary data); export the records as CSV."]
        )
    codec = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        raise SchemaError([_encoding_problem(data, exc, name, encoding)]) from None
    except LookupError:
        raise SchemaError(
            [f"{name}: unknown encoding {encoding!r}; use e.g. utf-8, cp1252, latin-1."]
        ) from None


def _encoding_problem(data: bytes, exc: UnicodeDecodeError, name: str, encoding: str) -> str:
    start = exc.start
    line = data.count(b"\n", 0, start) + 1
    column = start - (data.rfind(b"\n", 0, start) + 1) + 1
    guess = "cp1252"
    try:
        data.decode("cp1252")
        hint = "probably Windows-1252, as Excel on Windows saves CSV"
    except UnicodeDecodeError:
        guess, hint = "latin-1", "in a single-byte encoding such as Latin-1"
    return (
        f"{name} line {line}, column {column}: not {encoding} text (byte 0x{data[start]:02x}); "
        f'the file is {hint}: pass encoding="{guess}" (load_export(..., encoding="{guess}"), '
        f'`encoding: {guess}` in a mapping, or --encoding {guess}), or export it as "CSV UTF-8".'
    )


def _parse(text: str, name: str, delimiter: str) -> pd.DataFrame:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[list[str]] = []
    ragged: list[tuple[int, int]] = []
    try:
        header = next(reader)
        header_line = reader.line_num
        for row in reader:
            if not row:  # a blank line holds no record
                continue
            if len(row) != len(header):
                ragged.append((reader.line_num, len(row)))
                continue
            rows.append(row)
    except csv.Error as exc:
        raise SchemaError(
            [
                f"{name} line {reader.line_num}: not readable as CSV ({exc}); a value holding "
                'the delimiter, a quote or a line break must be in double quotes ("" for a '
                "quote inside): export it again with quoting, or fix that line."
            ]
        ) from None
    _check_header(header, name, delimiter, header_line)
    if ragged:
        raise SchemaError([_ragged_problem(ragged, len(header), name)])
    frame = pd.DataFrame(rows, columns=[h.strip() for h in header], dtype=object)
    return frame.where(frame.ne(""), np.nan).astype("str")


def _check_header(header: list[str], name: str, delimiter: str, line: int) -> None:
    names = [h.strip() for h in header]
    if len(names) == 1:
        for other in (";", "\t", "|"):
            if other != delimiter and other in names[0]:
                shown = {"\t": "tab"}.get(other, repr(other))
                raise SchemaError(
                    [
                        f"{name} line {line}: the header is one column holding {shown}: the "
                        f"file looks {shown}-separated; pass delimiter={other!r}."
                    ]
                )
    blank = [i + 1 for i, h in enumerate(names) if not h]
    doubled = sorted({h for h in names if h and names.count(h) > 1})
    problems = []
    if blank:
        problems.append(
            f"{name} line {line}: header column(s) {', '.join(map(str, blank))} have no name; "
            "name every column."
        )
    if doubled:
        problems.append(
            f"{name} line {line}: column(s) {', '.join(map(repr, doubled))} appear more than "
            "once in the header; export each field once."
        )
    if problems:
        raise SchemaError(problems)


def _ragged_problem(ragged: list[tuple[int, int]], width: int, name: str) -> str:
    line, n = ragged[0]
    others = ", ".join(str(ln) for ln, _ in ragged[1:MAX_LINES])
    more = f" (also line(s) {others}{', …' if len(ragged) > MAX_LINES else ''}" if others else ""
    more += f"; {len(ragged)} rows in all)" if others else ""
    return (
        f"{name} line {line}: {n} field{'s' if n != 1 else ''} where the header has {width}"
        f"{more}; a value holding the delimiter must be in double quotes: export it again "
        "with quoting, or fix those lines."
    )
