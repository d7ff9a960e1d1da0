import datetime as dt

from ninja import Field, Schema

from gongzhi.core.http.schemas import MaskedText
from gongzhi.core.http.types import Id, Lat, Lng, Word


class BuildingOut(Schema):
    id: int
    name: str
    address: str
    grid_id: int
    org_code: str
    floors: int | None
    lng: float | None
    lat: float | None


class BuildingIn(Schema):
    grid_id: Id
    name: str = Field(..., max_length=100)
    address: str = Field("", max_length=200)
    floors: int | None = Field(None, ge=1, le=200)
    lng: Lng | None = None
    lat: Lat | None = None
    crs: Word = Field("wgs84", description="wgs84 | gcj02 | bd09")


class BuildingPage(Schema):
    items: list[BuildingOut]
    next_cursor: str | None


class HouseholdOut(Schema):
    id: int
    building_id: int
    unit_name: str
    room: str
    org_code: str


class HouseholdIn(Schema):
    building_id: Id
    unit_name: str = Field("", max_length=20)
    room: str = Field(..., max_length=20)


class ResidentOut(Schema):
    id: int
    name: str
    gender: str
    birth_date: dt.date | None
    id_number_masked: str
    phone_masked: str
    grid_id: int
    org_code: str
    household_id: int | None
    relationship: str
    residence_type: str
    tags: list[str]
    note: MaskedText = Field(..., description="Phones and ID numbers in it are masked")

    @staticmethod
    def resolve_tags(obj):
        return [t.name for t in obj.tags.all()]


class ResidentIn(Schema):
    name: str = Field(..., max_length=50)
    grid_id: Id | None = Field(None, description="needed when no home is given")
    id_number: str = Field("", max_length=32)
    phone: str = Field("", max_length=32)
    household_id: Id | None = None
    building_id: Id | None = Field(None, description="with unit_name and room: the home")
    unit_name: str = Field("", max_length=20)
    room: str = Field("", max_length=20)
    relationship: str = Field("", max_length=16)
    residence_type: str = Field("registered", max_length=16)
    tag_ids: list[Id] = Field(default_factory=list, max_length=50)
    note: str = Field("", max_length=200)


class ResidentPage(Schema):
    items: list[ResidentOut]
    next_cursor: str | None


class RevealIn(Schema):
    field: Word = Field(..., description="id_number | phone")


class RevealOut(Schema):
    field: str
    value: str


class PremisesOut(Schema):
    id: int
    name: str
    category: str = Field(..., alias="category.name")
    address: str
    grid_id: int
    org_code: str
    responsible_name: str
    phone_masked: str
    uscc: str | None
    lng: float | None
    lat: float | None


class PremisesIn(Schema):
    grid_id: Id
    name: str = Field(..., max_length=100)
    category_id: Id
    address: str = Field("", max_length=200)
    responsible_name: str = Field("", max_length=50)
    phone: str = Field("", max_length=32)
    uscc: str = Field("", max_length=32)
    lng: Lng | None = None
    lat: Lat | None = None
    crs: Word = "wgs84"


class PremisesPage(Schema):
    items: list[PremisesOut]
    next_cursor: str | None


class BuildingRoleIn(Schema):
    resident_id: Id
    role: Word = Field(..., description="head | informant | publicist")


class NamedOut(Schema):
    id: int
    name: str


class GridStatsOut(Schema):
    code: str
    name: str
    buildings: int
    households: int
    residents: int
    by_type: dict[str, int]
    by_tag: dict[str, int]
