"""The hotline's daily xlsx export, read with the project's sheet reader (python-calamine)
and taken in row by row through the same service as the webhook."""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from gongzhi.core.audit import audit_record
from gongzhi.core.errors import DomainError
from gongzhi.hotline import services
from gongzhi.imports.formats import Column, Format
from gongzhi.imports.reader import open_table


@dataclass(frozen=True)
class HotlineFormat(Format):
    @property
    def label(self) -> str:
        return _("12345 work orders")


# The hotline's column headers, as its export writes them.
FORMAT = HotlineFormat(
    kind="hotline",
    columns=(
        Column("order_no", "工单编号", "", required=True, text=True),
        Column("accepted_at", "受理时间", ""),
        Column("content", "诉求内容", "", required=True),
        Column("category", "诉求分类", ""),
        Column("address", "地址", ""),
        Column("lng", "经度", ""),
        Column("lat", "纬度", ""),
        Column("contact_name", "联系人", ""),
        Column("contact_phone", "联系电话", "", text=True),
        Column("deadline", "办理时限", ""),
    ),
)


@dataclass
class ImportResult:
    created: list = field(default_factory=list)  # (row number, order number, case)
    skipped: list = field(default_factory=list)  # (row number, order number, case)
    errors: list = field(default_factory=list)  # (row number, order number, message)

    @property
    def total(self) -> int:
        return len(self.created) + len(self.skipped) + len(self.errors)


def import_file(path, filename: str, *, actor=None) -> ImportResult:
    """Every row of the sheet through services.order_receive, each in its own transaction;
    one audit row says who imported which file with what outcome."""
    result = ImportResult()
    with open_table(path, FORMAT, filename) as table:
        for row in table.rows():
            data = {k: v for k, v in row.values.items() if v != ""}
            order_no = data.get("order_no", "")
            try:
                case, created = services.order_receive(data, source="xlsx")
            except DomainError as exc:
                message = exc.message
                if isinstance(exc.details, dict):
                    fields = ", ".join(
                        f"{k}: {'; '.join(map(str, v))}" for k, v in exc.details.items()
                    )
                    message = f"{message} ({fields})" if fields else message
                result.errors.append((row.number, order_no, message))
                continue
            (result.created if created else result.skipped).append((row.number, order_no, case))
    audit_record(
        actor=actor,
        action="hotline.imported",
        object_type="hotline.import",
        object_repr=filename[:200],
        changes={
            "created": len(result.created),
            "skipped": len(result.skipped),
            "errors": len(result.errors),
        },
    )
    return result
