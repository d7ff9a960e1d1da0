"""Bounded input types of the API: every number and text an API schema or parameter takes
has its limits, so the OpenAPI document states them, a value beyond them is a 422 with
the error body, and nothing unbounded reaches the database (an id past 64 bits overflows
SQLite's INTEGER; a long text is refused before any query).

    def thing_detail(request, thing_id: Id): …
    class ThingIn(Schema):
        building_id: Id | None = None
        name: Text[100]

`core/http/forms.py` holds the same bounds for the pages' forms.
"""

from typing import Annotated

from pydantic import Field

from gongzhi.core.http.pagination import MAX_LIMIT

INT64_MAX = 2**63 - 1

# A row's id, in a path, a query or a body: what a 64-bit primary key can hold.
Id = Annotated[int, Field(ge=1, le=INT64_MAX)]
# The version a client saw (cases' optimistic locking).
Version = Annotated[int, Field(ge=0, le=INT64_MAX)]
# A page's size (core.http.pagination).
Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT, description=f"Items per page, 1–{MAX_LIMIT}")]
# The opaque cursor of the next page, as the previous page gave it.
Cursor = Annotated[str, Field(max_length=512)]
# An org unit's code (digits, six for a district, three more a level).
UnitCode = Annotated[str, Field(max_length=24, description="Org unit code")]
# A local date as text, read by core.dates.parse_day (bounds 2000-01-01 … 2100-12-31).
DayText = Annotated[
    str, Field(max_length=10, description="YYYY-MM-DD, from 2000-01-01 to 2100-12-31")
]
# WGS-84 (or GCJ-02, BD-09) degrees.
Lng = Annotated[float, Field(ge=-180, le=180)]
Lat = Annotated[float, Field(ge=-90, le=90)]


class _Text:
    """Text[n]: a string of at most n characters."""

    def __class_getitem__(cls, limit: int):
        return Annotated[str, Field(max_length=limit)]


Text = _Text
# A name of a choice (channel, urgency, crs, state, role …): the service checks the value.
Word = Text[32]
# Free search words.
Search = Text[100]
