from datetime import datetime

from ninja import Field, Schema


class ImportJobOut(Schema):
    id: int
    kind: str
    kind_label: str = Field(..., alias="get_kind_display")
    status: str = Field(
        ..., description="uploaded → validating → validated → importing → done, or failed"
    )
    status_label: str = Field(..., alias="get_status_display")
    filename: str
    file_size: int
    total_rows: int = Field(..., description="Data rows (blank rows are not counted)")
    valid_rows: int
    error_rows: int
    error_count: int = Field(..., description="All errors; `errors` lists the first 5,000")
    processed_rows: int = Field(..., description="Progress of the running phase")
    progress_total: int
    progress_percent: int
    created_count: int
    updated_count: int
    message: str = Field(..., description="Why the whole file was refused, when it was")
    created_at: datetime
    validated_at: datetime | None
    confirmed_at: datetime | None
    finished_at: datetime | None


class ImportErrorOut(Schema):
    row: int = Field(..., description="The row number as the spreadsheet shows it")
    column: str = Field(..., description="The column header")
    message: str


class ImportErrorPage(Schema):
    items: list[ImportErrorOut]
    next_cursor: str | None
