"""Bounded input types for the JSON API: an id or page number too large for the database is a 422,
not a 500 (SQLite raises OverflowError and PostgreSQL DataError on integers past a bigint)."""

from typing import Annotated

from ninja import Field, Schema
from ninja.pagination import PageNumberPagination

from linli.params import MAX_ID

Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class Pagination(PageNumberPagination):
    class Input(Schema):
        page: int = Field(1, ge=1, le=1_000_000)
        page_size: int | None = Field(None, ge=1, le=1000)
