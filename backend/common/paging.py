"""One page of a search, and how many match in all (the REST API's ``page``/``pageSize``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from beanie import Document, SortDirection


async def page_of[D: Document](
    document: type[D],
    flt: Mapping[str, Any],
    sort: Sequence[tuple[str, SortDirection]],
    *,
    page: int,
    page_size: int,
) -> tuple[list[D], int]:
    found = document.find(dict(flt)).sort(list(sort)).skip((page - 1) * page_size).limit(page_size)
    return await found.to_list(), await document.find(dict(flt)).count()
