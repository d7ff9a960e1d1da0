from datetime import datetime

from ninja import Field, Schema


class NotificationOut(Schema):
    id: int
    kind: str = Field(..., description="A short code such as case.overdue")
    title: str
    body: str
    link: str = Field(..., description="A path on this site, or empty")
    created_at: datetime
    read_at: datetime | None
    is_read: bool


class NotificationPage(Schema):
    items: list[NotificationOut]
    next_cursor: str | None


class ReadAllOut(Schema):
    updated: int = Field(..., description="How many notifications were unread")
