"""The shared request types: ISO-8601 moments, digit-only query integers, plain text."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import pytest
from pydantic import BaseModel, Field, ValidationError

from backend.common.schemas import PLAIN_TEXT, WHOLE_NUMBER_TEXT, IsoDateTime

pytestmark = pytest.mark.unit


class Sample(BaseModel):
    at: IsoDateTime | None = None
    page: Annotated[int, Field(ge=1, le=100), WHOLE_NUMBER_TEXT] = 1
    title: Annotated[str, Field(min_length=1, max_length=5), PLAIN_TEXT] | None = None


def refused(**data: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        Sample.model_validate(data)
    [error] = caught.value.errors()
    return str(error["loc"][0])


@pytest.mark.parametrize(
    "value",
    [0.5, 1893456000, "0.5", "1893456000", "1e9", True, "2030-01-01T00:00:00",
     "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59"],
)  # fmt: skip
def test_iso_datetime_is_refused_when_a_number_naive_or_out_of_range(value: object) -> None:
    assert refused(at=value) == "at"


def test_iso_datetime_is_kept_in_utc() -> None:
    sample = Sample.model_validate({"at": "2030-01-01T02:00:00+02:00"})
    assert sample.at == datetime(2030, 1, 1, tzinfo=UTC)
    assert sample.at is not None and sample.at.utcoffset() is not None


@pytest.mark.parametrize("value", ["1.0", "1e2", "0x10", "", " ", "true", "0", "101", 1.5])
def test_whole_number_text_is_refused_when_not_digits_or_out_of_bounds(value: object) -> None:
    assert refused(page=value) == "page"


@pytest.mark.parametrize(("value", "page"), [("7", 7), (" 8 ", 8), (9, 9), ("+10", 10)])
def test_whole_number_text_accepts_digits(value: object, page: int) -> None:
    assert Sample.model_validate({"page": value}).page == page


def test_bounds_are_published_as_json_schema_keywords() -> None:
    page = Sample.model_json_schema()["properties"]["page"]
    assert (page["minimum"], page["maximum"]) == (1, 100)
    assert not {"ge", "le"} & set(page)


@pytest.mark.parametrize(
    "value",
    ["a\x00b", "a\x07", "a\nb", "\ud800", "ab\u202e", "\u2066ab", "a\u200bb", "\ufeffab", "",
     "  ", "abcdef"],
)  # fmt: skip
def test_plain_text_is_refused_when_it_hides_or_controls_characters(value: str) -> None:
    assert refused(title=value) == "title"


@pytest.mark.parametrize(
    ("value", "stored"),
    [("e\u0301", "\u00e9"), ("e\u0301" * 5, "\u00e9" * 5), (" ab\n", "ab"),
     ("\U0001f468\u200d\U0001f469", "\U0001f468\u200d\U0001f469"),
     ("\u05e9\u05d5", "\u05e9\u05d5")],
)  # fmt: skip
def test_plain_text_is_stored_nfc_normalised_and_trimmed(value: str, stored: str) -> None:
    assert Sample.model_validate({"title": value}).title == stored
