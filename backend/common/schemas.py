"""Base pydantic models (snake_case in Python, camelCase on the wire) and the request
types every service shares."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, ConfigDict

from wire.base import CamelModel

_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")


def _iso_text(value: object) -> object:
    # pydantic also reads numbers (and numeric text) as Unix times: the documented format
    # is an ISO-8601 string, so a number is refused rather than read as 1970 or 2033.
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or _NUMBER.fullmatch(value.strip()):
        raise ValueError("Must be an ISO-8601 date and time with a zone")
    return value


def _in_utc(value: datetime) -> datetime:
    # Stored and compared in UTC: a moment that has no UTC year 1-9999 cannot be.
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("Date out of range") from None


def _whole_number_text(value: object) -> object:
    # A query string is text: "2" is a number, "2.0", "1e3" or "" are not.
    if isinstance(value, str) and not _WHOLE_NUMBER.fullmatch(value.strip()):
        raise ValueError("Must be a whole number")
    return value


# Invisible or reordering characters with no place in a one-line name: they let "ada"
# and "a\u200bda" look alike, or turn text around (the "Trojan Source" bidi controls).
# Zero-width (non-)joiners stay allowed: emoji sequences and several scripts need them.
_REFUSED_FORMAT = frozenset(
    "\u200b\u2060\ufeff"  # zero-width space, word joiner, byte-order mark
    "\u202a\u202b\u202c\u202d\u202e"  # bidi embeddings and overrides
    "\u2066\u2067\u2068\u2069"  # bidi isolates
)


def _plain_text(value: object) -> object:
    if not isinstance(value, str):
        return value
    value = value.strip()  # surrounding line breaks and tabs are not part of the text
    for char in value:
        category = unicodedata.category(char)
        if category == "Cc":
            raise ValueError("Must not contain control characters")
        if category == "Cs":
            raise ValueError("Must be valid Unicode (no lone surrogates)")
        if char in _REFUSED_FORMAT:
            raise ValueError(f"Must not contain invisible character U+{ord(char):04X}")
    # One spelling per text: "é" typed precomposed or decomposed is the same title.
    return unicodedata.normalize("NFC", value)


# Marks a one-line human text (a title, a name): NFC-normalised; control characters,
# lone surrogates, invisible and bidi-control characters are refused. Put it after the
# field's bounds, which then count the normalised text.
PLAIN_TEXT = BeforeValidator(_plain_text)

# An aware moment given as ISO-8601 text (body or query), normalised to UTC.
IsoDateTime = Annotated[AwareDatetime, BeforeValidator(_iso_text), AfterValidator(_in_utc)]
# Marks an integer query parameter, which must be written as digits. Put it *after* the
# field's bounds (``Annotated[int, Field(ge=1), WHOLE_NUMBER_TEXT]``): before them, pydantic
# would publish ``ge``/``le`` instead of ``minimum``/``maximum`` in the JSON schema.
WHOLE_NUMBER_TEXT = BeforeValidator(_whole_number_text)


class RequestModel(CamelModel):
    """A request body: camelCase only, and unknown fields are refused so typos do not pass
    silently (``display_name`` is as unknown as ``dispaly_name``)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, validate_by_name=False)
