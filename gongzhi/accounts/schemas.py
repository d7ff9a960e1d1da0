from ninja import Field, Schema

from gongzhi.core.http.types import Id


class PositionOut(Schema):
    id: int
    user_id: int
    user_name: str = Field(..., alias="user.get_display_name")
    role: str
    role_label: str = Field(..., alias="get_role_display")
    org_unit_id: int | None
    department_id: int | None
    org_code: str
    title: str


class PositionPage(Schema):
    items: list[PositionOut]
    next_cursor: str | None


class PositionCreateIn(Schema):
    user_id: Id
    role: str = Field(..., max_length=32)
    org_unit_id: Id | None = None
    department_id: Id | None = None
    title: str = Field("", max_length=50)


class MeOut(Schema):
    id: int
    username: str
    name: str
    roles: list[str]
    positions: list[PositionOut]
    scope_codes: list[str]
    scope_everything: bool
