"""Personal data rules: an allowlist of columns, values checked, owners as pseudonymous ids.

A table gets its canonical columns and the attributes a mapping names (``keep:``), nothing
else. A named attribute is refused when its header or its values say it is personal or free
text: e-mail addresses, phone numbers, names, street addresses, or prose (notes, subjects,
bodies). A canonical text column holding e-mail addresses, phone numbers or prose (a line
break, or over 100 characters) is refused too.
``owner`` is kept when its values are ids (``005000000000U01``, ``301``); names or e-mail
addresses become ``owner-<10 hex>``, a keyed BLAKE2b hash of the value (case and spaces
ignored) with the mapping's ``owner_salt``: the same person gets the same id in every import
with the same salt, and without the salt nobody can test a guess. ``owner_names: true`` keeps
them as exported. Messages name columns and rows, never the personal values.
"""

from __future__ import annotations

import hashlib
import re

import pandas as pd

EMAIL = re.compile(r"[^@\s<>(),;:]+@[^@\s<>(),;:]+\.[A-Za-z]{2,}")
_PHONE_CHARS = re.compile(r"^\s*\+?[\d\s().\-/]+\s*$")
_DATE_LIKE = re.compile(r"^\s*\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}(?:[ T].*)?$")
_PERSONAL_HEADER = re.compile(
    r"e-?mail|phone|mobile|fax|salutation|first.?name|last.?name|middle.?name|full.?name|"
    r"^name$|contact(?!.?ids?$)|street|address|postal|zip|birth|linkedin|twitter|photo|ip.?addr|"
    r"owner.?name|username|signature|location|^city$|billing|shipping",
    re.I,
)
_FREE_TEXT_HEADER = re.compile(
    r"description|comment|notes?$|message|body|subject|summary|remark|title|dealname|"
    r"(?:deal|opportunity|account|company|lead).?name",
    re.I,
)
#: Prose: a value this long, or holding a line break, is free text.
FREE_TEXT_CHARS = 100
SAMPLE = 2000


def header_reason(header: str) -> str | None:
    """Why a column is personal or free text by its header alone, or None."""
    if _PERSONAL_HEADER.search(str(header)):
        return "personal field"
    if _FREE_TEXT_HEADER.search(str(header)):
        return "free text"
    return None


def value_reason(values: pd.Series, *, sample: bool = False) -> str | None:
    """Why a column's values are personal or free text (e-mail, phone, prose), or None."""
    text = values.dropna().astype("str")
    if sample:
        text = text.head(SAMPLE)
    if not len(text):
        return None
    if text.str.contains(EMAIL).any():
        return "e-mail addresses"
    if looks_like_phone(text).any():
        return "phone numbers"
    if text.str.contains("\n").any() or (text.str.len() > FREE_TEXT_CHARS).any():
        return "free text"
    return None


def looks_like_phone(text: pd.Series) -> pd.Series:
    """Values written like phone numbers: 7-15 digits with + or separators, not a date."""
    digits = text.str.count(r"\d")
    shaped = text.str.match(_PHONE_CHARS) & ~text.str.match(_DATE_LIKE)
    separated = text.str.strip().str.startswith("+") | text.str.contains(r"[\s().\-/]\d")
    return shaped & separated & digits.between(7, 15)


def personal_rows(values: pd.Series) -> tuple[str, pd.Series] | None:
    """For a canonical text column: the personal data or free text it holds and where, or None."""
    text = values.astype("str").where(values.notna())
    email = text.str.contains(EMAIL, na=False)
    if email.any():
        return "e-mail addresses", email
    phone = looks_like_phone(text.fillna("")) & text.notna()
    if phone.any():
        return "phone numbers", phone
    prose = text.str.contains("\n", na=False) | (text.str.len() > FREE_TEXT_CHARS).fillna(False)
    if prose.any():  # notes or a description mapped to a canonical column: free text
        return "free text", prose
    return None


def looks_like_ids(values: pd.Series) -> bool:
    """Every value one token with a digit and no '@' (``005000000000U01``, ``301``)."""
    text = values.dropna().astype("str").str.strip()
    return bool(text.str.fullmatch(r"[A-Za-z0-9_\-:.]*\d[A-Za-z0-9_\-:.]*").all())


def pseudonym(value: str, salt: str) -> str:
    """``owner-<10 hex>``: a keyed hash of the value, ignoring case and surrounding spaces."""
    key = salt.encode()[:64] or b"revlab"
    digest = hashlib.blake2b(" ".join(value.split()).casefold().encode(), key=key, digest_size=5)
    return f"owner-{digest.hexdigest()}"


def owner_ids(values: pd.Series, *, salt: str) -> tuple[pd.Series, bool]:
    """Owners as ids: kept when they are ids, else pseudonyms; and whether they were replaced."""
    if looks_like_ids(values):
        return values, False
    text = values.astype("str").where(values.notna())
    return text.map(lambda v: pseudonym(v, salt), na_action="ignore").astype("str"), True
