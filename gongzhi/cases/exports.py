"""Any list of cases as a workbook: the queues (/cases/xlsx/) and the command center's
drill-downs (/command/cases.xlsx). What a list row shows — no reporter's phone or name,
the title and description as stored (masked) — in the list's order; refused above
MAX_ROWS with a message to narrow the filter; every download audited with its filter
and row count."""

import io

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.cases.models import Case, Channel, State, Urgency
from gongzhi.cases.views.common import place_label
from gongzhi.core import xlsx
from gongzhi.core.audit import audit_record
from gongzhi.core.errors import DomainError, Invalid
from gongzhi.core.http.error_page import domain_error_page

MAX_ROWS = 10_000


def too_many() -> Invalid:
    return Invalid(
        _(
            "More than %(n)s cases match: narrow the list (a queue, a search, a shorter "
            "period or a smaller area) and download again."
        )
        % {"n": f"{MAX_ROWS:,}"},
        code="too_many_rows",
    )


def cases_workbook(actor, qs: QuerySet[Case], *, ordering, title: str, filters: dict) -> bytes:
    """The cases of `qs` in `ordering` as one sheet (Invalid "too_many_rows" above
    MAX_ROWS); the download is audited ("cases.export")."""
    rows = qs.select_related("category", "grid__parent__parent", "department").order_by(*ordering)
    count = rows[: MAX_ROWS + 1].count()
    if count > MAX_ROWS:
        raise too_many()
    now = timezone.now()
    states, urgencies, channels = dict(State.choices), dict(Urgency.choices), dict(Channel.choices)
    out = io.BytesIO()
    book = xlsx.Workbook(out, {"in_memory": True})
    head = book.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1})
    ws = book.add_worksheet(title[:31])
    heads = [_("Number"), _("Title"), _("Category"), _("Urgency"), _("Channel"), _("State"),
             _("Where"), _("Address"), _("Reported"), _("Deadline"), _("Overdue now"),
             _("Handling unit"), _("Description")]  # fmt: skip
    for col, text in enumerate(heads):
        ws.write(0, col, str(text), head)
    for n, c in enumerate(rows.iterator(chunk_size=2000), start=1):
        values = [
            c.number, c.title, c.category.name, urgencies.get(c.urgency, c.urgency),
            channels.get(c.channel, c.channel), states.get(c.state, c.state),
            place_label(c.grid), c.address,
            timezone.localtime(c.reported_at).strftime("%Y-%m-%d %H:%M"),
            timezone.localtime(c.due_at).strftime("%Y-%m-%d %H:%M") if c.due_at else "",
            _("Yes") if c.is_overdue(now) else "",
            c.department.name if c.department_id else "",
            c.description,
        ]  # fmt: skip
        for col, value in enumerate(values):
            ws.write_string(n, col, str(value))
    for col, width in enumerate([20, 28, 14, 8, 10, 10, 22, 26, 17, 17, 8, 16, 50]):
        ws.set_column(col, col, width)
    ws.freeze_panes(1, 1)
    ws.autofilter(0, 0, count, len(heads) - 1)
    book.close()
    audit_record(
        actor=actor,
        action="cases.export",
        object_type="cases.case",
        changes={"rows": count, "list": title, "filter": filters},
    )
    return out.getvalue()


def cases_download(request, qs: QuerySet[Case], *, ordering, title: str, filters: dict, name: str):
    """The workbook of `qs` as a download named `name` (its date added), or the error page
    (too many rows) with the way back."""
    try:
        data = cases_workbook(request.user, qs, ordering=ordering, title=title, filters=filters)
    except DomainError as exc:
        return domain_error_page(request, exc.status, exc.message)
    return xlsx.response(data, f"{name}_{timezone.localdate():%Y%m%d}.xlsx")
