from typing import Any, Literal

from ninja import Field, Schema

from gongzhi.core.http.types import Id


class OrgUnitOut(Schema):
    id: int
    code: str
    name: str
    level: str
    level_label: str = Field(..., alias="get_level_display")
    parent_id: int | None
    service_phone: str
    introduction: str
    is_active: bool


class OrgUnitPage(Schema):
    items: list[OrgUnitOut]
    next_cursor: str | None


class OrgUnitCreateIn(Schema):
    parent_id: Id | None = None
    code: str = Field(..., max_length=24)
    name: str = Field(..., max_length=100)


class OrgUnitUpdateIn(Schema):
    name: str | None = Field(None, max_length=100)
    service_phone: str | None = Field(None, max_length=32)
    introduction: str | None = Field(None, max_length=500)


class DepartmentOut(Schema):
    id: int
    code: str
    name: str
    district_id: int
    phone: str
    is_active: bool


class DepartmentCreateIn(Schema):
    district_id: Id
    code: str = Field(..., max_length=32)
    name: str = Field(..., max_length=100)
    phone: str = Field("", max_length=32)


class BoundaryIssueOut(Schema):
    index: int | None = Field(..., description="0-based position in `features`; null: the file")
    code: str
    reason: str = Field(..., description="stable machine code, e.g. invalid_geometry")
    message: str


class BoundaryImportOut(Schema):
    crs: str
    imported: int
    added: int
    replaced: int
    by_level: dict[str, int]
    codes: list[str]
    warnings: list[BoundaryIssueOut]


class UnitFeatureProperties(Schema):
    id: int
    code: str
    name: str
    level: str
    level_label: str


class UnitFeature(Schema):
    type: Literal["Feature"]
    id: int
    bbox: list[float] | None = Field(None, description="[west, south, east, north]")
    geometry: dict[str, Any] = Field(..., description="GeoJSON Polygon or MultiPolygon, WGS-84")
    properties: UnitFeatureProperties


class UnitFeatureCollection(Schema):
    type: Literal["FeatureCollection"]
    bbox: list[float] | None = Field(None, description="[west, south, east, north] of all")
    features: list[UnitFeature]


class BasemapFeature(Schema):
    type: Literal["Feature"]
    geometry: dict
    properties: dict = Field(
        ..., description="kind: main_road | road | lane | water | green | building; name"
    )


class BasemapOut(Schema):
    type: Literal["FeatureCollection"]
    truncated: bool = Field(..., description="more features cross the box than are sent")
    features: list[BasemapFeature]


class LocateOut(Schema):
    code: str
    unit_id: int
    name: str
    level: str
